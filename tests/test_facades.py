"""Each package's public facade is complete and lazy, and the CLI reaches the layers only through them."""

from __future__ import annotations

import ast
import importlib
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PKG = ROOT / "lambdaserve"
LAYERS = ("package", "cloud", "emulator", "tune", "convert", "doctor")


def _facades() -> list[str]:
    found = []
    for layer in LAYERS:
        for init in sorted((PKG / layer).rglob("__init__.py")):
            if "_EXPORTS" in init.read_text():
                found.append(".".join(init.relative_to(ROOT).parent.parts))
    return found


def _type_checking_names(module: str) -> set[str]:
    tree = ast.parse((ROOT / module.replace(".", "/") / "__init__.py").read_text())
    names: set[str] = set()
    for node in tree.body:
        if isinstance(node, ast.If) and getattr(node.test, "id", "") == "TYPE_CHECKING":
            for imp in node.body:
                assert isinstance(imp, ast.ImportFrom)
                names |= {a.asname or a.name for a in imp.names}
    return names


@pytest.mark.parametrize("facade", _facades())
def test_a_facade_names_the_same_things_in_all_its_three_lists_and_each_resolves(facade: str) -> None:
    module = importlib.import_module(facade)
    exports = module._EXPORTS
    assert sorted(module.__all__) == sorted(exports) == sorted(_type_checking_names(facade))
    for name in module.__all__:
        value = getattr(module, name)
        home = importlib.import_module(exports[name])
        assert getattr(home, name) is value
        assert exports[name].startswith(facade + "."), f"{name} lives outside {facade}"
    # A name that is also a submodule would be shadowed by the submodule once it is imported.
    clashes = {n for n in module.__all__ if (ROOT / facade.replace(".", "/") / f"{n}.py").exists()}
    assert not clashes, f"{facade} exports names of its own submodules: {clashes}"
    with pytest.raises(AttributeError, match="no attribute 'nope'"):
        module.nope  # noqa: B018


def test_facades_are_lazy_so_a_pure_template_import_does_not_load_boto3() -> None:
    code = ("import sys, lambdaserve.cloud, lambdaserve.cloud.cfn, lambdaserve.emulator\n"
            "import lambdaserve.package\n"
            "from lambdaserve.cloud.cfn import render_template\n"
            "assert 'boto3' not in sys.modules, 'boto3 loaded'\n"
            "assert 'lambdaserve.emulator.execution.pool' not in sys.modules\n")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT)
    assert result.returncode == 0, result.stderr


def _cli_imports() -> list[tuple[str, int, str, list[str]]]:
    found = []
    for path in sorted((PKG / "cli").glob("*.py")):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ImportFrom) and node.module:
                found.append((path.name, node.lineno, node.module, [a.name for a in node.names]))
            elif isinstance(node, ast.Import):
                found += [(path.name, node.lineno, a.name, []) for a in node.names]
    return [f for f in found if f[2].split(".")[:2] in [["lambdaserve", layer] for layer in LAYERS]]


def test_the_cli_imports_only_public_facades_of_the_layers() -> None:
    assert _cli_imports(), "the scan found nothing: it is looking in the wrong place"
    wrong = []
    for file, line, module, names in _cli_imports():
        init = ROOT / module.replace(".", "/") / "__init__.py"
        public = set(importlib.import_module(module).__all__) if init.exists() else set()
        if not init.exists() or not set(names) <= public:
            wrong.append(f"cli/{file}:{line} imports {sorted(set(names) - public) or names} from {module}")
    assert not wrong, "\n".join(wrong)
