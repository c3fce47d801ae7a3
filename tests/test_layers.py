"""The layering contracts (pyproject [tool.importlinter]) hold: runtime ships alone, areas are independent."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_import_linter_contracts_are_kept() -> None:
    lint = Path(sys.executable).with_name("lint-imports")
    result = subprocess.run([str(lint), "--no-cache"], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Contracts: 3 kept, 0 broken" in result.stdout


def test_runtime_imports_in_a_bare_interpreter_without_third_party_packages(tmp_path: Path) -> None:
    # What ships: lambdaserve/__init__.py, errors.py and runtime/ alone, under `python -I -S`
    # (no site-packages at all), as on a fresh Lambda with only the model framework added.
    code = (
        f"import sys; sys.path.insert(0, {str(ROOT)!r})\n"
        "import lambdaserve.runtime.settings, lambdaserve.runtime.signature\n"
        "import lambdaserve.runtime.loaders.detect\n"
        "bad = [m for m in sys.modules if m.split('.')[0] in ('boto3','botocore','click','rich','yaml')]\n"
        "assert not bad, bad\n"
    )
    result = subprocess.run([sys.executable, "-I", "-S", "-c", code], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
