"""Imports a module that does not exist."""

import not_a_module_lambdaserve  # noqa: F401


def handler(event, context):
    return "unreachable"
