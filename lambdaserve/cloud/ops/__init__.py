"""The deployed function at work: its logs and remote invokes."""

from __future__ import annotations

from typing import TYPE_CHECKING

from lambdaserve.facade import lazy_exports

if TYPE_CHECKING:
    from lambdaserve.cloud.ops.logs import parse_since, read_logs
    from lambdaserve.cloud.ops.preflight import denied_actions, deployed_access_log, recent_log_text
    from lambdaserve.cloud.ops.remote import remote_invoke

_EXPORTS = {
    "denied_actions": "lambdaserve.cloud.ops.preflight",
    "deployed_access_log": "lambdaserve.cloud.ops.preflight",
    "parse_since": "lambdaserve.cloud.ops.logs",
    "read_logs": "lambdaserve.cloud.ops.logs",
    "recent_log_text": "lambdaserve.cloud.ops.preflight",
    "remote_invoke": "lambdaserve.cloud.ops.remote",
}
__all__ = [
    "denied_actions",
    "deployed_access_log",
    "parse_since",
    "read_logs",
    "recent_log_text",
    "remote_invoke",
]
__getattr__ = lazy_exports(__name__, _EXPORTS)
