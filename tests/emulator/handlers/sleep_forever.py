"""Never answers unless the event says otherwise."""

import time


def handler(event, context):
    if event.get("quick"):
        return "quick"
    time.sleep(3600)
