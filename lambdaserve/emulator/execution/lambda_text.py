"""Lambda's own words: log lines, error payloads and limits, exactly as clients see them."""

from __future__ import annotations

import hashlib
import json
import math
import random
import secrets
import signal
import time
from collections.abc import Iterable
from datetime import UTC, datetime

from lambdaserve.runtime.limits import SYNC_RESPONSE_BYTES

ACCOUNT_ID = "123456789012"  # moto's default account, so ARNs line up with the cloud tests

# Go's os/exec wording, which Lambda's "Runtime exited with error: signal: ..." uses.
_SIGNAL_WORDS = {
    signal.SIGKILL: "killed",
    signal.SIGSEGV: "segmentation fault",
    signal.SIGABRT: "aborted",
    signal.SIGTERM: "terminated",
    signal.SIGBUS: "bus error",
    signal.SIGINT: "interrupt",
    signal.SIGFPE: "floating point exception",
}


def function_arn(region: str, name: str) -> str:
    return f"arn:aws:lambda:{region}:{ACCOUNT_ID}:function:{name}"


def log_stream_name(now: float | None = None) -> str:
    """2026/11/24/[$LATEST]<32 hex>, as Lambda names an environment's stream."""
    day = time.strftime("%Y/%m/%d", time.gmtime(now))
    return f"{day}/[$LATEST]{secrets.token_hex(16)}"


def trace_id(now: float | None = None) -> str:
    # Ids need to be unique, not secret: random's bits spare a getrandom call per request.
    epoch = int(now if now is not None else time.time())
    return f"Root=1-{epoch:08x}-{random.getrandbits(96):024x};Parent={random.getrandbits(64):016x};Sampled=0"


def request_id() -> str:
    """A fresh version-4 UUID, as Lambda's and API Gateway's request ids."""
    # Formatted by hand: uuid.UUID costs a few µs per request on the serve path.
    h = f"{random.getrandbits(128):032x}"
    variant = "89ab"[int(h[16], 16) & 3]  # RFC 4122: the variant's top bits are 10
    return f"{h[:8]}-{h[8:12]}-4{h[13:16]}-{variant}{h[17:20]}-{h[20:]}"


def billed_ms(duration_ms: float) -> int:
    return max(1, math.ceil(duration_ms))  # billed per 1 ms, rounded up


_START, _REPORT = "START RequestId: ", "REPORT RequestId: "


def start_line(request_id: str) -> str:
    return f"{_START}{request_id} Version: $LATEST"


def unreported(lines: Iterable[str]) -> set[str]:
    """The request ids of a log that have a START but no REPORT yet: their invocation's lines may
    still be coming (END and REPORT are written once the client has its answer)."""
    started, reported = set(), set()
    for line in lines:
        if line.startswith(_START):
            started.add(line[len(_START):].split(" ", 1)[0])
        elif line.startswith(_REPORT):
            reported.add(line[len(_REPORT):].split("\t", 1)[0])
    return started - reported


def end_line(request_id: str) -> str:
    return f"END RequestId: {request_id}"


def init_start_line(py_version: str, region: str) -> str:
    """The first line of every cold start. The version number is ours (v1): a local runtime has
    no AWS release; the ARN's hash is fixed per Python version, as one runtime version's is."""
    digest = hashlib.sha256(f"lambdaserve python:{py_version}".encode()).hexdigest()
    return (f"INIT_START Runtime Version: python:{py_version}.v1\t"
            f"Runtime Version ARN: arn:aws:lambda:{region}::runtime:{digest}")


def report_line(
    request_id: str, duration_ms: float, memory_mb: int, max_used_mb: int, init_ms: float | None,
    *, status: str | None = None, error_type: str | None = None, restored: bool = False,
) -> str:
    fields = [
        f"{_REPORT}{request_id}",
        f"Duration: {duration_ms:.2f} ms",
        f"Billed Duration: {billed_ms(duration_ms)} ms",
        f"Memory Size: {memory_mb} MB",
        f"Max Memory Used: {max_used_mb} MB",
    ]
    if init_ms is not None and restored:
        # for parity: a SnapStart environment's REPORT has Restore Duration, not Init Duration
        # (AWS: "Monitoring for Lambda SnapStart"); billed here as the whole restore, rounded up
        fields.append(f"Restore Duration: {init_ms:.2f} ms")
        fields.append(f"Billed Restore Duration: {billed_ms(init_ms)} ms")
    elif init_ms is not None:
        fields.append(f"Init Duration: {init_ms:.2f} ms")
    if status is not None:  # only a timeout or a runtime that died says how it ended
        fields.append(f"Status: {status}")
    if error_type is not None:
        fields.append(f"Error Type: {error_type}")
    return "\t".join(fields)


def init_report_line(init_ms: float, status: str, error_type: str | None = None) -> str:
    line = f"INIT_REPORT Init Duration: {init_ms:.2f} ms\tPhase: init\tStatus: {status}"
    return line + (f"\tError Type: {error_type}" if error_type else "")


def _iso_now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


def timeout_message(request_id: str, elapsed_s: float) -> str:
    return f"{_iso_now()} {request_id} Task timed out after {elapsed_s:.2f} seconds"


def timeout_payload(request_id: str, elapsed_s: float) -> bytes:
    return json.dumps({
        "errorMessage": timeout_message(request_id, elapsed_s),
        "errorType": "Sandbox.Timedout",
    }).encode()


def exit_reason(returncode: int) -> str:
    """'exit status 3' or 'signal: killed', as Lambda reports a runtime that died."""
    if returncode >= 0:
        return f"exit status {returncode}"
    try:
        word = _SIGNAL_WORDS.get(signal.Signals(-returncode), f"signal {-returncode}")
    except ValueError:
        word = f"signal {-returncode}"
    return f"signal: {word}"


def exit_error_type(out_of_memory: bool) -> str:
    return "Runtime.OutOfMemory" if out_of_memory else "Runtime.ExitError"


def exit_payload(request_id: str, returncode: int, *, out_of_memory: bool = False) -> bytes:
    return json.dumps({
        "errorType": exit_error_type(out_of_memory),
        "errorMessage": f"RequestId: {request_id} Error: Runtime exited with error: "
        f"{exit_reason(returncode)}",
    }).encode()


def response_too_large_payload() -> bytes:
    return json.dumps({
        "errorMessage": "Response payload size exceeded maximum allowed payload size "
        f"({SYNC_RESPONSE_BYTES} bytes).",
        "errorType": "Function.ResponseSizeTooLarge",
    }).encode()


def with_request_id(error_body: bytes, request_id: str) -> bytes:
    """awslambdaric posts init errors with requestId ""; Lambda's client sees the invoke's id."""
    try:
        error = json.loads(error_body)
    except ValueError:
        error = {"errorMessage": error_body.decode(errors="replace"), "errorType": "Runtime.Unknown"}
    if not isinstance(error, dict):
        error = {"errorMessage": str(error), "errorType": "Runtime.Unknown"}
    error["requestId"] = request_id
    error.setdefault("stackTrace", [])
    return json.dumps(error).encode()
