"""`--builder docker`: build the exported Dockerfile with docker, podman or buildah, then push.

For users who need system packages (a `RUN dnf install` they add to the Dockerfile). docker
needs its daemon; podman and buildah run without one (buildah in a container may need
BUILDAH_ISOLATION=chroot and STORAGE_DRIVER=vfs, which it reads from the environment).
Credentials go in a private, temporary auth file per push: no `docker login`, nothing left
in ~/.docker, no 12-hour login to expire, and never root's file under sudo.
"""

from __future__ import annotations

import base64
import json
import re
import shutil
import tempfile
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from lambdaserve.config import Config
from lambdaserve.errors import BuildError
from lambdaserve.package.deps import layer as deps
from lambdaserve.package.image.build import DependencyInstaller
from lambdaserve.package.image.dockerfile_export import DockerfileExport, export_dockerfile
from lambdaserve.package.process import Runner, run_command, tail
from lambdaserve.package.registry.auth import Credentials
from lambdaserve.package.registry.oci import PLATFORM_ARCH, ImageRef, parse_ref

ToolName = Literal["docker", "podman", "buildah"]
TOOLS: tuple[ToolName, ...] = ("docker", "podman", "buildah")
_DIGEST_RE = re.compile(r"(sha256:[0-9a-f]{64})")


@dataclass(frozen=True)
class ContainerTool:
    name: ToolName
    path: str
    global_args: tuple[str, ...] = ()  # e.g. buildah's --root/--storage-driver
    env: Mapping[str, str] = field(default_factory=dict)


def detect_builder(*, which: Callable[[str], str | None] = shutil.which, runner: Runner = run_command,
                   prefer: ToolName | None = None) -> ContainerTool:
    """The first usable tool (``prefer`` first): docker only when its daemon answers."""
    skipped = []
    for name in ([prefer] if prefer else []) + [t for t in TOOLS if t != prefer]:
        path = which(name)
        if path is None:
            continue
        if name == "docker":
            done = runner([path, "info", "--format", "{{.ServerVersion}}"], timeout=30)
            if done.returncode != 0:
                skipped.append("docker (installed, but its daemon does not answer)")
                continue
        return ContainerTool(name, path)
    found = "; ".join(skipped) or "none of docker, podman, buildah is installed"
    raise BuildError(f"--builder docker needs docker, podman or buildah: {found}",
                     hint="Use the default builder, which needs no docker at all, or install podman or "
                          "buildah (both daemonless) or start the docker daemon.")


def _run(tool: ContainerTool, args: Sequence[str], runner: Runner, what: str) -> str:
    done = runner([tool.path, *tool.global_args, *args], env=dict(tool.env) or None, timeout=3600)
    if done.returncode != 0:
        raise BuildError(f"{tool.name} could not {what}: {tail(done.stderr or done.stdout)}",
                         hint=f"Run the command yourself to see all its output: {tool.name} {' '.join(args)}")
    return done.stdout + done.stderr


def build_with_tool(tool: ContainerTool, context: Path, tag: str, architecture: str, *,
                    insecure_base: bool = False, extra_args: Sequence[str] = (),
                    runner: Runner = run_command) -> None:
    """Build ``context``/Dockerfile as ``tag`` for linux/<architecture>.

    ``insecure_base``: the base is on a plain-HTTP registry on this machine (docker allows
    localhost by itself; podman and buildah need --tls-verify=false).
    """
    verb = "bud" if tool.name == "buildah" else "build"
    args = [verb, "--platform", f"linux/{PLATFORM_ARCH[architecture]}"]
    if insecure_base and tool.name != "docker":
        args.append("--tls-verify=false")
    _run(tool, [*args, *extra_args, "-t", tag, str(context)], runner, "build the image")


@dataclass(frozen=True)
class ToolBuild:
    tool: ContainerTool
    tag: str  # the local image name
    export: DockerfileExport


def build_from_dockerfile(config: Config, *, tool: ContainerTool | None = None, out_dir: Path | None = None,
                          extra_args: Sequence[str] = (),
                          install_dependencies: DependencyInstaller = deps.install_dependencies,
                          runner: Runner = run_command) -> ToolBuild:
    """`build --builder docker`: export the Dockerfile, then build it with the tool found."""
    tool = tool or detect_builder(runner=runner)
    context = out_dir or config.state_dir / "export" / "docker"
    exported = export_dockerfile(config, context, install_dependencies=install_dependencies, runner=runner)
    tag = f"localhost/lambdaserve-{config.name.lower()}:latest"
    build_with_tool(tool, context, tag, config.function.architecture,
                    insecure_base=parse_ref(config.base_image).insecure, extra_args=extra_args, runner=runner)
    return ToolBuild(tool, tag, exported)


def push_with_tool(tool: ContainerTool, tag: str, target: ImageRef, credentials: Credentials | None, *,
                   runner: Runner = run_command) -> str:
    """Push ``tag`` to ``target`` with fresh credentials in a private auth file; the digest pushed."""
    with tempfile.TemporaryDirectory(prefix="lambdaserve-auth-") as tmp:
        folder = Path(tmp)
        auths = {}
        if credentials is not None:
            token = base64.b64encode(f"{credentials.username}:{credentials.password}".encode()).decode()
            auths[target.registry] = {"auth": token}
        auth_file = folder / "config.json"
        auth_file.touch(mode=0o600)
        auth_file.write_text(json.dumps({"auths": auths}))
        if tool.name == "docker":
            _run(tool, ["tag", tag, str(target)], runner, "tag the image")
            output = _run(tool, ["--config", str(folder), "push", str(target)], runner, "push the image")
            match = _DIGEST_RE.search(output.rsplit("digest:", 1)[-1]) if "digest:" in output else None
        else:
            digest_file = folder / "digest"
            args = ["push", "--authfile", str(auth_file), "--digestfile", str(digest_file)]
            if target.insecure:
                args.append("--tls-verify=false")
            _run(tool, [*args, tag, f"docker://{target}"], runner, "push the image")
            match = _DIGEST_RE.search(digest_file.read_text()) if digest_file.is_file() else None
    if match is None:
        raise BuildError(f"{tool.name} pushed {target} but did not say which digest",
                         hint="Check the push in the registry; deploy by digest, not by tag.")
    return match.group(1)
