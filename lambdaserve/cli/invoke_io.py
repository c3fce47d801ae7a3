"""What `lambdaserve invoke` reads (--event, --data) and what it makes of the answer.

Input the Lambda runtime could never unmarshal is refused here, with the reason: NaN and
Infinity (not JSON), integers past Python's 4,300 digits, nesting past the recursion limit,
bytes that are not UTF-8. An answer that is an error (a function error, a 4xx or 5xx status)
raises, so the exit code says so; the CLI maps the error classes to codes.
"""

from __future__ import annotations

import errno
import json
import os
import select
import stat
import sys
from pathlib import Path
from typing import Any, BinaryIO

from lambdaserve.errors import FunctionFailedError, RequestRefusedError, UsageError
from lambdaserve.runtime.limits import SYNC_REQUEST_BYTES as MAX_BODY_BYTES  # Lambda's payload limit

FIFO_WAIT_S = 5  # how long --event waits for a FIFO's writer
_NOT_JSON = {"NaN": "NaN", "Infinity": "Infinity", "-Infinity": "-Infinity"}


def _no_constants(name: str) -> Any:
    raise _NonFinite(_NOT_JSON.get(name, name))


class _NonFinite(ValueError):
    pass


def parse_json(text: str, where: str) -> Any:
    """``text`` as JSON, strictly (no NaN/Infinity), or a LambdaServeError saying why not."""
    try:
        return json.loads(text, parse_constant=_no_constants)
    except _NonFinite as exc:
        raise UsageError(
            f"{where} holds {exc}, which is not JSON: the Lambda runtime cannot read it "
            "(it would fail with Runtime.UnmarshalError)",
            hint="Drop or impute missing values before sending, or send null where the model allows it.",
        ) from None
    except json.JSONDecodeError as exc:
        raise UsageError(f"{where} is not valid JSON: {exc}",
                               hint="`lambdaserve generate-event apigw` prints a valid event.") from None
    except RecursionError:
        raise UsageError(
            f"{where} is nested too deeply to read",
            hint="Rows are lists of values; a model never needs hundreds of levels.",
        ) from None
    except ValueError:  # Python refuses integers of more than 4,300 digits
        raise UsageError(
            f"{where} holds an integer of more than 4300 digits, which Python's JSON refuses",
            hint="Send very large numbers as JSON floats (e.g. 1e30).",
        ) from None


def _read_bounded(stream: BinaryIO | None, path: Path) -> bytes:
    """At most one byte past Lambda's payload limit, from ``stream`` or the file at ``path``.

    /dev/zero never ends, so nothing is read whole. A FIFO is opened without waiting (a plain
    open hangs until a writer comes, forever if none does), then given FIFO_WAIT_S for one."""
    if stream is not None:
        return stream.read(MAX_BODY_BYTES + 1)
    fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK)
    try:
        mode = os.fstat(fd).st_mode
        if stat.S_ISDIR(mode):
            raise IsADirectoryError(errno.EISDIR, "is a folder, not an event file")
        if stat.S_ISFIFO(mode):
            waiting = select.poll()
            waiting.register(fd, select.POLLIN)
            if not waiting.poll(FIFO_WAIT_S * 1000):  # readable once a writer writes or hangs up
                raise TimeoutError(errno.ETIMEDOUT, f"a FIFO nothing wrote to within {FIFO_WAIT_S} s")
        os.set_blocking(fd, True)
        with os.fdopen(fd, "rb", closefd=False) as file:
            return file.read(MAX_BODY_BYTES + 1)
    finally:
        os.close(fd)


def read_event(event: str | None, data: str | None) -> dict[str, Any]:
    """The payload: a whole event from a file (or stdin), or --data rows wrapped as {"data": ...}."""
    if (event is None) == (data is None):
        raise UsageError("pass exactly one of --event and --data",
                               hint="--event FILE (or - for stdin) holds a whole event; "
                                    "--data '[[5.1, 3.5, 1.4, 0.2]]' wraps rows as a direct invoke.")
    if data is not None:
        return {"data": parse_json(data, "--data")}
    where = f"--event {event}"
    try:
        raw = _read_bounded(sys.stdin.buffer if event == "-" else None, Path(str(event)))
    except OSError as exc:
        raise UsageError(f"{where}: {exc.strerror}", hint="Check the path of the event file.") from exc
    if len(raw) > MAX_BODY_BYTES:
        raise UsageError(
            f"{where} is over {MAX_BODY_BYTES} bytes, Lambda's 6 MB limit for a synchronous payload",
            hint="Send fewer rows per event; Lambda refuses a larger payload.",
        )
    if not raw.strip():
        raise UsageError(f"{where} is empty", hint="`lambdaserve generate-event apigw` prints a valid event.")
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise UsageError(
            f"{where} is not UTF-8 text (byte 0x{raw[exc.start]:02x} at offset {exc.start})",
            hint="Save the event as UTF-8 JSON; Lambda reads no other encoding.",
        ) from None
    loaded = parse_json(text, where)
    if not isinstance(loaded, dict):
        raise UsageError(f"{where} must be a JSON object, not {type(loaded).__name__}",
                               hint="Wrap rows with --data, or pass a whole event.")
    return loaded


def answer_status(answer: Any) -> int | None:
    """The HTTP status an answer carries: an API event's statusCode, or our error body's status."""
    if not isinstance(answer, dict):
        return None
    status = answer.get("statusCode")
    if status is None and isinstance(answer.get("error"), dict):
        status = answer["error"].get("status")
    return status if isinstance(status, int) and not isinstance(status, bool) else None


def _error_of(answer: Any) -> tuple[str, str]:
    """The message and hint of an error answer: our {"error": ...} body (directly, or inside an
    API event's body) or Lambda's {"errorType", "errorMessage"}."""
    if not isinstance(answer, dict):
        return "", ""
    body = answer.get("body")
    if isinstance(body, str) and "error" not in answer:
        try:
            answer = json.loads(body)
        except (ValueError, RecursionError):
            return body[:300], ""
        if not isinstance(answer, dict):
            return "", ""
    error = answer.get("error")
    if isinstance(error, dict):
        return str(error.get("message", ""))[:300], str(error.get("hint", ""))[:300]
    if "errorMessage" in answer:
        return f"{answer.get('errorType', 'Error')}: {answer['errorMessage']}"[:300], ""
    return "", ""


def check_answer(payload: bytes | Any, function_error: str | None, *, where: str = "the function") -> None:
    """Raise when the answer is an error: FunctionFailedError (function error or 5xx), or
    RequestRefusedError (4xx)."""
    answer: Any = payload
    if isinstance(payload, bytes):
        try:
            answer = json.loads(payload)
        except (ValueError, RecursionError):
            answer = None
    message, hint = _error_of(answer)
    detail = f": {message}" if message else ""
    if function_error:
        raise FunctionFailedError(f"{where} failed ({function_error}){detail}",
                                  hint="Its error and traceback are in the log above.")
    status = answer_status(answer)
    if status is None or status < 400:
        return
    if status >= 500:
        raise FunctionFailedError(f"{where} answered {status}{detail}",
                                  hint="Its traceback is in the log above.")
    raise RequestRefusedError(f"{where} answered {status}{detail}",
                              hint=hint or "Fix the event or its data and invoke again.")
