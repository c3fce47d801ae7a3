"""The container sandbox: a built image's root filesystem as the worker's whole world.

The worker is the image's own ENTRYPOINT + CMD (for our images, ``python3 -m awslambdaric``
with the handler), started by ``boot.py --root``: a private mount namespace where the
unpacked rootfs is ``/``, read-only, with a fresh /tmp of the ephemeral size, /proc, a read-only
/sys and a /dev without shm, then ``chroot``. It shares the host's network, so it reaches its
Runtime API on 127.0.0.1, and stays the emulator's child, in its own process group and memory
cgroup: timeouts, the memory cap, kill and no-orphans work exactly as in the other sandboxes.

Why unshare + chroot rather than runc: runc keeps per-container state (/run/runc) that a
SIGKILLed emulator could not `runc delete`, and puts the function in a pid namespace and a
cgroup of its own, so the memory cap, the process-group kill and PR_SET_PDEATHSIG would each
need a second implementation. No pid or network namespace here: the function can see the
host's processes in /proc, which Lambda's would not; nothing else of the host is visible.

The image's files are not changed; empty folders are added as mount points: /proc, /dev, /sys
or /tmp where it has none, and ``/.lambdaserve/shim`` for the emulator's sitecustomize (no
/dev/shm semaphores; die with the emulator), added to PYTHONPATH after the image's own entries.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from lambdaserve.errors import EmulatorError

SHIM_MOUNT = "/.lambdaserve/shim"
DEFAULT_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"


@dataclass(frozen=True)
class ContainerImage:
    """What the container sandbox runs: an unpacked root filesystem and the image's config."""

    rootfs: Path
    entrypoint: tuple[str, ...]
    cmd: tuple[str, ...]
    environment: Mapping[str, str] = field(default_factory=dict)  # the image's ENV
    workdir: str = "/"

    @property
    def command(self) -> list[str]:
        return [*self.entrypoint, *self.cmd]

    @classmethod
    def from_config(cls, rootfs: Path, image_config: Mapping[str, Any], *,
                    cmd: Sequence[str] | None = None) -> ContainerImage:
        """From an OCI/Docker image config (its ``config`` section); ``cmd`` overrides CMD as
        Lambda's ImageConfig.Command does."""
        inner = image_config.get("config") or {}
        env = {}
        for item in inner.get("Env") or []:
            key, _, value = str(item).partition("=")
            env[key] = value
        image = cls(rootfs=rootfs, entrypoint=tuple(inner.get("Entrypoint") or ()),
                    cmd=tuple(cmd if cmd is not None else inner.get("Cmd") or ()),
                    environment=env, workdir=str(inner.get("WorkingDir") or "/"))
        if not image.command:
            raise EmulatorError("the image has neither ENTRYPOINT nor CMD",
                                hint="Build it with `lambdaserve build --package image`.")
        return image


def require_container_support() -> None:
    """The container sandbox mounts the image's filesystem: Linux and root only."""
    if not sys.platform.startswith("linux") or os.geteuid() != 0:
        raise EmulatorError(
            "the container sandbox needs Linux and root (it mounts the image's filesystem)",
            hint="Run as root (e.g. in a VM or a privileged container), or serve the zip.",
        )


def check_image(image: ContainerImage) -> None:
    """Refuse what cannot run, before any worker starts; make the mount points the image lacks
    (images often ship no /dev or /proc: runtimes such as runc make them too)."""
    require_container_support()
    if not (image.rootfs / "usr").is_dir() and not (image.rootfs / "bin").exists():
        raise EmulatorError(f"{image.rootfs} is not an unpacked image's root filesystem",
                            hint="Unpack the image again (serve --sandbox container does it).")
    for name in ("proc", "dev", "sys", SHIM_MOUNT.lstrip("/")):
        (image.rootfs / name).mkdir(parents=True, exist_ok=True)
    if not (image.rootfs / "tmp").is_dir():
        (image.rootfs / "tmp").mkdir()
        (image.rootfs / "tmp").chmod(0o1777)


def container_environment(image: ContainerImage, lambda_variables: Mapping[str, str],
                          user_env: Mapping[str, str]) -> dict[str, str]:
    """The image's ENV, the function's variables, then Lambda's (which win), as on Lambda.

    Nothing comes from the host: PATH is the image's."""
    env = {"PATH": DEFAULT_PATH, **image.environment, **user_env, **lambda_variables}
    env.setdefault("LAMBDA_TASK_ROOT", "/var/task")
    env.setdefault("PYTHONUNBUFFERED", "1")  # log lines reach the emulator as they are printed
    if image.cmd:
        env["_HANDLER"] = image.cmd[0]  # Lambda's _HANDLER is the image's CMD
    pythonpath = [p for p in env.get("PYTHONPATH", "").split(":") if p]
    env["PYTHONPATH"] = ":".join([*pythonpath, SHIM_MOUNT])
    return env


def container_argv(image: ContainerImage, boot_script: Path, ephemeral_mb: int, shim_dir: Path,
                   boot_python: str = sys.executable, tmp_image: Path | None = None) -> list[str]:
    """The host's Python runs the boot script in isolated mode (-I: none of the image's
    PYTHON* variables apply to it), which then execs the image's command inside the root;
    ``tmp_image``: /tmp's own disk (tmp_disk.py), else a tmpfs."""
    disk = ["--tmp-image", str(tmp_image)] if tmp_image is not None else []
    return [boot_python, "-I", str(boot_script), "--tmp-mb", str(ephemeral_mb), *disk,
            "--root", str(image.rootfs), "--bind", f"{shim_dir}={SHIM_MOUNT}",
            "--cwd", image.workdir, "--", *image.command]
