"""The cloud verbs through the CLI, against a moto server over HTTP (the local cloud)."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from click.testing import CliRunner

from lambdaserve.cli.main import EXIT_ERROR, cli
from tests.cloud.fakes import moto_server
from tests.cloud.handmade import tiny_zip


@pytest.fixture(scope="module")
def endpoint():
    with moto_server() as url:
        yield url


@pytest.fixture
def project(tmp_path: Path) -> Path:
    (tmp_path / "model.onnx").write_bytes(b"not really onnx")
    (tmp_path / "lambdaserve.toml").write_text(
        'name = "clidemo"\n[model]\npath = "model.onnx"\nframework = "onnx"\n'
    )
    tiny_zip(tmp_path / "built.zip")
    return tmp_path


def _run(args: list[str], endpoint: str, **env: str | None):
    environ = {"LAMBDASERVE_LOCAL_ENDPOINT": endpoint, **env}
    return CliRunner().invoke(cli, args, env=environ, catch_exceptions=False)


def test_deploy_status_logs_destroy_on_the_local_cloud(endpoint, project):
    where = ["--target", "local", "--config", str(project)]
    # built.zip is a stand-in that cannot run: the control plane is under test, not the smoke test
    deployed = _run(
        ["deploy", *where, "--yes", "--artifact", str(project / "built.zip"), "--no-serve", "--no-smoke"],
        endpoint,
    )
    assert deployed.exit_code == 0, deployed.output
    assert "lambdaserve-clidemo: created" in deployed.output
    assert re.search(r"ApiUrl\s+https://\w+\.execute-api\.us-east-1\.amazonaws\.com/prod", deployed.output)
    assert "Add" in deployed.output and "AWS::Lambda::Function" in deployed.output  # the diff preview

    again = _run(
        ["deploy", *where, "--yes", "--artifact", str(project / "built.zip"), "--no-serve", "--no-smoke"],
        endpoint,
    )
    assert again.exit_code == 0 and "up to date" in again.output

    status = _run(["status", *where, "--json"], endpoint)
    found = json.loads(status.output[status.output.index("{") :])
    assert found["status"] == "CREATE_COMPLETE" and found["function"]["Runtime"] == "python3.12"
    assert found["outputs"]["FunctionName"] == "clidemo"

    logs = _run(["logs", *where, "--since", "5m"], endpoint)
    assert logs.exit_code == 0, logs.output

    gone = _run(["destroy", *where, "--yes", "--artifacts"], endpoint)
    assert gone.exit_code == 0 and "lambdaserve-clidemo: deleted" in gone.output
    status = _run(["status", *where], endpoint)
    assert "not deployed" in status.output


def test_declined_deploy_exits_1_and_changes_nothing(endpoint, project):
    where = ["--target", "local", "--config", str(project)]
    result = CliRunner().invoke(
        cli,
        ["deploy", *where, "--artifact", str(project / "built.zip"), "--no-serve"],
        env={"LAMBDASERVE_LOCAL_ENDPOINT": endpoint},
        input="n\n",
    )
    assert result.exit_code == 1
    assert "Deploy these changes?" in result.output and "cancelled" in result.output
    assert "not deployed" in _run(["status", *where], endpoint).output


def test_missing_credentials_are_explained(endpoint, project, tmp_path):
    result = CliRunner().invoke(
        cli,
        ["status", "--config", str(project), "--region", "us-east-1", "--endpoint-url", endpoint],
        env={
            "AWS_ACCESS_KEY_ID": None,
            "AWS_SECRET_ACCESS_KEY": None,
            "AWS_SESSION_TOKEN": None,
            "AWS_PROFILE": None,
            "AWS_EC2_METADATA_DISABLED": "true",
            "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI": None,
            "AWS_CONTAINER_CREDENTIALS_FULL_URI": None,
            "AWS_SHARED_CREDENTIALS_FILE": str(tmp_path / "none"),
            "AWS_CONFIG_FILE": str(tmp_path / "none"),
        },
    )
    assert result.exit_code == EXIT_ERROR
    assert "no AWS credentials found" in result.output and "hint:" in result.output
    assert "Traceback" not in result.output


def test_a_running_local_endpoint_that_is_not_moto_is_refused(project):
    result = CliRunner().invoke(
        cli,
        ["status", "--target", "local", "--config", str(project)],
        env={"LAMBDASERVE_LOCAL_ENDPOINT": "http://127.0.0.1:9"},
    )
    assert result.exit_code == EXIT_ERROR
    assert "does not answer like a moto server" in result.output


def test_terminal_ui_shows_the_diff_progress_and_failure_reasons():
    import io

    from rich.console import Console

    from lambdaserve.cli.cloud_session import TerminalUI
    from lambdaserve.cloud.stack.changeset import Change
    from lambdaserve.cloud.stack.events import StackEvent

    out = io.StringIO()
    ui = TerminalUI(console=Console(file=out, width=200, color_system=None))
    ui.changes(
        [
            Change("Add", "Function", "AWS::Lambda::Function", ""),
            Change("Modify", "Api", "AWS::ApiGateway::RestApi", "True"),
        ]
    )
    ui.event(StackEvent("1", None, "Function", "AWS::Lambda::Function", "CREATE_IN_PROGRESS", ""))
    ui.event(StackEvent("2", None, "Function", "AWS::Lambda::Function", "CREATE_COMPLETE", ""))
    ui.event(StackEvent("3", None, "Api", "AWS::ApiGateway::RestApi", "UPDATE_FAILED", "Invalid stage name"))
    text = out.getvalue()
    assert re.search(r"Modify\s+.*Api\s+.*AWS::ApiGateway::RestApi\s+.*True", text)
    assert "[0/2] CREATE_IN_PROGRESS" in text and "[1/2] CREATE_COMPLETE" in text
    assert "[2/2] UPDATE_FAILED" in text and "Invalid stage name" in text
    assert TerminalUI(assume_yes=True).confirm("Deploy these changes?") is True


def test_aws_errors_leaving_the_cloud_package_become_one_clear_error(project):
    from botocore.exceptions import ClientError

    from lambdaserve.cli.cloud_session import TerminalUI, open_cloud
    from lambdaserve.config import load_config
    from lambdaserve.errors import CloudError

    config = load_config(project)
    denied = {
        "Error": {"Code": "AccessDeniedException", "Message": "not authorized to perform: lambda:GetFunction"}
    }
    with (
        pytest.raises(CloudError) as caught,
        open_cloud(
            config, TerminalUI(), target="local", profile=None, region=None, endpoint_url=None
        ) as cloud,
    ):
        assert cloud.identity.account == "123456789012"
        raise ClientError(denied, "GetFunction")
    assert "AWS refused GetFunction" in caught.value.message and "lambdaserve policy" in caught.value.hint


def test_stack_events_carry_no_resource_count():
    import io

    from rich.console import Console

    from lambdaserve.cli.cloud_session import TerminalUI
    from lambdaserve.cloud.stack.changeset import Change
    from lambdaserve.cloud.stack.events import StackEvent

    out = io.StringIO()
    ui = TerminalUI(console=Console(file=out, width=200, color_system=None))
    ui.changes([Change("Add", "Function", "AWS::Lambda::Function", "")])
    ui.event(StackEvent("1", None, "demo", "AWS::CloudFormation::Stack", "CREATE_COMPLETE", ""))
    assert "CREATE_COMPLETE" in out.getvalue() and "[0/1]" not in out.getvalue()


def test_status_on_a_fresh_local_cloud_warns_that_it_is_empty(project):
    result = CliRunner().invoke(
        cli,
        ["status", "--target", "local", "--config", str(project)],
        env={"LAMBDASERVE_LOCAL_ENDPOINT": None},
    )
    assert result.exit_code == 0, result.output
    if "(reused)" not in result.output:  # a developer's own moto_server on :5000 is reused instead
        assert "starts empty" in result.output and "LAMBDASERVE_LOCAL_ENDPOINT" in result.output
    assert "not deployed" in result.output or "lambdaserve-clidemo" in result.output


def _build_json(zip_path: Path, model_sha256: str, built: str) -> None:
    import hashlib

    sha = hashlib.sha256(zip_path.read_bytes()).hexdigest()
    (zip_path.parent / "build.json").write_text(json.dumps({"sha256": sha, "model_sha256": model_sha256,
                                                            "built": built}))


def test_each_deploy_publishes_a_version_and_rollback_serves_the_previous_at_once(endpoint, tmp_path):
    project = tmp_path / "p"
    project.mkdir()
    (project / "model.onnx").write_bytes(b"not really onnx")
    (project / "lambdaserve.toml").write_text(
        'name = "rollme"\n[model]\npath = "model.onnx"\nframework = "onnx"\n')
    where = ["--target", "local", "--config", str(project)]
    for n, body in enumerate(("v0", "v1", "v2")):
        (tmp_path / f"b{n}").mkdir()
        built = tiny_zip(tmp_path / f"b{n}" / "rollme.zip", body)
        _build_json(built, f"{n + 1}" * 64, f"2026-12-0{n + 1}T10:00:00Z")
        deployed = _run(["deploy", *where, "--yes", "--artifact", str(built), "--no-serve", "--no-smoke"],
                        endpoint)  # a stand-in zip: the versions are under test, not the smoke test
        assert deployed.exit_code == 0, deployed.output
        assert f"alias 'live' set to version {n + 1}" in deployed.output

    # the local cloud prunes nothing (moto_alias.py: moto would reuse a deleted version's number)
    status = _run(["status", *where], endpoint)
    assert re.search(r"3\s+serves 100%\s+model 333333333333\s+built 2026-12-03T10:00:00Z", status.output)
    assert re.search(r"2\s+standby\s+model 222222222222\s+built 2026-12-02T10:00:00Z", status.output)
    assert re.search(r"^\s+1\s+standby", status.output, re.MULTILINE)

    back = _run(["rollback", *where, "--yes"], endpoint)
    assert back.exit_code == 0, back.output
    assert "rollme:live: version 3 -> 2 (serving all traffic)" in back.output
    output = _run(["status", *where, "--json"], endpoint).output
    found = json.loads(output[output.index("{"):])
    assert found["versions"]["live"] == "2"
    assert [(v["version"], v["traffic"]) for v in found["versions"]["published"]] == [
        ("1", 0.0), ("2", 1.0), ("3", 0.0)]

    assert _run(["rollback", *where, "--yes"], endpoint).exit_code == 0  # to version 1
    nothing = _run(["rollback", *where, "--yes"], endpoint)
    assert nothing.exit_code == EXIT_ERROR and "no older version is left" in nothing.output
    assert _run(["destroy", *where, "--yes"], endpoint).exit_code == 0
