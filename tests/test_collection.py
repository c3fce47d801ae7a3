"""Every tests/<area>/ is collected: pytest's default norecursedirs once hid tests/package for good."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_pytest_collects_every_test_file_under_tests(tmp_path: Path) -> None:
    on_disk = {p.relative_to(ROOT).as_posix() for p in (ROOT / "tests").rglob("test_*.py")}
    areas = {p.split("/")[1] for p in on_disk if p.count("/") > 1}
    assert areas >= {"package", "emulator", "cloud", "runtime"}
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "--collect-only", "-q", "-p", "no:cacheprovider",
         f"--basetemp={tmp_path / 'bt'}"],
        cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    collected = {line.split("::")[0] for line in result.stdout.splitlines() if "::" in line}
    missing = sorted(on_disk - collected)
    assert not missing, f"never collected: {missing}"
