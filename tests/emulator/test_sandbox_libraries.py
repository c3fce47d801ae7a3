"""Lambda's OS has no libgomp.so.1 (LightGBM's OpenMP runtime): the namespace sandbox hides the
host's copy, so a package proves it loads only with the copy it ships in lib/, which is on
LD_LIBRARY_PATH as /var/task/lib is on Lambda."""

from __future__ import annotations

import os
import shutil
import sys
from pathlib import Path

import pytest

from lambdaserve.emulator.execution.worker_process import worker_environment
from tests.emulator.lambda_helpers import HANDLERS, call, running
from tests.helpers import require


def test_the_task_roots_lib_folder_is_on_ld_library_path() -> None:
    env = worker_environment(name="f", task_root="/var/task", handler="h.handler", memory_mb=128,
                             region="us-east-1", py_version="3.12", runtime_api="", log_stream="s",
                             user_env={}, pythonpath=())
    # for parity: Lambda's LD_LIBRARY_PATH ends /var/task:/var/task/lib:/opt/lib
    assert env["LD_LIBRARY_PATH"].split(os.pathsep)[-3:] == ["/var/task", "/var/task/lib", "/opt/lib"]
    own = worker_environment(name="f", task_root="/var/task", handler="h.handler", memory_mb=128,
                             region="us-east-1", py_version="3.12", runtime_api="", log_stream="s",
                             user_env={"LD_LIBRARY_PATH": "/mine"}, pythonpath=())
    assert own["LD_LIBRARY_PATH"] == "/mine"  # a function's own setting wins, as on Lambda


def _vendored_libgomp() -> Path:
    sklearn = pytest.importorskip("sklearn")
    [found] = (Path(sklearn.__file__).parent.parent / "scikit_learn.libs").glob("libgomp-*.so*")
    return found


@pytest.mark.slow
def test_the_hosts_libgomp_is_hidden_and_the_shipped_one_loads(tmp_path: Path) -> None:
    require(sys.platform.startswith("linux") and os.geteuid() == 0, "the namespace sandbox needs Linux root")
    shutil.copy(HANDLERS / "load_libgomp.py", tmp_path / "load_libgomp.py")
    with running("load_libgomp.handler", task_root=tmp_path, sandbox="namespace", ephemeral_mb=64) as fn:
        seen, result = call(fn, {})
    assert result.function_error is None, result.payload
    # for parity: Lambda's message when a package needs libgomp.so.1 and does not carry it
    assert seen == {"error": "libgomp.so.1: cannot open shared object file: No such file or directory"}

    (tmp_path / "lib").mkdir()
    shutil.copy(_vendored_libgomp(), tmp_path / "lib" / "libgomp.so.1")
    with running("load_libgomp.handler", task_root=tmp_path, sandbox="namespace", ephemeral_mb=64) as fn:
        seen, result = call(fn, {})
    assert result.function_error is None, result.payload
    assert seen["mapped"] == [str(tmp_path / "lib" / "libgomp.so.1")]  # the shipped copy, only it
