"""SIGKILLs its own process in the handler unless told not to."""

import os
import signal


def handler(event, context):
    if event.get("ok"):
        return {"pid": os.getpid()}
    os.kill(os.getpid(), signal.SIGKILL)
