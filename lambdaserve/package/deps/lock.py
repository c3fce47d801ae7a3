"""The lock: every dependency of the function's requirements pinned to the training environment.

function.requirements pins what the model names (scikit-learn==1.9.1), but a resolver left alone
takes the newest scipy, threadpoolctl, ... those allow, not the versions the model was trained and
checked with. The lock (``lambdaserve.lock`` beside ``lambdaserve.toml``) pins each dependency of
the requirements, read from the metadata of the environment lambdaserve runs in (where `init` reads
the model), with their markers evaluated for the Lambda runtime, to the version installed there.

It is a pip constraints file with a `# via` comment per line: build hands it to uv or pip as
constraints (it fixes versions, never adds a package), and since it lives with the project a
teammate's build on another machine resolves the same versions without the training environment.
Its header names the requirements it was made for: after they change it is stale and not used
until `lambdaserve lock` runs again. Reading it back, and that rule, is config/lock_file.py's, so
that build and doctor judge a lock alike.
"""

from __future__ import annotations

import json
import platform
import sys
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

from lambdaserve.config.lock_file import LOCK_COMMAND, MADE_FOR, LockUse, Pin, normalised
from lambdaserve.config.requirements import (
    installed_distribution,
    installed_version,
    parsed,
    pinned_version,
    release,
    requirement_name,
)
from lambdaserve.errors import BuildError
from lambdaserve.package.deps.platforms import MACHINE, RUNTIME_GLIBC
from lambdaserve.package.process import Runner, run_command, tail
from lambdaserve.runtime.atomic import replace_text


@dataclass(frozen=True)
class Environment:
    """Where the model was trained: a Python and the folders its importlib.metadata reads."""

    executable: str
    version: str
    platform: str
    path: tuple[str, ...]

    @classmethod
    def this(cls) -> Environment:
        return cls(sys.executable, platform.python_version(), sys.platform, tuple(sys.path))


_PROBE = ("import json, platform, sys; print(json.dumps({'executable': sys.executable, "
          "'version': platform.python_version(), 'platform': sys.platform, 'path': sys.path}))")


def environment_of(python: str, runner: Runner = run_command) -> Environment:
    """The environment of another Python (the training venv's), asked in a subprocess."""
    done = runner([python, "-c", _PROBE], timeout=60)
    try:
        raw = json.loads(done.stdout.strip().splitlines()[-1])
        return Environment(str(raw["executable"]), str(raw["version"]), str(raw["platform"]),
                           tuple(str(p) for p in raw["path"]))
    except (IndexError, ValueError, KeyError, TypeError):
        raise BuildError(f"{python} does not run as a Python: {tail(done.stderr or done.stdout, 3)}",
                         hint="Pass the Python of the environment the model was trained in, e.g. "
                              "--python .venv/bin/python.") from None


@dataclass
class Closure:
    pins: dict[str, Pin] = field(default_factory=dict)
    missing: dict[str, tuple[str, ...]] = field(default_factory=dict)  # needed, not installed here


def marker_environment(python: str, architecture: str) -> dict[str, str]:
    """PEP 508 marker values of the Lambda runtime (Amazon Linux, CPython ``python``)."""
    return {"implementation_name": "cpython", "implementation_version": f"{python}.0", "os_name": "posix",
            "platform_machine": MACHINE[architecture], "platform_python_implementation": "CPython",
            "platform_release": "", "platform_system": "Linux", "platform_version": "",
            "python_full_version": f"{python}.0", "python_version": python, "sys_platform": "linux"}


def closure(requirements: Sequence[str], python: str, architecture: str,
            path: Sequence[str] | None = None) -> Closure:
    """Every distribution the requirements pull in on the target (not the requirements themselves),
    pinned to the version installed in ``path`` (default: this interpreter's sys.path)."""
    env = marker_environment(python, architecture)
    direct = {requirement_name(r) for r in requirements}
    found = Closure()
    via: dict[str, set[str]] = {}
    done: dict[str, set[str]] = {}  # name -> the extras already walked
    todo: list[tuple[Requirement, str]] = [(req, "") for r in requirements if (req := parsed(r))]
    while todo:
        req, parent = todo.pop()
        name = canonicalize_name(req.name)
        if parent:
            via.setdefault(name, set()).add(parent)
        extras = set(req.extras)
        if name in done and extras <= done[name]:
            continue
        done.setdefault(name, set()).update(extras)
        dist = installed_distribution(name, path)
        if dist is None:
            found.missing[name] = ()
            continue
        if name not in direct:
            found.pins[name] = Pin(name, release(dist), ())
        for raw in dist.requires or []:
            dep = parsed(raw)  # None: metadata pip itself would not read; nothing to pin from it
            if dep is not None and _applies(dep, env, extras):
                todo.append((dep, name))
    roots = {name: _roots(name, via, direct) for name in {*found.pins, *found.missing}}
    found.pins = {n: Pin(n, p.version, roots[n]) for n, p in sorted(found.pins.items())}
    found.missing = {n: roots[n] for n in sorted(found.missing) if n not in direct}
    return found


def _applies(dep: Requirement, env: Mapping[str, str], extras: set[str]) -> bool:
    """Does the target install ``dep`` (its marker evaluated for Lambda, with each asked extra)?"""
    return dep.marker is None or any(dep.marker.evaluate({**env, "extra": e}) for e in ("", *extras))


def _roots(name: str, via: Mapping[str, set[str]], direct: set[str]) -> tuple[str, ...]:
    """The direct requirements that pull ``name`` in, through any chain of dependencies."""
    seen, todo, roots = {name}, [name], set()
    while todo:
        for parent in via.get(todo.pop(), ()):
            if parent in direct:
                roots.add(parent)
            elif parent not in seen:
                seen.add(parent)
                todo.append(parent)
    return tuple(sorted(roots))


def check_installed(requirements: Sequence[str], path: Sequence[str] | None = None) -> None:
    """BuildError when a pinned requirement is installed here at another version: the lock would
    pin the dependencies of a release the function does not ship."""
    wrong = []
    for req in requirements:
        version = pinned_version(req)
        here = installed_version(requirement_name(req), path)
        if version is not None and here is not None and here != version:
            wrong.append(f"{req} (installed here: {here})")
    if wrong:
        raise BuildError("this environment is not the one the requirements were pinned from: "
                         + ", ".join(wrong),
                         hint=f"Run `{LOCK_COMMAND}` with the Python the model was trained with, or pin "
                              "function.requirements to the versions installed here (`lambdaserve init "
                              "--force` does).")


def lock_text(requirements: Sequence[str], found: Closure, python: str, architecture: str,
              env: Environment) -> str:
    lines = [f"# Written by `{LOCK_COMMAND}`: the dependencies of function.requirements, pinned to the",
             "# versions installed where the model was trained, so every build installs the same ones.",
             f"# Read from Python {env.version} ({env.platform}); markers evaluated for "
             f"python{python} {architecture} on Lambda.",
             "# Commit it with lambdaserve.toml; after changing function.requirements, run it again.",
             MADE_FOR + json.dumps(list(normalised(requirements)))]
    if found.missing:
        lines.append("# not installed where this was made, so not pinned (the resolver chooses): "
                     + ", ".join(f"{n} (via {', '.join(v) or '?'})" for n, v in found.missing.items()))
    lines += [f"{pin.requirement:<32} # via {', '.join(pin.via)}" for pin in found.pins.values()]
    return "\n".join(lines) + "\n"


def write_lock(target: Path, requirements: Sequence[str], python: str, architecture: str,
               env: Environment | None = None) -> Closure:
    """Write the lock for ``requirements`` from ``env`` (default: this Python's)."""
    env = env or Environment.this()
    check_installed(requirements, env.path)
    found = closure(requirements, python, architecture, env.path)
    replace_text(target, lock_text(requirements, found, python, architecture, env))
    return found


def target_name(python: str, architecture: str) -> str:
    """How the message names the runtime's wheels: cp312 manylinux_2_34 x86_64."""
    glibc = RUNTIME_GLIBC[python]
    return f"cp{python.replace('.', '')} manylinux_{glibc[0]}_{glibc[1]} {MACHINE[architecture]}"


def provenance(requirements: Sequence[str], use: LockUse, packages: Iterable[tuple[str, str]],
               target: str) -> tuple[dict[str, dict[str, str]], list[str]]:
    """Where each installed package's version came from (build.json's ``pins``), and the warnings:
    dependencies left floating (no lock, or a stale one), lock pins without a wheel for the
    runtime, and what the lock does not pin. The lock's pins are hard constraints, so an installed
    version other than the pin is one the layer let go for want of a wheel (install_locked)."""
    direct = {requirement_name(r) for r in requirements}
    pins = use.lock.pins if use.lock is not None and use.state == "used" else {}
    record: dict[str, dict[str, str]] = {}
    floating: list[str] = []
    fallback: list[str] = []
    unpinned: list[str] = []
    for raw, version in sorted(packages):
        name = canonicalize_name(raw)
        if name in direct:
            record[name] = {"version": version, "from": "function.requirements"}
        elif name in pins and pins[name].version == version:
            record[name] = {"version": version, "from": use.path.name, "via": ", ".join(pins[name].via)}
        elif name in pins:
            why = f"{use.path.name} pins {pins[name].version}, which has no wheel for {target}"
            record[name] = {"version": version, "from": "resolver", "why": why}
            fallback.append(f"{name}=={pins[name].version} (the training environment's, from "
                            f"{use.path.name}) has no wheel for {target}: took {version}; answers are "
                            "proved by the golden requests")
        else:
            why = "no lock" if use.state != "used" else f"not in {use.path.name}"
            record[name] = {"version": version, "from": "resolver", "why": why}
            (floating if use.state != "used" else unpinned).append(f"{name} {version}")
    warnings = fallback
    fix = f"Fix: run `{LOCK_COMMAND}` with the Python the model was trained with, and commit {use.path.name}"
    if floating and use.state == "missing":
        warnings.append(f"the dependencies of function.requirements are not pinned (no {use.path.name}): the "
                        f"resolver took the newest it could ({', '.join(floating)}), not necessarily the "
                        f"versions the model was trained with. {fix}")
    elif floating:
        warnings.append(f"{use.path.name} was made for other requirements than function.requirements, so "
                        f"its pins were not used and the resolver chose {', '.join(floating)}. {fix}")
    if unpinned:
        warnings.append(f"not pinned by {use.path.name} (not installed where it was made), so the resolver "
                        f"chose: {', '.join(unpinned)}")
    return record, warnings
