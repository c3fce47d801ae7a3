"""The namespace sandbox (Linux, root): Lambda's read-only filesystem, /tmp cap and no /dev/shm."""

from __future__ import annotations

import os
import shutil
import sys
from pathlib import Path

import pytest

from tests.emulator.lambda_helpers import HANDLERS, call, running, spec
from tests.helpers import require, require_tool


@pytest.fixture(scope="module")
def sandboxed():
    require(sys.platform.startswith("linux") and os.geteuid() == 0, "the namespace sandbox needs Linux root")
    require_tool("unshare")  # the kernel feature; the tool tells us it is usable here
    with running("write_outside_tmp.handler", sandbox="namespace", ephemeral_mb=64) as function:
        yield function


def test_writes_outside_tmp_give_erofs(sandboxed):
    seen, result = call(sandboxed, {})
    assert result.function_error is None, result.payload
    # for parity: /var/task and the rest of the filesystem are read-only on Lambda
    assert seen["task_root"] == "EROFS"
    assert seen["etc"] == "EROFS"
    assert seen["tmp"] == "ok"
    assert seen["dev_null"] == "ok"


def test_tmp_is_capped_at_the_ephemeral_size(sandboxed):
    seen, _ = call(sandboxed, {})
    assert seen["tmp_mb"] == 64


def test_dev_shm_is_absent_and_the_host_is_untouched(sandboxed):
    seen, _ = call(sandboxed, {})
    assert seen["dev_shm"] is False
    probe = Path(spec("echo.handler").task_root) / ".host-write-probe"
    probe.write_text("host is writable")  # the sandbox's read-only remount never leaks out
    probe.unlink()


def test_a_task_root_under_tmp_is_kept_read_only_behind_the_fresh_tmp(tmp_path):
    require(sys.platform.startswith("linux") and os.geteuid() == 0, "the namespace sandbox needs Linux root")
    shutil.copy(HANDLERS / "write_outside_tmp.py", tmp_path / "write_outside_tmp.py")
    (tmp_path / "host-only.txt").write_text("the host's /tmp")
    with running("write_outside_tmp.handler", task_root=tmp_path, sandbox="namespace",
                 ephemeral_mb=64) as function:
        seen, result = call(function, {})
    assert result.function_error is None, result.payload
    # for parity: /var/task is read-only on Lambda, wherever the project sits here
    assert seen["task_root"] == "EROFS"
    assert seen["tmp"] == "ok" and seen["tmp_mb"] == 64
    assert (tmp_path / "host-only.txt").read_text() == "the host's /tmp"
    assert not (tmp_path / "written.txt").exists()


@pytest.mark.slow
@pytest.mark.parametrize("remove", [False, True])
def test_tmp_writes_are_not_the_functions_memory(remove):
    require(sys.platform.startswith("linux") and os.geteuid() == 0, "the namespace sandbox needs Linux root")
    require_tool("mkfs.ext4")  # /tmp is a small ext4 disk of its own
    with running("write_tmp.handler", sandbox="namespace", memory_mb=256, ephemeral_mb=512,
                 timeout_s=120) as function:
        body, result = call(function, {"mb": 300, "remove": remove})
    # for parity: Lambda keeps ephemeral storage apart from memory: 300 MB written to /tmp with
    # 256 MB of memory is no OOM kill, and REPORT's Max Memory Used does not count it
    assert result.function_error is None, result.payload
    assert body == {"written_mb": 300}
    assert result.max_memory_mb < 128, result.log_tail


def test_tmp_refuses_writes_past_its_size():
    require(sys.platform.startswith("linux") and os.geteuid() == 0, "the namespace sandbox needs Linux root")
    with running("write_tmp.handler", sandbox="namespace", ephemeral_mb=64) as function:
        body, result = call(function, {"mb": 80})
    # for parity: /tmp is as big as the ephemeral storage setting; past it, writes fail with ENOSPC
    assert result.function_error is None, result.payload
    assert body["error"] == "ENOSPC" and 48 <= body["written_mb"] <= 64
