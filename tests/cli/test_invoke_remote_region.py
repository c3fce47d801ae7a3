"""`invoke --remote --endpoint-url` picks its region as every cloud verb does (cloud/region.py):
--region, then deploy.region, then AWS_REGION / AWS_DEFAULT_REGION, then the profile's region;
with none, the same message naming every place looked at. Against moto, over HTTP."""

from __future__ import annotations

import io
import json
import urllib.request
import zipfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner

from lambdaserve.cli.main import cli
from lambdaserve.cloud import AwsClients, make_session
from tests.cloud.fakes import FAKE_ENV, moto_server

pytestmark = pytest.mark.slow  # a moto server and five CLI runs against it

REGION = "eu-west-2"  # not boto3's nor moto's default: found only where the test puts it
NAME = "regional"


def _project(root: Path, region: str = "") -> Path:
    (root / "model").mkdir(parents=True)
    (root / "predictor.py").write_text("class Predictor:\n    def predict(self, inputs):\n"
                                       "        return [0]\n")
    deploy = f'[deploy]\nregion = "{region}"\n' if region else ""
    (root / "lambdaserve.toml").write_text(
        f'name = "{NAME}"\n[model]\npath = "model"\nframework = "custom"\npredictor = "predictor:Predictor"\n'
        f'[function]\npython = "3.12"\nrequirements = []\n{deploy}')
    return root


def _lambda_docker(url: str, use: bool) -> None:
    """moto's Lambda without docker (none here) answers without running the code."""
    body = json.dumps({"lambda": {"use_docker": use}}).encode()
    request = urllib.request.Request(url + "/moto-api/config", data=body, method="POST")
    urllib.request.urlopen(request, timeout=10)


def _deployed(url: str) -> None:
    """What a deploy leaves that invoke reads: the stack's FunctionName output, the live alias."""
    clients = AwsClients(make_session(region=REGION, environ=FAKE_ENV), REGION, url)
    role = clients.call("iam", "create_role", RoleName="fn", AssumeRolePolicyDocument="{}")["Role"]["Arn"]
    code = io.BytesIO()
    with zipfile.ZipFile(code, "w") as zf:
        zf.writestr("handler.py", "def handler(event, context):\n    return {}\n")
    clients.call("lambda", "create_function", FunctionName="regional-fn", Runtime="python3.12", Role=role,
                 Handler="handler.handler", Code={"ZipFile": code.getvalue()}, Publish=True)
    clients.call("lambda", "create_alias", FunctionName="regional-fn", Name="live", FunctionVersion="1")
    template = {"Resources": {"Topic": {"Type": "AWS::SNS::Topic"}},
                "Outputs": {"FunctionName": {"Value": "regional-fn"}}}
    clients.call("cloudformation", "create_stack", StackName=f"lambdaserve-{NAME}",
                 TemplateBody=json.dumps(template))


@pytest.fixture(scope="module")
def moto_url() -> Iterator[str]:
    with moto_server() as url:
        _lambda_docker(url, False)
        try:
            _deployed(url)
            yield url
        finally:
            _lambda_docker(url, True)  # moto's config is the process's: as other tests expect it


def _invoke(project: Path, url: str, env: dict[str, str], *extra: str):
    base = {**FAKE_ENV, "AWS_CONFIG_FILE": str(project / "no-config"),
            "AWS_SHARED_CREDENTIALS_FILE": str(project / "no-credentials"),
            "AWS_REGION": None, "AWS_DEFAULT_REGION": None, "AWS_PROFILE": None}
    return CliRunner().invoke(cli, ["invoke", "--remote", "--endpoint-url", url, "--data", "[[1]]",
                                    "--config", str(project), *extra], env={**base, **env})


def test_the_region_comes_from_deploy_region(tmp_path: Path, moto_url: str) -> None:
    done = _invoke(_project(tmp_path, REGION), moto_url, {})
    assert done.exit_code == 0, done.output
    assert json.loads(done.stdout.strip().splitlines()[-1]) == {"data": [[1]]}  # moto echoes the event


def test_the_region_comes_from_aws_default_region(tmp_path: Path, moto_url: str) -> None:
    done = _invoke(_project(tmp_path), moto_url, {"AWS_DEFAULT_REGION": REGION})
    assert done.exit_code == 0, done.output


def test_the_region_comes_from_the_profiles_config(tmp_path: Path, moto_url: str) -> None:
    project = _project(tmp_path)
    (project / "aws-config").write_text(f"[profile dev]\nregion = {REGION}\n")
    done = _invoke(project, moto_url, {"AWS_CONFIG_FILE": str(project / "aws-config"), "AWS_PROFILE": "dev"})
    assert done.exit_code == 0, done.output


def test_no_region_anywhere_says_where_it_looked(tmp_path: Path, moto_url: str) -> None:
    done = _invoke(_project(tmp_path), moto_url, {})
    assert done.exit_code == 1
    assert "no AWS region is set: not by --region, deploy.region, AWS_REGION" in done.output


def test_region_flag_wins_over_deploy_region(tmp_path: Path, moto_url: str) -> None:
    done = _invoke(_project(tmp_path, "us-west-1"), moto_url, {}, "--region", REGION)
    assert done.exit_code == 0, done.output
    elsewhere = _invoke(_project(tmp_path / "other", REGION), moto_url, {}, "--region", "us-west-1")
    assert elsewhere.exit_code == 1 and "does not exist" in elsewhere.output
