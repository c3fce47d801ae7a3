"""`serve --artifact`: the local Lambda runs what was built, not the project folder.

A zip is extracted (once per sha256) under .lambdaserve/local/artifact and run by a Python of
the version it was built for, with awslambdaric for that version in the part of /var/runtime.
In the namespace sandbox the extracted folder is bound read-only at /var/task and awslambdaric's
at /var/runtime, so the worker's variables are the deployed ones byte for byte
(LAMBDASERVE_MODEL_DIR=/var/task/model). In the process sandbox nothing can sit at /var/task,
so LAMBDASERVE_MODEL_DIR and LAMBDA_TASK_ROOT point at the extracted folder instead.

An image (a build folder with image.json, by default .lambdaserve/build/image, or an OCI
layout, DIR[:TAG]) is exported to an OCI layout, unpacked by umoci (once per manifest digest)
and run by the container sandbox: its own ENTRYPOINT + CMD and ENV, inside its root filesystem.
"""

from __future__ import annotations

import json
import os
import shutil
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from lambdaserve.cli import wiring
from lambdaserve.config import Config, artifact_env, with_local_model
from lambdaserve.config.env import ZIP_TASK_ROOT
from lambdaserve.emulator.execution import FunctionSpec
from lambdaserve.emulator.sandbox import ContainerImage, require_container_support
from lambdaserve.errors import BuildError
from lambdaserve.package.deps import shared_cache
from lambdaserve.package.image import export_layout, load_build, unpack_rootfs
from lambdaserve.package.zip import prepare_artifact
from lambdaserve.runtime import settings

if TYPE_CHECKING:
    from lambdaserve.emulator import Sandbox

RUNTIME_DIR = "/var/runtime"  # where Lambda's managed Python runtime keeps awslambdaric


def built_zip(config: Config) -> Path:
    """The zip `lambdaserve build` made for this project (``--built``); BuildError if none."""
    path = config.build_dir / f"{config.name}.zip"
    if not path.is_file():
        failed = path.with_name(path.name + ".failed")
        why = (f"the last build failed its proof ({failed.name} was set aside)" if failed.is_file()
               else "nothing is built yet")
        raise BuildError(f"no built zip at {path}: {why}",
                         hint="Run `lambdaserve build` (it proves the package), then try again.")
    return path


def changed_since(config: Config, zip_path: Path) -> str | None:
    """A file the zip is made of (lambdaserve.toml, the lock, the predictor's code, the model)
    modified after the zip was written, by its path in the project; None when there is none."""
    from lambdaserve.config import lock_path
    from lambdaserve.config.sources import user_code_files
    from lambdaserve.package import model_files

    if zip_path.resolve() != (config.build_dir / f"{config.name}.zip").resolve():
        return None  # another zip (--artifact): not made from this project's files that we know of
    built = zip_path.stat().st_mtime
    inputs = [config.source, lock_path(config.source)]
    inputs += [item.path for item in user_code_files(config) + model_files(config)]
    for path in inputs:
        try:
            if path.stat().st_mtime > built:
                return path.relative_to(config.project_dir).as_posix() if path.is_relative_to(
                    config.project_dir) else str(path)
        except OSError:
            continue  # no lock, or a file gone: build says what is missing
    return None


def stale_warning(config: Config, zip_path: Path) -> str | None:
    """The warning for running a zip older than the project's files: it answers as built."""
    changed = changed_since(config, zip_path)
    if changed is None:
        return None
    return (f"warning: {changed} was modified after {zip_path.name} was built: the zip runs what was "
            "built, not the project as it is now (`lambdaserve build` builds it again)")


def describe(spec: FunctionSpec, zip_path: Path | None) -> str:
    """One plain line: which code runs, with which Python, where."""
    if spec.container is not None:
        return f"Running the built image ({spec.task_root}) in the container sandbox"
    if zip_path is not None:
        return (f"Running the built zip {zip_path} as /var/task (Python {spec.python}) "
                f"in the {spec.sandbox} sandbox")
    return (f"Running the project folder {spec.task_root} with the dev venv's Python ({spec.python}), "
            "not the built package: `--built` runs the zip that ships")


def zip_spec(config: Config, zip_path: Path, *, sandbox: Sandbox, concurrency: int = 2,
             cache_dir: Path | None = None, extract: bool = True, trees: Sequence[Path] = (),
             sha256: str | None = None) -> FunctionSpec:
    """The spec that runs the built zip; BuildError (with the fix) if no Python of its version.
    ``extract`` False: the same spec without unpacking the zip (and no model staged). ``trees``:
    folders holding the zip's files, linked when identical (prepare_artifact), for the namespace
    sandbox only, whose task root is read-only. ``sha256``: the zip's, if known."""
    state = config.state_dir
    # awslambdaric for the zip's Python is made once per user (like the dependency layers)
    run = prepare_artifact(zip_path, state / "local" / "artifact", cache_dir=cache_dir or shared_cache(),
                           extract_zip=extract, trees=trees, read_only=sandbox == "namespace",
                           sha256=sha256)
    environment = artifact_env(config, "zip")  # a zip's, whatever function.package says
    binds: tuple[tuple[Path, str], ...] = ()
    if sandbox == "namespace":
        binds = ((run.task_root, ZIP_TASK_ROOT),)
        if run.extra_pythonpath:
            binds += ((run.extra_pythonpath[0], RUNTIME_DIR),)
    else:
        environment[settings.ENV_MODEL_DIR] = str(run.model_dir)
    if config.model.s3_uri:  # the zip leaves it out: put model.path where the zip's model would be
        if extract:
            _stage_model(config.model.path, run.model_dir)
        environment = with_local_model(config, environment, environment[settings.ENV_MODEL_DIR])
    return wiring.function_spec(config, concurrency=concurrency, sandbox=sandbox, task_root=run.task_root,
                                environment=environment, python=run.python,
                                extra_pythonpath=run.extra_pythonpath, binds=binds)


def _stage_model(model: Path, folder: Path) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / model.name
    target.unlink(missing_ok=True)
    try:
        os.link(model, target)  # free for a large model on the same file system
    except OSError:
        shutil.copyfile(model, target)


def layout_image_config(layout: Path, tag: str) -> tuple[str, dict[str, Any]]:
    """(manifest digest, image config) of ``tag`` in an OCI layout."""
    def blob(digest: str) -> Any:
        return json.loads((layout / "blobs" / "sha256" / digest.split(":", 1)[1]).read_bytes())

    try:
        index = json.loads((layout / "index.json").read_text())
        found = [m for m in index.get("manifests", [])
                 if m.get("annotations", {}).get("org.opencontainers.image.ref.name") == tag]
        manifest = blob(found[0]["digest"])
        return str(found[0]["digest"]), blob(manifest["config"]["digest"])
    except (OSError, ValueError, KeyError, IndexError) as exc:
        raise BuildError(f"{layout} holds no single-platform image tagged {tag!r} ({exc})",
                         hint="Pass the build folder (.lambdaserve/build/image) or an OCI layout "
                              "as DIR:TAG, e.g. from `skopeo copy docker://... oci:DIR:TAG`.") from exc


def container_spec(config: Config, source: Path | None = None, *, concurrency: int = 2,
                   log: Callable[[str], None] = lambda _m: None) -> FunctionSpec:
    """The spec that runs the built image in the container sandbox."""
    require_container_support()  # before minutes of exporting and unpacking
    state = config.state_dir
    source = source or config.build_dir / "image"
    tag = "latest"
    if ":" in source.name and not source.exists():
        name, _, tag = source.name.partition(":")
        source = source.with_name(name)
    if (source / "image.json").is_file() or not (source / "index.json").is_file():
        build = load_build(source)  # says how to build one when there is none
        layout = export_layout(build, state / "local" / "layout", tag=tag, log=log)
        digest, image_config = build.manifest_digest, json.loads(build.blob(build.config_digest).read_bytes())
    else:
        layout = source
        digest, image_config = layout_image_config(layout, tag)
    bundle = state / "local" / "bundle"
    marker = bundle.with_name("bundle.digest")
    if not (marker.is_file() and marker.read_text() == digest and (bundle / "rootfs").is_dir()):
        log(f"unpacking {digest[:19]} with umoci")
        marker.unlink(missing_ok=True)
        unpack_rootfs(layout, bundle, tag=tag)
        marker.write_text(digest)
    image = ContainerImage.from_config(bundle / "rootfs", image_config)
    return wiring.function_spec(config, concurrency=concurrency, sandbox="container",
                                task_root=image.rootfs, environment={}, container=image)
