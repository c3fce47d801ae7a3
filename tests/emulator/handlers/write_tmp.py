"""Writes event["mb"] MB to /tmp, one MB at a time, and says how far it got."""

import errno
import os


def handler(event, context):
    chunk = b"x" * (1024 * 1024)
    written = 0
    try:
        with open("/tmp/filler", "wb") as out:
            for _ in range(event["mb"]):
                out.write(chunk)
                written += 1
            out.flush()
            os.fsync(out.fileno())
    except OSError as exc:
        return {"written_mb": written, "error": errno.errorcode.get(exc.errno or 0, str(exc))}
    finally:
        if event.get("remove"):
            os.remove("/tmp/filler")
    return {"written_mb": written}
