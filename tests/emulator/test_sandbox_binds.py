"""Namespace sandbox binds: a folder seen at /var/task, as a zip's files are on Lambda."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

from lambdaserve.emulator.sandbox.launch import visible_path
from lambdaserve.errors import EmulatorError
from tests.emulator.lambda_helpers import HANDLERS, call, running, spec
from tests.helpers import require


def test_visible_path_maps_what_a_bind_holds_and_nothing_else(tmp_path: Path) -> None:
    binds = ((tmp_path / "task", "/var/task"), (tmp_path / "ric", "/var/runtime"))
    assert visible_path(tmp_path / "task", binds) == "/var/task"
    assert visible_path(tmp_path / "ric" / "awslambdaric", binds) == "/var/runtime/awslambdaric"
    assert visible_path(tmp_path / "taskforce", binds) == str(tmp_path / "taskforce")


def test_the_bound_task_root_is_var_task_read_only_and_the_host_is_untouched() -> None:
    require(sys.platform.startswith("linux") and os.geteuid() == 0, "the namespace sandbox needs Linux root")
    host_had_it = os.path.exists("/var/task")
    with running("echo.handler", sandbox="namespace", binds=((HANDLERS, "/var/task"),)) as function:
        seen, result = call(function, {"x": 1})
    assert result.function_error is None, result.payload
    # for parity: a zip's files are at /var/task, the worker's folder and LAMBDA_TASK_ROOT
    assert seen["cwd"] == "/var/task" and seen["env"]["LAMBDA_TASK_ROOT"] == "/var/task"
    with running("write_outside_tmp.handler", sandbox="namespace", ephemeral_mb=32,
                 binds=((HANDLERS, "/var/task"),)) as function:
        writes, _ = call(function, {})
    assert writes["task_root"] == "EROFS" and writes["tmp"] == "ok" and writes["dev_shm"] is False
    assert os.path.exists("/var/task") == host_had_it  # made in the sandbox's own view only


def test_binds_need_the_namespace_sandbox() -> None:
    from lambdaserve.emulator import Function

    with pytest.raises(EmulatorError, match="namespace sandbox"):
        Function(spec("echo.handler", binds=((HANDLERS, "/var/task"),))).start()
