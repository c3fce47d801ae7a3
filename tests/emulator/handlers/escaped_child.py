"""Starts a grandchild in its own session (out of the worker's process group, which a kill takes
down) that keeps the worker's stdout open: silent, or printing a line every few milliseconds. Writes
its pid to event["pid_file"] and prints its last words without a newline."""

import subprocess
import sys

_SILENT = "import time; time.sleep(120)"
_CHATTY = "import time\nwhile True:\n    print('still here', flush=True)\n    time.sleep(0.002)"


def handler(event, context):
    code = _CHATTY if event.get("chatty") else _SILENT
    child = subprocess.Popen([sys.executable, "-c", code], start_new_session=True)  # stdout: the pipe
    with open(event["pid_file"], "w") as out:
        out.write(str(child.pid))
    print("last words", end="", flush=True)
    return {"child": child.pid}
