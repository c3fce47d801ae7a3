"""The pre-traffic hook: a function of its own that CodeDeploy invokes before a traffic shift.

It replays the build's golden requests (golden.json, next to this package in the hook's zip) on
the NEW version, compares each answer with the recorded one (``golden.check``: labels exactly,
scores within the recorded tolerance), logs every failing request with the answer it got, and
tells CodeDeploy ``Succeeded`` or ``Failed``. Failed stops the shift before the version takes any
traffic, and the deployment group rolls back.

CodeDeploy's event (documented): ``{"DeploymentId": "d-...", "LifecycleEventHookExecutionId": "..."}``.
The new version's ARN (function:name:N) is in ``LAMBDASERVE_HOOK_TARGET`` (the template sets it).
boto3 comes with Lambda's Python runtime; it is imported only here, in the hook's own function.
"""

from __future__ import annotations

import base64
import json
import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from lambdaserve.runtime.golden import GoldenRequest, GoldenSet, check

TARGET_ENV = "LAMBDASERVE_HOOK_TARGET"
GOLDEN_FILE = "golden.json"
# Local rehearsals and tests point these at the emulator's Invoke API and a stand-in CodeDeploy.
LAMBDA_ENDPOINT_ENV = "LAMBDASERVE_HOOK_LAMBDA_ENDPOINT"
CODEDEPLOY_ENDPOINT_ENV = "LAMBDASERVE_HOOK_CODEDEPLOY_ENDPOINT"
SHOWN = 500  # characters of a body or answer per log line

HookStatus = Literal["Succeeded", "Failed"]
# (event payload) -> (answer payload, function error or None, base64 log tail or "")
Invoke = Callable[[bytes], tuple[bytes, str | None, str]]


@dataclass(frozen=True)
class Replay:
    status: HookStatus
    passed: int
    failures: tuple[str, ...]  # one line per failing request: what was sent and what came back


def http_event(request: GoldenRequest) -> dict[str, Any]:
    """The golden request as an HTTP API (payload 2.0) event, as the API would deliver it."""
    return {
        "version": "2.0", "routeKey": "$default", "rawPath": request.path,
        "rawQueryString": request.query, "headers": {"content-type": "application/json"},
        "requestContext": {"http": {"method": request.method, "path": request.path,
                                    "protocol": "HTTP/1.1", "sourceIp": "127.0.0.1",
                                    "userAgent": "lambdaserve-pretraffic-hook"},
                           "requestId": "pretraffic", "stage": "$default"},
        "body": json.dumps(request.body), "isBase64Encoded": False,
    }


def proxy_answer(payload: bytes, function_error: str | None) -> tuple[int, bytes]:
    """(HTTP status, body) the API would have returned for this invocation's answer."""
    if function_error:
        # The API answers a raising function with a 502; the reason is the error's own payload.
        return 502, payload
    try:
        answer = json.loads(payload)
    except ValueError:
        return 502, payload
    if not isinstance(answer, dict) or "statusCode" not in answer:
        return 502, payload
    body = str(answer.get("body") or "")
    raw = base64.b64decode(body) if answer.get("isBase64Encoded") else body.encode("utf-8")
    return int(answer["statusCode"]), raw


def _short(text: str) -> str:
    return text if len(text) <= SHOWN else text[:SHOWN] + f"... ({len(text)} characters)"


def replay(golden: GoldenSet, invoke: Invoke, log: Callable[[str], None] = print) -> Replay:
    """Send each golden request to the new version and compare; every request runs, so the log
    lists all that fail, not only the first."""
    if not golden.requests:
        log("pre-traffic hook: no golden requests recorded; nothing proves the new version, so it "
            "takes no traffic")
        return Replay("Failed", 0, ("no golden requests",))
    failures: list[str] = []
    for request in golden.requests:
        payload, function_error, log_tail = invoke(json.dumps(http_event(request)).encode("utf-8"))
        status, body = proxy_answer(payload, function_error)
        problem = check(request, status, body, golden.tolerance)
        if problem is None:
            log(f"pre-traffic hook: PASS {request.name}: {request.method} {request.url('')}")
            continue
        line = (f"FAIL {request.name}: {request.method} {request.url('')} "
                f"body {_short(json.dumps(request.body))} -> {status} "
                f"{_short(body.decode('utf-8', 'replace'))}: {problem}")
        failures.append(line)
        log("pre-traffic hook: " + line)
        if log_tail:
            tail = base64.b64decode(log_tail).decode("utf-8", "replace")
            log("pre-traffic hook: the new version's log for it:\n" + tail)
    passed = len(golden.requests) - len(failures)
    log(f"pre-traffic hook: {passed} of {len(golden.requests)} golden requests answered as recorded "
        f"({golden.tolerance})")
    return Replay("Failed" if failures else "Succeeded", passed, tuple(failures))


def load_golden(root: Path) -> GoldenSet:
    return GoldenSet.from_dict(json.loads((root / GOLDEN_FILE).read_text(encoding="utf-8")))


def _client(service: str, endpoint_env: str) -> Any:
    import boto3  # in Lambda's Python runtime; only the hook's function imports it

    return boto3.client(service, endpoint_url=os.environ.get(endpoint_env) or None)


def run_hook(event: Any, lam: Any, codedeploy: Any, root: Path, target: str,
             log: Callable[[str], None] = print) -> dict[str, Any]:
    """Replay on ``target`` with the ``lam`` client, report to CodeDeploy with ``codedeploy``.

    Whatever goes wrong (no golden.json, the version cannot be invoked), CodeDeploy hears Failed:
    without the call it would wait out the hook's hour before failing the deployment.
    """
    deployment_id = event["DeploymentId"]
    execution_id = event["LifecycleEventHookExecutionId"]
    log(f"pre-traffic hook: deployment {deployment_id}, new version {target}")

    def invoke(payload: bytes) -> tuple[bytes, str | None, str]:
        answer = lam.invoke(FunctionName=target, Payload=payload, LogType="Tail")
        return answer["Payload"].read(), answer.get("FunctionError"), answer.get("LogResult", "")

    result = Replay("Failed", 0, ("the hook itself failed",))
    try:
        result = replay(load_golden(root), invoke, log)
    except Exception as exc:  # noqa: BLE001 - whatever happens, CodeDeploy must hear a status
        log(f"pre-traffic hook: could not check the new version: {type(exc).__name__}: {exc}")
    finally:
        codedeploy.put_lifecycle_event_hook_execution_status(
            deploymentId=deployment_id, lifecycleEventHookExecutionId=execution_id, status=result.status)
    log(f"pre-traffic hook: reported {result.status} to CodeDeploy")
    return {"status": result.status, "passed": result.passed, "failures": list(result.failures)}


def lambda_handler(event: Any, context: Any) -> dict[str, Any]:
    root = Path(os.environ.get("LAMBDA_TASK_ROOT") or Path(__file__).resolve().parents[2])
    lam, codedeploy = _client("lambda", LAMBDA_ENDPOINT_ENV), _client("codedeploy", CODEDEPLOY_ENDPOINT_ENV)
    return run_hook(event, lam, codedeploy, root, os.environ[TARGET_ENV])
