"""`lambdaserve doctor` through the CLI: table or --json, exit codes, --explain, --remote, preflight."""

from __future__ import annotations

import json
import time

from click.testing import CliRunner

from lambdaserve.cli.doctor_cmd import preflight
from lambdaserve.cli.main import cli
from lambdaserve.config import load_config
from lambdaserve.doctor.registry import CHECKS
from tests.cloud.fakes import FAKE_ENV, moto_clients, moto_server
from tests.doctor.support import project


def _env(tmp_path):
    return {"HOME": str(tmp_path / "home"), "DOCKER_CONFIG": str(tmp_path / "no-docker"), "SUDO_USER": None}


def test_every_check_is_registered_once_with_a_name_and_group():
    names = [c.name for c in CHECKS]
    assert len(names) == len(set(names)) == 18
    assert all(c.group in ("environment", "aws", "code", "package", "performance") for c in CHECKS)


def test_json_output_and_exit_code_on_errors(tmp_path):
    root = project(tmp_path / "p", predictor="scorer:Predictor")
    (root / "scorer.py").write_text("import multiprocessing\nq = multiprocessing.Queue()\n")
    result = CliRunner(env=_env(tmp_path)).invoke(
        cli, ["doctor", "--config", str(root), "--offline", "--no-smoke", "--json"])
    assert result.exit_code == 1, result.output
    report = json.loads(result.stdout)
    errors = [f for f in report["findings"] if f["severity"] == "error"]
    assert report["errors"] == len(errors) >= 1
    assert {"check": "multiprocessing", "file": "scorer.py", "line": 2}.items() <= errors[0].items()


def test_warnings_alone_exit_zero(tmp_path):
    root = project(tmp_path / "p", framework="sklearn", model="model.pkl",
                   requirements='["scikit-learn==1.9.1"]')
    result = CliRunner(env=_env(tmp_path)).invoke(
        cli, ["doctor", "--config", str(root), "--offline", "--no-smoke", "--json"])
    report = json.loads(result.stdout)
    assert report["errors"] == 0 and report["warnings"] >= 1  # the pickle
    assert result.exit_code == 0


def test_table_for_humans(tmp_path):
    root = project(tmp_path / "p")
    result = CliRunner(env={**_env(tmp_path), "COLUMNS": "200"}).invoke(
        cli, ["doctor", "--config", str(root), "--offline", "--no-smoke"])
    assert result.exit_code == 0, result.output
    assert "lambdaserve doctor" in result.stdout and "multiprocessing" in result.stdout
    assert "0 error(s)" in result.stdout


def test_explain_text_and_log_file(tmp_path):
    runner = CliRunner()
    said = runner.invoke(cli, ["doctor", "--explain", "is in ROLLBACK_COMPLETE state and can not be updated"])
    assert said.exit_code == 0 and "rollback-complete" in said.stdout
    assert "deletes and recreates" in said.stdout
    log = tmp_path / "build.log"
    log.write_text("step 3\nversion `GLIBC_2.28' not found\n")
    as_json = json.loads(runner.invoke(cli, ["doctor", "--explain", str(log), "--json"]).stdout)
    assert [e["name"] for e in as_json["explanations"]] == ["glibc"]


def test_remote_scans_the_functions_logs_on_moto(tmp_path):
    root = project(tmp_path / "p")
    with moto_server() as url:
        clients = moto_clients(url)
        clients.call("logs", "create_log_group", logGroupName="/aws/lambda/doc")
        clients.call("logs", "create_log_stream", logGroupName="/aws/lambda/doc", logStreamName="s")
        now = int(time.time() * 1000)
        clients.call("logs", "put_log_events", logGroupName="/aws/lambda/doc", logStreamName="s", logEvents=[
            {"timestamp": now - 2000, "message": "START RequestId: 1 Version: $LATEST"},
            {"timestamp": now - 1000, "message": "2026-12-03 1 Task timed out after 3.00 seconds"}])
        env = {**FAKE_ENV, "AWS_REGION": "us-east-1"}
        found = CliRunner(env=env).invoke(cli, ["doctor", "--config", str(root), "--remote", "--json",
                                                "--endpoint-url", url])
        assert found.exit_code == 1, found.output
        assert [e["name"] for e in json.loads(found.stdout)["explanations"]] == ["task-timed-out"]
        clean = tmp_path / "q"
        project(clean).joinpath("lambdaserve.toml").write_text(
            (root / "lambdaserve.toml").read_text().replace('name = "doc"', 'name = "other"'))
        quiet = CliRunner(env=env).invoke(cli, ["doctor", "--config", str(clean), "--remote",
                                                "--endpoint-url", url])
        assert quiet.exit_code == 0 and "no known error" in quiet.stdout


def test_deploy_runs_the_preflight_and_names_file_and_line(tmp_path, monkeypatch):
    """LAMBDASERVE_CACHE_DIR inside the project: the cached dependency layers' own multiprocessing
    users (scipy's tests) do not ship as the user's code, so the preflight does not count them."""
    root = project(tmp_path / "p", predictor="app:Predictor")
    cache = root / "lambdaserve-cache"
    scipy_test = cache / "deps" / "0123abcd" / "scipy" / "_lib" / "tests" / "test_ccallback.py"
    scipy_test.parent.mkdir(parents=True)
    scipy_test.write_text("import multiprocessing\nmultiprocessing.Pool(2)\nmultiprocessing.Queue()\n")
    monkeypatch.setenv("LAMBDASERVE_CACHE_DIR", str(cache))
    (root / "app.py").write_text("from multiprocessing import Pool\npool = Pool(2)\n")
    result = CliRunner(env=_env(tmp_path)).invoke(cli, ["deploy", "--config", str(root), "--yes"])
    assert result.exit_code == 1
    assert "doctor found 1 problem(s)" in result.output and "--skip-doctor" in result.output
    assert "app.py:2: multiprocessing.Pool needs /dev/shm" in result.output
    (root / "app.py").write_text("print('fine')\n")
    assert preflight(load_config(root)).errors == []


def test_missing_credentials_say_where_boto3_looked_and_the_aws_checks_skip(tmp_path):
    root = project(tmp_path / "p")
    env = {**_env(tmp_path), "AWS_ACCESS_KEY_ID": None, "AWS_SECRET_ACCESS_KEY": None, "AWS_PROFILE": None,
           "AWS_SESSION_TOKEN": None, "AWS_REGION": "eu-west-1", "AWS_EC2_METADATA_DISABLED": "true",
           "AWS_CONFIG_FILE": str(tmp_path / "none-config"),
           "AWS_SHARED_CREDENTIALS_FILE": str(tmp_path / "none-creds")}
    result = CliRunner(env=env).invoke(cli, ["doctor", "--config", str(root), "--no-smoke", "--json"])
    assert result.exit_code == 1, result.output
    by_check = {f["check"]: f for f in json.loads(result.stdout)["findings"]}
    assert by_check["credentials"]["severity"] == "error"
    assert "boto3 looked in" in by_check["credentials"]["message"]
    assert "none-creds: file missing" in by_check["credentials"]["message"]
    assert by_check["iam"]["severity"] == by_check["stack-state"]["severity"] == "skipped"
