"""Build a Lambda container image with no Docker daemon: base by reference, three layers on top.

Layers, in cache-friendly order (what changes least goes first):
  1. dependencies → /var/task (Lambda's task root is first on sys.path in the AWS
     bases, and `pip install -t ${LAMBDA_TASK_ROOT}` is the classic recipe's place);
  2. the model → /opt/ml/model;
  3. code (lambdaserve's runtime and the user's predictor module) → /var/task.
The base's layers are only referenced: the push mounts or copies them registry to registry.
The result is written under ``.lambdaserve/build/image/`` (blobs, config, manifest,
image.json) so ``push_image`` can run later, in another process.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path
from typing import Any, Protocol

from lambdaserve.config import BUILD_RECORD, Config, artifact_env
from lambdaserve.config.lock_file import lock_use
from lambdaserve.errors import BuildError
from lambdaserve.package.deps import layer as deps
from lambdaserve.package.deps.interpreters import Interpreter, find_interpreter
from lambdaserve.package.deps.lock import provenance, target_name
from lambdaserve.package.deps.platforms import RUNTIME_GLIBC, installed_wheels, torch_build
from lambdaserve.package.image.base import BaseImage, read_base
from lambdaserve.package.image.base_glibc import base_glibc
from lambdaserve.package.image.config import image_config, manifest, needs_ric, wants_oci
from lambdaserve.package.image.contents import code_entries, model_entries
from lambdaserve.package.image.layers import Layer, cached_layer, tree_entries
from lambdaserve.package.process import Runner, run_command
from lambdaserve.package.registry.auth import CredentialProvider
from lambdaserve.package.registry.oci import Descriptor, ImageRef, canonical_json, parse_ref, sha256_digest
from lambdaserve.runtime.atomic import replace_text


class DependencyInstaller(Protocol):
    """(config, requirements, scratch folder, the base's glibc) → a folder of packages installed
    for the target runtime."""

    def __call__(self, config: Config, requirements: Sequence[str], scratch: Path, /, *,
                 glibc: tuple[int, int] | None = None) -> Path: ...


Log = Callable[[str], None]
FAILED = "image.json.failed"  # image.json of an image that failed its proof: never pushed as good


@dataclass(frozen=True)
class ImageBuild:
    out_dir: Path
    base_ref: ImageRef
    base_manifest_digest: str
    base_layers: tuple[Descriptor, ...]
    layers: tuple[Layer, ...]  # ours: dependencies, model, code
    config_digest: str
    manifest_digest: str
    media_type: str
    seconds: float = 0.0
    warnings: tuple[str, ...] = ()
    # Each installed package's version and where it came from, and the lock's use (deps.lock)
    pins: dict[str, dict[str, str]] = field(default_factory=dict)
    lock: dict[str, object] = field(default_factory=dict)

    @property
    def blobs_dir(self) -> Path:
        return self.out_dir / "blobs" / "sha256"

    def blob(self, digest: str) -> Path:
        return self.blobs_dir / digest.split(":", 1)[1]

    @property
    def manifest_bytes(self) -> bytes:
        return (self.out_dir / "manifest.json").read_bytes()

    @property
    def size(self) -> int:
        """Everything the image holds, base included (Lambda's 10 GB limit counts it all)."""
        return sum(d.size for d in self.base_layers) + sum(layer.size for layer in self.layers)

    def record(self) -> dict[str, Any]:
        return {"base": str(self.base_ref), "base_manifest_digest": self.base_manifest_digest,
                "base_layers": [d.to_json() for d in self.base_layers],
                "layers": [{"name": lay.name, "digest": lay.digest, "diff_id": lay.diff_id,
                            "size": lay.size} for lay in self.layers],
                "config_digest": self.config_digest, "manifest_digest": self.manifest_digest,
                "media_type": self.media_type, "pins": self.pins, "lock": self.lock}


def load_build(out_dir: Path) -> ImageBuild:
    """The image a previous ``build_image`` left in ``out_dir``."""
    record_file = out_dir / "image.json"
    if not record_file.is_file():
        why = " (the last build failed its proof)" if (out_dir / FAILED).is_file() else ""
        raise BuildError(f"no image build in {out_dir}{why}",
                         hint="Run `lambdaserve build --package image` first.")
    raw = json.loads(record_file.read_text())
    blobs = out_dir / "blobs" / "sha256"
    layers = tuple(Layer(x["digest"], x["diff_id"], x["size"], blobs / x["digest"].split(":", 1)[1],
                         x["name"]) for x in raw["layers"])
    return ImageBuild(out_dir, parse_ref(raw["base"]), raw["base_manifest_digest"],
                      tuple(Descriptor.from_json(d) for d in raw["base_layers"]), layers,
                      raw["config_digest"], raw["manifest_digest"], raw["media_type"])


def ric_requirement() -> str:
    """awslambdaric pinned to the version lambdaserve itself is tested with."""
    return f"awslambdaric=={metadata.version('awslambdaric')}"


def image_requirements(config: Config, base: BaseImage) -> list[str]:
    reqs = list(config.function.requirements)
    if needs_ric(base.config) and not any(r.lower().startswith("awslambdaric") for r in reqs):
        reqs.append(ric_requirement())
    return reqs


def build_image(config: Config, *, install_dependencies: DependencyInstaller = deps.install_dependencies,
                interpreter: Interpreter | None = None, out_dir: Path | None = None,
                base_credentials: CredentialProvider | None = None, log: Log = lambda _msg: None,
                runner: Runner = run_command, clock: Callable[[], float] = time.monotonic) -> ImageBuild:
    """Build the image for ``config``; its layers are cached by their inputs in ``out_dir``.

    ``interpreter`` (found by version if None) compiles the code layer's .pyc; it must be
    the base image's Python version, which is function.python.
    """
    started = clock()
    warnings = deps.check_requirements(config.function.requirements, config.model.framework)
    interpreter = interpreter or find_interpreter(config.function.python, runner=runner)
    out = out_dir or config.build_dir / "image"
    blobs = out / "blobs" / "sha256"
    blobs.mkdir(parents=True, exist_ok=True)
    (out / BUILD_RECORD).unlink(missing_ok=True)  # until this image is proved, none is the last good one
    cache = out / "layer-cache.json"
    log(f"base {config.base_image}: reading its manifest and config")
    base = read_base(config.base_image, config.function.architecture, base_credentials)
    glibc, source = base_glibc(config.base_image, config.function.python, base,
                               cache_dir=deps.shared_cache(), credentials=base_credentials)
    reqs = image_requirements(config, base)
    wheels = f"manylinux wheels up to glibc {glibc[0]}.{glibc[1]} ({source})" if glibc else \
        f"Lambda's python{config.function.python} wheels ({source})"
    log(f"dependencies: {len(reqs)} requirement(s) for python{config.function.python} "
        f"{config.function.architecture}, {wheels}")
    deps_dir = install_dependencies(config, reqs, out / "work",  # with the lock's pins (deps.layer)
                                    glibc=None if glibc == RUNTIME_GLIBC[config.function.python] else glibc)
    torch = torch_build(installed_wheels(deps_dir))
    if torch is not None:
        log(torch.line)
        warnings += torch.warnings
    locked = lock_use(config)
    pins, pin_warnings = provenance(reqs, locked, [(w.name, w.version) for w in installed_wheels(deps_dir)],
                                    target_name(config.function.python, config.function.architecture))
    warnings += pin_warnings
    code_files = code_entries(config, out / "work" / "code", interpreter, runner)
    layers = (cached_layer(tree_entries(deps_dir, "var/task"), blobs, cache, "dependencies"),
              cached_layer(model_entries(config), blobs, cache, "model"),
              cached_layer(code_files, blobs, cache, "code"))

    env = artifact_env(config, "image")  # even when function.package says zip
    cfg_bytes = canonical_json(image_config(base.config, layers, env,
                                            config.function.architecture))
    cfg_digest = sha256_digest(cfg_bytes)
    (blobs / cfg_digest.split(":", 1)[1]).write_bytes(cfg_bytes)
    oci = wants_oci(base.layers)
    man = manifest(base.layers, layers, cfg_digest, len(cfg_bytes), oci)
    man_bytes = canonical_json(man)
    (out / "manifest.json").write_bytes(man_bytes)
    (out / "config.json").write_bytes(cfg_bytes)
    build = ImageBuild(out, base.ref, base.manifest_digest, base.layers, layers, cfg_digest,
                       sha256_digest(man_bytes), str(man["mediaType"]), clock() - started, tuple(warnings),
                       pins, locked.record())
    (out / "image.json").write_text(json.dumps(build.record(), indent=1, sort_keys=True))
    (out / FAILED).unlink(missing_ok=True)
    _prune(blobs, {cfg_digest} | {layer.digest for layer in layers})
    return build


def record_image_build(build: ImageBuild, **extra: object) -> Path:
    """Write build.json in the build folder: the image, plus ``extra`` (the CLI's proof and golden)."""
    path = build.out_dir / BUILD_RECORD
    replace_text(path, json.dumps({"image": build.record(), **extra}, indent=1))
    return path


def set_aside_image(build: ImageBuild) -> Path:
    """An image that failed its proof: image.json moves to image.json.failed (push and serve
    refuse the folder), and no build.json."""
    failed = build.out_dir / FAILED
    (build.out_dir / "image.json").replace(failed)
    (build.out_dir / BUILD_RECORD).unlink(missing_ok=True)
    return failed


def _prune(blobs: Path, keep: set[str]) -> None:
    """Drop blobs of earlier builds (e.g. old models), so the build folder does not grow forever."""
    wanted = {digest.split(":", 1)[1] for digest in keep}
    for path in blobs.iterdir():
        if path.is_file() and path.name not in wanted:
            path.unlink()
