"""A model kept in S3 on the local cloud: deploy A (model in the zip), then B (model.s3_uri), then
a retrained B. Each smoke test runs the deployed zip, which fetches the model from moto's S3."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from lambdaserve.cli.main import cli
from lambdaserve.cloud.local import ENV_ENDPOINT
from tests.cloud.fakes import moto_clients, moto_server
from tests.package.test_zip_s3_model import make_project

URI = "s3://models-bucket/inbucket/weights.json"


def _deploy(project: Path, url: str, *args: str):
    return CliRunner().invoke(cli, ["deploy", "--target", "local", "--yes", "--no-serve", "--skip-doctor",
                                    "--config", str(project), *args], env={ENV_ENDPOINT: url})


@pytest.mark.slow
def test_model_in_the_zip_then_in_s3_then_retrained(tmp_path: Path, py312) -> None:
    project = make_project(tmp_path / "p")
    toml = project / "lambdaserve.toml"
    with_s3 = toml.read_text()
    toml.write_text(with_s3.replace(f's3_uri = "{URI}"\n', ""))
    weights = project / "model" / "weights.json"
    with moto_server() as url:
        clients = moto_clients(url)
        s3 = clients.client("s3")
        s3.create_bucket(Bucket="models-bucket")

        a = _deploy(project, url)  # A: the model ships in the zip
        assert a.exit_code == 0, a.output
        assert "golden requests answered as recorded" in a.output

        toml.write_text(with_s3)  # B: the same model, kept in S3
        b = _deploy(project, url)
        assert b.exit_code == 0, b.output
        assert "uploading the model weights.json" in b.output
        assert "golden requests answered as recorded" in b.output  # fetched from moto's S3 at init
        head = s3.head_object(Bucket="models-bucket", Key="inbucket/weights.json")
        assert head["Metadata"]["sha256"] == hashlib.sha256(weights.read_bytes()).hexdigest()
        fn = clients.client("lambda").get_function_configuration(FunctionName="inbucket")
        assert fn["Environment"]["Variables"]["LAMBDASERVE_MODEL_S3_URI"] == URI
        # moto's stack update leaves the role's inline policies as created (moto's limit, not ours):
        # the deployed template is what AWS would apply
        template = clients.client("cloudformation").get_template(StackName="lambdaserve-inbucket")
        body = template["TemplateBody"]
        policies = (body if isinstance(body, dict) else json.loads(body))["Resources"]["FunctionRole"][
            "Properties"]["Policies"]
        (read,) = [p["PolicyDocument"]["Statement"][0] for p in policies
                   if p["PolicyName"] == "read-own-model"]
        assert read["Action"] == "s3:GetObject"
        arn = "arn:${AWS::Partition}:s3:::models-bucket/inbucket/weights.json"
        assert read["Resource"] == {"Fn::Sub": arn}

        plan = _deploy(project, url, "--dry-run")  # nothing to upload: the object holds this model
        assert plan.exit_code == 0, plan.output
        assert f"model unchanged: {URI} already holds it" in plan.output
        assert "upload the model" not in plan.output

        weights.write_text(json.dumps({"w": [2.0, -1.0], "b": 1.5}))  # B': retrained
        c = _deploy(project, url)
        assert c.exit_code == 0, c.output
        assert "replaces a different model" in c.output or "uploading the model" in c.output
        assert "golden requests answered as recorded" in c.output
        body = s3.get_object(Bucket="models-bucket", Key="inbucket/weights.json")["Body"].read()
        assert json.loads(body)["b"] == 1.5
