"""[signature] columns: a table's named columns of mixed types in lambdaserve.toml."""

from __future__ import annotations

from pathlib import Path

import pytest

from lambdaserve.config import load_config, runtime_env
from lambdaserve.config.render import render_config
from lambdaserve.errors import ConfigError
from lambdaserve.runtime.settings import RuntimeSettings
from lambdaserve.runtime.signature import ColumnSpec, Signature, TensorSpec

COLUMNS = (
    ColumnSpec("age", "int64", example=25),
    ColumnSpec("income", "float64", nullable=True, example=30000.5),
    ColumnSpec("city", "string", categories=("Lyon", "Paris"), example="Paris"),
    ColumnSpec("member", "bool", example=True),
    # a LightGBM category column: an unseen value is scored as missing, as the model scores it
    ColumnSpec("region", "string", nullable=True, categories=("N", "S"), example="N", unknown="missing"),
)


@pytest.fixture()
def project(tmp_path: Path) -> Path:
    (tmp_path / "model.joblib").write_bytes(b"detection goes by suffix")
    return tmp_path


def _write(project: Path, signature_text: str) -> Path:
    path = project / "lambdaserve.toml"
    path.write_text('name = "t"\n[model]\npath = "model.joblib"\n[signature]\n' + signature_text)
    return path


def test_init_writes_columns_that_load_back_and_reach_the_runtime(project: Path) -> None:
    sig = Signature.table(COLUMNS, outputs=(TensorSpec("label", "int64", (None,)),))
    text = render_config(name="t", model_path="model.joblib", framework="sklearn", signature=sig)
    path = project / "lambdaserve.toml"
    path.write_text(text)
    config = load_config(path)
    assert config.signature is not None
    assert config.signature.columns == COLUMNS
    assert [t.name for t in config.signature.inputs] == ["age", "income", "city", "member", "region"]
    settings = RuntimeSettings.from_env(runtime_env(config))
    assert settings.signature is not None and settings.signature.columns == COLUMNS


@pytest.mark.parametrize(("text", "message"), [
    ('columns = [{ name = "city", dtype = "text" }]\n', "column 'city' dtype = 'text' is not allowed"),
    ('columns = [{ name = "city", kind = "string" }]\n', "has unknown key 'kind'"),
    ('columns = [{ name = "a" }, { name = "a" }]\n', "column 'a' is declared twice"),
    ('columns = [{ name = "a", nullable = "yes" }]\n', "nullable must be true or false"),
    ('columns = [{ name = "a", categories = ["x"], unknown = "ignore" }]\n',
     "unknown must be 'refuse' or 'missing'"),
    ('columns = [{ name = "a" }]\ninputs = [{ name = "input" }]\n', "declares both inputs and columns"),
])
def test_a_wrong_column_is_refused_with_what_is_wrong(project: Path, text: str, message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        load_config(_write(project, text))
