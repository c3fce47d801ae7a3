"""uv.lock, what CI and dev machines install: torch stays the local CPU build, nothing pulls CUDA."""

from __future__ import annotations

import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _packages() -> dict[str, dict[str, object]]:
    lock = tomllib.loads((ROOT / "uv.lock").read_text(encoding="utf-8"))
    return {p["name"]: p for p in lock["package"]}


def test_the_lock_takes_torch_from_the_cpu_wheel_and_holds_no_cuda() -> None:
    packages = _packages()
    torch = packages["torch"]
    assert str(torch["version"]).endswith("+cpu"), torch["version"]
    assert "path" in torch["source"], torch["source"]  # a file, not a registry
    cuda = sorted(n for n in packages if n.startswith(("nvidia-", "triton")))
    assert not cuda, cuda


def test_the_lock_holds_the_tools_and_frameworks_ci_needs() -> None:
    packages = _packages()
    # moto is an extra now, cfn-lint and the SAM translator dev-only: the lock must still hold them
    for name in ("moto", "cfn-lint", "aws-sam-translator", "scikit-learn", "lightgbm", "pandas", "pip"):
        assert name in packages, name
    pip = tuple(int(x) for x in str(packages["pip"]["version"]).split(".")[:2])
    assert pip >= (26, 0)  # serve --artifact installs for the target Python with it
