"""`deploy --target local` of a broken package fails at the smoke test and the old version keeps
serving: the live alias goes back to the version before the deploy, and answers come from it.

One moto server is shared by the deploys (LAMBDASERVE_LOCAL_ENDPOINT), as a user's own
`moto_server` would be, so the second deploy is an update of the first.
"""

from __future__ import annotations

import json
import textwrap
from pathlib import Path

import pytest
from click.testing import CliRunner

from lambdaserve.cli.cloud_session import CloudSession
from lambdaserve.cli.local_serve import smoke_deployed
from lambdaserve.cli.main import cli
from lambdaserve.cloud.iam.credentials import Identity
from lambdaserve.cloud.local import ENV_ENDPOINT
from lambdaserve.cloud.stack import alias_version
from lambdaserve.config import load_config
from lambdaserve.package.zip.build import build_zip
from lambdaserve.runtime.golden import GoldenSet
from tests.cli.test_build_proof import FAILS_ON_PREDICT
from tests.cloud.fakes import moto_clients, moto_server
from tests.helpers import share_runtime_support
from tests.package.test_zip_build import UNTRIMMED, make_project


def _deploy(project: Path, endpoint: str, *args: str):
    return CliRunner(env={ENV_ENDPOINT: endpoint}).invoke(
        cli, ["deploy", "--target", "local", "--yes", "--no-serve", "--skip-doctor", "--config", str(project),
              *args])


def _untrimmed(project: Path) -> None:
    toml = project / "lambdaserve.toml"
    if UNTRIMMED not in toml.read_text():
        toml.write_text(toml.read_text() + UNTRIMMED)


@pytest.mark.slow
def test_a_first_deploy_that_fails_its_smoke_test_says_there_is_nothing_to_go_back_to(tmp_path, py312):
    project = make_project(tmp_path / "p", requirements=())
    share_runtime_support(project)  # awslambdaric for the local Lambda, built once per run
    _untrimmed(project)
    (project / "scorer" / "linear.py").write_text(textwrap.dedent(FAILS_ON_PREDICT))
    zip_path = build_zip(load_config(project), interpreter=py312).path  # not proved: the smoke test sees it
    with moto_server() as endpoint:
        result = _deploy(project, endpoint, "--artifact", str(zip_path))
    assert result.exit_code == 1, result.output
    assert "deployed, but the smoke test failed" in result.output
    assert "nothing to go back to: this was the first deploy, so version 1 still serves" in result.output


@pytest.mark.slow
def test_a_broken_update_fails_at_the_smoke_test_and_the_old_version_keeps_answering(tmp_path, py312):
    project = make_project(tmp_path / "p", requirements=())
    share_runtime_support(project)  # awslambdaric for the local Lambda, built once per run
    _untrimmed(project)
    with moto_server() as endpoint:
        good = _deploy(project, endpoint)
        assert good.exit_code == 0, good.output
        assert "alias 'live' set to version 1" in good.output
        record = json.loads((project / ".lambdaserve" / "build" / "build.json").read_text())
        golden = GoldenSet.from_dict(record["golden"])  # version 1's recorded answers
        (project / "scorer" / "linear.py").write_text(textwrap.dedent(FAILS_ON_PREDICT))
        broken = build_zip(load_config(project), interpreter=py312).path
        result = _deploy(project, endpoint, "--artifact", str(broken))
        assert result.exit_code == 1, result.output
        output = " ".join(result.output.split())  # rich wraps long lines
        assert "deployed, but the smoke test failed" in output
        assert "signature zero row: answered 500" in output  # the failing request and the answer
        assert 'the request: POST /predict {"data": [[0.0, 0.0]]}' in output
        assert "the scaler was fitted on 3 features" in output  # the function's own log line
        assert ("alias 'live' moved back: version 1 (the one before this deploy) serves all traffic again; "
                "version 2 serves none") in output
        clients = moto_clients(endpoint)
        assert alias_version(clients, "tiny", "live") == "1"
        # and the answers come from version 1: its zip, run in the local Lambda, answers as recorded
        cloud = CloudSession(clients, Identity("123456789012", "arn:aws:iam::123456789012:root", "us-east-1"),
                             None)
        config = load_config(project)
        outputs = {"FunctionName": "tiny"}
        logs: list[str] = []
        answered = smoke_deployed(config, cloud, outputs, golden, log=logs.append)
        assert answered.ok and answered.golden_sent == 1, answered.detail
        assert "version 1 of tiny" in logs[0]
