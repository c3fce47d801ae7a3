"""`aws lambda invoke --endpoint-url` works unchanged against the emulator's Invoke API."""

from __future__ import annotations

import base64
import json
import os
import subprocess
import sys
from pathlib import Path

from tests.emulator.test_invoke_api import served  # noqa: F401  (the fixture)
from tests.helpers import require

AWS = Path(sys.executable).with_name("aws")


def _aws(url: str, tmp_path: Path, *args: str) -> tuple[dict, str]:
    require(AWS.exists(), "the AWS CLI (awscli, a dev dependency) is not installed")
    out = tmp_path / "out.json"
    env = {**os.environ, "AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing",
           "AWS_DEFAULT_REGION": "us-east-1", "AWS_CONFIG_FILE": "/dev/null",
           "AWS_SHARED_CREDENTIALS_FILE": "/dev/null", "AWS_MAX_ATTEMPTS": "1"}
    done = subprocess.run([str(AWS), "lambda", "invoke", "--endpoint-url", url, "--function-name", "fn",
                           *args, str(out)],
                          capture_output=True, text=True, env=env, timeout=60)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout), out.read_text()


def test_aws_cli_invoke_with_log_tail(served, tmp_path):  # noqa: F811
    server, _, _ = served
    meta, payload = _aws(server.url, tmp_path, "--payload", '{"respond": {"y": 7}}', "--log-type", "Tail")
    assert meta["StatusCode"] == 200 and meta["ExecutedVersion"] == "$LATEST"
    assert json.loads(payload) == {"y": 7}
    assert "REPORT RequestId:" in base64.b64decode(meta["LogResult"]).decode()


def test_aws_cli_sees_function_error_unhandled(served, tmp_path):  # noqa: F811
    server, _, _ = served
    meta, payload = _aws(server.url, tmp_path, "--payload", '{"raise": "no model"}')
    # for parity: the CLI exits 0 and reports FunctionError, with Lambda's error document as output
    assert meta["FunctionError"] == "Unhandled"
    assert json.loads(payload)["errorType"] == "ValueError"
