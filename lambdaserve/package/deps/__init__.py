"""The dependency layer: requirements resolved for the Lambda runtime, trimmed and compiled."""

from __future__ import annotations

from typing import TYPE_CHECKING

from lambdaserve.facade import lazy_exports

if TYPE_CHECKING:
    from lambdaserve.package.deps.interpreters import Interpreter, find_interpreter, probe
    from lambdaserve.package.deps.layer import shared_cache, watch_parts
    from lambdaserve.package.deps.lock import Closure, Environment, environment_of, write_lock
    from lambdaserve.package.deps.platforms import RUNTIME_GLIBC, installed_wheels, tag_glibc
    from lambdaserve.package.deps.trim_reuse import StoredRun, TaskTree, run_key, stat_signature

_EXPORTS = {
    "Closure": "lambdaserve.package.deps.lock",
    "Environment": "lambdaserve.package.deps.lock",
    "environment_of": "lambdaserve.package.deps.lock",
    "write_lock": "lambdaserve.package.deps.lock",
    "Interpreter": "lambdaserve.package.deps.interpreters",
    "RUNTIME_GLIBC": "lambdaserve.package.deps.platforms",
    "find_interpreter": "lambdaserve.package.deps.interpreters",
    "installed_wheels": "lambdaserve.package.deps.platforms",
    "probe": "lambdaserve.package.deps.interpreters",
    "tag_glibc": "lambdaserve.package.deps.platforms",
    "shared_cache": "lambdaserve.package.deps.layer",
    "watch_parts": "lambdaserve.package.deps.layer",
    "StoredRun": "lambdaserve.package.deps.trim_reuse",
    "TaskTree": "lambdaserve.package.deps.trim_reuse",
    "run_key": "lambdaserve.package.deps.trim_reuse",
    "stat_signature": "lambdaserve.package.deps.trim_reuse",
}
__all__ = ["Closure", "Environment", "environment_of", "write_lock",
           "Interpreter", "RUNTIME_GLIBC", "StoredRun", "TaskTree", "find_interpreter", "installed_wheels",
           "probe", "run_key", "shared_cache", "stat_signature", "tag_glibc", "watch_parts"]
__getattr__ = lazy_exports(__name__, _EXPORTS)
