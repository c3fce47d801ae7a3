"""The pre-traffic hook from its own zip, in the local Lambda, against a good and a bad new version.

Three local functions: the model as recorded (Doubler), a retrained model whose scores drifted
(DriftedDoubler), both behind the emulator's Invoke API, and the hook unpacked from the zip
``package.build_hook_zip`` makes. The hook's CodeDeploy endpoint is a recording stand-in on
127.0.0.1: moto's CodeDeploy has no PutLifecycleEventHookExecutionStatus, and the hook runs in
another process, out of reach of botocore's Stubber. It checks the call botocore makes (target
header and JSON body), which is what CodeDeploy receives.

The emulator's Invoke API serves one version per function, so the hook's target is the function's
name here; on AWS the template passes the new version's ARN (function:name:N).
"""

from __future__ import annotations

import json
import threading
import zipfile
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from lambdaserve.emulator import Function
from lambdaserve.emulator.fronts.apigw import ApiGateway, ApiSettings
from lambdaserve.emulator.fronts.invoke_api import InvokeApi
from lambdaserve.emulator.fronts.server import EmulatorServer
from lambdaserve.package.hook_zip import build_hook_zip
from lambdaserve.runtime.golden import GoldenRequest, GoldenSet, Tolerance
from lambdaserve.runtime.hook import CODEDEPLOY_ENDPOINT_ENV, LAMBDA_ENDPOINT_ENV, TARGET_ENV
from tests.emulator.lambda_helpers import HANDLERS, spec

pytestmark = pytest.mark.slow

# What the Doubler answered at build: rows -> rows * 2.
GOLDEN = GoldenSet((
    GoldenRequest("labels", {"data": [[1, 2]]}, "/predict", status=200, answer={"predictions": [[2, 4]]}),
    GoldenRequest("scores", {"data": [[0.5, 1.25]]}, "/predict", status=200,
                  answer={"predictions": [[1.0, 2.5]]}),
), sha256="d" * 64, tolerance=Tolerance(atol=1e-5, rtol=1e-4))
# for parity: CodeDeploy invokes a lifecycle hook with exactly these two keys (AWS's hook docs).
HOOK_EVENT = {"DeploymentId": "d-EXAMPLE123", "LifecycleEventHookExecutionId":
              "eyJlbmNyeXB0ZWREYXRhIjoiZXhhbXBsZSJ9"}
CODEDEPLOY_TARGET = "CodeDeploy_20141006.PutLifecycleEventHookExecutionStatus"


class _CodeDeploy(BaseHTTPRequestHandler):
    calls: list[tuple[str, dict[str, Any]]]

    def do_POST(self) -> None:  # noqa: N802 - http.server's naming
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        self.server.calls.append((self.headers.get("X-Amz-Target", ""), body))  # type: ignore[attr-defined]
        answer = json.dumps({"lifecycleEventHookExecutionId": body.get("lifecycleEventHookExecutionId")})
        self.send_response(200)
        self.send_header("Content-Type", "application/x-amz-json-1.1")
        self.send_header("Content-Length", str(len(answer)))
        self.end_headers()
        self.wfile.write(answer.encode())

    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture(scope="module")
def codedeploy() -> Iterator[ThreadingHTTPServer]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _CodeDeploy)
    server.calls = []  # type: ignore[attr-defined]
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


def _model(name: str, predictor: str) -> Function:
    env = {"LAMBDASERVE_FRAMEWORK": "custom", "LAMBDASERVE_PREDICTOR": f"predictors:{predictor}",
           "LAMBDASERVE_MODEL_DIR": str(HANDLERS), "LAMBDASERVE_WARMUP": "0"}
    return Function(spec("lambdaserve.runtime.handler.lambda_handler", name=name, environment=env,
                         memory_mb=512, timeout_s=20))


@pytest.fixture(scope="module")
def versions() -> Iterator[EmulatorServer]:
    good, bad = _model("good", "Doubler"), _model("bad", "DriftedDoubler")
    try:
        good.start()
        bad.start()
        invoke_api = InvokeApi({"good": good, "bad": bad})
        with EmulatorServer(ApiGateway(good, ApiSettings()), invoke_api, port=0).start() as server:
            yield server
    finally:
        good.close()
        bad.close()


@pytest.fixture(scope="module")
def hook_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("hook")
    built = build_hook_zip(GOLDEN, folder / "hook.zip")
    root = folder / "task"
    with zipfile.ZipFile(built) as archive:
        archive.extractall(root)
    return root


def _run_hook(hook_root: Path, versions: EmulatorServer, codedeploy: ThreadingHTTPServer,
              target: str) -> tuple[dict[str, Any], str, list[tuple[str, dict[str, Any]]]]:
    codedeploy.calls.clear()  # type: ignore[attr-defined]
    env = {TARGET_ENV: target, LAMBDA_ENDPOINT_ENV: versions.url,
           CODEDEPLOY_ENDPOINT_ENV: f"http://127.0.0.1:{codedeploy.server_address[1]}",
           "AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing",
           "AWS_SESSION_TOKEN": "testing"}
    hook = Function(spec("lambdaserve.runtime.hook.lambda_handler", name="iris-pretraffic",
                         task_root=hook_root, environment=env, timeout_s=60))
    try:
        result = hook.start().invoke(json.dumps(HOOK_EVENT).encode())
    finally:
        hook.close()
    assert result.function_error is None, result.payload
    return json.loads(result.payload), result.log_tail, list(codedeploy.calls)  # type: ignore[attr-defined]


def test_the_hook_zip_carries_its_code_and_the_golden_requests_only(hook_root: Path) -> None:
    files = sorted(str(p.relative_to(hook_root)) for p in hook_root.rglob("*") if p.is_file())
    assert files == ["golden.json", "lambdaserve/__init__.py", "lambdaserve/runtime/__init__.py",
                     "lambdaserve/runtime/golden.py", "lambdaserve/runtime/hook.py"]
    assert GoldenSet.from_dict(json.loads((hook_root / "golden.json").read_text())) == GOLDEN


def test_a_version_that_answers_as_recorded_passes_and_codedeploy_hears_succeeded(
        hook_root: Path, versions: EmulatorServer, codedeploy: ThreadingHTTPServer) -> None:
    answer, log, calls = _run_hook(hook_root, versions, codedeploy, "good")
    assert answer == {"status": "Succeeded", "passed": 2, "failures": []}
    assert calls == [(CODEDEPLOY_TARGET, {
        "deploymentId": HOOK_EVENT["DeploymentId"],
        "lifecycleEventHookExecutionId": HOOK_EVENT["LifecycleEventHookExecutionId"],
        "status": "Succeeded"})]
    assert "2 of 2 golden requests answered as recorded" in log


def test_a_drifted_model_fails_the_hook_with_the_request_and_the_answer_it_got(
        hook_root: Path, versions: EmulatorServer, codedeploy: ThreadingHTTPServer) -> None:
    answer, log, calls = _run_hook(hook_root, versions, codedeploy, "bad")
    assert answer["status"] == "Failed" and answer["passed"] == 0
    assert [body["status"] for _target, body in calls] == ["Failed"]
    # 1 * 2.01 is not the label 2 the recorded model gave; 0.5 * 2.01 is beyond the tolerance.
    labels, scores = answer["failures"]
    assert labels.startswith("FAIL labels: POST /predict") and "2.01" in labels
    assert "labels must match exactly" in labels or "beyond" in labels
    assert scores.startswith("FAIL scores:") and "1.005 instead of 1.0" in scores
    assert "FAIL labels" in log and "0 of 2 golden requests answered as recorded" in log


def test_a_version_that_cannot_be_invoked_fails_rather_than_passing(
        hook_root: Path, versions: EmulatorServer, codedeploy: ThreadingHTTPServer) -> None:
    answer, log, calls = _run_hook(hook_root, versions, codedeploy, "no-such-version")
    assert answer["status"] == "Failed"
    assert [body["status"] for _target, body in calls] == ["Failed"]
    assert "ResourceNotFoundException" in log
