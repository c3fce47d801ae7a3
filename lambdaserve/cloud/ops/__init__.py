"""The deployed function at work: its logs and remote invokes."""

from __future__ import annotations

from typing import TYPE_CHECKING

from lambdaserve.facade import lazy_exports

if TYPE_CHECKING:
    from lambdaserve.cloud.ops.logs import parse_since, read_logs
    from lambdaserve.cloud.ops.remote import remote_invoke

_EXPORTS = {
    "parse_since": "lambdaserve.cloud.ops.logs",
    "read_logs": "lambdaserve.cloud.ops.logs",
    "remote_invoke": "lambdaserve.cloud.ops.remote",
}
__all__ = ["parse_since", "read_logs", "remote_invoke"]
__getattr__ = lazy_exports(__name__, _EXPORTS)
