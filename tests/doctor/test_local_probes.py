"""The probes the CLI builds on build's records: the last zip's sizes and its dependency wheels."""

from __future__ import annotations

import json

from lambdaserve.cli.doctor_cmd import make_context
from lambdaserve.cli.init_cmd import package_for
from lambdaserve.config import load_config
from lambdaserve.doctor import Probes, Severity, run_checks
from lambdaserve.doctor.checks import package_size, smoke, wheel_tags
from tests.doctor.support import project

MB = 1_000_000
CHECKS = [package_size.CHECK, wheel_tags.CHECK]


def _built(root, unzipped, tags):
    build = root / ".lambdaserve" / "build"
    build.mkdir(parents=True)
    (build / "build.json").write_text(json.dumps({"unzipped_bytes": unzipped, "zipped_bytes": unzipped // 3,
                                                  "dependency_key": "k1"}))
    info = root / ".lambdaserve" / "cache" / "deps" / "k1" / "site" / "onnxruntime-1.32.0.dist-info"
    info.mkdir(parents=True)
    (info / "WHEEL").write_text("Wheel-Version: 1.0\n" + "".join(f"Tag: cp312-cp312-{t}\n" for t in tags))


def test_sizes_and_wheels_come_from_the_last_build(tmp_path):
    root = project(tmp_path / "bad")
    _built(root, 300 * MB, ["manylinux_2_38_x86_64"])
    report = run_checks(make_context(load_config(root), root, Probes()), CHECKS)
    assert [f.check for f in report.errors] == ["package-size", "wheel-tags"]
    assert "300.0 MB" in report.errors[0].message and "GLIBC_2.38" in report.errors[1].message

    good = project(tmp_path / "good")
    _built(good, 120 * MB, ["manylinux_2_27_x86_64", "manylinux_2_28_x86_64"])
    report = run_checks(make_context(load_config(good), good, Probes()), CHECKS)
    assert [f.severity for f in report.findings] == [Severity.OK, Severity.OK]


def test_init_picks_an_image_for_torch():
    assert package_for(["torch==2.13.0", "numpy==2.4.6"]) == "image"
    assert package_for(["scikit-learn==1.9.1", "torchvision-utils==1.0"]) == "zip"


def test_a_skipped_smoke_run_says_why(tmp_path):
    # --smoke is the default: "pass --smoke" sent users to a flag they had already.
    root = project(tmp_path)
    without = run_checks(make_context(None, tmp_path / "elsewhere", Probes()), [smoke.CHECK])
    declined = run_checks(make_context(load_config(root), root, Probes()), [smoke.CHECK])
    assert [f.message for f in without.findings] == ["no project to run"]
    assert [f.message for f in declined.findings] == ["no smoke run (--no-smoke)"]
