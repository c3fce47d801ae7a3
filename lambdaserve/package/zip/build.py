"""`lambdaserve build --package zip`: a reproducible Lambda zip of dependencies, runtime, code and model.

Layout of the zip (it becomes /var/task):
  <dependencies>/            installed for the target runtime, trimmed, with .pyc (or, with
                             build.sourceless_dependencies, .pyc only at the legacy place)
  lambdaserve/               the runtime only (see sources.py), with .pyc
  <predictor package>/       for custom predictors, with .pyc
  model/                     the model (lambdaserve.config.ZIP_MODEL_DIR)
The zip's comment records the target Python and architecture for ``serve --artifact``.
"""

from __future__ import annotations

import hashlib
import json
import tempfile
import time
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import lambdaserve
from lambdaserve.config import BUILD_RECORD, Config, artifact_env, with_local_model
from lambdaserve.config.lock_file import lock_use
from lambdaserve.config.requirements import requirement_name
from lambdaserve.errors import BuildError
from lambdaserve.package import sources
from lambdaserve.package.deps.interpreters import Interpreter, find_interpreter, start_runtime_support
from lambdaserve.package.deps.layer import (
    SOURCES,
    DependencyLayer,
    check_requirements,
    dependency_layer,
    shared_cache,
    zip_members,
)
from lambdaserve.package.deps.lock import provenance, target_name
from lambdaserve.package.deps.platforms import MACHINE
from lambdaserve.package.deps.trim_files import TrimReport
from lambdaserve.package.deps.trim_imports import (
    KEEP,
    SOURCELESS,
    PendingCheck,
    Reuse,
    UnimportedTrim,
    Verifier,
    probe_digest,
    reuse_key,
    same_answers,
    trim_unimported,
)
from lambdaserve.package.deps.trim_share import Shared, share_key
from lambdaserve.package.process import Runner, run_command
from lambdaserve.package.zip.code_cache import compiled_code
from lambdaserve.package.zip.writer import Member, part_members, write_zip
from lambdaserve.runtime.atomic import Replacing, replace_text
from lambdaserve.runtime.digest import file_sha256
from lambdaserve.runtime.limits import MB, UNZIPPED_BYTES, ZIP_UPLOAD_BYTES

HANDLER = "lambdaserve.runtime.handler.lambda_handler"
TOP_UNIMPORTED = 10  # removed subpackages listed in the report


@dataclass(frozen=True)
class SizeLimits:
    direct_upload: int = ZIP_UPLOAD_BYTES  # zipped; above it the zip must go through S3
    unzipped: int = UNZIPPED_BYTES  # zipped contents, layers included; above it Lambda refuses


@dataclass
class ZipBuildResult:
    path: Path
    sha256: str
    zipped_bytes: int
    unzipped_bytes: int
    entries: int  # files (directories not counted)
    needs_s3: bool
    python: str
    architecture: str
    interpreter: str
    dependencies_cached: bool
    dependency_key: str
    packages: list[tuple[str, str]]  # installed distributions (name, version)
    largest: list[tuple[str, int]]  # top-level folders by unzipped size
    trimmed: TrimReport
    warnings: list[str] = field(default_factory=list)
    seconds: float = 0.0
    trim_unimported: bool = False  # build.trim_unimported was on
    sourceless_dependencies: bool = False  # build.sourceless_dependencies was on
    dependency_root: str = ""  # the shipped layer's tree in the cache (doctor reads its wheels)
    # Shared libraries Lambda's OS lacks, shipped in lib/, with where each came from (system_libs)
    libraries: list[dict[str, Any]] = field(default_factory=list)
    model_sha256: str = ""  # of the model files (names and contents): deploy names versions by it
    built: str = ""  # UTC, ISO 8601 to the second: when this zip was written
    # Each installed package's version and where it came from (function.requirements, the lock or
    # the resolver, and why); and what the build did with the project's lock (deps.lock)
    pins: dict[str, dict[str, str]] = field(default_factory=dict)
    lock: dict[str, object] = field(default_factory=dict)
    # What a reused proof is keyed on (cli/proof_reuse.py): the compiled runtime and user code
    # the zip's code came from, and the shipped layer's id with the names of its files in the
    # zip ("" when the layer has no id, so nothing is reused).
    code_root: str = ""
    dependency_files: str = ""
    # The trim and bytecode-only layer planned but not yet verified (build_zip(defer_trim_check=True)):
    # the proof's run of this zip must show it asked for nothing they left out. Not recorded.
    trim_check: PendingCheck | None = None

    def to_dict(self) -> dict[str, object]:
        return {"path": str(self.path), "sha256": self.sha256, "zipped_bytes": self.zipped_bytes,
                "unzipped_bytes": self.unzipped_bytes, "entries": self.entries, "needs_s3": self.needs_s3,
                "python": self.python, "architecture": self.architecture, "interpreter": self.interpreter,
                "dependencies_cached": self.dependencies_cached, "dependency_key": self.dependency_key,
                "dependency_root": self.dependency_root, "libraries": self.libraries,
                "packages": self.packages, "largest": self.largest, "trimmed": self.trimmed.to_dict(),
                "trim_unimported": self.trim_unimported,
                "sourceless_dependencies": self.sourceless_dependencies, "warnings": self.warnings,
                "model_sha256": self.model_sha256, "built": self.built, "pins": self.pins,
                "lock": self.lock}


def build_zip(config: Config, *, out_dir: Path | None = None, cache_dir: Path | None = None,
              wheel_cache: Path | None = None, limits: SizeLimits = SizeLimits(),
              interpreter: Interpreter | None = None, pip: Sequence[str] | None = None,
              runner: Runner = run_command, clock: Callable[[], float] = time.monotonic,
              wall_clock: Callable[[], float] = time.time,
              log: Callable[[str], None] = lambda _msg: None,
              trim_verifier: Verifier = same_answers, record: bool = True,
              defer_trim_check: bool = False, borrow_trim: bool = True,
              prepare_runtime: bool = False) -> ZipBuildResult:
    """Build the zip into ``out_dir`` (default <project>/.lambdaserve/build); ``log`` gets progress.

    Dependency layers and wheels live in ``cache_dir`` if given, else in the user's cache that
    every project shares (layer.shared_cache); the project's own parts in <project>/.lambdaserve.

    build.json (what the doctor and deploy read as the last good build) goes first, and is
    written again only with ``record``; the CLI passes False and records the build with
    ``record_build`` once the package has proved it serves.

    ``trim_verifier`` judges the smoke runs of build.trim_unimported's trimmed tree and
    build.sourceless_dependencies' bytecode-only tree against the first run. With
    ``defer_trim_check`` (both options on, the default check) that verifying run is left to the
    caller's run of the zip itself, build's proof: the result's ``trim_check`` says what it must
    not have asked for (and stores the trim for reuse once it passed). Then, with ``borrow_trim``,
    a project with no verified trim of its own plans it from the user's other projects' verified
    runs over the same layer (trim_share.py) instead of tracing; ``trim_check.borrowed`` says so.

    ``prepare_runtime``: the caller runs the zip next (build's proof, in the user's cache's
    awslambdaric for the target): that is made meanwhile, on a thread, if it is not yet.
    """
    started = clock()
    fn = config.function
    state = config.state_dir
    out_dir = out_dir or config.build_dir
    layers = cache_dir or shared_cache()
    cache_dir = cache_dir or state / "cache"
    previous = out_dir / f".{BUILD_RECORD}.previous"  # kept for _first_built, read as good by no one
    if (out_dir / BUILD_RECORD).is_file():  # until this build is done, no build is the last good one
        (out_dir / BUILD_RECORD).replace(previous)
    warnings = check_requirements(fn.requirements, config.model.framework)
    _refuse_known_too_big(fn.requirements)
    interpreter = interpreter or find_interpreter(fn.python, runner=runner)
    if interpreter.minor != fn.python:
        raise BuildError(f"{interpreter.path} is Python {interpreter.version}, "
                         f"the function is python{fn.python}",
                         hint=f"Pass a Python {fn.python} interpreter, or set function.python.")
    if prepare_runtime and MACHINE[fn.architecture] == interpreter.machine:
        start_runtime_support(fn.python, fn.architecture, shared_cache(), interpreter=interpreter)
    options = config.build
    locked = lock_use(config)

    def layer_for(sourceless: bool) -> DependencyLayer:
        return dependency_layer(fn.requirements, python=fn.python, architecture=fn.architecture,
                                cache_dir=layers, wheel_cache=wheel_cache or layers / "wheels",
                                interpreter=interpreter, pip=pip, runner=runner, log=log,
                                sourceless=sourceless, constraints=locked.constraints)

    code_dir = cache_dir / "code"
    # The runtime and the user's code compile (one small target-Python process) while the
    # dependencies install: the smoke runs need both.
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="lambdaserve-code") as pool:
        compiling = pool.submit(_compiled_code, config, code_dir, interpreter, runner, layers / "code")
        layer = layer_for(False)
        code = compiling.result()
    _check_predictor(config, layer.root)
    warnings += layer.warnings
    pins, pin_warnings = provenance(fn.requirements, locked, layer.packages,
                                    target_name(fn.python, fn.architecture))
    warnings += pin_warnings
    # The bytecode-only layer, shipped only if the smoke run over it answers as over the sources:
    # trim_unimported makes it on a thread while the first smoke run traces the imports.
    made: list[DependencyLayer] = []

    def make_slim() -> Path:
        made.append(layer_for(True))
        return made[0].root

    unimported = UnimportedTrim()
    sourceless = options.sourceless_dependencies
    if (options.trim_unimported or sourceless) and MACHINE[fn.architecture] != interpreter.machine:
        why = (f"needs this machine to run the function's {fn.architecture} code "
               f"(it is {interpreter.machine})")
        if options.trim_unimported:
            warnings.append(f"build.trim_unimported: nothing trimmed, the smoke run {why}")
        if sourceless:
            warnings.append(f"{SOURCELESS}: the dependencies ship with their sources, the smoke run "
                            f"that checks them {why}")
    elif options.trim_unimported or sourceless:  # either option is checked by the smoke
        env = with_local_model(config, artifact_env(config, "zip"))  # the smoke run reads model_files
        # A result verified by the default check is reused while nothing its trace read changed.
        reuse, share = None, None
        if layer.id is not None and trim_verifier is same_answers:
            reuse = Reuse(cache_dir / "trim", reuse_key(layer.id, interpreter, env,
                                                        trim=options.trim_unimported, sourceless=sourceless))
            # Plans verified by the user's other projects over this very layer (its id): shared.
            share = Shared(layers / "trims", share_key(
                layer_id=layer.id, interpreter=[str(interpreter.path), interpreter.version], env=env,
                model_files=[f.name for f in sources.model_files(config)], trim=options.trim_unimported,
                sourceless=sourceless, keep=KEEP, probe=probe_digest()))
        unimported = trim_unimported(
            layer_root=layer.root, code_root=code_dir,
            model_files=[(f.name, f.path) for f in sources.model_files(config)],
            share=share, borrow=borrow_trim, project=config.name,
            # its own scratch: two builds sharing a cache must not lay their task roots over each other
            scratch=Path(tempfile.mkdtemp(prefix="trace-", dir=cache_dir)), interpreter=interpreter,
            env=env, runner=runner, verifier=trim_verifier, log=log, trim=options.trim_unimported,
            sourceless_root=make_slim if sourceless else None, reuse=reuse,
            requirements=fn.requirements, defer=defer_trim_check and trim_verifier is same_answers)
        warnings += unimported.warnings
        if unimported.sourceless and not made:  # a reused result: the sourceless layer is cached
            made.append(layer_for(True))
    slim = made[0] if made else None
    shipped = slim if slim is not None and unimported.sourceless else layer
    # A fresh layer's files are deflated for this zip as its parts are written (zip_members): the
    # zip does not wait for the files it leaves out, which the parts go on deflating meanwhile.
    layer_members, deflates = zip_members(shipped)
    deps = [m for m in layer_members if not _trimmed_away(m.name, unimported.removed)]
    trimmed = _with_unimported(shipped.trimmed, unimported)
    model, model_sha256 = _model_members(config, cache_dir / "model")
    members = deps + code + model
    out_dir.mkdir(parents=True, exist_ok=True)
    final = out_dir / f"{config.name}.zip"
    comment = json.dumps({"lambdaserve": lambdaserve.__version__, "python": fn.python,
                          "architecture": fn.architecture, "handler": HANDLER}, sort_keys=True)
    log(f"writing {final.name}: {len(members)} files")
    with Replacing(final) as partial:
        sizes = write_zip(partial, members, comment=comment, deflates=deflates)
        unzipped, largest = _sizes(sizes)
        if unzipped > limits.unzipped:
            raise _too_big(unzipped, largest, limits)
    zipped = final.stat().st_size
    digest = file_sha256(final)
    result = ZipBuildResult(
        path=final, sha256=digest, zipped_bytes=zipped, unzipped_bytes=unzipped, entries=len(sizes),
        needs_s3=zipped > limits.direct_upload, python=fn.python, architecture=fn.architecture,
        interpreter=f"{interpreter.path} ({interpreter.version})",
        dependencies_cached=layer.cached and (slim is None or slim.cached), dependency_key=shipped.key,
        dependency_root=str(shipped.root), libraries=list(shipped.record.get("libraries", [])),
        packages=layer.packages, largest=largest[:10], trimmed=trimmed, warnings=warnings,
        trim_unimported=options.trim_unimported, sourceless_dependencies=options.sourceless_dependencies,
        model_sha256=model_sha256, pins=pins, lock=locked.record(),
        built=_first_built(previous, digest, wall_clock), code_root=str(code_dir),
        dependency_files=_dependency_files(shipped, deps), trim_check=unimported.pending)
    if result.needs_s3:
        result.warnings.append(f"the zip is {human(zipped)}, over Lambda's {human(limits.direct_upload)} "
                               "direct upload: it must be deployed from S3 (deploy uploads it there)")
    result.seconds = clock() - started
    if record:
        record_build(result)
    return result


def _dependency_files(layer: DependencyLayer, deps: Sequence[Member]) -> str:
    """The shipped layer's files in the zip: its id (unique to its tree) and the names kept."""
    if layer.id is None:
        return ""
    names = hashlib.sha256("\n".join(sorted(m.name for m in deps)).encode()).hexdigest()
    return f"{layer.id}:{names}"


def _first_built(record: Path, sha256: str, wall_clock: Callable[[], float]) -> str:
    """When this exact zip was first built: the previous build.json's time if it built the same
    bytes, so rebuilding unchanged code does not make deploy publish a version of the same code."""
    try:
        previous = json.loads(record.read_text(encoding="utf-8"))
        if previous.get("sha256") == sha256 and previous.get("built"):
            return str(previous["built"])
    except (OSError, ValueError, AttributeError):
        pass
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(wall_clock()))



def record_build(result: ZipBuildResult, **extra: object) -> Path:
    """Write build.json next to the zip: the result, plus ``extra`` (the CLI's proof and golden)."""
    path = result.path.with_name(BUILD_RECORD)
    replace_text(path, json.dumps({**result.to_dict(), **extra}, indent=1))
    return path


def set_aside(result: ZipBuildResult) -> Path:
    """Move a zip that failed its proof out of the way (NAME.zip.failed): never deployed as good."""
    failed = result.path.with_name(result.path.name + ".failed")
    result.path.replace(failed)
    result.path.with_name(BUILD_RECORD).unlink(missing_ok=True)
    return failed


def _trimmed_away(name: str, removed: Mapping[str, int]) -> bool:
    """Left out by trim_unimported, whose names are the source layer's: m.pyc stands for m.py."""
    return name in removed or (name.endswith(".pyc") and name[:-1] in removed)


def _with_unimported(layer: TrimReport, unimported: UnimportedTrim) -> TrimReport:
    """The layer's trim report plus what trim_unimported left out of this zip."""
    report = TrimReport(removed=dict(layer.removed), files=dict(layer.files), notes=list(layer.notes))
    if SOURCES in report.removed:  # the sources of trimmed-away modules are counted as unimported
        gone = [size for name, size in unimported.removed.items() if name.endswith(".py")]
        report.removed[SOURCES] -= sum(gone)
        report.files[SOURCES] -= len(gone)
    if unimported.removed:
        report.add("unimported", unimported.total, len(unimported.removed))
        report.subpackages = unimported.subpackages[:TOP_UNIMPORTED]
    return report


# Packages that can never fit in 250 MB, refused before pip downloads gigabytes.
TOO_BIG_FOR_ZIP = {"torch": "its CPU wheel alone unpacks to about 700 MB"}


def _refuse_known_too_big(requirements: Sequence[str]) -> None:
    for req in requirements:
        name = requirement_name(req)
        if name in TOO_BIG_FOR_ZIP:
            raise BuildError(f"{req} does not fit in a Lambda zip: {TOO_BIG_FOR_ZIP[name]}, over the "
                             "250 MB unzipped limit",
                             hint='Set function.package = "image" (10 GB limit), or export the model to ONNX '
                                  "and depend on onnxruntime only (the slim path).")


def _check_predictor(config: Config, deps_root: Path) -> None:
    """A custom predictor's module must ship: in the user's code, the model folder or the deps."""
    top = sources.predictor_module(config)
    model_dir = config.model.model_dir  # the runtime also looks there; it ships under model/
    if top and not sources.user_code_files(config) and not any(
            (root / top).is_dir() or (root / f"{top}.py").is_file() for root in (deps_root, model_dir)):
        raise BuildError(f"model.predictor's module '{top}' is neither in {config.project_dir} "
                         "nor installed by function.requirements",
                         hint=f"Put {top}.py or the package {top}/ next to lambdaserve.toml.")


def _compiled_code(config: Config, staging: Path, interpreter: Interpreter, runner: Runner,
                   cache: Path) -> list[Member]:
    """The runtime and user code, compiled (or linked from the user's cache: code_cache.py) in staging."""
    files = sources.runtime_files() + sources.docs_files(config) + sources.user_code_files(config)
    return [Member(p.relative_to(staging).as_posix(), source=p)
            for p in compiled_code(files, staging, interpreter, runner, cache)]


def _model_members(config: Config, cache: Path) -> tuple[list[Member], str]:
    """The model as a zip part cached by content, so an unchanged model is never recompressed;
    and that content's hash. A model kept in S3 (model.s3_uri) stays out: deploy uploads it."""
    files = sources.model_files(config)
    digest = hashlib.sha256()
    for item in files:
        digest.update(item.name.encode() + b"\0" + bytes.fromhex(file_sha256(item.path)))
    if config.model.s3_uri:
        return [], digest.hexdigest()
    part = cache / f"{digest.hexdigest()[:32]}.zip"
    if not part.is_file():
        cache.mkdir(parents=True, exist_ok=True)
        with Replacing(part) as partial:
            write_zip(partial, [Member(f.name, source=f.path) for f in files])
        for old in cache.glob("*.zip"):  # one model per project: earlier parts are dead weight
            if old != part:
                old.unlink()
    return part_members(part), digest.hexdigest()


def _sizes(files: dict[str, int]) -> tuple[int, list[tuple[str, int]]]:
    """Total unzipped bytes, and bytes per top-level folder (foo.libs counted with foo), largest first."""
    per_top: dict[str, int] = {}
    for name, size in files.items():
        top = name.split("/", 1)[0].removesuffix(".libs")
        per_top[top] = per_top.get(top, 0) + size
    return sum(per_top.values()), sorted(per_top.items(), key=lambda kv: (-kv[1], kv[0]))


def _too_big(unzipped: int, largest: list[tuple[str, int]], limits: SizeLimits) -> BuildError:
    table = "\n".join(f"  {name:<30} {human(size):>10}" for name, size in largest[:10])
    return BuildError(
        f"the zip would unpack to {human(unzipped)}, over Lambda's {human(limits.unzipped)} "
        f"limit. Largest parts:\n{table}",
        hint='Set function.package = "image" (10 GB limit), drop requirements the model does not need, '
             "or convert the model to ONNX with `lambdaserve convert --to onnx` (scikit-learn, LightGBM, "
             "XGBoost, TorchScript: the function then depends on onnxruntime only).")


def human(n: int) -> str:
    """Bytes in Lambda's decimal units: 1.2 MB, 340.0 kB."""
    return f"{n / MB:.1f} MB" if n >= MB / 10 else f"{n / 1000:.1f} kB"

