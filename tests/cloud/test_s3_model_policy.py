"""model.s3_uri in the deployer's policy and the deploy's calls: that one object, every call covered."""

from __future__ import annotations

from pathlib import Path

from lambdaserve.cloud.aws import CallRecorder
from lambdaserve.cloud.iam.actions import allows_on, iam_action
from lambdaserve.cloud.iam.policy import deployer_policy
from lambdaserve.cloud.stack.plan import plan_model_upload
from lambdaserve.cloud.stack.steps import UploadModel
from lambdaserve.cloud.store.model_object import put_model
from tests.cloud.fakes import moto_clients, moto_server
from tests.cloud.test_template_golden import make_config

URI = "s3://user-models/team/iris/model.onnx"
OBJECT = "arn:aws:s3:::user-models/team/iris/model.onnx"


def _policy(tmp_path: Path, uri: str = URI):
    config = make_config(tmp_path, {"model": {"s3_uri": uri}} if uri else None)
    return config, deployer_policy(config, account="123456789012", region="eu-west-1",
                                   artifact_bucket="lambdaserve-artifacts-123456789012-eu-west-1",
                                   ecr_repository="lambdaserve/iris")


def test_the_deployer_may_head_and_upload_that_object_only(tmp_path: Path) -> None:
    _, policy = _policy(tmp_path)
    for action in ("s3:GetObject", "s3:PutObject", "s3:AbortMultipartUpload"):
        assert allows_on(policy, action, OBJECT)
        assert not allows_on(policy, action, "arn:aws:s3:::user-models/team/iris/other.onnx")
    assert not allows_on(policy, "s3:ListBucket", "arn:aws:s3:::user-models")
    assert not allows_on(policy, "s3:DeleteObject", OBJECT)  # destroy leaves the user's bucket alone


def test_without_the_field_the_policy_names_no_model_object(tmp_path: Path) -> None:
    _, policy = _policy(tmp_path, "")
    assert "OwnModelObject" not in {s["Sid"] for s in policy["Statement"]}


def test_every_call_of_planning_and_uploading_is_in_the_policy(tmp_path: Path) -> None:
    config, policy = _policy(tmp_path)
    recorder = CallRecorder()
    with moto_server() as url:
        clients = moto_clients(url, recorder=recorder)
        clients.client("s3").create_bucket(Bucket="user-models")
        sha = config.model.sha256
        (step,) = plan_model_upload(clients, uri=URI, path=config.model.path, sha256=sha)
        assert isinstance(step, UploadModel) and not step.replaces
        put_model(clients, step.bucket, step.key, step.path, sha)
        assert plan_model_upload(clients, uri=URI, path=config.model.path, sha256=sha) == []
        (again,) = plan_model_upload(clients, uri=URI, path=config.model.path, sha256="0" * 64)
        assert isinstance(again, UploadModel) and again.replaces
        assert "rollback" in again.describe()
    made = {c for c in recorder.calls if c.operation != "CreateBucket"}
    assert {c.operation for c in made} == {"HeadObject", "PutObject"}
    for call in made:
        assert allows_on(policy, iam_action(call.service, call.operation), OBJECT), call


def test_a_missing_bucket_is_named_with_the_fix(tmp_path: Path) -> None:
    import pytest

    from lambdaserve.errors import CloudError

    config, _ = _policy(tmp_path)
    with moto_server() as url:
        clients = moto_clients(url)
        (step,) = plan_model_upload(clients, uri=URI, path=config.model.path, sha256=config.model.sha256)
        with pytest.raises(CloudError, match="bucket user-models of model.s3_uri does not exist") as err:
            put_model(clients, step.bucket, step.key, step.path, config.model.sha256)
    assert "aws s3 mb s3://user-models" in err.value.hint


def test_a_kms_key_is_usable_through_s3_only(tmp_path: Path) -> None:
    from lambdaserve.cloud.cfn.model_object import model_read_policies

    key = "arn:aws:kms:eu-west-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab"
    config = make_config(tmp_path, {"model": {"s3_uri": URI, "s3_kms_key": key}})
    policy = deployer_policy(config, account="123456789012", region="eu-west-1",
                             artifact_bucket="lambdaserve-artifacts-123456789012-eu-west-1",
                             ecr_repository="lambdaserve/iris")
    (kms,) = [s for s in policy["Statement"] if s["Sid"] == "ModelObjectKmsKeyThroughS3"]
    assert kms["Resource"] == key and kms["Action"] == ["kms:Decrypt", "kms:GenerateDataKey"]
    assert kms["Condition"] == {"StringEquals": {"kms:ViaService": "s3.eu-west-1.amazonaws.com"}}
    (role,) = model_read_policies(config)
    decrypt = role["PolicyDocument"]["Statement"][1]
    assert decrypt["Action"] == "kms:Decrypt" and decrypt["Resource"] == key
    # without the key, the role gets S3 alone
    (tmp_path / "p").mkdir()
    (plain,) = model_read_policies(make_config(tmp_path / "p", {"model": {"s3_uri": URI}}))
    assert [s["Action"] for s in plain["PolicyDocument"]["Statement"]] == ["s3:GetObject"]
