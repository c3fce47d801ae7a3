"""``frozen_record``: a frozen dataclass without the methods dataclass compiles for each class at import.

``@dataclass(frozen=True)`` writes the source of six methods per class (__init__, __repr__, __eq__,
__hash__, __setattr__, __delattr__) and compiles each with ``exec`` when the module is imported:
~4 M instructions a class, ~20 M of every cold start for the runtime's four value types
(benchmarks/cold_start.py --count). A ``frozen_record`` class is still a dataclass (``fields``,
``replace``, ``asdict`` and ``is_dataclass`` work; mypy checks it as a frozen dataclass), and the
six methods are these shared functions, which read the class's fields instead of being generated.
tests/runtime/test_record.py holds each record to what ``@dataclass(frozen=True)`` would make.
"""

from __future__ import annotations

from dataclasses import MISSING, FrozenInstanceError, dataclass, field, fields
from typing import Any, TypeVar, dataclass_transform

_T = TypeVar("_T")
_INIT = "__record_init__"  # per class: ((name, default, default_factory), ...) of the init fields
_COMPARED = "__record_compared__"  # per class: the field names __eq__ compares
_HASHED = "__record_hashed__"  # per class: the field names __hash__ hashes


def _init(self: Any, *args: Any, **kwargs: Any) -> None:
    cls = type(self)
    spec = getattr(cls, _INIT)
    if len(args) > len(spec):
        raise TypeError(f"{cls.__name__}() takes {len(spec)} positional arguments but {len(args)} were given")
    for i, (name, default, factory) in enumerate(spec):
        if i < len(args):
            if name in kwargs:
                raise TypeError(f"{cls.__name__}() got multiple values for argument {name!r}")
            value = args[i]
        elif name in kwargs:
            value = kwargs.pop(name)
        elif default is not MISSING:
            value = default
        elif factory is not MISSING:
            value = factory()
        else:
            raise TypeError(f"{cls.__name__}() missing required argument: {name!r}")
        object.__setattr__(self, name, value)
    if kwargs:
        raise TypeError(f"{cls.__name__}() got an unexpected keyword argument {next(iter(kwargs))!r}")


def _values(self: Any, which: str) -> tuple[Any, ...]:
    return tuple(getattr(self, name) for name in getattr(type(self), which))


def _eq(self: Any, other: object) -> Any:
    if other.__class__ is self.__class__:
        return _values(self, _COMPARED) == _values(other, _COMPARED)
    return NotImplemented


def _hash(self: Any) -> int:
    return hash(_values(self, _HASHED))


def _repr(self: Any) -> str:
    shown = ", ".join(f"{f.name}={getattr(self, f.name)!r}" for f in fields(self) if f.repr)
    return f"{type(self).__qualname__}({shown})"


def _setattr(self: Any, name: str, value: Any) -> None:
    raise FrozenInstanceError(f"cannot assign to field {name!r}")


def _delattr(self: Any, name: str) -> None:
    raise FrozenInstanceError(f"cannot delete field {name!r}")


@dataclass_transform(frozen_default=True, field_specifiers=(field,))
def frozen_record(cls: type[_T]) -> type[_T]:
    """The class as ``@dataclass(frozen=True)`` would make it (eq, hash, repr, init), built without exec."""
    cls = dataclass(init=False, repr=False, eq=False)(cls)
    own = fields(cls)  # type: ignore[arg-type]
    setattr(cls, _INIT, tuple((f.name, f.default, f.default_factory) for f in own if f.init))
    setattr(cls, _COMPARED, tuple(f.name for f in own if f.compare))
    setattr(cls, _HASHED, tuple(f.name for f in own if (f.compare if f.hash is None else f.hash)))
    if hasattr(cls, "__post_init__"):
        raise TypeError(f"{cls.__name__} has __post_init__, which frozen_record does not call")
    for name, method in (("__init__", _init), ("__repr__", _repr), ("__eq__", _eq), ("__hash__", _hash),
                         ("__setattr__", _setattr), ("__delattr__", _delattr)):
        if name in cls.__dict__:
            raise TypeError(f"{cls.__name__} defines {name}; frozen_record makes it")
        setattr(cls, name, method)
    return cls
