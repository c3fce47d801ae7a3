"""Package size against Lambda's limits: 50 MB zipped upload, 250 MB unzipped, 10 GB image."""

from __future__ import annotations

from lambdaserve.config.requirements import requirement_name
from lambdaserve.doctor.context import DoctorContext
from lambdaserve.doctor.finding import Check, Finding, error, ok, skipped, warning
from lambdaserve.runtime.limits import IMAGE_BYTES as IMAGE
from lambdaserve.runtime.limits import MB
from lambdaserve.runtime.limits import UNZIPPED_BYTES as UNZIPPED
from lambdaserve.runtime.limits import ZIP_UPLOAD_BYTES as ZIP_UPLOAD

TOO_BIG_FOR_ZIP = ("torch", "catboost")  # torch's CPU wheel unpacks to ~700 MB, catboost's to ~270 MB


def _names(requirements: tuple[str, ...]) -> set[str]:
    return {requirement_name(r) for r in requirements}


def run(ctx: DoctorContext) -> list[Finding]:
    if ctx.config is None:
        return [skipped("no project")]
    fn = ctx.config.function
    found: list[Finding] = []
    big = sorted(_names(fn.requirements) & set(TOO_BIG_FOR_ZIP))
    if fn.package == "zip" and big:
        found.append(error(f"function.package = 'zip' with {', '.join(big)}: it cannot fit Lambda's 250 MB "
                           "unzipped ('Unzipped size must be smaller than 262144000 bytes')",
                           'Set function.package = "image" (10 GB limit), or export the model to ONNX.',
                           file=str(ctx.config.source)))
    built = ctx.once("package", ctx.probes.package) if ctx.probes.package is not None else None
    if built is None:
        return found or [skipped("nothing built yet: run `lambdaserve build` to check the package size")]
    if built.kind == "zip":
        if built.unzipped > UNZIPPED:
            found.append(error(f"the last build's zip unpacks to {built.unzipped / MB:.1f} MB, over 250 MB",
                               'Set function.package = "image", or drop requirements.'))
        elif built.unzipped > UNZIPPED * 0.9:
            found.append(warning(f"the zip unpacks to {built.unzipped / MB:.1f} MB, within 10 % of 250 MB",
                                 "One more dependency will not fit; consider an image."))
        else:
            note = " (over 50 MB zipped: deployed through S3)" if built.zipped > ZIP_UPLOAD else ""
            found.append(ok(f"the zip is {built.zipped / MB:.1f} MB, {built.unzipped / MB:.1f} MB "
                            f"unzipped{note}"))
    elif built.image > IMAGE:
        found.append(error(f"the last built image is {built.image / MB:.0f} MB, over Lambda's 10 GB",
                           "Drop requirements (CUDA wheels are the usual culprit: use the CPU torch)."))
    else:
        found.append(ok(f"the image is {built.image / MB:.1f} MB of 10 GB"))
    return found


CHECK = Check("package-size", "package", "package size vs 50/250 MB (zip) and 10 GB (image)", run)
