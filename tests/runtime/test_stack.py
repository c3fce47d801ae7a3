"""in_one_chunk: init's calls never map and unmap CPython's frame-stack chunks, at any depth.

Counted, not timed: each chunk CPython maps for a call that does not fit is a fresh anonymous
mapping, so its first use is a minor page fault (and an mmap + munmap, which strace shows).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from lambdaserve.runtime.stack import in_one_chunk

SWEEP = textwrap.dedent("""
    import json, resource
    from lambdaserve.runtime.stack import in_one_chunk

    def down(depth, calls):
        if depth:
            return down(depth - 1, calls)
        for _ in range(calls):
            leaf()

    def leaf():
        return None

    def sweep():  # at some depths, leaf's frame straddles a 16 KiB chunk's edge
        for depth in range(400):
            down(depth, 200)

    def faults(run):
        before = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
        run()
        return resource.getrusage(resource.RUSAGE_SELF).ru_minflt - before

    print(json.dumps({"plain": faults(sweep), "in_one_chunk": faults(lambda: in_one_chunk(sweep))}))
""")


def test_in_one_chunk_returns_the_calls_answer_and_lets_its_errors_through():
    assert in_one_chunk(lambda: {"answer": 42}) == {"answer": 42}
    with pytest.raises(ZeroDivisionError):
        in_one_chunk(lambda: 1 / 0)

    def deep(n: int) -> int:
        return 0 if n == 0 else 1 + deep(n - 1)

    assert in_one_chunk(lambda: deep(500)) == 500


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="counts Linux minor page faults")
def test_calls_across_a_chunk_edge_map_no_new_chunks_inside_in_one_chunk():
    """The same calls fault a fresh chunk in ~1,300 times from a script's top level (the edge
    falls inside the sweep) and almost never inside in_one_chunk (its 1 MiB chunk is mapped once)."""
    done = subprocess.run([sys.executable, "-c", SWEEP], capture_output=True, text=True, check=True,
                          timeout=60)
    counts = json.loads(done.stdout)
    assert counts["plain"] > 500  # the sweep does cross an edge, so the test can fail
    assert counts["in_one_chunk"] < counts["plain"] / 10


def _cold_start(script: str, tmp_path: Path, env: dict[str, str]) -> dict[str, object]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("LAMBDASERVE_")}
    run_env = {**clean, **env, "PYTHONPATH": os.pathsep.join([str(tmp_path), *sys.path])}
    done = subprocess.run([sys.executable, "-c", script], env=run_env, capture_output=True, text=True,
                          check=False, cwd=tmp_path, timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
    result: dict[str, object] = json.loads(done.stdout.splitlines()[-1])
    return result


STACK_PREDICTOR = textwrap.dedent("""
    import traceback

    STACKS = []  # the names on the stack at each call: load, the warm-up, the request

    class Predictor:
        signature = {"inputs": [{"name": "x", "dtype": "float32", "shape": [None, 2]}]}

        def load(self, model_dir):
            STACKS.append([frame.name for frame in traceback.extract_stack()])

        def predict(self, inputs):
            STACKS.append([frame.name for frame in traceback.extract_stack()])
            return [a + b for a, b in inputs["x"]]
""")


def test_the_handler_loads_and_warms_up_the_model_inside_in_one_chunk(tmp_path):
    """Init's framework work (the predictor's load, the warm-up) runs under in_one_chunk; a request
    does not (it runs after init returned)."""
    (tmp_path / "stack_predictor.py").write_text(STACK_PREDICTOR, encoding="utf-8")
    (tmp_path / "model").mkdir()
    env = {"LAMBDASERVE_MODEL_DIR": str(tmp_path / "model"), "LAMBDASERVE_FRAMEWORK": "custom",
           "LAMBDASERVE_PREDICTOR": "stack_predictor:Predictor", "LAMBDASERVE_NAME": "adder"}
    script = textwrap.dedent("""
        import json, types
        from lambdaserve.runtime.handler import lambda_handler
        import stack_predictor
        answer = lambda_handler({"data": [[1, 2]]}, types.SimpleNamespace(aws_request_id="c0"))
        print(json.dumps({"answer": answer, "stacks": stack_predictor.STACKS}))
    """)
    result = _cold_start(script, tmp_path, env)
    assert result["answer"] == {"predictions": [3.0]}
    load, warm_up, request = result["stacks"]  # type: ignore[misc]
    assert {"in_one_chunk", "from_settings", "load_model"} <= set(load)
    assert {"in_one_chunk", "warm_up"} <= set(warm_up)
    assert "in_one_chunk" not in request and "lambda_handler" in request


@pytest.mark.slow  # makes a scikit-learn model, then imports scikit-learn in a fresh interpreter
def test_a_cold_start_lists_the_model_folder_once_to_tell_its_framework(tmp_path):
    """framework = "auto" and a model folder: telling the framework lists the folder once, and
    the loader's lookup of its file once more; resolving again in load_model made it three."""
    from tests import models

    folder = tmp_path / "model"
    folder.mkdir()
    models.sklearn_classifier(folder)
    script = textwrap.dedent(f"""
        import json, sys, types
        listed = []
        def watch(event, args):  # an audit hook only looks
            if event in ("os.listdir", "os.scandir") and str(args[0]) == {str(folder)!r}:
                listed.append(event)
        sys.addaudithook(watch)
        from lambdaserve.runtime.handler import lambda_handler
        context = types.SimpleNamespace(aws_request_id="c0")
        answer = lambda_handler({{"data": [[5.1, 3.5, 1.4, 0.2]]}}, context)
        print(json.dumps({{"answer": answer, "listed": listed}}))
    """)
    env = {"LAMBDASERVE_MODEL_DIR": str(folder), "LAMBDASERVE_FRAMEWORK": "auto", "LAMBDASERVE_NAME": "iris"}
    result = _cold_start(script, tmp_path, env)
    assert len(result["answer"]["predictions"]) == 1  # type: ignore[index]
    assert len(result["listed"]) == 2  # type: ignore[arg-type]
