"""Why a built package cannot serve, in one sentence, and the fix.

Fed the text a failed run of the package left (awslambdaric's init error, the runtime's JSON
log lines, a traceback), by both the build's traced smoke run (``deps/trim_imports.py``) and
the CLI's proof of the zip in the local Lambda. A missing module is looked up in the Python
running the build, where the model was trained and works: its distribution and version give
the exact line to put in lambdaserve.toml.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping, Sequence
from importlib import metadata

from lambdaserve.errors import BuildError

_MISSING = (
    re.compile(r"No module named '([\w.]+)'"),
    re.compile(r"needs the module '([\w.]+)'"),
    re.compile(r"needs ([\w.]+), which is not installed"),
)
# A file the code opened under the task root: the package holds no such file.
_MISSING_TASK_FILE = re.compile(r"No such file or directory: '/var/task/([^']+)'")
_ERROR_LINE = re.compile(r"^[\w.]*(Error|Exception|Exit)\b[^\n]*", re.MULTILINE)
MAX_CAUSE = 600

# module -> [distribution], as importlib.metadata.packages_distributions() gives it
Distributions = Callable[[], Mapping[str, Sequence[str]]]


def missing_module(text: str) -> str | None:
    """The top-level module a failed import names, if any."""
    for pattern in _MISSING:
        found = pattern.findall(text)
        if found:
            return str(found[-1]).split(".")[0]
    return None


def distribution_of(module: str, distributions: Distributions = metadata.packages_distributions
                    ) -> tuple[str, str] | None:
    """(distribution, installed version) that provides ``module`` here, or None."""
    names = distributions().get(module) or []
    for name in names:
        try:
            return name, metadata.version(name)
        except metadata.PackageNotFoundError:
            continue
    return None


def requirement_line(requirements: Sequence[str], added: str) -> str:
    """The [function] line of lambdaserve.toml with ``added`` appended."""
    return "requirements = " + json.dumps([*requirements, added])


def _logged(text: str) -> tuple[str, str]:
    """(error, hint) of the runtime's own ERROR log line, if one is there: "the model did not
    load" (with the loader's hint), or "unhandled error" (the traceback's last line)."""
    for line in reversed(text.splitlines()):
        start = line.find('{"level"')
        if start < 0 or '"ERROR"' not in line:
            continue
        try:
            record = json.loads(line[start:])
        except ValueError:
            continue
        if record.get("message") == "the model did not load":
            return str(record.get("error", "")), str(record.get("hint", ""))
        if record.get("message") == "unhandled error":
            tb = [t for t in str(record.get("traceback", "")).strip().splitlines() if t.strip()]
            return (tb[-1].strip() if tb else str(record.get("error_type", ""))), ""
    return "", ""


def cause_of(text: str, *, last_line: bool = True) -> tuple[str, str]:
    """The most telling (cause, hint) in a failed run's output: the runtime's own words first,
    then awslambdaric's errorMessage, then the last Error line, then (with ``last_line``) the
    last line; ("", "") when there is nothing to say."""
    error, hint = _logged(text)
    if error:
        return error[:MAX_CAUSE], hint
    for line in reversed(text.splitlines()):
        start = line.find("{")
        if start >= 0 and '"errorMessage"' in line:
            try:
                raw = json.loads(line[start:])
                return f"{raw.get('errorType', 'Error')}: {raw['errorMessage']}"[:MAX_CAUSE], ""
            except (ValueError, KeyError, TypeError):
                pass
    lines = [m.group(0) for m in _ERROR_LINE.finditer(text)]
    if lines:
        return lines[-1].strip()[:MAX_CAUSE], ""
    if not last_line:
        return "", ""
    tail = [line for line in text.strip().splitlines() if line.strip()]
    return (tail[-1].strip()[:MAX_CAUSE] if tail else "no output"), ""


def package_failure(text: str, requirements: Sequence[str], *, what: str,
                    distributions: Distributions = metadata.packages_distributions) -> BuildError:
    """The BuildError for a package that failed ``what`` (e.g. "load the model"), with the fix."""
    cause, hint = cause_of(text)
    module = missing_module(text)
    if module is not None:
        found = distribution_of(module, distributions)
        if found is not None:
            dist, version = found
            pin = f"{dist}=={version}"
            return BuildError(
                f"the package cannot {what}: it needs the module '{module}', and function.requirements "
                f"does not install it ({cause})",
                hint=f"Add {dist} (installed here: {version}) to lambdaserve.toml's [function] table:\n"
                     f"    {requirement_line(requirements, pin)}\n"
                     "then run `lambdaserve build` again.")
        return BuildError(
            f"the package cannot {what}: it needs the module '{module}', which no installed "
            f"distribution provides here either ({cause})",
            hint=hint or f"Install the package that provides '{module}' where you trained the model, "
                         "then add it, pinned, to function.requirements in lambdaserve.toml.")
    missing_file = _MISSING_TASK_FILE.search(text)
    if missing_file is not None and not missing_file.group(1).startswith("model/"):
        name = missing_file.group(1)
        return BuildError(
            f"the package cannot {what}: {cause}",
            hint=f"From the project folder the package holds only the predictor's module and the model "
                 f"folder, so {name} is not in it: put {name} in the model folder and read it from there "
                 f"(Path(model_dir) / \"{name.rsplit('/', 1)[-1]}\" in load).")
    return BuildError(f"the package cannot {what}: {cause}",
                      hint=hint or "Run `lambdaserve serve --artifact` to see the function's whole log.")
