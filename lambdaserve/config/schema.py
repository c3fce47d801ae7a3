"""Every field of lambdaserve.toml as a flat table, read off the declarations in ``model``.

This table is what validation (``load``) and the commented file that ``lambdaserve init`` writes
(``render``) go through; the fields themselves are declared once, on the config dataclasses.
"""

from __future__ import annotations

import dataclasses
import types
import typing
from dataclasses import dataclass
from typing import Any, get_args, get_origin, get_type_hints

from lambdaserve.config import model
from lambdaserve.config.model import FRAMEWORKS, SECTION_CLASSES, Setting

__all__ = ["ARCHITECTURES", "BY_NAME", "FIELDS", "FRAMEWORKS", "PYTHONS", "SECTIONS", "TRAFFIC_SHIFTS",
           "Field"]

PYTHONS: tuple[str, ...] = get_args(model.Python)
ARCHITECTURES: tuple[str, ...] = get_args(model.Architecture)
TRAFFIC_SHIFTS: tuple[str, ...] = get_args(model.TrafficShift)


@dataclass(frozen=True)
class Field:
    section: str  # "" for top level
    key: str
    kind: type
    default: Any
    comment: str
    choices: tuple[Any, ...] = ()
    minimum: int | None = None
    maximum: int | None = None
    unit: str = ""

    @property
    def dotted(self) -> str:
        return f"{self.section}.{self.key}" if self.section else self.key

    def allowed(self) -> str:
        if self.choices:
            return " | ".join(str(c) for c in self.choices)
        if self.minimum is not None and self.maximum is not None:
            return f"{self.minimum}–{self.maximum}" + (f" {self.unit}" if self.unit else "")
        if self.minimum is not None:
            return f">= {self.minimum}" + (f" {self.unit}" if self.unit else "")
        return {str: "a string", bool: "true or false", int: "an integer", list: "a list",
                dict: "a table"}.get(self.kind, self.kind.__name__)


SECTIONS: dict[str, str] = {
    "": "",
    "model": "The model and how it is served.",
    "function": "The Lambda function.",
    "function.environment": "Extra environment variables for the function.",
    "api": "The HTTPS API in front of the function.",
    "signature": "Declare inputs/outputs when the model cannot tell (TorchScript, custom), "
                 "or a table's columns.",
    "deploy": "Where and how `lambdaserve deploy` puts the stack.",
    "build": "How `lambdaserve build` makes the package.",
}


def _toml_kind(hint: Any) -> tuple[type, tuple[Any, ...]]:
    """The TOML type a Python annotation reads from, and a Literal's values as its choices."""
    origin = get_origin(hint)
    if origin is typing.Literal:
        return type(get_args(hint)[0]), get_args(hint)
    if origin in (tuple, list):
        return list, ()
    if origin is dict:
        return dict, ()
    if origin in (typing.Union, types.UnionType):
        return _toml_kind(next(a for a in get_args(hint) if a is not type(None)))
    return hint, ()


def _declared(section: str, cls: type) -> list[Field]:
    hints = get_type_hints(cls, vars(model))
    out = []
    for f in dataclasses.fields(cls):
        meta: Setting | None = f.metadata.get("setting")
        if meta is None:
            continue
        kind, literal = _toml_kind(hints[f.name])
        default = f.default_factory() if f.default_factory is not dataclasses.MISSING else f.default
        default = list(default) if isinstance(default, tuple) else default
        out.append(Field(section, f.name, meta.toml_kind or kind,
                         default if meta.toml_default is None else meta.toml_default, meta.comment,
                         meta.choices or literal, meta.minimum, meta.maximum, meta.unit))
    return out


# [signature] is parsed into a runtime Signature, not a dataclass of its own: declared here.
_SIGNATURE = (
    Field("signature", "inputs", list, [],
          "e.g. [{ name = 'input', dtype = 'float32', shape = [-1, 4] }]; -1 is the batch."),
    Field("signature", "outputs", list, [], "Same form as inputs."),
    Field("signature", "columns", list, [],
          "A table of named columns instead of inputs, e.g. [{ name = 'city', dtype = 'string', "
          "categories = ['Lyon', 'Paris'] }, { name = 'age', dtype = 'int64', nullable = true }]: "
          "requests send records, rows in this order, or one OIP tensor per column. A category "
          "outside the list is refused, or with unknown = 'missing' scored as missing (the model's "
          "own behaviour, read from the model where it can be)."),
)

FIELDS: tuple[Field, ...] = (
    Field("", "name", str, "", "Name of the function, the stack and the API (letters, digits, -)."),
    *_declared("model", SECTION_CLASSES["model"]),
    *_declared("function", SECTION_CLASSES["function"]),
    *_declared("api", SECTION_CLASSES["api"]),
    *_SIGNATURE,
    *_declared("deploy", SECTION_CLASSES["deploy"]),
    *_declared("build", SECTION_CLASSES["build"]),
)

BY_NAME: dict[str, Field] = {f.dotted: f for f in FIELDS}
