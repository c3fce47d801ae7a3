"""The function's Lambda runtime against the dated deprecation table (config/runtimes.py)."""

from __future__ import annotations

from datetime import UTC, datetime

from lambdaserve.config.runtimes import OVERRIDE_VARIABLE, deprecation_dates
from lambdaserve.doctor.context import DoctorContext
from lambdaserve.doctor.finding import Check, Finding, ok, skipped, warning
from lambdaserve.errors import ConfigError

WARN_DAYS = 180  # Lambda blocks creating functions on a runtime some months after its deprecation


def run(ctx: DoctorContext) -> list[Finding]:
    if ctx.config is None:
        return [skipped("no project")]
    if ctx.config.function.package == "image":
        return [skipped("an image brings its own Python: Lambda's runtime dates do not apply")]
    runtime = ctx.config.runtime_id
    try:
        table = deprecation_dates(ctx.environ)
    except ConfigError as exc:
        return [warning(exc.message, exc.hint)]
    when = table.get(runtime)
    if when is None:
        return [ok(f"{runtime}: no confirmed deprecation date in lambdaserve's table (set "
                   f"{OVERRIDE_VARIABLE} to add one from AWS's Lambda runtimes page)")]
    today = datetime.fromtimestamp(ctx.now, UTC).date()
    days = (when - today).days
    newer = sorted((r for r, d in table.items() if d is None or d > when), key=lambda r: r.split(".")[-1])
    hint = (f'Set function.python = "{newer[-1].removeprefix("python")}" and rebuild; ' if newer else "") \
        + "Lambda stops patching a deprecated runtime and later blocks creating and updating its functions."
    where = {"file": str(ctx.config.source)}
    if days < 0:
        return [warning(f"{runtime} was deprecated on {when.isoformat()} ({-days} days ago)", hint, **where)]
    if days <= WARN_DAYS:
        return [warning(f"{runtime} is deprecated on {when.isoformat()}, in {days} days", hint, **where)]
    return [ok(f"{runtime} is supported until {when.isoformat()}")]


CHECK = Check("runtime-deprecation", "package", "The function's runtime against Lambda's deprecation dates",
              run)
