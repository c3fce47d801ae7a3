"""Raises inside the handler."""


def handler(event, context):
    print("about to fail")
    raise ValueError("bad input: expected 4 features")
