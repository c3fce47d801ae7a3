"""deploy's hook step: the pre-traffic hook's zip from build.json's golden requests for the very
zip being deployed, planned for upload beside it (moto's S3)."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest

from lambdaserve.cli.hook_artifact import HOOK_ZIP_NAME, plan_hook_upload
from lambdaserve.cloud.stack.plan import plan_zip_upload
from lambdaserve.cloud.stack.steps import CreateBucket, UploadArtifact
from lambdaserve.cloud.store.buckets import bucket_name
from lambdaserve.config import parse_config
from lambdaserve.errors import BuildError, CloudError
from lambdaserve.runtime.golden import GoldenRequest, GoldenSet
from tests.cloud.fakes import moto_clients, moto_server
from tests.cloud.handmade import tiny_zip

ACCOUNT = "123456789012"


def _config(tmp_path: Path, shift: str):
    (tmp_path / "model.onnx").write_bytes(b"not really onnx")
    return parse_config({"name": "iris", "model": {"path": "model.onnx", "framework": "onnx"},
                         "deploy": {"traffic_shift": shift}}, tmp_path / "lambdaserve.toml")


def _built(tmp_path: Path, recorded: bool) -> Path:
    (tmp_path / "dist").mkdir(exist_ok=True)
    built = tiny_zip(tmp_path / "dist" / "iris.zip", "v1")
    digest = hashlib.sha256(built.read_bytes()).hexdigest()
    golden = GoldenSet((GoldenRequest("row", {"data": [[1]]}, "/predict",
                                      answer={"predictions": [1]} if recorded else None),), digest)
    (built.parent / "build.json").write_text(json.dumps({"sha256": digest, "golden": golden.to_dict()}))
    return built


def test_the_hook_zip_is_planned_beside_the_function_zip_without_a_second_bucket(tmp_path: Path) -> None:
    config, built = _config(tmp_path, "Canary10Percent5Minutes"), _built(tmp_path, recorded=True)
    with moto_server() as endpoint:
        clients = moto_clients(endpoint)
        _artifact, steps = plan_zip_upload(clients, bucket=bucket_name(ACCOUNT, clients.region), app="iris",
                                           path=built)
        hook = plan_hook_upload(config, clients, account=ACCOUNT, built=built, earlier_steps=steps)
        assert hook is not None and (built.parent / HOOK_ZIP_NAME).exists()
        assert hook.artifact.key.startswith("iris/")
        assert hook.artifact.bucket == bucket_name(ACCOUNT, clients.region)
        assert [type(s) for s in steps] == [CreateBucket, UploadArtifact]
        assert [type(s) for s in hook.steps] == [UploadArtifact]  # the bucket is made once
        assert hook.parameters == {"HookBucket": hook.artifact.bucket, "HookKey": hook.artifact.key}
        assert plan_hook_upload(_config(tmp_path, ""), clients, account=ACCOUNT, built=built) is None


def test_no_recorded_answers_or_an_image_refuses_the_shift_with_the_fix(tmp_path: Path) -> None:
    config = _config(tmp_path, "AllAtOnce")
    with moto_server() as endpoint:
        clients = moto_clients(endpoint)
        with pytest.raises(BuildError, match="recorded answers") as unrecorded:
            plan_hook_upload(config, clients, account=ACCOUNT, built=_built(tmp_path, recorded=False))
        assert "traffic_shift" in unrecorded.value.hint
        with pytest.raises(CloudError, match="images record none"):
            plan_hook_upload(config, clients, account=ACCOUNT, built=None)
