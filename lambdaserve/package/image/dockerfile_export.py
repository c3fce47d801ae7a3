"""`lambdaserve export dockerfile`: write the Dockerfile and its build context.

The context holds what the daemonless build puts in its model and code layers (the same
files: model/ and code/ with .pyc), and the Dockerfile installs the same resolved,
pinned packages. The base's config decides, as in build_image, whether awslambdaric runs.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from lambdaserve.config import IMAGE_MODEL_DIR, Config, artifact_env
from lambdaserve.config.requirements import requirement_name
from lambdaserve.errors import BuildError
from lambdaserve.package.deps import layer as deps
from lambdaserve.package.deps.interpreters import Interpreter, find_interpreter
from lambdaserve.package.deps.platforms import installed_wheels
from lambdaserve.package.deps.system_libs import supplied_files
from lambdaserve.package.image.base import BaseImage, known_to_have_bootstrap, read_base
from lambdaserve.package.image.build import DependencyInstaller, ric_requirement
from lambdaserve.package.image.config import needs_ric
from lambdaserve.package.image.contents import code_entries, model_entries
from lambdaserve.package.image.dockerfile import (
    CODE_CONTEXT,
    LIB_CONTEXT,
    MODEL_CONTEXT,
    DockerfileSpec,
    render_dockerfile,
)
from lambdaserve.package.process import Runner, run_command
from lambdaserve.package.registry.auth import CredentialProvider
from lambdaserve.package.registry.client import RegistryUnreachable
from lambdaserve.runtime.system_libraries import KNOWN_MISSING

# Writing a text file must not hang on the network: the base is only asked briefly.
BASE_PROBE_TIMEOUT = 5.0
BaseReader = Callable[[str, str, CredentialProvider | None, float], BaseImage]


@dataclass(frozen=True)
class DockerfileExport:
    directory: Path
    dockerfile: Path
    packages: tuple[tuple[str, str], ...]
    runs_ric: bool
    notes: tuple[str, ...] = ()  # what could not be checked or pinned (offline), also in the Dockerfile
    unresolved: tuple[str, ...] = ()


def _runs_ric(config: Config, read: BaseReader, credentials: CredentialProvider | None,
              notes: list[str]) -> bool:
    """Whether the base lacks Lambda's bootstrap: from its config, or (unreachable) from its name."""
    try:
        return needs_ric(read(config.base_image, config.function.architecture, credentials,
                              BASE_PROBE_TIMEOUT).config)
    except RegistryUnreachable as exc:
        known = known_to_have_bootstrap(config.base_image)
        notes.append(f"the base {config.base_image} was not inspected (unreachable: {exc.message}); "
                     + ("it is an AWS Lambda base, which has the Lambda bootstrap" if known else
                        "assumed to have no Lambda bootstrap, so awslambdaric runs the handler"))
        return known is not True


def export_dockerfile(config: Config, out_dir: Path, *,
                      install_dependencies: DependencyInstaller = deps.install_dependencies,
                      interpreter: Interpreter | None = None,
                      base_credentials: CredentialProvider | None = None,
                      runner: Runner = run_command, read: BaseReader = read_base) -> DockerfileExport:
    """Write ``out_dir``/Dockerfile, model/ and code/ (replacing what the export wrote before).

    It works offline: an unreachable base is judged by its name, and requirements pip cannot
    resolve here are written as listed; both are said in ``notes`` and in the Dockerfile.
    """
    notes: list[str] = []
    runs_ric = _runs_ric(config, read, base_credentials, notes)
    requirements = list(config.function.requirements)
    if runs_ric and not any(requirement_name(r) == "awslambdaric" for r in requirements):
        requirements.append(ric_requirement())
    out_dir.mkdir(parents=True, exist_ok=True)
    packages: tuple[tuple[str, str], ...] = ()
    unresolved: tuple[str, ...] = ()
    lib_dir = out_dir / LIB_CONTEXT
    if lib_dir.exists():
        shutil.rmtree(lib_dir)
    libraries: list[str] = []
    try:
        site = install_dependencies(config, requirements, out_dir / ".work")
        packages = tuple((w.name, w.version) for w in installed_wheels(site))
        for source in supplied_files(site):  # what the zip and the daemonless image ship in lib/
            lib_dir.mkdir(exist_ok=True)
            shutil.copyfile(source, lib_dir / source.name)
            libraries.append(source.name)
    except BuildError as exc:
        unresolved = tuple(requirements)
        notes.append("dependencies not resolved here (" + exc.message.splitlines()[0][:200] + "): "
                     "the Dockerfile installs function.requirements as written and pip resolves their "
                     "dependencies during docker build, so those are not pinned, and shared libraries "
                     f"they need that Lambda's OS lacks ({', '.join(sorted(KNOWN_MISSING))}) were not "
                     "checked for nor copied in")

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
                          runs_ric=runs_ric,  # the model is COPY'd there, zip or not
                          unresolved=unresolved, notes=tuple(notes), libraries=tuple(libraries))
    dockerfile = out_dir / "Dockerfile"
    dockerfile.write_text(render_dockerfile(spec), encoding="utf-8")
    (out_dir / ".dockerignore").write_text("Dockerfile\n.dockerignore\n", encoding="utf-8")
    return DockerfileExport(out_dir, dockerfile, packages, spec.runs_ric, tuple(notes), unresolved)
