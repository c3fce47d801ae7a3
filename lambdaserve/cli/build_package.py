"""Build the package and prove it: the one path `lambdaserve build` and `lambdaserve deploy` share.

Both refuse a missing model need before anything installs, build, prove the package in the
local Lambda (``build_proof``) and say the same things: the summary of what was built, the
trim notes, the build's warnings and the proof's notes. Only where the lines go differs
(``Say``): build prints the summary on stdout, deploy through its terminal UI.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace

from lambdaserve.cli import dev_compare
from lambdaserve.cli.build_proof import Proof, TrimNotVerified, prove_and_record, prove_and_record_image
from lambdaserve.cli.dev_compare import DevRun
from lambdaserve.config import Config
from lambdaserve.errors import LambdaServeError
from lambdaserve.package.deps import watch_parts
from lambdaserve.package.image import ImageBuild, build_image
from lambdaserve.package.needs import check_model_needs
from lambdaserve.package.zip import ZipBuildResult, build_zip, human
from lambdaserve.runtime.limits import IMAGE_BYTES, MB, UNZIPPED_BYTES, ZIP_UPLOAD_BYTES


@dataclass(frozen=True)
class Say:
    summary: Callable[[str], None]  # what was built and proved
    warn: Callable[[str], None]  # what the user should know: not errors
    progress: Callable[[str], None]  # the steps as they run


def proved_line(proof: Proof, what: str) -> str:
    """What the proof showed, in one line; says plainly when it showed nothing, or was reused."""
    if proof.reused is not None:
        golden = proof.golden.requests
        return (f"  proof     REUSED, not run: {what} of the build of {proof.reused['zip_sha256'][:12]} "
                f"({proof.reused['built']}) loaded the model and answered {len(golden)} golden "
                f"request{'s' * (len(golden) != 1)} from {proof.source} ({proof.how}); no file that run "
                "read has changed since; its answers are recorded in build.json")
    if not proof.ran:
        return f"  proved    nothing: {what} did not run here (see the warning below)"
    golden = proof.golden.requests
    if not golden:
        return (f"  proved    {what} ({proof.how}) loads the model and answers /health; NO golden "
                "request was answered, so no prediction was checked (see the warning below)")
    return (f"  proved    {what} ({proof.how}) loads the model and answered {len(golden)} golden "
            f"request{'s' * (len(golden) != 1)} from {proof.source}; recorded in build.json")


def zip_built_and_proved(config: Config, say: Say, *, data: str | None = None,
                         start_dev: Callable[[Config], DevRun] = DevRun.start,
                         ) -> tuple[ZipBuildResult, Proof]:
    """Build the zip and prove it; BuildError (the zip set aside) when it cannot serve.
    ``start_dev`` starts the dev venv's run; whatever fails after, it is ended before this returns."""
    # The dev venv's run loads the model on the other core from the start (dev_compare.py): it is
    # the longest step beside the build's own, so it starts before the needs check.
    dev = start_dev(config) if dev_compare.wanted(config) else None
    try:
        for note in check_model_needs(config):  # before anything installs
            say.warn(note)
        # The trim is verified by the proof's run of the zip itself (one run of what ships);
        # build.json is written only once proved.
        result = build_zip(config, log=say.progress, record=False, defer_trim_check=True,
                           prepare_runtime=True)
        try:
            proof = prove_and_record(config, result, data=data, log=say.progress, dev=dev)
        except TrimNotVerified as exc:
            result, proof = _built_again(config, say, result, exc, data, dev)
        except LambdaServeError:  # a proof that fails: the layer is cached for the build after the fix
            watch_parts(say.warn, wait=True)
            raise
    finally:
        if dev is not None:
            dev.stop()
    say.summary(f"Built {result.path} for python{result.python} {result.architecture} "
                f"in {result.seconds:.1f} s")
    say.summary(f"  sha256    {result.sha256}")
    say.summary(f"  zipped    {human(result.zipped_bytes)}"
                + (f"  (over {ZIP_UPLOAD_BYTES // MB} MB: deployed through S3)" if result.needs_s3 else ""))
    say.summary(f"  unzipped  {human(result.unzipped_bytes)} of {UNZIPPED_BYTES // MB} MB, "
                f"{result.entries} files")
    layer = "reused" if result.dependencies_cached else "built"
    say.summary(f"  dependencies {layer} ({len(result.packages)} packages; compiled by {result.interpreter})")
    if result.trimmed.total:
        parts = ", ".join(f"{name} {human(size)}" for name, size in sorted(
            result.trimmed.removed.items(), key=lambda kv: -kv[1]) if size)
        say.summary(f"  trimmed   {human(result.trimmed.total)}: {parts}")
    say.summary("  largest   " + ", ".join(f"{name} {human(size)}" for name, size in result.largest[:5]))
    say.summary(proved_line(proof, "the zip as /var/task"))
    for note in result.trimmed.notes + result.warnings + proof.notes:
        say.warn(note)
    watch_parts(say.warn, wait=True)  # a fresh layer whose caching fails says so; cached before exit
    return result, proof


def _built_again(config: Config, say: Say, first: ZipBuildResult, exc: TrimNotVerified,
                 data: str | None, dev: DevRun | None) -> tuple[ZipBuildResult, Proof]:
    """The zip built again after its proof could not verify its trim, and proved."""
    borrowed = first.trim_check.borrowed if first.trim_check is not None else ()
    if borrowed and not exc.retrim:  # another project's plan: this project traces its own, once
        say.progress(f"{exc.why}: the trim borrowed from {', '.join(borrowed[:3])} does not fit this "
                     "project; building again with a trim planned from its own trace")
        result = build_zip(config, log=say.progress, record=False, defer_trim_check=True, borrow_trim=False)
        try:
            return result, prove_and_record(config, result, data=data, log=say.progress, dev=dev)
        except TrimNotVerified as again:
            return _built_again(config, say, result, again, data, dev)
    if exc.retrim:  # the trim is verified by its own runs, as when nothing else runs the zip
        say.progress(f"{exc.why}: building again with the trim verified by its own smoke runs")
        result = build_zip(config, log=say.progress, record=False)
    else:
        why = (f"build.trim_unimported and build.sourceless_dependencies: {exc.why}; the zip was built again "
               "without them (all files, with sources) and proved")
        if first.trim_check is not None:
            first.trim_check.refuse(why)  # the next build of the same inputs ships it untrimmed directly
        say.progress(f"{exc.why}: building again without the trim and with the sources")
        untrimmed = replace(config, build=replace(config.build, trim_unimported=False,
                                                  sourceless_dependencies=False))
        result = build_zip(untrimmed, log=say.progress, record=False)
        result.warnings.append(why)
    return result, prove_and_record(config, result, data=data, log=say.progress, dev=dev)


def image_built_and_proved(config: Config, say: Say, *,
                           data: str | None = None) -> tuple[ImageBuild, Proof]:
    """Build the image and prove it; BuildError (image.json set aside) when it cannot serve."""
    for note in check_model_needs(config):
        say.warn(note)
    built = build_image(config, log=say.progress)
    proof = prove_and_record_image(config, built, data=data, log=say.progress)
    say.summary(f"Built image {built.manifest_digest} in {built.seconds:.1f} s ({built.out_dir})")
    say.summary(f"  base      {built.base_ref} ({len(built.base_layers)} layers, "
                f"{built.base_manifest_digest})")
    for layer in built.layers:
        say.summary(f"  {layer.name:<13} {human(layer.size)}  {layer.digest}")
    say.summary(f"  total     {human(built.size)} of {IMAGE_BYTES // (1000 * MB)} GB")
    say.summary(proved_line(proof, "the image"))
    for note in [*built.warnings, *proof.notes]:
        say.warn(note)
    watch_parts(say.warn, wait=True)
    return built, proof
