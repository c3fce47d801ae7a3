"""Sleeps SLOW_INIT_S seconds at import: always, or only the first time if SLOW_INIT_MARK is set."""

import os
import time

_MARK = os.environ.get("SLOW_INIT_MARK", "")
if not _MARK or not os.path.exists(_MARK):
    if _MARK:
        open(_MARK, "w").close()
    time.sleep(float(os.environ["SLOW_INIT_S"]))


def handler(event, context):
    return "initialised"
