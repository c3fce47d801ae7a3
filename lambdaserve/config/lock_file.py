"""The project's lock file read back: which requirements it was made for, its pins, and whether a
build uses it (``lambdaserve.lock`` beside ``lambdaserve.toml``; package/deps/lock.py writes it).

Reading it is here, below both build and doctor, so the two judge a lock by the same rule: a lock
made for other requirements than function.requirements is stale and its pins are not used.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from lambdaserve.config.model import Config
from lambdaserve.config.requirements import parsed, pinned_version, requirement_name
from lambdaserve.errors import BuildError

LOCK_COMMAND = "lambdaserve lock"
MADE_FOR = "# for: "  # the header line naming the requirements (JSON) the lock was made for


@dataclass(frozen=True)
class Pin:
    name: str  # canonical
    version: str
    via: tuple[str, ...]  # the requirements (canonical names) that pull it in

    @property
    def requirement(self) -> str:
        return f"{self.name}=={self.version}"


@dataclass(frozen=True)
class Lock:
    """A lock file read back: the requirements it was made for, and its pins by name."""

    path: Path
    made_for: tuple[str, ...]
    pins: dict[str, Pin] = field(default_factory=dict)

    def is_for(self, requirements: Iterable[str]) -> bool:
        return self.made_for == normalised(requirements)

    @property
    def constraints(self) -> list[str]:
        return [pin.requirement for pin in self.pins.values()]


def normalised(requirements: Iterable[str]) -> tuple[str, ...]:
    """Requirements as the lock's header records them: parsed, rewritten by packaging, sorted."""
    return tuple(sorted(str(p) if (p := parsed(r)) else r.strip() for r in requirements))


def read_lock(target: Path) -> Lock | None:
    """The lock at ``target``, or None when there is none; BuildError for a line that is no pin."""
    try:
        text = target.read_text(encoding="utf-8")
    except FileNotFoundError:
        return None
    made_for: tuple[str, ...] = ()
    pins = {}
    for number, raw in enumerate(text.splitlines(), 1):
        if raw.startswith(MADE_FOR):
            made_for = _made_for(target, number, raw[len(MADE_FOR):])
        line = raw.split("#", 1)[0].strip()
        if not line:
            continue
        version = pinned_version(line)
        if version is None:
            raise BuildError(f"{target.name}:{number}: {line!r} is not a pin (name==version)",
                             hint=f"Run `{LOCK_COMMAND}` to write the file again.")
        via = raw.split("# via", 1)[1].replace(",", " ").split() if "# via" in raw else []
        name = requirement_name(line)
        pins[name] = Pin(name, version, tuple(via))
    return Lock(target, made_for, pins)


def _made_for(target: Path, number: int, text: str) -> tuple[str, ...]:
    try:
        listed = json.loads(text)
    except ValueError:
        listed = None
    if not isinstance(listed, list) or not all(isinstance(r, str) for r in listed):
        raise BuildError(f"{target.name}:{number}: the '# for:' line is not a JSON list of requirements",
                         hint=f"Run `{LOCK_COMMAND}` to write the file again.")
    return normalised(listed)


LockState = Literal["used", "missing", "stale"]


@dataclass(frozen=True)
class LockUse:
    """What a build does with the project's lock: uses its pins, or says why not."""

    path: Path
    state: LockState
    lock: Lock | None = None

    @property
    def constraints(self) -> list[str]:
        return self.lock.constraints if self.lock is not None and self.state == "used" else []

    def record(self) -> dict[str, object]:
        return {"file": self.path.name, "state": self.state, "pins": len(self.constraints)}


def lock_use(config: Config) -> LockUse:
    """The project's lock (beside its lambdaserve.toml) and whether it fits function.requirements."""
    path = config.lock_file
    found = read_lock(path)
    if found is None:
        return LockUse(path, "missing")
    return LockUse(path, "used" if found.is_for(config.function.requirements) else "stale", found)
