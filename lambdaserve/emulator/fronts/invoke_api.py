"""Lambda's Invoke API (2015-03-31), so boto3 and the AWS CLI work against the local Lambda.

``POST /2015-03-31/functions/{name}/invocations`` with X-Amz-Invocation-Type RequestResponse
(200), Event (202, queued: ``event_queue``) or DryRun (204). Errors are rest-json: a JSON body
with ``message`` and the ``x-amzn-ErrorType`` header that botocore reads.
"""

from __future__ import annotations

import base64
import json
import re
import time
import uuid
from collections.abc import Callable, Mapping
from urllib.parse import parse_qs, unquote

from lambdaserve.emulator.fronts.event_queue import EventQueue
from lambdaserve.emulator.fronts.events import ACCOUNT_ID, IncomingRequest
from lambdaserve.emulator.fronts.invoker import Invoker, error_status
from lambdaserve.emulator.fronts.proxy_response import GatewayResponse
from lambdaserve.errors import EmulatorError
from lambdaserve.runtime.limits import ASYNC_REQUEST_BYTES, SYNC_REQUEST_BYTES

PREFIX = "/2015-03-31/functions/"
_PATH_RE = re.compile(r"^/2015-03-31/functions/(?P<name>[^/]+)/invocations$")
# name, name:qualifier, 123456789012:function:name[:qualifier] or the full ARN.
_NAME_RE = re.compile(r"^(?:arn:aws[\w-]*:lambda:[\w-]+:\d{12}:function:|\d{12}:function:)?"
                      r"(?P<name>[A-Za-z0-9_-]+)(?::(?P<qualifier>[\w$-]+))?$")
LOG_TAIL_BYTES = 4096


def _error(status: int, error_type: str, message: str, **extra: str) -> GatewayResponse:
    body = {"Type": "User", "message": message, **extra}
    return GatewayResponse(status, [("Content-Type", "application/json"),
                                    ("x-amzn-ErrorType", error_type),
                                    ("x-amzn-RequestId", str(uuid.uuid4()))],
                           json.dumps(body, separators=(",", ":")).encode())


class _NonStandard(ValueError):
    pass


def _refuse_constant(name: str) -> object:
    raise _NonStandard(name)


def unparseable(payload: bytes) -> str | None:
    """Why Lambda would not read ``payload`` as JSON, in its words, or None when it is JSON.

    Lambda's parser (Jackson) names the fault after a fixed prefix; Python's reasons follow the
    same prefix. Too deep or too long a number is refused here too: the Python runtime could never
    unmarshal it, and a 400 tells the client so instead of a dropped connection.
    """
    prefix = "Could not parse request body into json: Could not parse payload into json: "
    try:
        # Decoded here, not by json.loads: given bytes, it would also read UTF-16 and UTF-32,
        # which Lambda refuses and the runtime cannot unmarshal. A UTF-8 BOM is skipped.
        text = payload.removeprefix(b"\xef\xbb\xbf").decode("utf-8")
        json.loads(text, parse_constant=_refuse_constant)
    except _NonStandard as exc:  # Python reads NaN and Infinity; Lambda's parser does not
        return prefix + f"Non-standard token '{exc}'"
    except UnicodeDecodeError as exc:
        return prefix + f"Invalid UTF-8 start byte 0x{exc.object[exc.start]:02x}"
    except json.JSONDecodeError as exc:
        return prefix + f"{exc.msg}: line {exc.lineno}, column {exc.colno}"
    except RecursionError:
        return prefix + "Document nesting depth exceeds the maximum allowed"
    except ValueError:  # Python refuses integers of more than 4,300 digits
        return prefix + "Number value length exceeds the maximum allowed"
    return None


def log_result(log_tail: str) -> str:
    """X-Amz-Log-Result: base64 of the last 4 KB of the invocation's log."""
    return base64.b64encode(log_tail.encode("utf-8")[-LOG_TAIL_BYTES:]).decode("ascii")


class InvokeApi:
    """Serves the Invoke API for the named local functions."""

    def __init__(self, functions: Mapping[str, Invoker], *, region: str = "us-east-1",
                 log: Callable[[str], None] = lambda line: None,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self._functions = dict(functions)
        self._region = region
        self._log = log
        # One queue per function, as Lambda keeps them.
        self._queues = {name: EventQueue(name, invoker, log=log, clock=clock)
                        for name, invoker in self._functions.items()}

    @staticmethod
    def matches(path: str) -> bool:
        return path.startswith(PREFIX)

    @staticmethod
    def refuse_too_large(size: str) -> GatewayResponse:
        """The answer to a body too big to read at all (the server leaves it unread)."""
        return _error(413, "RequestEntityTooLargeException",
                      f"{size} byte payload is too large for the RequestResponse invocation type "
                      f"(limit {SYNC_REQUEST_BYTES} bytes)")

    def _arn(self, name: str) -> str:
        return f"arn:aws:lambda:{self._region}:{ACCOUNT_ID}:function:{name}"

    def handle(self, req: IncomingRequest) -> GatewayResponse:
        found = _PATH_RE.match(req.path)
        if found is None or req.method != "POST":
            return _error(404, "UnknownOperationException", f"Unknown operation {req.method} {req.path}")
        named = _NAME_RE.match(unquote(found["name"]))
        qualifier = parse_qs(req.query).get("Qualifier", [None])[-1]
        name = named["name"] if named else unquote(found["name"])
        qualifier = qualifier or (named["qualifier"] if named else None)
        invoker = self._functions.get(name) if named else None
        if invoker is None or qualifier not in (None, "$LATEST"):
            arn = self._arn(name) + (f":{qualifier}" if qualifier else "")
            return _error(404, "ResourceNotFoundException", f"Function not found: {arn}")
        kind = req.header("x-amz-invocation-type") or "RequestResponse"
        if kind not in ("RequestResponse", "Event", "DryRun"):
            return _error(400, "InvalidParameterValueException",
                          f"Invalid invocation type {kind!r}: use RequestResponse, Event or DryRun")
        limit = ASYNC_REQUEST_BYTES if kind == "Event" else SYNC_REQUEST_BYTES
        if len(req.body) > limit:
            return _error(413, "RequestEntityTooLargeException",
                          f"{len(req.body)} byte payload is too large for the {kind} invocation type "
                          f"(limit {limit} bytes)")
        payload = req.body or b"{}"
        problem = unparseable(payload)
        if problem is not None:
            # for parity: Lambda answers 400 InvalidRequestContentException for a non-JSON payload
            return _error(400, "InvalidRequestContentException", problem)
        if kind == "DryRun":
            return GatewayResponse(204, [("x-amzn-RequestId", req.request_id)])
        if kind == "Event":
            self._queues[name].put(payload, req.request_id)
            return GatewayResponse(202, [("x-amzn-RequestId", req.request_id)])
        return self._sync(invoker, payload, req)

    def _sync(self, invoker: Invoker, payload: bytes, req: IncomingRequest) -> GatewayResponse:
        try:
            outcome = invoker.invoke(payload, request_id=req.request_id)
        except EmulatorError as exc:
            status, error_type = error_status(exc)
            extra = {"Reason": "ReservedFunctionConcurrentInvocationLimitExceeded"} if status == 429 else {}
            return _error(status, error_type, str(exc), **extra)
        headers = [("Content-Type", "application/json"), ("x-amzn-RequestId", outcome.request_id),
                   ("X-Amz-Executed-Version", "$LATEST")]
        if outcome.function_error is not None:
            headers.append(("X-Amz-Function-Error", outcome.function_error))
        if (req.header("x-amz-log-type") or "None") == "Tail":
            headers.append(("X-Amz-Log-Result", log_result(outcome.log_tail)))
        return GatewayResponse(200, headers, outcome.payload)

    def drain(self, timeout_s: float = 5.0) -> None:
        """At shutdown: stop retrying, and wait a little for Event invokes still running."""
        deadline = time.monotonic() + timeout_s
        for queue in self._queues.values():
            queue.close(max(0.0, deadline - time.monotonic()))
