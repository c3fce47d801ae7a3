"""A function's deployable package: a zip or a daemonless container image.

zip/       the reproducible zip (build, deterministic writer, extraction to run it locally)
deps/      the dependency layer: pip for the target, trims, .pyc, target interpreters
image/     the image: base by reference, layers, config, Dockerfile export, unpacking
registry/  the Registry HTTP API v2: auth, chunked uploads, push
sources.py what goes in besides dependencies; process.py the injectable command runner
diagnose.py why a built package cannot serve, and the fix
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from lambdaserve.facade import lazy_exports

if TYPE_CHECKING:
    from lambdaserve.package.diagnose import cause_of, package_failure
    from lambdaserve.package.hook_zip import build_hook_zip
    from lambdaserve.package.process import Runner, inherited_env, run_command
    from lambdaserve.package.sources import model_files

_EXPORTS = {
    "build_hook_zip": "lambdaserve.package.hook_zip",
    "cause_of": "lambdaserve.package.diagnose",
    "package_failure": "lambdaserve.package.diagnose",
    "Runner": "lambdaserve.package.process",
    "run_command": "lambdaserve.package.process",
    "inherited_env": "lambdaserve.package.process",
    "model_files": "lambdaserve.package.sources",
}
__all__ = ["Runner", "build_hook_zip", "cause_of", "inherited_env", "model_files", "package_failure",
           "run_command"]
__getattr__ = lazy_exports(__name__, _EXPORTS)
