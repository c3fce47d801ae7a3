"""``frozen_record``: a frozen dataclass made without ``dataclasses`` at import.

``@dataclass(frozen=True)`` writes the source of six methods per class (__init__, __repr__, __eq__,
__hash__, __setattr__, __delattr__) and compiles each with ``exec`` when the module is imported:
~4 M instructions a class. Even ``@dataclass(init=False, repr=False, eq=False)`` costs the import
of ``dataclasses`` (with ``copy``, ~3 M instructions, benchmarks/import_cost.py), which a cold start
never needs. So a record reads its fields off the class's annotations and defaults itself, its six
methods are these shared functions, and ``__dataclass_fields__`` (what ``fields``, ``replace``,
``asdict`` and ``is_dataclass`` read) is made by ``dataclasses`` on first use. mypy checks a record
as a frozen dataclass (``dataclass_transform``). tests/runtime/test_record.py holds each record to
what ``@dataclass(frozen=True)`` would make.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar, dataclass_transform, overload

_T = TypeVar("_T")
_INIT = "__record_init__"  # per class: ((name, default, default_factory), ...) of its fields
_MADE_LATER = ("__dataclass_fields__", "__dataclass_params__")


class _Missing:
    def __repr__(self) -> str:
        return "MISSING"


MISSING: Any = _Missing()  # no default (dataclasses.MISSING, without importing dataclasses)


class _Factory:
    """``field(default_factory=...)``'s value in the class body until the record takes it."""

    def __init__(self, factory: Callable[[], Any]) -> None:
        self.factory = factory


@overload
def field(*, default_factory: Callable[[], _T]) -> _T: ...
@overload
def field(*, default: _T) -> _T: ...
def field(*, default: Any = MISSING, default_factory: Any = MISSING) -> Any:
    """A record field's default, or the factory that makes one per instance (as dataclasses.field)."""
    return default if default_factory is MISSING else _Factory(default_factory)


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


def _values(self: Any) -> tuple[Any, ...]:
    return tuple(getattr(self, name) for name, _, _ in getattr(type(self), _INIT))


def _eq(self: Any, other: object) -> Any:
    if other.__class__ is self.__class__:
        return _values(self) == _values(other)
    return NotImplemented


def _hash(self: Any) -> int:
    return hash(_values(self))


def _repr(self: Any) -> str:
    shown = ", ".join(f"{name}={getattr(self, name)!r}" for name, _, _ in getattr(type(self), _INIT))
    return f"{type(self).__qualname__}({shown})"


def _setattr(self: Any, name: str, value: Any) -> None:
    from dataclasses import FrozenInstanceError

    raise FrozenInstanceError(f"cannot assign to field {name!r}")


def _delattr(self: Any, name: str) -> None:
    from dataclasses import FrozenInstanceError

    raise FrozenInstanceError(f"cannot delete field {name!r}")


def replace(obj: _T, /, **changes: Any) -> _T:
    """``dataclasses.replace`` for a record: a copy with ``changes``, without importing dataclasses."""
    return type(obj)(**{**{name: getattr(obj, name) for name, _, _ in getattr(type(obj), _INIT)}, **changes})


class _DataclassView:
    """``__dataclass_fields__`` / ``__dataclass_params__``, made by dataclasses on first use.

    A twin class with the same annotations and defaults goes through ``dataclass(init=False,
    repr=False, eq=False)`` (no methods compiled); its two attributes replace this one on the record.
    """

    def __init__(self, name: str) -> None:
        self.name = name

    def __get__(self, obj: object, cls: type) -> Any:
        import dataclasses

        made: dict[str, Any] = {"__module__": cls.__module__, "__doc__": cls.__doc__,
                                "__annotations__": dict(cls.__dict__["__annotations__"])}
        for name, default, factory in getattr(cls, _INIT):
            if factory is not MISSING:
                made[name] = dataclasses.field(default_factory=factory)
            elif default is not MISSING:
                made[name] = default
        twin: type = dataclasses.dataclass(init=False, repr=False, eq=False)(type(cls.__name__, (), made))
        for attr in _MADE_LATER:  # the same objects whichever thread gets here first
            if isinstance(cls.__dict__.get(attr), _DataclassView):
                setattr(cls, attr, getattr(twin, attr))
        return cls.__dict__[self.name]


@dataclass_transform(frozen_default=True, field_specifiers=(field,))
def frozen_record(cls: type[_T]) -> type[_T]:
    """The class as ``@dataclass(frozen=True)`` would make it (eq, hash, repr, init), built without exec."""
    if any(b.__dict__.get(_INIT) for b in cls.__mro__[1:]):
        raise TypeError(f"{cls.__name__}: a record does not inherit fields")
    spec = []
    for name, annotation in cls.__dict__.get("__annotations__", {}).items():
        if "ClassVar" in str(annotation) or "InitVar" in str(annotation):
            raise TypeError(f"{cls.__name__}.{name}: frozen_record takes plain fields only")
        default = cls.__dict__.get(name, MISSING)
        if isinstance(default, _Factory):
            spec.append((name, MISSING, default.factory))
            delattr(cls, name)  # as dataclass leaves it: no class attribute
        else:
            if spec and default is MISSING and (spec[-1][1] is not MISSING or spec[-1][2] is not MISSING):
                raise TypeError(f"non-default argument {name!r} follows default argument")
            spec.append((name, default, MISSING))
    setattr(cls, _INIT, tuple(spec))
    if hasattr(cls, "__post_init__"):
        raise TypeError(f"{cls.__name__} has __post_init__, which frozen_record does not call")
    for name, method in (("__init__", _init), ("__repr__", _repr), ("__eq__", _eq), ("__hash__", _hash),
                         ("__setattr__", _setattr), ("__delattr__", _delattr)):
        if name in cls.__dict__:
            raise TypeError(f"{cls.__name__} defines {name}; frozen_record makes it")
        setattr(cls, name, method)
    setattr(cls, "__match_args__", tuple(name for name, _, _ in spec))  # noqa: B010 (mypy refuses the assignment)
    for attr in _MADE_LATER:
        setattr(cls, attr, _DataclassView(attr))
    return cls
