"""`lambdaserve export dockerfile`: write the Dockerfile and its build context.

The context holds what the daemonless build puts in its model and code layers (the same
files: model/ and code/ with .pyc), and the Dockerfile installs the same resolved,
pinned packages. The base's config decides, as in build_image, whether awslambdaric runs.
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from pathlib import Path

from lambdaserve.config import IMAGE_MODEL_DIR, Config, artifact_env
from lambdaserve.package.deps import layer as deps
from lambdaserve.package.deps.interpreters import Interpreter, find_interpreter
from lambdaserve.package.deps.platforms import installed_wheels
from lambdaserve.package.image.base import read_base
from lambdaserve.package.image.build import DependencyInstaller, image_requirements
from lambdaserve.package.image.config import needs_ric
from lambdaserve.package.image.contents import code_entries, model_entries
from lambdaserve.package.image.dockerfile import (
    CODE_CONTEXT,
    MODEL_CONTEXT,
    DockerfileSpec,
    render_dockerfile,
)
from lambdaserve.package.process import Runner, run_command
from lambdaserve.package.registry.auth import CredentialProvider


@dataclass(frozen=True)
class DockerfileExport:
    directory: Path
    dockerfile: Path
    packages: tuple[tuple[str, str], ...]
    runs_ric: bool


def export_dockerfile(config: Config, out_dir: Path, *,
                      install_dependencies: DependencyInstaller = deps.install_dependencies,
                      interpreter: Interpreter | None = None,
                      base_credentials: CredentialProvider | None = None,
                      runner: Runner = run_command) -> DockerfileExport:
    """Write ``out_dir``/Dockerfile, model/ and code/ (replacing what the export wrote before)."""
    base = read_base(config.base_image, config.function.architecture, base_credentials)
    requirements = image_requirements(config, base)
    out_dir.mkdir(parents=True, exist_ok=True)
    site = install_dependencies(config, requirements, out_dir / ".work")
    packages = tuple((w.name, w.version) for w in installed_wheels(site))

    interpreter = interpreter or find_interpreter(config.function.python, runner=runner)
    code_entries(config, out_dir / CODE_CONTEXT, interpreter, runner)  # compiled in place
    model_dir = out_dir / MODEL_CONTEXT
    if model_dir.exists():
        shutil.rmtree(model_dir)
    prefix = IMAGE_MODEL_DIR.strip("/") + "/"
    for entry in model_entries(config):
        if entry.source is not None:
            dest = model_dir / entry.arcname[len(prefix):]
            dest.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(entry.source, dest)
    shutil.rmtree(out_dir / ".work", ignore_errors=True)

    spec = DockerfileSpec(name=config.name, base_image=config.base_image,
                          architecture=config.function.architecture,
                          packages=packages, env=artifact_env(config, "image"),
                          runs_ric=needs_ric(base.config))  # the model is COPY'd there, zip or not
    dockerfile = out_dir / "Dockerfile"
    dockerfile.write_text(render_dockerfile(spec), encoding="utf-8")
    (out_dir / ".dockerignore").write_text("Dockerfile\n.dockerignore\n", encoding="utf-8")
    return DockerfileExport(out_dir, dockerfile, packages, spec.runs_ric)
