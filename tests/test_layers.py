"""The layering contracts (pyproject [tool.importlinter]) hold, and they would catch a violation."""

from __future__ import annotations

import pkgutil
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
LINT = Path(sys.executable).with_name("lint-imports")


def _lint(root: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(LINT), "--no-cache"], cwd=root, capture_output=True, text=True, timeout=180)


def test_import_linter_contracts_are_kept() -> None:
    result = _lint(ROOT)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Contracts: 3 kept, 0 broken" in result.stdout


def _copy_tree(tmp_path: Path) -> Path:
    root = tmp_path / "repo"
    shutil.copytree(ROOT / "lambdaserve", root / "lambdaserve",
                    ignore=shutil.ignore_patterns("__pycache__"))
    (root / "tests").mkdir()
    (root / "tests" / "__init__.py").write_text("")
    shutil.copy(ROOT / "tests" / "import_allowlist.py", root / "tests")
    shutil.copy(ROOT / "pyproject.toml", root)
    return root


@pytest.mark.parametrize(("module", "line", "broken"), [
    # A third-party import the deny-list never named: only an allow-list catches it.
    ("runtime/app.py", "import requests", "lambdaserve.runtime.app imports requests"),
    ("runtime/formats.py", "import lambdaserve.config",
     "lambdaserve.runtime.formats imports lambdaserve.config"),
    ("errors.py", "import yaml", "lambdaserve.errors imports yaml"),
])
def test_the_runtime_allow_list_refuses_anything_not_on_it(tmp_path: Path, module: str, line: str,
                                                           broken: str) -> None:
    root = _copy_tree(tmp_path)
    target = root / "lambdaserve" / module
    target.write_text(target.read_text() + f"\n{line}  # noqa\n")
    result = _lint(root)
    assert result.returncode == 1, result.stdout
    assert broken in result.stdout


@pytest.mark.parametrize(("module", "line"), [
    ("emulator/fronts/apigw.py", "import lambdaserve.package.zip.build"),  # siblings are independent
    ("config/load.py", "import lambdaserve.cloud.aws"),                     # config sits below cloud
    ("package/sources.py", "import lambdaserve.cli.main"),                  # nothing imports the CLI
])
def test_the_layers_contract_refuses_an_upward_or_sideways_import(tmp_path: Path, module: str,
                                                                   line: str) -> None:
    root = _copy_tree(tmp_path)
    target = root / "lambdaserve" / module
    target.write_text(target.read_text() + f"\n{line}  # noqa\n")
    result = _lint(root)
    assert result.returncode == 1, result.stdout
    assert "One-way layers" in result.stdout and "BROKEN" in result.stdout


def _runtime_modules() -> list[str]:
    import lambdaserve.runtime as runtime
    names = ["lambdaserve", "lambdaserve.errors", "lambdaserve.runtime"]
    names += [m.name for m in pkgutil.walk_packages(runtime.__path__, "lambdaserve.runtime.")]
    return names


@pytest.mark.parametrize("module", _runtime_modules())
def test_every_runtime_module_imports_in_a_bare_interpreter(module: str) -> None:
    # What ships: lambdaserve/__init__.py, errors.py and runtime/ alone, under `python -I -S`
    # (no site-packages at all), as on a fresh Lambda; frameworks are imported lazily.
    code = (
        f"import sys; sys.path.insert(0, {str(ROOT)!r})\n"
        f"import {module}\n"
        "outside = sorted({m.split('.')[0] for m in sys.modules} - set(sys.stdlib_module_names)"
        " - {'lambdaserve', '__main__', 'predictors'})\n"
        "assert not outside, outside\n"
    )
    # handler loads its model at import (Lambda's init): a stdlib-only custom predictor.
    env = {"LAMBDASERVE_FRAMEWORK": "custom", "LAMBDASERVE_PREDICTOR": "predictors:Doubler",
           "LAMBDASERVE_MODEL_DIR": str(ROOT / "tests" / "emulator" / "handlers"), "LAMBDASERVE_WARMUP": "0"}
    result = subprocess.run([sys.executable, "-I", "-S", "-c", code], capture_output=True, text=True, env=env)
    assert result.returncode == 0, result.stderr
