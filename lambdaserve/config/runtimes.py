"""When each Lambda Python runtime is deprecated: the dated table the doctor warns from.

Sources, read 2026-12-07 (the Lambda runtimes page itself, docs.aws.amazon.com/lambda/latest/dg/
lambda-runtimes.html, could not be read in full here, so every date below comes from a second source):
- AWS's Bedrock AgentCore "Supported language runtimes and deprecation policy" page, whose Python
  dates it says follow Lambda's runtime deprecation policy: python3.11 2026-06-30, python3.12
  2028-10-31, python3.13 2029-06-30, python3.14 2030-06-30.
- endoflife.date/aws-lambda (third party, from Lambda's table): python3.13 2029-06-30, but python3.14
  2029-06-30, which contradicts the AWS page above.
Where both agree (3.13) or only the AWS page speaks (3.11, 3.12), the date is used; python3.14's is
unconfirmed (None) until someone reads Lambda's own table. AWS moves these dates: a user overrides
them with LAMBDASERVE_RUNTIME_DEPRECATIONS="python3.14=2030-06-30,python3.12=2028-10-31".
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date

from lambdaserve.errors import ConfigError

OVERRIDE_VARIABLE = "LAMBDASERVE_RUNTIME_DEPRECATIONS"

# runtime id -> the date Lambda deprecates it (no more patches); None: not confirmed.
DEPRECATION: dict[str, date | None] = {
    "python3.11": date(2026, 6, 30),
    "python3.12": date(2028, 10, 31),
    "python3.13": date(2029, 6, 30),
    "python3.14": None,
}


def deprecation_dates(environ: Mapping[str, str]) -> dict[str, date | None]:
    """The table, with the user's overrides from ``LAMBDASERVE_RUNTIME_DEPRECATIONS`` on top."""
    table = dict(DEPRECATION)
    for item in filter(None, (part.strip() for part in environ.get(OVERRIDE_VARIABLE, "").split(","))):
        runtime, _, when = item.partition("=")
        try:
            table[runtime.strip()] = date.fromisoformat(when.strip())
        except ValueError as exc:
            raise ConfigError(f"{OVERRIDE_VARIABLE}: {item!r} is not runtime=YYYY-MM-DD",
                              hint=f'e.g. {OVERRIDE_VARIABLE}="python3.12=2028-10-31"') from exc
    return table
