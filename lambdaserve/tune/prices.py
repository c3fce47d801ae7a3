"""Lambda's published prices: a dated table, overridable from a TOML file.

Default: us-east-1, first pricing tier, gathered 2026-12-02 from AWS's pricing page
(x86_64 $0.0000166667 and arm64 $0.0000133334 per GB-second, $0.20 per million requests).
Since August 2025 the init phase of on-demand zip functions is billed like the invocation.
Prices change and differ per region: pass ``--prices FILE`` with your own.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from pathlib import Path

from lambdaserve.errors import LambdaServeError, UsageError


@dataclass(frozen=True)
class Prices:
    as_of: str
    region: str
    gb_second: dict[str, float]  # architecture -> USD per GB-second
    per_request: float  # USD per request
    init_billed: bool = True  # on-demand init is billed (zip functions, since 2025-08)

    def per_gb_second(self, architecture: str) -> float:
        try:
            return self.gb_second[architecture]
        except KeyError:
            raise LambdaServeError(
                f"no GB-second price for architecture {architecture!r} in the {self.as_of} table",
                hint=f"Use one of {', '.join(sorted(self.gb_second))}, or add it to --prices FILE.",
            ) from None


DEFAULT_PRICES = Prices(
    as_of="2026-12-02", region="us-east-1",
    gb_second={"x86_64": 0.0000166667, "arm64": 0.0000133334},
    per_request=0.20 / 1_000_000,
)

EXAMPLE = """as_of = "2026-12-02"
region = "eu-west-1"
per_million_requests = 0.20
init_billed = true
[gb_second]
x86_64 = 0.0000166667
arm64 = 0.0000133334"""


def load_prices(path: Path, base: Prices = DEFAULT_PRICES) -> Prices:
    """A price table from TOML; keys it leaves out keep ``base``'s values."""
    hint = f"Write it as TOML, e.g.:\n{EXAMPLE}"
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise UsageError(f"--prices {path}: {exc.strerror}", hint=hint) from exc
    except tomllib.TOMLDecodeError as exc:
        raise UsageError(f"--prices {path} is not valid TOML: {exc}", hint=hint) from exc
    unknown = set(raw) - {"as_of", "region", "per_million_requests", "init_billed", "gb_second"}
    if unknown:
        raise UsageError(f"--prices {path}: unknown keys {', '.join(sorted(unknown))}", hint=hint)
    try:
        gb_second = {**base.gb_second, **{str(k): float(v) for k, v in raw.get("gb_second", {}).items()}}
        per_request = float(raw["per_million_requests"]) / 1_000_000 if "per_million_requests" in raw \
            else base.per_request
    except (TypeError, ValueError, AttributeError) as exc:
        raise UsageError(f"--prices {path}: prices must be numbers ({exc})", hint=hint) from exc
    return Prices(as_of=str(raw.get("as_of", f"{base.as_of} + {path.name}")),
                  region=str(raw.get("region", base.region)), gb_second=gb_second,
                  per_request=per_request, init_billed=bool(raw.get("init_billed", base.init_billed)))
