"""JSON log lines and CloudWatch embedded-metric-format (EMF) metrics, written straight to a stream.

Lines are written without the logging module: awslambdaric's log handler prefixes each record
with level and request id, and CloudWatch only extracts EMF metrics from lines that are pure JSON.
Each request gets one line that is both the request log and the EMF record.
"""

from __future__ import annotations

import _thread  # threading.Lock is _thread.allocate_lock; importing threading costs ~1 ms at init
import json
import sys
import time
from collections.abc import Callable
from typing import Any, TextIO

NAMESPACE = "lambdaserve"
DIMENSION = "FunctionName"



def _format(exc: BaseException) -> str:
    import traceback  # only when a request fails; kept out of the cold start

    return "".join(traceback.format_exception(exc))

class Telemetry:
    """Writes JSON lines to ``stream`` (stderr by default: stdout belongs to `lambdaserve invoke`)."""

    def __init__(
        self, function_name: str, stream: TextIO | None = None, clock: Callable[[], float] = time.time
    ) -> None:
        self.function_name = function_name
        self._stream = stream
        self._clock = clock
        self._lock = _thread.allocate_lock()
        self._requests = 0

    def _write(self, record: dict[str, Any]) -> None:
        line = json.dumps(record, separators=(",", ":"), default=str, allow_nan=False)
        stream = self._stream or sys.stderr
        with self._lock:
            stream.write(line + "\n")
            stream.flush()

    def log(self, level: str, message: str, **fields: Any) -> None:
        self._write({"level": level, "message": message, "function": self.function_name, **fields})

    def next_is_cold(self) -> bool:
        """True for the first request of this process (the one that paid for the init)."""
        with self._lock:
            self._requests += 1
            return self._requests == 1

    def request(
        self,
        *,
        request_id: str,
        cold_start: bool,
        duration_ms: float,
        rows: int,
        status: int,
        route: str,
        source: str,
        method: str,
        **extra: Any,
    ) -> None:
        """The per-request line: the request log plus EMF Latency, Errors, ClientErrors, ColdStart."""
        self._write(
            {
                "_aws": {
                    "Timestamp": int(self._clock() * 1000),
                    "CloudWatchMetrics": [
                        {
                            "Namespace": NAMESPACE,
                            "Dimensions": [[DIMENSION]],
                            "Metrics": [
                                {"Name": "Latency", "Unit": "Milliseconds"},
                                {"Name": "Errors", "Unit": "Count"},
                                {"Name": "ClientErrors", "Unit": "Count"},
                                {"Name": "ColdStart", "Unit": "Count"},
                            ],
                        }
                    ],
                },
                DIMENSION: self.function_name,
                "Latency": round(duration_ms, 3),
                "Errors": int(status >= 500),
                "ClientErrors": int(400 <= status < 500),
                "ColdStart": int(cold_start),
                "level": "ERROR" if status >= 500 else "INFO",
                "message": "request",
                "request_id": request_id,
                "cold_start": cold_start,
                "duration_ms": round(duration_ms, 3),
                "rows": rows,
                "status": status,
                "route": route,
                "method": method,
                "source": source,
                **extra,
            }
        )

    def exception(self, request_id: str, exc: BaseException) -> None:
        """The traceback goes here, never to the client."""
        self.log(
            "ERROR",
            "unhandled error",
            request_id=request_id,
            error_type=type(exc).__name__,
            traceback=_format(exc),
        )
