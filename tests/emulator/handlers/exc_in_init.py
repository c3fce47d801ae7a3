"""Raises while the module is imported (the init phase)."""

raise RuntimeError("cannot load the model at init")


def handler(event, context):
    return "unreachable"
