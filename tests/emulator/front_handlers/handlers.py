"""One scriptable handler: the request's JSON says what it does (stdlib only; runs in workers).

{"respond": X} returns X as is; {"raise": "msg"} raises ValueError; {"sleep": s} sleeps first;
{"print": "line"} logs a line. Anything else answers 200 with the event it got.
"""

import base64
import json
import time


def _instructions(event):
    if isinstance(event, dict) and ("httpMethod" in event or event.get("version") == "2.0"):
        body = event.get("body") or ""
        if event.get("isBase64Encoded"):
            body = base64.b64decode(body).decode("utf-8", "replace")
        try:
            parsed = json.loads(body) if body else {}
        except ValueError:
            parsed = {}
        return parsed if isinstance(parsed, dict) else {}
    return event if isinstance(event, dict) else {}


def handler(event, context):
    todo = _instructions(event)
    if "print" in todo:
        print(todo["print"])
    if "sleep" in todo:
        time.sleep(float(todo["sleep"]))
    if "raise" in todo:
        raise ValueError(todo["raise"])
    if "respond" in todo:
        return todo["respond"]
    return {"statusCode": 200, "headers": {"Content-Type": "application/json"},
            "body": json.dumps({"event": event})}
