"""The local cloud: reuse or start moto, and `deploy --target local` serving the deployed function."""

from __future__ import annotations

import json
import logging
import os
import re
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from lambdaserve.cloud.local import ENV_ENDPOINT, is_moto, start_local_cloud
from lambdaserve.errors import BuildError, CloudError
from tests.cloud.fakes import moto_server
from tests.helpers import require


def test_starts_a_moto_server_on_loopback_and_stops_it():
    with start_local_cloud({}, probe_default=False) as cloud:
        assert cloud.started_here and cloud.endpoint_url.startswith("http://127.0.0.1:")
        assert is_moto(cloud.endpoint_url)
        url = cloud.endpoint_url
    assert not is_moto(url)


def test_a_cloud_started_here_starts_empty_though_moto_keeps_state_per_process():
    from lambdaserve.cloud.aws import AwsClients

    def buckets(cloud) -> list[str]:
        clients = AwsClients(cloud.session(), "us-east-1", cloud.endpoint_url)
        return [b["Name"] for b in clients.call("s3", "list_buckets")["Buckets"]]

    with start_local_cloud({}, probe_default=False) as cloud:
        clients = AwsClients(cloud.session(), "us-east-1", cloud.endpoint_url)
        clients.call("s3", "create_bucket", Bucket="left")
        assert buckets(cloud) == ["left"]
    with start_local_cloud({}, probe_default=False) as cloud:
        assert buckets(cloud) == []


def test_resource_types_moto_only_pretends_to_create_are_not_warned_about(caplog):
    from lambdaserve.cloud.aws import AwsClients

    # deploy's template holds AWS::ApiGateway::Account and ::Stage, which moto does not model
    role = "arn:aws:iam::123456789012:role/r"
    template = {"Resources": {"Account": {"Type": "AWS::ApiGateway::Account",
                                          "Properties": {"CloudWatchRoleArn": role}}}}
    with caplog.at_level(logging.WARNING), start_local_cloud({}, probe_default=False) as cloud:
        clients = AwsClients(cloud.session(), "us-east-1", cloud.endpoint_url)
        clients.call("cloudformation", "create_stack", StackName="s", TemplateBody=json.dumps(template))
        clients.call("cloudformation", "describe_stacks", StackName="s")
    assert not [r for r in caplog.records if "No Moto CloudFormation support" in r.getMessage()]


def test_reuses_the_configured_endpoint():
    with moto_server() as url, start_local_cloud({ENV_ENDPOINT: url}) as cloud:
        assert cloud.endpoint_url == url and not cloud.started_here
        sts = cloud.session().client("sts", endpoint_url=url, region_name="us-east-1")
        assert sts.get_caller_identity()["Account"] == "123456789012"
    # stopping a reused cloud leaves the owner's server alone: it was closed by moto_server()


@pytest.mark.parametrize("url", ["http://127.0.0.1:9",
                                 "http://127.0.0.1:34713,",  # copied from a sentence: a traceback once
                                 "127.0.0.1:9", "http://[::1"])
def test_a_configured_endpoint_that_is_not_moto_is_an_error(url):
    with pytest.raises(CloudError) as caught:
        start_local_cloud({ENV_ENDPOINT: url})
    assert ENV_ENDPOINT in caught.value.hint


PREDICTOR = """class Predictor:
    def load(self, model_dir):
        pass

    def predict(self, inputs):
        return {"y": [[2 * v for v in row] for row in inputs["x"]]}
"""
CONFIG = """name = "doubler"
[model]
path = "model"
framework = "custom"
predictor = "doubler:Predictor"
warmup = false
[[signature.inputs]]
name = "x"
shape = [-1, 2]
[[signature.outputs]]
name = "y"
shape = [-1, 2]
"""


def _get(url: str, data: bytes | None = None) -> tuple[int, dict]:
    request = urllib.request.Request(url, data=data, headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=30) as answer:
        return answer.status, json.loads(answer.read())


@pytest.mark.slow
def test_deploy_to_the_local_cloud_then_curl_the_deployed_function(tmp_path: Path):
    from lambdaserve.package.deps.interpreters import find_interpreter

    try:
        find_interpreter("3.12")
    except BuildError as exc:
        require(False, f"no Python 3.12 to build and run the zip: {exc.message}")
    (tmp_path / "model").mkdir()
    (tmp_path / "model" / "doubler.py").write_text(PREDICTOR)
    (tmp_path / "lambdaserve.toml").write_text(CONFIG)
    env = {k: v for k, v in os.environ.items() if k != ENV_ENDPOINT}
    cli = Path(sys.executable).with_name("lambdaserve")
    process = subprocess.Popen([str(cli), "deploy", "--target", "local", "--yes", "--port", "0"],
                               cwd=tmp_path, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                               text=True)  # its progress lines (stderr) too
    try:
        assert process.stdout is not None
        lines = []
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            line = process.stdout.readline()
            if not line:
                break
            lines.append(line)
            if line.startswith("Serving"):
                break
        serving = re.search(r"at (http://127\.0\.0\.1:\d+)/prod/predict", "".join(lines))
        assert serving, "".join(lines)
        assert "lambdaserve-doubler: created" in "".join(lines)
        base = serving.group(1)
        assert _get(f"{base}/prod/health")[1]["status"] == "ok"
        status, body = _get(f"{base}/prod/predict", json.dumps({"data": [[1.5, 2.0]]}).encode())
        assert status == 200 and body == {"predictions": [[3.0, 4.0]]}
        # the cloud deploy started lives in its process: the line it prints lets status reach it
        reach = re.search(rf"{ENV_ENDPOINT}=(http://127\.0\.0\.1:\d+) lambdaserve status", "".join(lines))
        assert reach, "".join(lines)
        status_run = subprocess.run([str(cli), "status", "--target", "local"], cwd=tmp_path, text=True,
                                    env={**env, ENV_ENDPOINT: reach.group(1)}, capture_output=True,
                                    timeout=120)
        assert status_run.returncode == 0, status_run.stderr
        assert "lambdaserve-doubler: CREATE_COMPLETE" in status_run.stdout + status_run.stderr
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
