"""lambdaserve.toml: bad configs fail early, naming the file, field, value and what is allowed."""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest

from lambdaserve.config import artifact_env, load_config, runtime_env
from lambdaserve.config.render import render_config
from lambdaserve.errors import ConfigError
from lambdaserve.runtime.settings import RuntimeSettings
from lambdaserve.runtime.signature import Signature, TensorSpec


@pytest.fixture()
def project(tmp_path: Path) -> Path:
    (tmp_path / "model.onnx").write_bytes(b"not really onnx; detection goes by suffix")
    return tmp_path


def write(project: Path, text: str) -> Path:
    path = project / "lambdaserve.toml"
    path.write_text(text, encoding="utf-8")
    return path


BASE = 'name = "iris"\n[model]\npath = "model.onnx"\n'


def test_minimal_config_takes_defaults_and_detects_framework(project: Path) -> None:
    config = load_config(write(project, BASE))
    assert config.model.framework == "onnx"
    assert config.model.path == project / "model.onnx"
    assert config.function.python == "3.12"
    assert config.function.memory == 1024
    assert config.api.path == "/predict"
    assert config.api.type == "rest"
    assert config.stack_name == "lambdaserve-iris"
    assert config.base_image == "public.ecr.aws/lambda/python:3.12"


def test_build_trim_unimported_is_on_unless_opted_out_and_must_be_a_boolean(project: Path) -> None:
    assert load_config(write(project, BASE)).build.trim_unimported is True
    off = load_config(write(project, BASE + "[build]\ntrim_unimported = false\n"))
    assert off.build.trim_unimported is False
    with pytest.raises(ConfigError, match="build.trim_unimported = 'yes' should be"):
        load_config(write(project, BASE + '[build]\ntrim_unimported = "yes"\n'))


def test_build_sourceless_dependencies_is_on_unless_opted_out_and_must_be_a_boolean(project: Path) -> None:
    on = load_config(write(project, BASE)).build
    assert on.sourceless_dependencies is True
    off = load_config(write(project, BASE + "[build]\nsourceless_dependencies = false\n")).build
    assert off.sourceless_dependencies is False and off.trim_unimported is True  # independent options
    with pytest.raises(ConfigError, match="build.sourceless_dependencies = 1 should be"):
        load_config(write(project, BASE + "[build]\nsourceless_dependencies = 1\n"))


def test_init_renders_the_trims_on_with_how_to_opt_out() -> None:
    from lambdaserve.config.render import render_config

    text = render_config(name="iris", model_path="model.joblib", framework="sklearn")
    assert "trim_unimported = true" in text and "sourceless_dependencies = true" in text
    assert "Set false if your predictor imports more" in " ".join(text.replace("# ", "").split())


@pytest.mark.parametrize(
    ("extra", "expected"),
    [
        ('[function]\nmemory = 64\n',
         "lambdaserve.toml: function.memory = 64 is out of range; allowed: 128–10240 MB"),
        ('[function]\ntimeout = 901\n', "function.timeout = 901 is out of range; allowed: 1–900 s"),
        ('[function]\nephemeral_storage = 100\n', "function.ephemeral_storage = 100 is out of range"),
        ('[function]\npython = "3.9"\n',
         "function.python = '3.9' is not allowed; allowed: 3.11 | 3.12 | 3.13"),
        ('[function]\narchitecture = "arm"\n', "allowed: x86_64 | arm64"),
        ('[api]\ntype = "websocket"\n', "api.type = 'websocket' is not allowed; allowed: rest | http"),
        ('[function]\nmemory = "big"\n', "function.memory = 'big' is not an integer"),
        ('[api]\npath = "predict"\n', "api.path = 'predict' must start with /"),
        ('[api]\ncors_origins = ["example.com"]\n', "is not an origin like https://example.com"),
        ('[function]\nsnapstart = true\npython = "3.11"\n', "needs python >= 3.12"),
        ('[function.environment]\nAWS_REGION = "x"\n', "names that Lambda does not reserve"),
        ('[function]\nsnapstart = true\nprovisioned_concurrency = 2\n',
         "cannot be combined with function.provisioned_concurrency"),
        ('[function]\nsnapstart = true\nephemeral_storage = 1024\n',
         "needs function.ephemeral_storage = 512"),
        ('[api]\ntype = "http"\nauth = "api_key"\n', "HTTP APIs have no API keys"),
    ],
)
def test_out_of_range_values_name_field_value_and_allowed(project: Path, extra: str, expected: str) -> None:
    with pytest.raises(ConfigError) as info:
        load_config(write(project, BASE + extra))
    assert expected in info.value.message
    assert info.value.hint


def test_unknown_key_suggests_the_close_one(project: Path) -> None:
    with pytest.raises(ConfigError) as info:
        load_config(write(project, BASE + "[api]\npth = '/x'\n"))
    assert info.value.message == "lambdaserve.toml: unknown key 'api.pth'"
    assert "api.path" in info.value.hint


@pytest.mark.parametrize(
    ("extra", "message", "hint"),
    [
        ("[modle]\nwarmup = true\n", "unknown table [modle]", "Did you mean [model]?"),
        ("[function.environmnt]\nA = 'b'\n", "unknown table [function.environmnt]",
         "Did you mean [function.environment]?"),
        ("[zzz]\nx = 1\n", "unknown table [zzz]", "[function]"),
    ],
)
def test_unknown_table_suggests_the_close_one(project: Path, extra: str, message: str, hint: str) -> None:
    with pytest.raises(ConfigError) as info:
        load_config(write(project, BASE + extra))
    assert info.value.message == f"lambdaserve.toml: {message}"
    assert hint in info.value.hint


def test_a_key_above_its_table_names_the_table(project: Path) -> None:
    with pytest.raises(ConfigError) as info:
        load_config(write(project, "memory = 1024\n" + BASE))
    assert info.value.message == "lambdaserve.toml: unknown key 'memory'"
    assert info.value.hint == "Did you mean 'function.memory'? (`memory = ...` under [function])"


def test_unknown_framework(project: Path) -> None:
    with pytest.raises(ConfigError) as info:
        load_config(write(project, BASE + 'framework = "tensorflow"\n'))
    assert "model.framework = 'tensorflow' is not allowed" in info.value.message
    assert "sklearn | onnx | torchscript | xgboost | lightgbm | catboost | custom" in info.value.message


def test_missing_model_names_the_path_it_looked_for(project: Path) -> None:
    with pytest.raises(ConfigError) as info:
        load_config(write(project, 'name = "x"\n[model]\npath = "gone.joblib"\n'))
    assert f"does not exist (looked for {project / 'gone.joblib'})" in info.value.message


def test_undetectable_model_asks_for_framework(project: Path) -> None:
    (project / "weights.bin").write_bytes(b"\0")
    with pytest.raises(ConfigError) as info:
        load_config(write(project, 'name = "x"\n[model]\npath = "weights.bin"\n'))
    assert "cannot tell the framework of weights.bin" in info.value.message
    assert "model.framework" in info.value.hint


def test_bad_toml_and_missing_file(project: Path) -> None:
    with pytest.raises(ConfigError, match="not valid TOML"):
        load_config(write(project, "name = \n"))
    with pytest.raises(ConfigError, match="no such file") as info:
        load_config(project / "elsewhere")
    assert "lambdaserve init" in info.value.hint


def test_custom_needs_a_predictor(project: Path) -> None:
    with pytest.raises(ConfigError, match="needs model.predictor"):
        load_config(write(project, BASE + 'framework = "custom"\n'))
    config = load_config(write(project, BASE + 'predictor = "my_model:Predictor"\n'))
    assert config.model.framework == "custom"


def test_render_writes_every_field_and_loads_back(project: Path) -> None:
    sig = Signature(inputs=(TensorSpec("input", "float32", (None, 4)),),
                    outputs=(TensorSpec("output", "float32", (None, 3)),))
    text = render_config(name="iris", model_path="model.onnx", framework="onnx",
                         requirements=["onnxruntime==1.32.0"], signature=sig, python="3.13")
    raw = tomllib.loads(text)
    assert set(raw) >= {"name", "model", "function", "api", "signature", "deploy", "build"}
    config = load_config(write(project, text))
    assert config.signature == Signature(inputs=sig.inputs, outputs=sig.outputs, source="config")
    assert config.function.requirements == ("onnxruntime==1.32.0",)
    assert config.function.python == "3.13"
    assert text.count("# ") > 25  # every field explained


def test_runtime_env_round_trips_into_runtime_settings(project: Path) -> None:
    config = load_config(write(project, BASE + '[api]\npath = "/model_x_inference"\n'
                                       'cors_origins = ["https://a.example"]\n'
                                       '[function.environment]\nLOG_LEVEL = "DEBUG"\n'))
    env = runtime_env(config)
    assert env["LOG_LEVEL"] == "DEBUG"
    settings = RuntimeSettings.from_env(env)
    assert settings.model_path == project / "model.onnx"
    assert settings.framework == "onnx"
    assert settings.api_path == "/model_x_inference"
    assert settings.cors_origins == ("https://a.example",)
    assert settings.warmup is True
    assert RuntimeSettings.from_env(artifact_env(config)).model_dir == Path("/var/task/model")
    # `build --package image` on a zip project: the image's model sits at /opt/ml/model.
    assert RuntimeSettings.from_env(artifact_env(config, "image")).model_dir == Path("/opt/ml/model")


def test_runtime_defaults_to_the_classic_model_dir() -> None:
    settings = RuntimeSettings.from_env({})
    assert settings.model_dir == Path("/opt/ml/model")
    assert settings.api_path == "/predict"


def test_python_313_and_314_are_lambda_runtimes_and_315_is_not(project: Path) -> None:
    for python in ("3.13", "3.14"):
        config = load_config(write(project, BASE + f'[function]\npython = "{python}"\n'))
        assert config.runtime_id == f"python{python}"
    with pytest.raises(ConfigError, match="function.python") as info:
        load_config(write(project, BASE + '[function]\npython = "3.15"\n'))
    assert "3.14" in info.value.message + info.value.hint


def test_init_writes_a_nullable_input_and_the_config_reads_it_back(tmp_path: Path) -> None:
    # a model that scores NaN itself (XGBoost, LightGBM, HistGradientBoosting) takes null: init says so
    (tmp_path / "model.json").write_text("{}")
    nullable = TensorSpec("input", "float32", (None, 3), nullable=True)
    signature = Signature(inputs=(nullable,), outputs=(TensorSpec("prediction", "float32", (None,)),))
    text = render_config(name="iris", model_path="model.json", framework="xgboost", signature=signature)
    assert "nullable = true" in text
    declared = load_config(write(tmp_path, text)).signature
    assert declared is not None and declared.inputs == (nullable,)
    with pytest.raises(ConfigError, match="nullable must be true or false"):
        load_config(write(tmp_path, text.replace("nullable = true", 'nullable = "yes"')))
