"""Starts a long-lived child process and answers with its pid (or hangs, if told to)."""

import subprocess
import sys
import time

_children: list = []


def handler(event, context):
    child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(120)"])
    _children.append(child)
    if event.get("hang"):
        print(f"child {child.pid}", flush=True)
        time.sleep(3600)
    return {"child": child.pid}
