"""The first event of each kind in a fresh process: answered as a warm runtime answers it, and
without the modules a cold start no longer imports (dataclasses, copy, the utf-8-sig codec,
snapstart.py outside a SnapStart init)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
import uuid
from pathlib import Path
from typing import Any

import pytest

from lambdaserve.runtime.app import Runtime
from lambdaserve.runtime.settings import RuntimeSettings
from tests.runtime.support import Context, http_event, load_event

PREDICTOR = textwrap.dedent("""
    class Predictor:
        signature = {"inputs": [{"name": "x", "dtype": "float32", "shape": [None, 2]}],
                     "outputs": [{"name": "y", "dtype": "float64", "shape": [None]}]}

        def load(self, model_dir):
            pass

        def predict(self, inputs):
            return [a - b for a, b in inputs["x"]]
""")
BODY = json.dumps({"data": [[3, 1], [0.5, 2]]})
# imported at a cold start until 2026-12-07 (benchmarks/import_cost.py): dataclasses and copy by
# frozen_record (~3 M instructions), the utf-8-sig codec by the first JSON body (~1 M); snapstart.py
# (~0.4 M) by every init, though only a SnapStart one registers its hooks
NOT_AT_A_COLD_START = {"dataclasses", "copy", "encodings.utf_8_sig", "lambdaserve.runtime.snapstart"}


def _rest() -> dict[str, Any]:
    event = load_event("apigw-rest-proxy.json")
    event.update(httpMethod="POST", path="/predict", resource="/predict", isBase64Encoded=False, body=BODY)
    event["headers"] = {"Content-Type": "application/json"}
    event["multiValueHeaders"] = {"Content-Type": ["application/json"]}
    return event


def _function_url() -> dict[str, Any]:
    event = load_event("function-url.json")
    event.update(rawPath="/predict", rawQueryString="", body=BODY, isBase64Encoded=False,
                 headers={"content-type": "application/json"})
    event.pop("queryStringParameters", None)
    event["requestContext"]["http"].update(method="POST", path="/predict")
    return event


def _alb() -> dict[str, Any]:
    event = load_event("alb.json")
    event.update(httpMethod="POST", path="/predict", body=BODY, isBase64Encoded=False,
                 headers={"content-type": "application/json"}, queryStringParameters={})
    return event


EVENTS = {
    "rest": _rest,
    "http": lambda: http_event(raw=BODY),
    "http, a body with a UTF-8 BOM": lambda: http_event(raw="\ufeff" + BODY),
    "function url": _function_url,
    "alb": _alb,
    "direct invoke": lambda: json.loads(BODY),
}


def _project(tmp_path: Path) -> dict[str, str]:
    module = f"cold_{uuid.uuid4().hex[:8]}"
    (tmp_path / f"{module}.py").write_text(PREDICTOR, encoding="utf-8")
    (tmp_path / "model").mkdir()
    return {"LAMBDASERVE_MODEL_DIR": str(tmp_path / "model"), "LAMBDASERVE_FRAMEWORK": "custom",
            "LAMBDASERVE_PREDICTOR": f"{module}:Predictor", "LAMBDASERVE_NAME": "minus"}


@pytest.mark.parametrize("kind", list(EVENTS))
def test_the_first_event_of_each_kind_in_a_fresh_process_is_answered_as_warm(tmp_path, kind):
    env = _project(tmp_path)
    event = EVENTS[kind]()
    script = textwrap.dedent("""
        import json, sys, types
        from lambdaserve.runtime.handler import lambda_handler
        answer = lambda_handler(json.loads(sys.argv[1]), types.SimpleNamespace(aws_request_id="r1"))
        print(json.dumps({"answer": answer, "modules": sorted(sys.modules)}))
    """)
    clean = {k: v for k, v in os.environ.items() if not k.startswith("LAMBDASERVE_")}
    done = subprocess.run([sys.executable, "-c", script, json.dumps(event)], env={**clean, **env},
                          capture_output=True, text=True, timeout=60, check=False, cwd=tmp_path)
    assert done.returncode == 0, done.stderr[-2000:]
    cold = json.loads(done.stdout.splitlines()[-1])
    warm = Runtime.from_settings(RuntimeSettings.from_env(env))
    warm.handle(EVENTS[kind](), Context("r0"))  # not the first event: this one is warm
    assert cold["answer"] == warm.handle(event, Context("r1"))
    answer = cold["answer"]
    predictions = json.loads(answer["body"]) if "body" in answer else answer
    assert predictions == {"predictions": [2.0, -1.5]}
    assert not NOT_AT_A_COLD_START & set(cold["modules"])


@pytest.mark.parametrize("content_type", ["application/json", "text/plain"])
def test_a_leading_bom_is_dropped_and_a_body_that_is_not_utf8_refused(tmp_path, content_type):
    rt = Runtime.from_settings(RuntimeSettings.from_env(_project(tmp_path)))
    headers = {"content-type": content_type}
    with_bom = rt.handle(http_event(raw="\ufeff" + BODY, headers=headers), Context())
    assert with_bom["statusCode"] == 200 and json.loads(with_bom["body"]) == {"predictions": [2.0, -1.5]}
    two_boms = rt.handle(http_event(raw="\ufeff\ufeff" + BODY, headers=headers), Context())
    assert two_boms["statusCode"] == (400 if content_type == "application/json" else 415)  # as utf-8-sig
    latin1 = http_event(raw="", headers=headers)
    latin1.update(body="eyJkYXRhIjogW1sxLCAy6V1dfQ==", isBase64Encoded=True)  # {"data": [[1, 2\xe9]]}
    refused = rt.handle(latin1, Context())
    assert refused["statusCode"] == (400 if content_type == "application/json" else 415)
    if content_type == "application/json":
        assert "not UTF-8" in json.loads(refused["body"])["error"]["message"]
