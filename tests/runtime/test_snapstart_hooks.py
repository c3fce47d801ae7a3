"""SnapStart's hooks: the runtime warms up before the snapshot and reseeds after each restore, in the
order Lambda runs hooks. Each case runs in its own process: snapshot_restore_py's registry is global."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

PREDICTOR = textwrap.dedent("""
    import random
    from snapshot_restore_py import register_after_restore, register_before_snapshot

    EVENTS = []

    @register_before_snapshot
    def module_before():
        EVENTS.append("module before_snapshot")

    @register_after_restore
    def module_after():
        EVENTS.append("module after_restore")

    class Predictor:
        signature = {"inputs": [{"name": "x", "dtype": "float32", "shape": [None, 2]}],
                     "outputs": [{"name": "y", "dtype": "float64", "shape": [None]}]}

        def load(self, model_dir):
            EVENTS.append("load")

        def predict(self, inputs):
            EVENTS.append("predict")
            return [a + b for a, b in inputs["x"]]

        def before_snapshot(self):
            EVENTS.append("predictor before_snapshot")

        def after_restore(self):
            EVENTS.append("predictor after_restore")
""")

# Init, then awslambdaric's own hook runner (what its bootstrap calls around /restore/next).
DRIVER = textwrap.dedent("""
    import json, random, sys
    random.seed(7)  # as if init had drawn from a generator every restored environment shares
    import lambdaserve.runtime.handler
    from awslambdaric import lambda_runtime_hooks_runner as hooks
    events = sys.modules[sys.argv[1]].EVENTS
    events.append("init done")
    hooks.run_before_snapshot()
    events.append("snapshot")
    hooks.run_after_restore()
    print(json.dumps({"events": events, "draw": random.random()}))
""")


def _run(tmp_path: Path, init_type: str) -> dict[str, object]:
    (tmp_path / "snap_predictor.py").write_text(PREDICTOR, encoding="utf-8")
    (tmp_path / "model").mkdir()
    env = {**os.environ, "AWS_LAMBDA_INITIALIZATION_TYPE": init_type,
           "LAMBDASERVE_MODEL_DIR": str(tmp_path / "model"), "LAMBDASERVE_FRAMEWORK": "custom",
           "LAMBDASERVE_PREDICTOR": "snap_predictor:Predictor", "LAMBDASERVE_NAME": "snap",
           "PYTHONPATH": os.pathsep.join([str(tmp_path), *sys.path])}
    out = subprocess.run([sys.executable, "-c", DRIVER, "snap_predictor"], env=env, cwd=tmp_path,
                         capture_output=True, text=True, timeout=120, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])  # type: ignore[no-any-return]


def test_hooks_run_in_lambdas_documented_order(tmp_path: Path) -> None:
    # for parity: before-snapshot hooks run in the reverse order of registration, after-restore
    # hooks in the order of registration (AWS: "Lambda SnapStart runtime hooks for Python")
    result = _run(tmp_path, "snap-start")
    assert result["events"] == [
        "load",  # the predictor's module registers its hooks here, after the runtime's reseed
        "init done",  # no warm-up at init: it belongs to the snapshot
        "predict", "predictor before_snapshot",  # registered last, so run first
        "module before_snapshot",
        "snapshot",
        "predictor after_restore",  # the runtime's hook, registered first: reseeds, then the predictor's
        "module after_restore",
    ]


def test_after_restore_draws_differ_from_what_init_seeded(tmp_path: Path) -> None:
    import random

    random.seed(7)
    shared = random.random()  # what every restored environment would draw without the reseed
    assert _run(tmp_path, "snap-start")["draw"] != shared


@pytest.mark.parametrize("init_type", ["on-demand", "provisioned-concurrency"])
def test_without_snapstart_the_warm_up_stays_in_init_and_nothing_is_hooked(tmp_path: Path,
                                                                          init_type: str) -> None:
    events = _run(tmp_path, init_type)["events"]
    # The warm-up runs at init and the runtime registers nothing; this driver runs the hook runner
    # anyway (awslambdaric does only for snap-start), so only the module's own hooks show.
    assert events == ["load", "predict", "init done", "module before_snapshot", "snapshot",
                      "module after_restore"]


def test_reseed_covers_numpy_when_it_is_loaded() -> None:
    import numpy

    from lambdaserve.runtime.snapstart import reseed

    numpy.random.seed(7)
    shared = numpy.random.random()
    numpy.random.seed(7)
    assert "numpy" in reseed()
    assert numpy.random.random() != shared
