"""ministack, a second local control plane, as a test oracle beside moto.

moto's CloudFormation ignores AWS::ApiGateway::Stage, Account and AWS::Lambda::Alias, and its
stack updates neither add nor delete resources; ministack creates, updates and deletes them.
It pins botocore exactly, so it lives in its own virtualenv (scripts/setup.sh makes
.venv-ministack); LAMBDASERVE_MINISTACK may name another executable.
"""

from __future__ import annotations

import itertools
import os
import shutil
import socket
import subprocess
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from lambdaserve.cloud.aws import AwsClients
from lambdaserve.cloud.cfn.render import render_template
from lambdaserve.cloud.iam.credentials import resolve_identity
from lambdaserve.cloud.stack.deployer import Deployer, DeployRequest, DeployResult
from lambdaserve.cloud.stack.plan import plan_zip_upload
from lambdaserve.cloud.store.artifact_ref import parameter_values
from lambdaserve.cloud.store.buckets import bucket_name
from lambdaserve.config import Config, parse_config
from tests.cloud.fakes import FAKE_ENV, RecordingUI, Sleeps, moto_clients
from tests.cloud.handmade import tiny_zip
from tests.helpers import require, stop_process

ROOT = Path(__file__).resolve().parents[2]


def ministack_executable() -> str | None:
    configured = os.environ.get("LAMBDASERVE_MINISTACK")
    if configured:
        return configured
    local = ROOT / ".venv-ministack" / "bin" / "ministack"
    return str(local) if local.exists() else shutil.which("ministack")


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def ministack_server(state_dir: Path) -> Iterator[str]:
    """A ministack on 127.0.0.1 for the test's duration; its endpoint URL."""
    executable = ministack_executable()
    require(executable is not None, "ministack is not installed (scripts/setup.sh makes .venv-ministack)")
    assert executable is not None
    port = _free_port()
    env = {"PATH": os.environ.get("PATH", ""), "HOME": str(state_dir), "TMPDIR": str(state_dir),
           "BIND_HOST": "127.0.0.1", "GATEWAY_PORT": str(port), "STATE_DIR": str(state_dir),
           "LOG_LEVEL": "WARNING", "MINISTACK_REGION": "us-east-1"}
    log = (state_dir / "ministack.log").open("wb")
    process = subprocess.Popen([executable], env=env, stdout=log, stderr=subprocess.STDOUT,
                               cwd=state_dir, start_new_session=True)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                with urllib.request.urlopen(url + "/_ministack/health", timeout=1) as answer:  # noqa: S310
                    if answer.status == 200:
                        break
            except OSError:
                pass
            if process.poll() is not None or time.monotonic() > deadline:
                tail = (state_dir / "ministack.log").read_text()[-2000:]
                raise RuntimeError("ministack did not start: " + tail)
            time.sleep(0.2)
        yield url
    finally:
        stop_process(process, timeout=10)
        log.close()


def project_config(folder: Path, extra: dict[str, Any]) -> Config:
    """An "iris" ONNX project's config with ``extra``'s sections merged in (the model is never loaded)."""
    (folder / "model.onnx").write_bytes(b"not really onnx")
    raw: dict[str, Any] = {"name": "iris", "model": {"path": "model.onnx", "framework": "onnx"}}
    for section, values in extra.items():
        raw.setdefault(section, {}).update(values)
    return parse_config(raw, folder / "lambdaserve.toml")


@dataclass(frozen=True)
class Deployed:
    result: DeployResult
    template: dict[str, Any]
    plan_lines: list[str]


@dataclass(frozen=True)
class MinistackDeploy:
    """A Deployer driving a ministack as ``lambdaserve deploy`` drives AWS, with the account's bucket."""

    clients: AwsClients
    bucket: str
    deployer: Deployer
    folder: Path

    def deploy(self, config: Config, code: str, zip_name: str = "code.zip") -> Deployed:
        """Upload a zip answering ``code`` and deploy ``config``'s template: plan, then execute."""
        artifact, steps = plan_zip_upload(self.clients, bucket=self.bucket, app=config.name,
                                          path=tiny_zip(self.folder / zip_name, code))
        template = render_template(config, artifact)
        request = DeployRequest(stack=config.stack_name, template=template, smoke=False,
                                parameters=parameter_values(artifact), assume_yes=True)
        plan = self.deployer.plan(request, artifact_steps=steps)
        return Deployed(self.deployer.execute(plan, request), template, plan.lines())


@contextmanager
def ministack_deploy(folder: Path) -> Iterator[MinistackDeploy]:
    """A ministack for the test's duration and a Deployer against it (the conftest's fixture)."""
    with ministack_server(folder) as endpoint:
        clients = moto_clients(endpoint)
        identity = resolve_identity(clients, environ=FAKE_ENV, euid=1000)
        # change sets are named by the clock's second; ministack keeps executed ones, AWS does not
        ticks = itertools.count(1_800_000_000, 60)
        deployer = Deployer(clients, RecordingUI(), sleep=Sleeps(), poll=0, clock=lambda: float(next(ticks)))
        yield MinistackDeploy(clients, bucket_name(identity.account, clients.region), deployer, folder)
