"""The loaders' warnings as JSON lines on stderr, like the runtime's telemetry lines.

Through ``logging`` so that library users can silence or reroute them; not propagated,
because awslambdaric's root handler would prefix plain text and CloudWatch would no
longer see JSON.
"""

from __future__ import annotations

import json
import logging
import sys

LOGGER = "lambdaserve.runtime.loaders"


class _JsonLines(logging.Handler):
    """One JSON object per record on stderr, like the runtime's telemetry lines.

    sys.stderr is looked up at each write, so a redirected stderr (a test, the CLI) gets it.
    """

    def emit(self, record: logging.LogRecord) -> None:
        try:
            line = json.dumps({"level": record.levelname, "message": record.getMessage(),
                               "logger": record.name}, default=str)
            sys.stderr.write(line + "\n")
            sys.stderr.flush()
        except Exception:
            self.handleError(record)


def loader_log() -> logging.Logger:
    """The loaders' logger: JSON lines to stderr (awslambdaric's handler would prefix plain text)."""
    log = logging.getLogger(LOGGER)
    if not any(isinstance(h, _JsonLines) for h in log.handlers):
        log.addHandler(_JsonLines())
        log.propagate = False
    return log
