"""Answers with a string of the requested size."""


def handler(event, context):
    return "x" * event["size"]
