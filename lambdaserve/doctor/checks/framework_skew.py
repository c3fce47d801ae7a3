"""The scikit-learn version a pickled model was saved with against the pinned one.

Read from the pickle's bytes (the `_sklearn_version` state key), never by unpickling.
"""

from __future__ import annotations

import re

from lambdaserve.config.requirements import pinned_version, requirement_name
from lambdaserve.doctor.context import DoctorContext
from lambdaserve.doctor.finding import Check, Finding, error, ok, skipped, warning

_SAVED = re.compile(rb"_sklearn_version.{1,12}?(\d+\.\d+(?:\.\d+)?(?:\.?(?:post|rc|dev)\d+)?)", re.S)


def sklearn_pin(requirement: str) -> str | None:
    """The version of an exact scikit-learn pin ('scikit_learn == 1.9.1' -> '1.9.1'), else None."""
    return pinned_version(requirement) if requirement_name(requirement) == "scikit-learn" else None


def saved_version(data: bytes) -> str | None:
    match = _SAVED.search(data)
    return match.group(1).decode() if match else None


def run(ctx: DoctorContext) -> list[Finding]:
    config = ctx.config
    if config is None or config.model.framework != "sklearn" or not config.model.path.is_file():
        return [skipped("not a scikit-learn model file")]
    data = config.model.path.read_bytes()
    saved = saved_version(data)
    if saved is None:
        return [skipped(f"{config.model.path.name}: the saved scikit-learn version is not readable "
                        "(compressed or skops)")]
    pins = [pin for r in config.function.requirements if (pin := sklearn_pin(r))]
    if not pins:
        return [warning(f"the model was saved by scikit-learn {saved}, which function.requirements "
                        "does not pin",
                        f'Add "scikit-learn=={saved}" to function.requirements.', file=str(config.source))]
    pinned = pins[0]
    if pinned.split(".")[:2] != saved.split(".")[:2]:
        return [error(f"the model was saved by scikit-learn {saved}, the function pins {pinned}: "
                      "InconsistentVersionWarning at best, wrong answers or a load failure at worst",
                      f'Pin "scikit-learn=={saved}", or retrain and save with {pinned}.',
                      file=str(config.source))]
    if pinned != saved:
        return [warning(f"the model was saved by scikit-learn {saved}, the function pins {pinned}",
                        f'Pin "scikit-learn=={saved}" to be exact.', file=str(config.source))]
    return [ok(f"scikit-learn {saved} saved the model and is pinned")]


CHECK = Check("framework-skew", "package", "the model's pickled scikit-learn version vs the pinned one", run)
