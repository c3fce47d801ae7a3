"""How a dependency layer is installed: by uv (or pip), with the lock's pins as constraints.

When the pins do not resolve, each is tried alone for the runtime; a pin with no wheel there (an
old scipy has no cp312 wheel) is let go, the others hold, and the layer records which (the
build's warning names them: deps.lock.provenance).
"""

from __future__ import annotations

import shutil
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from lambdaserve.config.lock_file import LOCK_COMMAND
from lambdaserve.config.requirements import pinned_version, requirement_name
from lambdaserve.errors import BuildError
from lambdaserve.package.deps.pip import default_pip, install_for_target, pip_has_wheel
from lambdaserve.package.deps.system_libs import Installer
from lambdaserve.package.deps.uv import install_with_uv, uv_has_wheel
from lambdaserve.package.process import Runner


@dataclass(frozen=True)
class LayerInstaller:
    """The layer's installer (uv, or pip for python3.11 and LAMBDASERVE_INSTALLER=pip)."""

    uv: str | None
    python: str
    architecture: str
    wheel_cache: Path
    pip: Sequence[str] | None
    runner: Runner
    glibc: tuple[int, int] | None = None  # an image base's, when not the Lambda runtime's

    def install(self, requirements: Sequence[str], target: Path, *, no_deps: bool = False,
                constraints: Path | None = None) -> None:
        if self.uv is not None:
            install_with_uv(requirements, target, python=self.python, architecture=self.architecture,
                            uv=self.uv, runner=self.runner, no_deps=no_deps, constraints=constraints,
                            glibc=self.glibc)
        else:
            install_for_target(requirements, target, python=self.python, architecture=self.architecture,
                               wheel_cache=self.wheel_cache, pip=list(self.pip or default_pip()),
                               runner=self.runner, no_deps=no_deps, constraints=constraints,
                               glibc=self.glibc)

    def has_wheel(self, requirement: str, scratch: Path) -> bool:
        if self.uv is not None:
            return uv_has_wheel(requirement, scratch, python=self.python, architecture=self.architecture,
                                uv=self.uv, runner=self.runner)
        return pip_has_wheel(requirement, python=self.python, architecture=self.architecture,
                             wheel_cache=self.wheel_cache, pip=list(self.pip or default_pip()),
                             runner=self.runner)

    def alone(self) -> Installer:
        """One pinned wheel without its dependencies (system_libs)."""
        return lambda requirements, target: self.install(requirements, target, no_deps=True)


def install_locked(requirements: Sequence[str], constraints: Sequence[str], root: Path, folder: Path,
                   installer: LayerInstaller, log: Callable[[str], None]) -> dict[str, str]:
    """Install with the lock's pins as constraints. When that cannot resolve, each pin is tried
    alone for the runtime; those without a wheel are left to the resolver and returned
    ({name: the lock's version}); if every pin has one, the resolver's error stands (and an
    index that cannot be reached fails the second resolve as it failed the first)."""
    if not constraints:
        installer.install(requirements, root)
        return {}
    pins = sorted(constraints)
    try:
        installer.install(requirements, root, constraints=_constraints_file(folder, pins))
        return {}
    except BuildError as failed:
        scratch = folder / "wheel-check"
        missing = [pin for pin in pins if not installer.has_wheel(pin, scratch)]
        shutil.rmtree(scratch, ignore_errors=True)
        if not missing:  # not a pin without a wheel: pins that conflict with the requirements
            raise BuildError(failed.message, hint=f"{failed.hint} If the lock no longer fits "
                             f"function.requirements, run `{LOCK_COMMAND}` again.".lstrip()) from failed
    log("no wheel for the runtime: " + ", ".join(missing) + "; the resolver chooses those")
    kept = [pin for pin in pins if pin not in missing]
    if root.exists():
        shutil.rmtree(root)
    installer.install(requirements, root, constraints=_constraints_file(folder, kept))
    return {requirement_name(pin): pinned_version(pin) or "" for pin in missing}


def _constraints_file(folder: Path, pins: Sequence[str]) -> Path:
    path = folder / "constraints.txt"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("".join(f"{pin}\n" for pin in pins), encoding="utf-8")
    return path
