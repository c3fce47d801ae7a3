"""ministack, a second local control plane, as a test oracle beside moto.

moto's CloudFormation ignores AWS::ApiGateway::Stage, Account and AWS::Lambda::Alias, and its
stack updates neither add nor delete resources; ministack creates, updates and deletes them.
It pins botocore exactly, so it lives in its own virtualenv (scripts/setup.sh makes
.venv-ministack); LAMBDASERVE_MINISTACK may name another executable.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from tests.helpers import require

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
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        log.close()
