"""frozen_record makes what @dataclass(frozen=True) makes, without compiling methods at import."""

from __future__ import annotations

import dataclasses
import pickle
from pathlib import Path
from typing import Any

import pytest

from lambdaserve.runtime.record import frozen_record
from lambdaserve.runtime.settings import RuntimeSettings
from lambdaserve.runtime.signature import ColumnSpec, Signature, TensorSpec

TENSOR = TensorSpec("x", "int8", (None, 3))
COLUMN = ColumnSpec("city", "string", True, ("Oslo", "Rome"), "Oslo")
# One value per field, in field order: every record the runtime ships, and a second value of each.
SAMPLES: dict[type, list[tuple[Any, ...]]] = {
    TensorSpec: [("x", "int8", (None, 3), False), ("x", "int8", (None, 4), True)],
    ColumnSpec: [("city", "string", True, ("Oslo", "Rome"), "Oslo", "missing"),
                 ("city", "string", False, None, None, "refuse")],
    Signature: [((TENSOR,), (TENSOR,), ("a",), (0, 1), True, "config", {"k": 1}, (COLUMN,), ((0, 1), ("a",))),
                ((TENSOR,), (), None, None, False, "model", {}, (), None)],
    RuntimeSettings: [(Path("/m"), "model.onnx", "onnx", None, "iris", "/predict", True, False, None, (),
                       False, "none", "", ""),
                      (Path("/m"), None, "auto", "p:P", "iris", "/p", False, True, None, ("*",),
                       True, "api_key", "s3://b/k", "ab")],
}


def _twin(cls: type) -> Any:
    """The same class as @dataclass(frozen=True) makes it."""
    specs = [(f.name, f.type, dataclasses.field(default=f.default, default_factory=f.default_factory))
             for f in dataclasses.fields(cls)]
    return dataclasses.make_dataclass(cls.__name__, specs, frozen=True)


def _hashes(value: Any) -> int | type[Exception]:
    try:
        return hash(value)
    except TypeError:
        return TypeError


@pytest.mark.parametrize("cls", list(SAMPLES), ids=lambda c: c.__name__)
def test_each_record_behaves_as_its_frozen_dataclass_twin(cls):
    twin = _twin(cls)
    assert dataclasses.is_dataclass(cls) and [f.name for f in dataclasses.fields(cls)] == [
        f.name for f in dataclasses.fields(twin)]
    first, second = SAMPLES[cls]
    ours, theirs = cls(*first), twin(*first)
    assert repr(ours) == repr(theirs)
    assert (ours == cls(*first), ours == cls(*second), ours == first) == (
        theirs == twin(*first), theirs == twin(*second), theirs == first) == (True, False, False)
    assert _hashes(ours) == _hashes(theirs)  # Signature holds a dict: unhashable, as its twin
    # keywords, defaults and replace() as the dataclass does it
    names = [f.name for f in dataclasses.fields(cls)]
    assert cls(**dict(zip(names, first, strict=True))) == ours
    assert dataclasses.replace(ours, **{names[0]: second[0]}) == cls(second[0], *first[1:])
    assert dataclasses.asdict(ours) == dataclasses.asdict(theirs)
    for obj in (ours, theirs):
        with pytest.raises(dataclasses.FrozenInstanceError):
            setattr(obj, names[0], second[0])
        with pytest.raises(dataclasses.FrozenInstanceError):
            delattr(obj, names[-1])
    assert pickle.loads(pickle.dumps(ours)) == ours
    # the calls the dataclass refuses, refused
    for args, kwargs in (((), {}), ((*first, None), {}), (first[:1], {names[0]: first[0]}),
                         (first, {"no_such_field": 1})):
        with pytest.raises(TypeError):
            twin(*args, **kwargs)
        with pytest.raises(TypeError):
            cls(*args, **kwargs)


def test_defaults_and_factories_are_the_declared_ones():
    assert TensorSpec("x") == TensorSpec("x", "float32", (None,))
    one, two = Signature(()), Signature(())
    assert one.extra == {} and one.extra is not two.extra  # default_factory: one dict per instance


def test_a_record_may_not_bring_the_methods_it_makes():
    class Compared:
        name: str

        def __eq__(self, other: object) -> bool:
            return True

        __hash__ = None  # type: ignore[assignment]

    with pytest.raises(TypeError, match="defines __eq__"):
        frozen_record(Compared)

    class Posted:
        name: str

        def __post_init__(self) -> None:
            pass

    with pytest.raises(TypeError, match="__post_init__"):
        frozen_record(Posted)
