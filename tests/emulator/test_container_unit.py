"""The container sandbox's pure parts: reading an image config and the worker's variables."""

from __future__ import annotations

from pathlib import Path

import pytest

from lambdaserve.emulator.sandbox.container import (
    SHIM_MOUNT,
    ContainerImage,
    container_argv,
    container_environment,
)
from lambdaserve.errors import EmulatorError

CONFIG = {"config": {"Entrypoint": ["python3", "-m", "awslambdaric"], "Cmd": ["app.handler"],
                     "Env": ["PATH=/usr/bin:/bin", "PYTHONPATH=/var/task", "LAMBDASERVE_NAME=iris",
                             "AWS_REGION=eu-west-3", "EQUALS=a=b"],
                     "WorkingDir": "/var/task"}}


def test_the_image_config_gives_command_environment_and_folder(tmp_path: Path) -> None:
    image = ContainerImage.from_config(tmp_path, CONFIG)
    assert image.command == ["python3", "-m", "awslambdaric", "app.handler"]
    assert image.environment["EQUALS"] == "a=b" and image.workdir == "/var/task"
    # for parity: Lambda's ImageConfig.Command replaces the image's CMD only
    assert ContainerImage.from_config(tmp_path, CONFIG, cmd=["other.fn"]).command[-1] == "other.fn"


def test_an_image_with_nothing_to_run_is_refused(tmp_path: Path) -> None:
    with pytest.raises(EmulatorError, match="neither ENTRYPOINT nor CMD"):
        ContainerImage.from_config(tmp_path, {"config": {"Env": []}})


def test_lambdas_variables_win_and_the_shim_comes_after_the_images_path(tmp_path: Path) -> None:
    image = ContainerImage.from_config(tmp_path, CONFIG)
    env = container_environment(image, {"AWS_REGION": "us-east-1", "AWS_LAMBDA_RUNTIME_API": "x"},
                                {"USER_VAR": "1", "LAMBDASERVE_NAME": "override"})
    assert env["AWS_REGION"] == "us-east-1"  # reserved: the image cannot set it
    assert env["LAMBDASERVE_NAME"] == "override" and env["USER_VAR"] == "1"
    assert env["PYTHONPATH"] == f"/var/task:{SHIM_MOUNT}" and env["PATH"] == "/usr/bin:/bin"
    # for parity: _HANDLER is the image's CMD, and LAMBDA_TASK_ROOT is /var/task
    assert env["_HANDLER"] == "app.handler" and env["LAMBDA_TASK_ROOT"] == "/var/task"
    assert "HOME" not in env  # nothing leaks from the host


def test_the_boot_argv_ends_with_the_images_own_command(tmp_path: Path) -> None:
    image = ContainerImage.from_config(tmp_path, CONFIG)
    argv = container_argv(image, Path("/boot.py"), 512, Path("/shim"), boot_python="/py")
    assert argv[:3] == ["/py", "-I", "/boot.py"]
    assert argv[argv.index("--") + 1:] == image.command
    assert f"/shim={SHIM_MOUNT}" in argv and argv[argv.index("--root") + 1] == str(tmp_path)
