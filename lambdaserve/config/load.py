"""Read and validate lambdaserve.toml; every error names the file, field, value and what is allowed."""

from __future__ import annotations

import dataclasses
import difflib
import re
import tomllib
from pathlib import Path
from typing import Any, TypeVar, get_args

from lambdaserve.config import checks
from lambdaserve.config.deploy_checks import (
    check_api_path,
    check_concurrency,
    check_keep_warm,
    check_stack_name,
)
from lambdaserve.config.env import artifact_env
from lambdaserve.config.model import (
    CONFIG_FILE,
    LAMBDA_PYTHON_BASE,
    SECTION_CLASSES,
    ApiConfig,
    BuildConfig,
    Config,
    DeployConfig,
    FunctionConfig,
    ModelConfig,
    PackageKind,
)
from lambdaserve.config.schema import BY_NAME, FRAMEWORKS, SECTIONS, Field
from lambdaserve.config.snapstart import check_snapstart
from lambdaserve.errors import ConfigError, ModelLoadError
from lambdaserve.runtime.loaders.detect import detect_framework
from lambdaserve.runtime.signature import DTYPES, UNKNOWN_CATEGORY, ColumnSpec, Signature, TensorSpec

_NAME_RE = re.compile(r"^[A-Za-z][A-Za-z0-9-]{0,47}$")
_ENV_KEY_RE = re.compile(r"^[A-Za-z][A-Za-z0-9_]*$")
# Lambda reserves these; setting them fails at deploy time, so refuse them here.
_RESERVED_ENV = {"_HANDLER", "AWS_REGION", "AWS_EXECUTION_ENV", "AWS_LAMBDA_FUNCTION_NAME",
                 "AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "AWS_LAMBDA_FUNCTION_VERSION",
                 "AWS_LAMBDA_RUNTIME_API", "LAMBDA_TASK_ROOT", "LAMBDA_RUNTIME_DIR",
                 "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN"}


def find_config(start: Path) -> Path:
    """The lambdaserve.toml in ``start`` (a folder or the file itself)."""
    path = start if start.name.endswith(".toml") else start / CONFIG_FILE
    if path.is_dir():
        raise ConfigError(f"{path} is a folder, not a file",
                          hint=f"Move the folder away, then run `lambdaserve init --model PATH` to write "
                               f"{CONFIG_FILE}.")
    if not path.is_file():
        raise ConfigError(f"{path}: no such file",
                          hint="Run `lambdaserve init --model PATH` to create one, or cd to your project.")
    return path


def load_config(start: Path | str = ".") -> Config:
    return _read_config(find_config(Path(start).resolve()))


def project_config(start: Path | str = ".") -> Config | None:
    """The project in ``start``, or None where there is no lambdaserve.toml to find; one lookup,
    then the same errors as load_config for a file that is there."""
    try:
        path = find_config(Path(start).resolve())
    except ConfigError:
        return None
    return _read_config(path)


def _read_config(path: Path) -> Config:
    try:
        raw = tomllib.loads(read_toml_text(path))
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: not valid TOML: {exc}",
                          hint="Fix the syntax; strings need quotes, tables need [brackets].") from exc
    return parse_config(raw, path)


def read_toml_text(path: Path) -> str:
    """The file as text, or a ConfigError saying what is wrong and where: TOML is UTF-8 without
    a byte-order mark (tomllib's own error for a BOM is "Invalid statement (line 1, column 1)")."""
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise ConfigError(f"{path}: cannot be read: {exc.strerror or exc}",
                          hint="Check the file's permissions.") from None
    if data.startswith(b"\xef\xbb\xbf"):
        raise ConfigError(f"{path}: starts with a UTF-8 byte-order mark (BOM), which TOML does not allow",
                          hint="Save the file as UTF-8 without BOM (most editors call it plain UTF-8).")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        column = exc.start - (data.rfind(b"\n", 0, exc.start) + 1) + 1
        raise ConfigError(f"{path}: not UTF-8 text: byte 0x{data[exc.start]:02x} at line {line}, "
                          f"column {column}",
                          hint="TOML files are UTF-8; re-save it as UTF-8 (a binary file is not a "
                               "lambdaserve.toml).") from None


def _fail(path: Path, field: Field, value: Any, problem: str = "is not allowed") -> ConfigError:
    return ConfigError(f"{path.name}: {field.dotted} = {value!r} {problem}; allowed: {field.allowed()}",
                       hint=f"{field.comment} Edit {path}.")


def _flatten(raw: dict[str, Any], path: Path) -> dict[str, Any]:
    """Map 'section.key' to value, refusing unknown keys with a suggestion."""
    flat: dict[str, Any] = {}
    for key, value in raw.items():
        if isinstance(value, dict) and key in SECTIONS and key != "":
            for sub, subval in value.items():
                flat[f"{key}.{sub}"] = subval  # sub-tables such as function.environment stay dicts
        else:
            flat[key] = value
    for dotted, value in flat.items():
        if dotted not in BY_NAME:
            raise _unknown(dotted, value, path)
    return flat


def _unknown(dotted: str, value: Any, path: Path) -> ConfigError:
    """An unknown key or table, with the close name a typo (or a key outside its table) missed."""
    if isinstance(value, dict):
        tables = [name for name in SECTIONS if name]
        close = difflib.get_close_matches(dotted, tables, n=1)
        hint = f"Did you mean [{close[0]}]?" if close else f"Tables: {', '.join(f'[{t}]' for t in tables)}."
        return ConfigError(f"{path.name}: unknown table [{dotted}]", hint=hint)
    close = difflib.get_close_matches(dotted, BY_NAME, n=1)
    if not close:  # `memory = 1024` above every table: the same key under its table
        leaf = dotted.rpartition(".")[2]
        close = [name for name in BY_NAME if name.rpartition(".")[2] == leaf][:1]
    if close:
        where = close[0].rpartition(".")[0]
        hint = f"Did you mean '{close[0]}'?" + (f" (`{close[0].rpartition('.')[2]} = ...` under [{where}])"
                                               if where else "")
    else:
        hint = f"Known keys: {', '.join(sorted(BY_NAME))}."
    return ConfigError(f"{path.name}: unknown key '{dotted}'", hint=hint)


def _check(field: Field, value: Any, path: Path) -> Any:
    if field.kind is int and (isinstance(value, bool) or not isinstance(value, int)):
        raise _fail(path, field, value, "is not an integer")
    if field.kind is not int and not isinstance(value, field.kind):
        raise _fail(path, field, value, f"should be {field.allowed()}")
    if field.choices and value not in field.choices:
        raise _fail(path, field, value)
    if field.minimum is not None and value < field.minimum:
        raise _fail(path, field, value, "is out of range")
    if field.maximum is not None and value > field.maximum:
        raise _fail(path, field, value, "is out of range")
    return value


def _signature(flat: dict[str, Any], path: Path) -> Signature | None:
    specs: dict[str, list[TensorSpec]] = {"inputs": [], "outputs": []}
    for part in specs:
        field = BY_NAME[f"signature.{part}"]
        for item in flat.get(field.dotted, []):
            checks.tensor_table(path, field.dotted, item)
            if not isinstance(item, dict) or "name" not in item:
                raise _fail(path, field, item, "needs a table with at least a name")
            if item.get("dtype", "float32") not in DTYPES:
                raise ConfigError(f"{path.name}: {field.dotted} dtype = {item.get('dtype')!r} is not allowed;"
                                  f" allowed: {' | '.join(DTYPES)}", hint=field.comment)
            shape = item.get("shape", [-1])
            if not isinstance(shape, list) or not all(isinstance(d, int) for d in shape):
                raise _fail(path, field, shape, "shape must be a list of integers (-1 for any)")
            if not isinstance(item.get("nullable", False), bool):
                raise _fail(path, field, item, "nullable must be true or false")
            specs[part].append(TensorSpec.from_dict(item))
    columns = _columns(flat, path)
    if columns and specs["inputs"]:
        raise ConfigError(f"{path.name}: [signature] declares both inputs and columns",
                          hint="A table's columns are its inputs: keep columns and delete inputs.")
    if columns:
        return Signature.table(columns, outputs=tuple(specs["outputs"]), source="config")
    if not specs["inputs"]:
        return None
    return Signature(inputs=tuple(specs["inputs"]), outputs=tuple(specs["outputs"]), source="config")


_COLUMN_KEYS = ("name", "dtype", "nullable", "categories", "example", "unknown")


def _columns(flat: dict[str, Any], path: Path) -> tuple[ColumnSpec, ...]:
    field = BY_NAME["signature.columns"]
    out: list[ColumnSpec] = []
    for item in flat.get(field.dotted, []):
        if not isinstance(item, dict) or not isinstance(item.get("name"), str):
            raise _fail(path, field, item, "needs a table with at least a name")
        unknown = [k for k in item if k not in _COLUMN_KEYS]
        if unknown:
            raise _fail(path, field, item,
                        f"has unknown key {unknown[0]!r} (keys: {', '.join(_COLUMN_KEYS)})")
        if item.get("dtype", "float64") not in DTYPES:
            raise ConfigError(f"{path.name}: column {item['name']!r} dtype = {item.get('dtype')!r} is not "
                              f"allowed; allowed: {' | '.join(DTYPES)}", hint=field.comment)
        if not isinstance(item.get("nullable", False), bool):
            raise _fail(path, field, item, "nullable must be true or false")
        if not isinstance(item.get("categories", []), list):
            raise _fail(path, field, item, "categories must be a list of the values seen in training")
        if item.get("unknown", "refuse") not in UNKNOWN_CATEGORY:
            raise _fail(path, field, item, "unknown must be " + " or ".join(repr(u) for u in UNKNOWN_CATEGORY)
                        + ": what the model does with a category it did not see in training")
        out.append(ColumnSpec.from_dict(item))
    names = [c.name for c in out]
    if len(set(names)) != len(names):
        twice = next(n for n in names if names.count(n) > 1)
        raise ConfigError(f"{path.name}: column {twice!r} is declared twice", hint=field.comment)
    return tuple(out)


_Section = TypeVar("_Section")


def _section(cls: type[_Section], values: dict[str, Any], **resolved: Any) -> _Section:
    """One table's dataclass from the checked values, with lists as tuples; ``resolved`` overrides."""
    section = next(name for name, c in SECTION_CLASSES.items() if c is cls)
    kwargs: dict[str, Any] = {}
    for f in dataclasses.fields(cls):  # type: ignore[arg-type]
        value = values[f"{section}.{f.name}"]
        kwargs[f.name] = tuple(value) if isinstance(value, list) else value
    return cls(**(kwargs | resolved))


def parse_config(raw: dict[str, Any], path: Path) -> Config:
    flat = _flatten(raw, path)
    v: dict[str, Any] = {}
    for dotted, field in BY_NAME.items():
        v[dotted] = _check(field, flat[dotted], path) if dotted in flat else field.default

    name = v["name"]
    if not _NAME_RE.match(name):
        raise _fail(path, BY_NAME["name"], name,
                    "is not a valid name (start with a letter; letters, digits and -; at most 48)")
    if not v["model.path"]:
        raise ConfigError(f"{path.name}: model.path is missing",
                          hint="Set model.path to your model file or folder, relative to lambdaserve.toml.")
    model_path = (path.parent / v["model.path"]).resolve()
    if model_path.exists():
        model_path = checks.model_inside_project(path, v["model.path"])
    else:
        raise ConfigError(f"{path.name}: model.path = {v['model.path']!r} does not exist "
                          f"(looked for {model_path})",
                          hint="Point model.path at the trained model file or folder.")
    api_path = v["api.path"]
    check_api_path(api_path, docs=v["api.docs"], file=path.name)
    for key, val in v["function.environment"].items():
        if not _ENV_KEY_RE.match(key) or key in _RESERVED_ENV or not isinstance(val, str):
            raise _fail(path, BY_NAME["function.environment"], {key: val},
                        "needs string values and names that Lambda does not reserve")
    for origin in v["api.cors_origins"]:
        if not isinstance(origin, str) or not (origin == "*" or re.match(r"^https?://[^/\s]+$", origin)):
            raise _fail(path, BY_NAME["api.cors_origins"], origin, "is not an origin like https://example.com")
    for req in v["function.requirements"]:
        if not isinstance(req, str) or not req.strip():
            raise _fail(path, BY_NAME["function.requirements"], req, "must be pip requirement strings")
        checks.requirement(path, req)
    checks.region(path, v["deploy.region"])

    framework = v["model.framework"]
    predictor = v["model.predictor"] or None
    if predictor and not re.match(r"^[A-Za-z_][\w.]*:[A-Za-z_]\w*$", predictor):
        raise _fail(path, BY_NAME["model.predictor"], predictor, "is not 'module:attr'")
    if framework == "custom" and not predictor:
        raise ConfigError(f"{path.name}: model.framework = 'custom' needs model.predictor",
                          hint="Set model.predictor = 'my_module:MyPredictor' (with load and predict).")
    if framework == "auto":
        if predictor:
            framework = "custom"
        else:
            try:
                framework = detect_framework(model_path)
            except ModelLoadError as exc:
                raise ConfigError(f"{path.name}: model.framework = 'auto': {exc.message}",
                                  hint="Set model.framework to one of "
                                       f"{' | '.join(f for f in FRAMEWORKS if f != 'auto')}.") from exc

    fn = _section(FunctionConfig, v)
    check_snapstart(fn, base_image=v["build.base_image"] or f"{LAMBDA_PYTHON_BASE}{fn.python}",
                    region=v["deploy.region"], file=path.name)
    check_keep_warm(fn.keep_warm, file=path.name)
    check_concurrency(fn.reserved_concurrency, fn.provisioned_concurrency, file=path.name)
    api = _section(ApiConfig, v, path=api_path)
    if api.type == "http" and api.auth == "api_key":
        raise _fail(path, BY_NAME["api.auth"], "api_key",
                    "needs api.type = 'rest'; HTTP APIs have no API keys (use iam, or a REST API)")
    if not re.match(r"^[A-Za-z0-9_]{1,64}$", api.stage):
        raise _fail(path, BY_NAME["api.stage"], api.stage, "must be letters, digits or _")
    check_stack_name(v["deploy.stack_name"], file=path.name)
    if v["model.s3_uri"]:
        checks.s3_model(path, v["model.s3_uri"], model_path, fn.package, fn.ephemeral_storage)
    checks.s3_kms_key(path, v["model.s3_kms_key"], v["model.s3_uri"])
    config = Config(
        name=name,
        model=_section(ModelConfig, v, path=model_path, framework=framework, predictor=predictor),
        function=fn,
        api=api,
        deploy=_section(DeployConfig, v),
        build=_section(BuildConfig, v),
        signature=_signature(flat, path),
        source=path,
    )
    for kind in get_args(PackageKind):  # `build --package` can make either; the image's model dir is longer
        checks.environment_size(path, artifact_env(config, kind, hash_model=False))
    return config
