"""Values that pass cfn-lint but that AWS refuses at deploy time: refused here, at load (exit 3).

Each check is its own function of the values it needs, raising ``ConfigError`` with the rule.
"""

from __future__ import annotations

import re

from lambdaserve.errors import ConfigError

# Routes the runtime answers itself (runtime/app.py) and the try-it page's (runtime/docs.py).
BUILTIN_ROUTES = ("/health", "/metadata", "/openapi.json")
DOCS_ROUTES = ("/", "/docs")
_SEGMENT_RE = re.compile(r"^[A-Za-z0-9_\-.]+$")
_SCHEDULE_HINT = ("EventBridge accepts rate(1 minute), rate(5 minutes), rate(1 hour), rate(2 days) or a "
                  "six-field cron(minutes hours day-of-month month day-of-week year) with '?' in one of "
                  "the day fields, e.g. cron(0/5 * * * ? *).")

# EventBridge's rate units: singular for a value of 1, plural otherwise.
_RATE_RE = re.compile(r"^rate\(([1-9][0-9]*) (minute|minutes|hour|hours|day|days)\)$")
_MONTHS = "JAN|FEB|MAR|APR|MAY|JUN|JUL|AUG|SEP|OCT|NOV|DEC"
_DAYS = "SUN|MON|TUE|WED|THU|FRI|SAT"
# (name, lowest, highest, names allowed in place of numbers, extra tokens allowed)
_CRON_FIELDS = (
    ("minutes", 0, 59, "", ()),
    ("hours", 0, 23, "", ()),
    ("day-of-month", 1, 31, "", ("?", "L", "W")),
    ("month", 1, 12, _MONTHS, ()),
    ("day-of-week", 1, 7, _DAYS, ("?", "L", "#")),
    ("year", 1970, 2199, "", ()),
)


def _cron_field_ok(value: str, low: int, high: int, names: str, extra: tuple[str, ...]) -> bool:
    if value == "?" and "?" in extra:
        return True
    for part in value.split(","):
        base, _, step = part.partition("/")
        if step and not (step.isdigit() and int(step) >= 1):
            return False
        if base == "*":
            continue
        if "L" in extra and base == "L":
            continue
        if "W" in extra and re.fullmatch(r"[0-9]{1,2}W", base):
            base = base[:-1]
        # day-of-week: 6L (the last Friday), 2#1 (the first Monday)
        if "#" in extra and (re.fullmatch(r"[1-7]L", base) or re.fullmatch(r"[1-7]#[1-5]", base)):
            continue
        ends = base.split("-")
        if len(ends) > 2:
            return False
        for end in ends:
            if names and re.fullmatch(names, end.upper()):
                continue
            if not end.isdigit() or not low <= int(end) <= high:
                return False
    return True


def schedule_problem(schedule: str) -> str | None:
    """Why EventBridge would refuse ``schedule``, or None when it is a valid rate() or cron()."""
    rate = _RATE_RE.match(schedule)
    if schedule.startswith("rate("):
        if not rate:
            return "is not rate(<positive integer> <minute|minutes|hour|hours|day|days>)"
        singular = not rate.group(2).endswith("s")
        if singular != (rate.group(1) == "1"):
            return "needs the singular unit for 1 and the plural otherwise"
        return None
    cron = re.fullmatch(r"cron\((.*)\)", schedule)
    if not cron:
        return "is not rate(...) or cron(...)"
    fields = cron.group(1).split()
    if len(fields) != len(_CRON_FIELDS):
        return f"has {len(fields)} cron fields; EventBridge needs 6 (a year comes last)"
    for value, (name, low, high, names, extra) in zip(fields, _CRON_FIELDS, strict=True):
        if not _cron_field_ok(value, low, high, names, extra):
            return f"has an invalid {name} field {value!r}"
    if (fields[2] == "?") == (fields[4] == "?"):
        return "needs '?' in exactly one of day-of-month and day-of-week"
    return None


def check_keep_warm(schedule: str, *, file: str) -> None:
    problem = schedule_problem(schedule) if schedule else None
    if problem:
        raise ConfigError(f"{file}: function.keep_warm = {schedule!r} {problem}", hint=_SCHEDULE_HINT)


def check_concurrency(reserved: int, provisioned: int, *, file: str) -> None:
    # Lambda refuses provisioned concurrency above the function's reserved concurrency.
    if reserved and provisioned > reserved:
        raise ConfigError(
            f"{file}: function.reserved_concurrency = {reserved} is below "
            f"function.provisioned_concurrency = {provisioned}; Lambda refuses that",
            hint="Raise reserved_concurrency to at least provisioned_concurrency, or set it to 0 "
                 "(unreserved).")


def check_api_path(path: str, *, docs: bool, file: str) -> None:
    """A path API Gateway can route, the runtime can answer, and no built-in route takes."""
    hint = ("Use a path such as /predict: it starts with /, has no empty, '.' or '..' segment and no "
            "trailing /, and is not one of " + ", ".join(BUILTIN_ROUTES) + " (nor /, /docs with api.docs).")
    segments = path.split("/")[1:]
    if not path.startswith("/") or (path != "/" and not all(
            _SEGMENT_RE.match(s) and s not in (".", "..") for s in segments)):
        raise ConfigError(f"{file}: api.path = {path!r} must start with / and be segments of letters, "
                          "digits, _ - . (no empty, '.' or '..' segment, no trailing /)", hint=hint)
    taken = BUILTIN_ROUTES + (DOCS_ROUTES if docs else ())
    if path in taken or (docs and path.startswith("/docs/")):
        raise ConfigError(f"{file}: api.path = {path!r} is a built-in route", hint=hint)


def check_stack_name(stack_name: str, *, file: str) -> None:
    """A set deploy.stack_name names the function and its rule too (cloud/cfn/common.resource_name)."""
    # Lambda names: 64 characters; the keep-warm rule adds "-keep-warm" to the same name.
    if stack_name and not re.fullmatch(r"[A-Za-z][A-Za-z0-9-]{0,53}", stack_name):
        raise ConfigError(
            f"{file}: deploy.stack_name = {stack_name!r} must start with a letter and be at most 54 "
            "letters, digits and -", hint="It also names the function, its log groups and its schedule.")
