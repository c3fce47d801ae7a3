"""`deploy` of a project without a lock says so once: build's warning, which names the versions the
resolver chose and the fix, and not the doctor's preflight as well."""

from __future__ import annotations

import pytest
from click.testing import CliRunner

from lambdaserve.cli.main import cli
from lambdaserve.cloud.local import ENV_ENDPOINT
from tests.cloud.fakes import moto_server
from tests.helpers import share_runtime_support
from tests.package.test_zip_build import make_project
from tests.package.test_zip_lock import index  # noqa: F401 (a fixture)

pytestmark = pytest.mark.slow


def test_a_deploy_without_a_lock_warns_once_with_the_fix(tmp_path, index, monkeypatch):  # noqa: F811
    project = make_project(tmp_path / "p", requirements=("lsparent==1.0",))  # lsparent pulls lschild
    share_runtime_support(project)  # from the real index: awslambdaric, made once per session
    monkeypatch.setenv("PIP_INDEX_URL", (index / "simple").as_uri())  # as test_zip_lock's only_index
    monkeypatch.setenv("PIP_EXTRA_INDEX_URL", "")
    monkeypatch.setenv("PIP_FIND_LINKS", "")
    with moto_server() as endpoint:
        result = CliRunner(env={ENV_ENDPOINT: endpoint}).invoke(
            cli, ["deploy", "--target", "local", "--yes", "--dry-run", "--config", str(project)])
    assert result.exit_code == 0, result.output
    said = " ".join(result.output.split())  # rich wraps long lines
    [warning] = [w for w in said.split("warning: ") if "lambdaserve.lock" in w or "lambdaserve lock" in w]
    assert "not pinned (no lambdaserve.lock)" in warning and "(lschild 2.0)" in warning
    assert "Fix: run `lambdaserve lock`" in warning
