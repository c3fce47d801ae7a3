"""Answers with what it saw: the event, its context and the Lambda variables."""

import os
import sys

_INIT_PID = os.getpid()
_SHOWN = ("AWS_", "LAMBDA_", "LAMBDASERVE_", "_HANDLER", "TZ", "LANG", "USER_")
print("echo: init done")


def handler(event, context):
    print(f"echo: handling {context.aws_request_id}")
    sys.stdout.write("echo: no newline")
    return {
        "event": event,
        "request_id": context.aws_request_id,
        "function_arn": context.invoked_function_arn,
        "remaining_ms": context.get_remaining_time_in_millis(),
        "pid": os.getpid(),
        "init_pid": _INIT_PID,
        "cwd": os.getcwd(),
        "client_context": getattr(context.client_context, "custom", None),
        "env": {k: v for k, v in os.environ.items() if k.startswith(_SHOWN)},
    }
