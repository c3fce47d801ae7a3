"""Write a complete, commented lambdaserve.toml from the schema table."""

from __future__ import annotations

import json
import textwrap
from typing import Any

from lambdaserve.config.schema import FIELDS, SECTIONS
from lambdaserve.runtime.signature import Signature


def _toml_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return repr(value)  # 1.5, 1e-05, inf, nan: all TOML floats
    if isinstance(value, str):
        return json.dumps(value)  # a JSON string is a valid TOML basic string
    if isinstance(value, list):
        if not value:
            return "[]"
        if all(isinstance(v, dict) for v in value):
            return "[\n" + "".join(f"  {_toml_inline(v)},\n" for v in value) + "]"
        return "[" + ", ".join(_toml_value(v) for v in value) + "]"
    if isinstance(value, dict):
        return _toml_inline(value)
    raise TypeError(f"cannot write {type(value).__name__} to TOML")


def _toml_inline(table: dict[str, Any]) -> str:
    return "{ " + ", ".join(f"{k} = {_toml_value(v)}" for k, v in table.items()) + " }"


def _signature_values(signature: Signature) -> dict[str, Any]:
    def specs(items: Any) -> list[dict[str, Any]]:
        return [{"name": t.name, "dtype": t.dtype, "shape": [-1 if d is None else d for d in t.shape],
                 **({"nullable": True} if t.nullable else {})} for t in items]
    if signature.columns:  # a table: its columns are its inputs
        return {"signature.columns": [c.to_dict() for c in signature.columns],
                "signature.outputs": specs(signature.outputs)}
    return {"signature.inputs": specs(signature.inputs), "signature.outputs": specs(signature.outputs)}


def render_config(*, name: str, model_path: str, framework: str, predictor: str = "",
                  requirements: list[str] | None = None, signature: Signature | None = None,
                  python: str = "3.12", header: str = "", package: str = "zip") -> str:
    """The text of a lambdaserve.toml with every field present and explained."""
    values: dict[str, Any] = {
        "name": name, "model.path": model_path, "model.framework": framework,
        "model.predictor": predictor, "function.python": python,
        "function.requirements": list(requirements or []), "function.package": package,
    }
    if signature is not None:
        values.update(_signature_values(signature))
    lines = ["# lambdaserve.toml: how this model becomes an API on AWS Lambda.",
             "# Every field is shown with its default; `lambdaserve --help` lists the commands."]
    if header:
        lines += [f"# {part}" for line in header.splitlines() for part in textwrap.wrap(line, 96)]
    current = None
    for field in FIELDS:
        if field.kind is dict:
            continue  # tables such as function.environment are written as their own section
        if field.section != current:
            current = field.section
            lines += ["", f"# {SECTIONS[current]}", f"[{current}]"] if current else [""]
        value = values.get(field.dotted, field.default)
        allowed = f" Allowed: {field.allowed()}." if (field.choices or field.minimum is not None) else ""
        lines += [f"# {line}" for line in textwrap.wrap(field.comment + allowed, 96)]
        lines.append(f"{field.key} = {_toml_value(value)}")
    lines += ["", f"# {SECTIONS['function.environment']}", "[function.environment]",
              '# LOG_LEVEL = "INFO"', ""]
    return "\n".join(lines)
