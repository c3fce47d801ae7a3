"""The lock check: doctor reads lambdaserve.lock by build's rule (config/lock_file.py) and says when
it is missing, stale, not a lock, or pins other versions than the environment invoke and serve run in."""

from __future__ import annotations

import json
from importlib.metadata import version

from click.testing import CliRunner

from lambdaserve.cli.main import cli
from lambdaserve.doctor import Severity
from lambdaserve.doctor.checks import lock
from lambdaserve.doctor.registry import CHECKS
from tests.doctor.support import context, only, project

# installed here (the dev extra): scikit-learn pulls scipy, numpy, joblib, threadpoolctl
SKLEARN = f"scikit-learn=={version('scikit-learn')}"


def _locked(tmp_path):
    """A project whose lock `lambdaserve lock` wrote from this environment, as a user would."""
    root = project(tmp_path, framework="sklearn", model="model.joblib", requirements=json.dumps([SKLEARN]))
    done = CliRunner().invoke(cli, ["lock", "--config", str(root)])
    assert done.exit_code == 0, done.output
    return root


def test_a_lock_written_here_is_used_and_matches_this_environment(tmp_path):
    root = _locked(tmp_path)
    finding = only(lock.CHECK, context(root))  # the real importlib.metadata lookup of this Python
    assert finding.severity is Severity.OK, finding
    assert "lambdaserve.lock fits function.requirements" in finding.message


def test_versions_here_other_than_the_locks_pins_are_named(tmp_path):
    root = _locked(tmp_path)
    scipy = version("scipy")
    # this environment moved on: scipy upgraded, joblib uninstalled (not installed: not a difference)
    here = {"scipy": "99.0", "joblib": None}
    finding = only(lock.CHECK, context(root, installed=lambda name: here.get(name, version(name))))
    assert finding.severity is Severity.WARNING
    assert f"(scipy 99.0 here, {scipy} locked)" in finding.message and "joblib" not in finding.message
    assert "other code than the deployed function" in finding.message
    assert "`lambdaserve lock`" in finding.hint and finding.file == str(root / "lambdaserve.lock")


def test_no_lock_is_a_warning_with_the_command_that_writes_one(tmp_path):
    root = project(tmp_path, requirements='["onnxruntime==1.32.0"]')
    finding = only(lock.CHECK, context(root))
    assert finding.severity is Severity.WARNING and finding.message.startswith("no lambdaserve.lock")
    assert "`lambdaserve lock`" in finding.hint


def test_a_lock_made_for_other_requirements_is_stale(tmp_path):
    root = _locked(tmp_path)
    project(root, framework="sklearn", model="model.joblib",
            requirements=json.dumps([SKLEARN, f"joblib=={version('joblib')}"]))  # requirements edited
    finding = only(lock.CHECK, context(root))
    assert finding.severity is Severity.WARNING and "made for other requirements" in finding.message
    assert "`lambdaserve lock`" in finding.hint


def test_a_lock_line_that_is_no_pin_is_an_error_naming_the_line(tmp_path):
    root = project(tmp_path)
    (root / "lambdaserve.lock").write_text('# for: ["onnxruntime==1.32.0"]\nnumpy>=2\n')
    finding = only(lock.CHECK, context(root))
    assert finding.severity is Severity.ERROR
    assert "lambdaserve.lock:2: 'numpy>=2' is not a pin" in finding.message
    assert "`lambdaserve lock`" in finding.hint


def test_no_project_or_no_requirements_is_skipped(tmp_path):
    assert only(lock.CHECK, context(None)).severity is Severity.SKIPPED
    assert only(lock.CHECK, context(project(tmp_path, requirements="[]"))).severity is Severity.SKIPPED


def test_the_lock_check_is_local_so_deploy_runs_it_first():
    assert lock.CHECK in CHECKS and lock.CHECK.local


def test_before_a_build_a_missing_lock_is_left_to_builds_own_warning(tmp_path):
    """deploy's preflight runs just before deploy builds; build names the versions that floated and
    the fix, so the doctor does not say it first (test_deploy_lock_warning runs the real deploy)."""
    root = project(tmp_path, requirements='["onnxruntime==1.32.0"]')
    finding = only(lock.CHECK, context(root, build_follows=True))
    assert finding.severity is Severity.SKIPPED and "the build that follows" in finding.message


def test_before_a_build_pins_that_differ_here_are_still_named(tmp_path):
    root = _locked(tmp_path)  # build does not compare the lock with this environment: doctor must
    finding = only(lock.CHECK, context(root, build_follows=True, installed=lambda name: "99.0"))
    assert finding.severity is Severity.WARNING and "99.0 here" in finding.message


def test_deploy_tells_of_a_missing_lock_once(tmp_path):
    """Without AWS credentials deploy stops at the cloud, after its preflight: the doctor's lock
    warning shows only when no build follows (--artifact), as build's would otherwise be the second."""
    root = project(tmp_path / "p", requirements='["onnxruntime==1.32.0"]')
    (root / "built.zip").write_bytes(b"PK")
    nowhere = str(tmp_path / "none")
    env = {"HOME": str(tmp_path / "home"), "AWS_SHARED_CREDENTIALS_FILE": nowhere, "AWS_CONFIG_FILE": nowhere,
           "AWS_ACCESS_KEY_ID": None, "AWS_SECRET_ACCESS_KEY": None, "AWS_SESSION_TOKEN": None,
           "AWS_PROFILE": None, "AWS_REGION": None, "AWS_DEFAULT_REGION": None,
           "DOCKER_CONFIG": str(tmp_path / "no-docker"), "SUDO_USER": None}
    builds = CliRunner(env=env).invoke(cli, ["deploy", "--config", str(root), "--yes"])
    given = CliRunner(env=env).invoke(cli, ["deploy", "--config", str(root), "--yes",
                                            "--artifact", str(root / "built.zip")])
    assert builds.exit_code == given.exit_code == 1  # no region or credentials: nothing was deployed
    assert "doctor: " in builds.output and "lambdaserve.lock" not in builds.output, builds.output
    assert " ".join(given.output.split()).count("no lambdaserve.lock") == 1, given.output
