"""The snapstart-uniqueness check: init-time randomness and connections without an after-restore hook."""

from __future__ import annotations

from pathlib import Path

from lambdaserve.doctor import Severity
from lambdaserve.doctor.checks import snapstart_uniqueness
from lambdaserve.doctor.checks.snapstart_uniqueness import scan
from tests.doctor.support import context, project

SHARED = '''
import random, uuid, boto3

CLIENT_ID = uuid.uuid4()
s3 = boto3.client("s3")

class Predictor:
    def load(self, model_dir):
        self.seed = random.getrandbits(32)

    def predict(self, inputs):
        return [random.random() for _ in inputs["x"]]  # per request: fine
'''


def test_init_time_draws_and_connections_are_reported_with_their_lines() -> None:
    found = scan([("predictor.py", SHARED)])
    assert [(f.severity, f.line) for f in found] == [(Severity.WARNING, 4), (Severity.WARNING, 5),
                                                     (Severity.WARNING, 9)]
    assert "uuid.uuid4() is drawn at init" in found[0].message
    assert "boto3.client() is opened at init" in found[1].message
    assert "after_restore" in found[0].hint


def test_an_after_restore_hook_anywhere_clears_them() -> None:
    method = SHARED + "\n    def after_restore(self):\n        self.seed = random.getrandbits(32)\n"
    assert scan([("predictor.py", method)]) == []
    decorated = ("from snapshot_restore_py import register_after_restore\n"
                 "@register_after_restore\ndef f(): pass\n")
    assert scan([("predictor.py", SHARED), ("hooks.py", decorated)]) == []


def test_the_check_runs_only_for_snapstart_projects(tmp_path: Path) -> None:
    plain = project(tmp_path / "plain", predictor="predictor:Predictor")
    (plain / "predictor.py").write_text(SHARED)
    assert [f.severity for f in snapstart_uniqueness.CHECK.run(context(plain))] == [Severity.SKIPPED]
    snap = project(tmp_path / "snap", extra="snapstart = true\n", predictor="predictor:Predictor")
    (snap / "predictor.py").write_text(SHARED)
    found = snapstart_uniqueness.CHECK.run(context(snap))
    assert [f.severity for f in found] == [Severity.WARNING] * 3 and found[0].file == "predictor.py"
    (snap / "predictor.py").write_text("import random\n\ndef predict(inputs):\n    return random.random()\n")
    assert [f.severity for f in snapstart_uniqueness.CHECK.run(context(snap))] == [Severity.OK]
