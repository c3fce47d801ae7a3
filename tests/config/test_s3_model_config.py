"""model.s3_uri: refused at load when the function could not fetch or hold it; otherwise its URI
and the model's hash reach the function's environment, and local runs read the file."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from lambdaserve.config import artifact_env, load_config, runtime_env, with_local_model
from lambdaserve.errors import ConfigError
from lambdaserve.runtime import settings as s


def _load(tmp_path: Path, model: str = 'path = "model.onnx"', extra: str = ""):
    (tmp_path / "model.onnx").write_bytes(b"onnx-ish bytes" * 100)
    path = tmp_path / "lambdaserve.toml"
    path.write_text(f'name = "big"\n[model]\n{model}\n{extra}', encoding="utf-8")
    return load_config(path)


def test_the_uri_and_hash_reach_the_deployed_environment(tmp_path: Path) -> None:
    config = _load(tmp_path, 'path = "model.onnx"\ns3_uri = "s3://bkt/models/model.onnx"')
    env = artifact_env(config, "zip")
    assert env[s.ENV_MODEL_S3_URI] == "s3://bkt/models/model.onnx"
    assert env[s.ENV_MODEL_SHA256] == hashlib.sha256(b"onnx-ish bytes" * 100).hexdigest()
    assert config.model.s3_location == ("bkt", "models/model.onnx")
    # a run on this machine reads model.path: the same bytes the function checks by hash
    local = with_local_model(config, env)
    assert s.ENV_MODEL_S3_URI not in local and s.ENV_MODEL_SHA256 not in local
    assert local[s.ENV_MODEL_DIR] == str(tmp_path) and local[s.ENV_MODEL_FILE] == "model.onnx"
    assert s.ENV_MODEL_S3_URI not in runtime_env(config)


def test_a_changed_file_changes_the_hash(tmp_path: Path) -> None:
    config = _load(tmp_path, 'path = "model.onnx"\ns3_uri = "s3://bkt/m.onnx"')
    before = config.model.sha256
    (tmp_path / "model.onnx").write_bytes(b"retrained, and longer")
    assert config.model.sha256 != before


def test_without_the_field_nothing_changes(tmp_path: Path) -> None:
    env = artifact_env(_load(tmp_path), "zip")
    assert s.ENV_MODEL_S3_URI not in env and s.ENV_MODEL_SHA256 not in env


@pytest.mark.parametrize("uri", ["s3://bkt", "https://bkt/m.onnx", "s3://bkt/dir/"])
def test_malformed_uris_fail_at_load(tmp_path: Path, uri: str) -> None:
    with pytest.raises(ConfigError, match="model.s3_uri") as err:
        _load(tmp_path, f'path = "model.onnx"\ns3_uri = "{uri}"')
    assert "s3://bucket/" in err.value.hint


def test_a_folder_model_is_refused(tmp_path: Path) -> None:
    (tmp_path / "m").mkdir()
    (tmp_path / "m" / "model.onnx").write_bytes(b"x")
    with pytest.raises(ConfigError, match="one file"):
        _load(tmp_path, 'path = "m"\nframework = "onnx"\ns3_uri = "s3://bkt/m.onnx"')


def test_images_ship_the_model_themselves(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="zip packages"):
        _load(tmp_path, 'path = "model.onnx"\ns3_uri = "s3://bkt/m.onnx"', '[function]\npackage = "image"\n')


def test_a_model_bigger_than_tmp_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "lambdaserve.toml"
    with (tmp_path / "model.onnx").open("wb") as f:  # sparse: 600 MB on paper, nothing on disk
        f.truncate(600 * 2**20)
    path.write_text('name = "big"\n[model]\npath = "model.onnx"\ns3_uri = "s3://b/m.onnx"\n',
                    encoding="utf-8")
    with pytest.raises(ConfigError, match="does not fit in /tmp") as err:
        load_config(path)
    assert "ephemeral_storage to at least 664" in err.value.hint
    path.write_text(path.read_text() + "[function]\nephemeral_storage = 664\n", encoding="utf-8")
    assert load_config(path).model.s3_uri == "s3://b/m.onnx"  # loading does not read the 600 MB


KEY = "arn:aws:kms:eu-west-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab"


def test_a_kms_key_arn_loads_with_the_uri(tmp_path: Path) -> None:
    config = _load(tmp_path, f'path = "model.onnx"\ns3_uri = "s3://bkt/m.onnx"\ns3_kms_key = "{KEY}"')
    assert config.model.s3_kms_key == KEY


@pytest.mark.parametrize(("model", "problem"), [
    (f's3_kms_key = "{KEY}"', "without model.s3_uri"),
    ('s3_uri = "s3://bkt/m.onnx"\ns3_kms_key = "alias/my-key"', "not a KMS key ARN"),
    ('s3_uri = "s3://bkt/m.onnx"\ns3_kms_key = "arn:aws:kms:eu-west-1:123456789012:alias/x"',
     "not a KMS key ARN"),
])
def test_a_kms_key_needs_the_uri_and_a_key_arn(tmp_path: Path, model: str, problem: str) -> None:
    with pytest.raises(ConfigError, match=problem):
        _load(tmp_path, f'path = "model.onnx"\n{model}')
