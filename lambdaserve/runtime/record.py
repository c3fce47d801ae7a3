"""A light base for the runtime's value classes: what dataclasses give them, built ahead.

A dataclass writes and compiles its methods (exec) when its class is created: 0.5–3 ms of
CPU per class, most of the runtime's own import time, paid in every cold start. These
classes write ``__init__`` by hand and take equality, repr and ``replace`` from here.
"""

from __future__ import annotations

from typing import Any, ClassVar, TypeVar

R = TypeVar("R", bound="Record")


class Record:
    """Fields named in ``_fields``, in order; equal when of the same class with equal fields."""

    __slots__ = ()
    _fields: ClassVar[tuple[str, ...]] = ()

    def _values(self) -> tuple[Any, ...]:
        return tuple(getattr(self, name) for name in self._fields)

    def __eq__(self, other: object) -> bool:
        if other.__class__ is not self.__class__:
            return NotImplemented
        assert isinstance(other, Record)
        return self._values() == other._values()

    __hash__ = None  # type: ignore[assignment]  # mutable: unhashable, as an eq=True dataclass

    def __repr__(self) -> str:
        shown = ", ".join(f"{name}={getattr(self, name)!r}" for name in self._fields)
        return f"{type(self).__name__}({shown})"

    def replace(self: R, **changes: Any) -> R:
        """A copy with ``changes`` (dataclasses.replace)."""
        values = {name: getattr(self, name) for name in self._fields}
        values.update(changes)
        return type(self)(**values)


class Frozen(Record):
    """A Record whose fields are set once, in ``__init__`` (through ``_set``); hashable."""

    __slots__ = ()  # subclasses keep a __dict__, which _set fills

    def _set(self, **values: Any) -> None:
        self.__dict__.update(values)

    def __setattr__(self, name: str, value: Any) -> None:
        raise AttributeError(f"{type(self).__name__} is frozen: use replace()")

    def __hash__(self) -> int:  # type: ignore[override]  # the base is unhashable on purpose
        return hash(self._values())
