"""Init: the model loads through load_model, the warm-up runs, and both are timed in the log."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
import textwrap
import uuid
from pathlib import Path

import pytest

from lambdaserve.runtime.app import Runtime
from lambdaserve.runtime.settings import RuntimeSettings
from lambdaserve.runtime.telemetry import Telemetry
from tests import models
from tests.runtime.support import Context, FreeForm, SumClassifier, log_lines, runtime

PREDICTOR = textwrap.dedent("""
    CALLS = []

    class Predictor:
        signature = {"inputs": [{"name": "x", "dtype": "float32", "shape": [None, 2]}],
                     "outputs": [{"name": "y", "dtype": "float64", "shape": [None]}]}

        def load(self, model_dir):
            self.scale = float((model_dir / "scale.txt").read_text())

        def predict(self, inputs):
            CALLS.append(inputs)
            return [self.scale * (a + b) for a, b in inputs["x"]]
""")


def _project(tmp_path: Path) -> tuple[str, dict[str, str]]:
    module = f"predictor_{uuid.uuid4().hex[:8]}"
    (tmp_path / f"{module}.py").write_text(PREDICTOR, encoding="utf-8")
    model_dir = tmp_path / "model"
    model_dir.mkdir()
    (model_dir / "scale.txt").write_text("10", encoding="utf-8")
    env = {
        "LAMBDASERVE_MODEL_DIR": str(model_dir),
        "LAMBDASERVE_FRAMEWORK": "custom",
        "LAMBDASERVE_PREDICTOR": f"{module}:Predictor",
        "LAMBDASERVE_NAME": "adder",
    }
    return module, env


def test_from_settings_loads_warms_up_and_logs(tmp_path):
    module, env = _project(tmp_path)
    stream = io.StringIO()
    rt = Runtime.from_settings(RuntimeSettings.from_env(env), telemetry=Telemetry("adder", stream=stream))
    calls = sys.modules[module].CALLS
    assert calls == [{"x": [[0.0, 0.0]]}]  # the warm-up: one all-zero row
    (init,) = log_lines(stream)
    assert init["message"] == "init" and init["framework"] == "custom"
    assert init["init_ms"] >= init["model_load_ms"] >= 0
    assert init["warmup_ms"] >= 0 and init["threads"] >= 1
    assert rt.handle({"data": [[1, 2]]}, Context()) == {"predictions": [30.0]}


def test_warmup_off(tmp_path):
    module, env = _project(tmp_path)
    env["LAMBDASERVE_WARMUP"] = "false"
    stream = io.StringIO()
    Runtime.from_settings(RuntimeSettings.from_env(env), telemetry=Telemetry("adder", stream=stream))
    assert sys.modules[module].CALLS == []
    assert log_lines(stream)[0]["message"] == "warm-up skipped: turned off in the settings"


def test_warmup_skipped_when_the_signature_cannot_tell():
    rt, stream = runtime(FreeForm())
    assert rt.warm_up() is None
    assert (
        log_lines(stream)[0]["message"] == "warm-up skipped: the signature does not give every input's shape"
    )


def test_warmup_failure_is_logged_and_init_goes_on():
    class Picky(SumClassifier):
        def predict(self, inputs, probabilities=False):
            if inputs["input"] == [[0.0] * 4]:
                raise ArithmeticError("zeros")
            return super().predict(inputs, probabilities)

    rt, stream = runtime(Picky())
    assert rt.warm_up() is None
    (line,) = log_lines(stream)
    assert (line["level"], line["error_type"]) == ("WARNING", "ArithmeticError")
    assert rt.handle({"data": [[1, 1, 1, 1]]}, Context()) == {"predictions": [1]}


def test_warmup_asks_for_probabilities_when_the_settings_do():
    model = SumClassifier()
    rt, _ = runtime(model, LAMBDASERVE_PROBABILITIES="1")
    rt.warm_up()
    assert model.calls == [({"input": [[0.0, 0.0, 0.0, 0.0]]}, True)]


def test_handler_module_in_a_fresh_process(tmp_path):
    _, env = _project(tmp_path)
    event = {
        "version": "2.0",
        "rawPath": "/predict",
        "headers": {"content-type": "application/json"},
        "requestContext": {"http": {"method": "POST"}, "stage": "$default", "requestId": "abc"},
        "body": json.dumps({"data": [[1, 2], [3, 4]]}),
        "isBase64Encoded": False,
    }
    script = (
        "import json, sys; from lambdaserve.runtime.handler import lambda_handler; "
        "print(json.dumps(lambda_handler(json.loads(sys.argv[1]), None)))"
    )
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("LAMBDASERVE_", "OMP_", "MKL_"))}
    proc = subprocess.run(
        [sys.executable, "-c", script, json.dumps(event)],
        env={**clean, **env},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    result = json.loads(proc.stdout)
    assert result["statusCode"] == 200 and json.loads(result["body"]) == {"predictions": [30.0, 70.0]}
    lines = [json.loads(line) for line in proc.stderr.splitlines()]
    assert [line["message"] for line in lines] == ["init", "request"]
    assert lines[1]["cold_start"] is True and lines[1]["request_id"] == "abc"


def test_a_cold_start_imports_only_what_serving_a_packaged_model_needs(tmp_path):
    """Init plus one answer in a fresh process, as on Lambda: modules that only some functions or
    some requests need stay out of sys.modules (each one is cold-start time for every function)."""
    module, env = _project(tmp_path)
    script = textwrap.dedent("""
        import json, sys, types
        from lambdaserve.runtime.handler import lambda_handler
        context = types.SimpleNamespace(aws_request_id="c0ffee")  # Lambda always gives one
        answer = lambda_handler({"data": [[1, 2]]}, context)
        # methods compiled from source text at import (@dataclass generates them with exec)
        generated = sorted(f"{name}.{cls.__name__}.{attr}" for name, mod in list(sys.modules.items())
                           if name.startswith("lambdaserve") for cls in vars(mod).values()
                           if isinstance(cls, type) and cls.__module__ == name
                           for attr, fn in vars(cls).items()
                           if getattr(getattr(fn, "__code__", None), "co_filename", "") == "<string>")
        print(json.dumps({"answer": answer, "modules": sorted(sys.modules), "generated": generated}))
    """)
    run_env = {**os.environ, **env, "PYTHONPATH": os.pathsep.join([str(tmp_path), *sys.path])}
    done = subprocess.run([sys.executable, "-c", script], env=run_env, capture_output=True, text=True,
                          check=True, cwd=tmp_path)
    result = json.loads(done.stdout.splitlines()[-1])
    assert result["answer"] == {"predictions": [30.0]}
    loaded = set(result["modules"])
    # model.s3_uri only: the S3 fetch pulls urllib.request, http.client, ssl, hmac (~25 ms)
    assert not {"lambdaserve.runtime.s3_model", "urllib.request", "http.client", "ssl", "hmac"} & loaded
    # asked for by some requests only
    assert not {"lambdaserve.runtime.openapi", "lambdaserve.runtime.docs", "uuid"} & loaded
    # rows in {"data"}: no table or Open Inference Protocol code
    assert not {"lambdaserve.runtime.table", "lambdaserve.runtime.oip_check"} & loaded
    # value types are frozen_record, not @dataclass(frozen=True): ~4 M instructions of exec a class
    assert "lambdaserve.runtime.signature" in loaded and result["generated"] == []


@pytest.mark.slow  # makes an ONNX model (scikit-learn + skl2onnx), then a fresh interpreter
def test_an_onnx_cold_start_imports_numpy_from_the_handlers_top_level_not_from_inside_init(tmp_path):
    """numpy's import nests deep; started from inside Runtime.from_settings it crossed one of
    Python 3.11's 16 KiB frame chunks ~1,000 times (an mmap + munmap each, ~30 ms of a 170 ms cold
    start: docs/benchmarks.md, fifth pass). The handler imports the framework first, from its top
    level: neither from_settings nor load_model may be on the stack when numpy is first imported."""
    made = models.onnx_classifier(tmp_path)
    script = textwrap.dedent("""
        import json, sys, traceback, types

        class Watch:  # a finder that only looks: records who imports numpy first, finds nothing
            stack = None
            def find_spec(self, name, path=None, target=None):
                if name == "numpy" and Watch.stack is None:
                    Watch.stack = [frame.name for frame in traceback.extract_stack()]
                return None

        sys.meta_path.insert(0, Watch())
        from lambdaserve.runtime.handler import lambda_handler
        answer = lambda_handler({"data": [[5.1, 3.5, 1.4, 0.2]]}, types.SimpleNamespace(aws_request_id="c0"))
        print(json.dumps({"answer": answer, "stack": Watch.stack}))
    """)
    clean = {k: v for k, v in os.environ.items() if not k.startswith("LAMBDASERVE_")}
    env = {**clean, "LAMBDASERVE_MODEL_DIR": str(made.path.parent), "LAMBDASERVE_FRAMEWORK": "onnx",
           "LAMBDASERVE_MODEL_FILE": made.path.name, "LAMBDASERVE_NAME": "iris"}
    done = subprocess.run([sys.executable, "-c", script], env=env, capture_output=True, text=True,
                          check=False, timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
    result = json.loads(done.stdout.splitlines()[-1])
    assert len(result["answer"]["predictions"]) == 1
    assert "import_framework" in result["stack"]
    assert not {"from_settings", "load_model", "load"} & set(result["stack"])
