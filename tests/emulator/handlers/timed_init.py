"""Records when its init ran (INIT_LOG_DIR/<pid>: start and end, epoch seconds), sleeping
SLOW_INIT_S in between; each invocation then stays busy for the event's "busy_s"."""

import os
import time

_START = time.time()
time.sleep(float(os.environ["SLOW_INIT_S"]))
with open(os.path.join(os.environ["INIT_LOG_DIR"], str(os.getpid())), "w") as fh:
    fh.write(f"{_START} {time.time()}")


def handler(event, context):
    time.sleep(event.get("busy_s", 0))
    return {"pid": os.getpid()}
