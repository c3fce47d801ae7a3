"""build.sourceless_dependencies on the tiny project: dependencies as legacy .pyc, verified, cached apart.

The iris (scikit-learn) build with it, extracted and run under awslambdaric, is in
test_zip_artifact.py, which builds that dependency layer once.
"""

from __future__ import annotations

import json
import subprocess
import zipfile
from pathlib import Path
from typing import Any

import pytest

from lambdaserve.config import load_config
from lambdaserve.package.deps.layer import SOURCES, layer_key, shared_cache
from lambdaserve.package.deps.pycompile import compile_tree, make_sourceless
from lambdaserve.package.deps.trim_imports import Probe
from lambdaserve.package.zip.build import ZipBuildResult, build_zip
from tests.package.test_zip_build import make_project, set_build


@pytest.fixture(scope="module")
def wheels(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("wheels")


def _build(project: Path, wheels: Path, py: Any, sourceless: bool, **kwargs: Any) -> ZipBuildResult:
    set_build(project, trim_unimported=False, sourceless_dependencies=sourceless)
    return build_zip(load_config(project), wheel_cache=wheels, interpreter=py, **kwargs)


def test_make_sourceless_moves_each_pyc_to_the_legacy_place_and_keeps_what_did_not_compile(tmp_path, py312):  # noqa: F811
    root = tmp_path / "site"
    (root / "pkg" / "sub").mkdir(parents=True)
    (root / "pkg" / "__init__.py").write_text("from pkg.sub.mod import VALUE\n")
    (root / "pkg" / "sub" / "__init__.py").write_text("")
    (root / "pkg" / "sub" / "mod.py").write_text("VALUE = 42\n")
    (root / "pkg" / "data.txt").write_text("kept")
    (root / "broken.py").write_text("def f(:\n")
    assert compile_tree(root, py312) == [root / "broken.py"]
    compiled = (root / "pkg" / "sub" / "__pycache__" / "mod.cpython-312.pyc").read_bytes()
    removed, count = make_sourceless(root, py312.minor)
    files = sorted(p.relative_to(root).as_posix() for p in root.rglob("*") if p.is_file())
    assert files == ["broken.py", "pkg/__init__.pyc", "pkg/data.txt", "pkg/sub/__init__.pyc",
                     "pkg/sub/mod.pyc"]
    assert count == 3 and removed == len("from pkg.sub.mod import VALUE\n") + len("VALUE = 42\n")
    assert (root / "pkg" / "sub" / "mod.pyc").read_bytes() == compiled  # the target's bytes, moved
    # The target Python imports it from bytecode alone (SourcelessFileLoader).
    out = subprocess.run([str(py312.path), "-S", "-B", "-c", "import pkg, pkg.sub.mod as m; "
                          "print(pkg.VALUE, type(m.__loader__).__name__)"], cwd=root, capture_output=True,
                         text=True, env={"PYTHONPATH": str(root)}, check=True)
    assert out.stdout.split() == ["42", "SourcelessFileLoader"]


def test_the_option_is_part_of_the_layer_key(py312):  # noqa: F811
    base = layer_key(["threadpoolctl==3.8.0"], "3.12", "x86_64", "26.0", py312)
    assert layer_key(["threadpoolctl==3.8.0"], "3.12", "x86_64", "26.0", py312, sourceless=False) == base
    assert layer_key(["threadpoolctl==3.8.0"], "3.12", "x86_64", "26.0", py312, sourceless=True) != base


def test_a_sourceless_zip_ships_dependencies_as_pyc_only_and_is_deterministic(tmp_path, wheels, py312,  # noqa: F811
                                                                               fresh_user_cache):
    project = make_project(tmp_path / "p")
    full = _build(project, wheels, py312, False)
    compiled = zipfile.ZipFile(full.path).read("__pycache__/threadpoolctl.cpython-312.pyc")
    slim = _build(project, wheels, py312, True)
    names = zipfile.ZipFile(slim.path).namelist()
    # The dependency: bytecode only, the very bytes Python 3.12 compiled for the source build.
    assert "threadpoolctl.pyc" in names and "threadpoolctl.py" not in names
    assert "__pycache__/threadpoolctl.cpython-312.pyc" not in names
    assert zipfile.ZipFile(slim.path).read("threadpoolctl.pyc") == compiled
    # Never the runtime or the user's code: their tracebacks keep their source lines.
    assert {"lambdaserve/runtime/handler.py", "lambdaserve/runtime/__pycache__/handler.cpython-312.pyc",
            "scorer/linear.py", "scorer/__pycache__/linear.cpython-312.pyc"} <= set(names)
    assert not [n for n in names if n.endswith(".pyc") and "__pycache__" not in n
                and n.split("/")[0] in ("lambdaserve", "scorer")]
    assert slim.sourceless_dependencies and slim.warnings == []
    assert slim.trimmed.removed[SOURCES] > 10_000 and slim.trimmed.files[SOURCES] == 1
    assert slim.unzipped_bytes == full.unzipped_bytes - slim.trimmed.removed[SOURCES]
    # A layer of its own in the cache, next to the source layer it was made from.
    assert slim.dependency_key != full.dependency_key and not slim.dependencies_cached
    layers = {p.name for p in (shared_cache() / "deps").iterdir()}  # the user's, shared by projects
    assert {full.dependency_key, slim.dependency_key} <= layers
    assert json.loads((slim.path.parent / "build.json").read_text())["sourceless_dependencies"] is True
    again = _build(project, wheels, py312, True)
    assert again.dependencies_cached and again.dependency_key == slim.dependency_key
    assert again.sha256 == slim.sha256 != full.sha256
    assert _build(project, wheels, py312, False).sha256 == full.sha256  # switching back: the source zip


def test_a_verifier_reporting_a_mismatch_ships_the_sources_and_warns(tmp_path, wheels, py312):  # noqa: F811
    project = make_project(tmp_path / "p")
    linear = project / "scorer" / "linear.py"
    linear.write_text("import threadpoolctl  # a dependency the smoke run imports\n" + linear.read_text())
    full = _build(project, wheels, py312, False)
    seen: list[tuple[Probe, Probe]] = []

    def mismatch(before: Probe, after: Probe) -> str:
        seen.append((before, after))
        return "injected mismatch"

    vetoed = _build(project, wheels, py312, True, trim_verifier=mismatch)
    (before, after), = seen
    # The second run imported the dependency from its legacy .pyc and answered the same.
    assert after.ok and after.responses == before.responses and before.responses
    assert "threadpoolctl.py" in before.used and "threadpoolctl.pyc" in after.used
    assert "threadpoolctl.py" not in after.used and "threadpoolctl" in after.modules
    assert vetoed.sha256 == full.sha256 and SOURCES not in vetoed.trimmed.removed
    assert any("build.sourceless_dependencies: injected mismatch" in w and "with their sources" in w
               for w in vetoed.warnings)


def test_a_zip_for_another_architecture_keeps_its_sources_and_says_why(tmp_path, wheels, py312):  # noqa: F811
    project = make_project(tmp_path / "p", requirements=())
    toml = project / "lambdaserve.toml"
    other = "arm64" if py312.machine == "x86_64" else "x86_64"
    toml.write_text(toml.read_text().replace('python = "3.12"', f'python = "3.12"\narchitecture = "{other}"'))
    built = _build(project, wheels, py312, True)
    assert SOURCES not in built.trimmed.removed
    assert any("sourceless_dependencies" in w and "with their sources" in w and other in w
               for w in built.warnings)


def test_by_default_both_verified_trims_are_on_and_each_has_an_opt_out(tmp_path, wheels, py312):  # noqa: F811
    project = make_project(tmp_path / "p")
    set_build(project)  # an empty [build]: the defaults
    default = build_zip(load_config(project), wheel_cache=wheels, interpreter=py312)
    assert default.trim_unimported and default.sourceless_dependencies and default.warnings == []
    names = zipfile.ZipFile(default.path).namelist()
    assert "threadpoolctl.pyc" in names and "threadpoolctl.py" not in names  # verified, then shipped
    set_build(project, trim_unimported=False, sourceless_dependencies=False)
    opted_out = build_zip(load_config(project), wheel_cache=wheels, interpreter=py312)
    assert not opted_out.trim_unimported and not opted_out.sourceless_dependencies
    assert "threadpoolctl.py" in zipfile.ZipFile(opted_out.path).namelist()
    assert opted_out.unzipped_bytes > default.unzipped_bytes


def test_both_trims_are_checked_by_one_run_and_a_mismatch_checks_each_alone(tmp_path, wheels, py312):  # noqa: F811
    project = make_project(tmp_path / "p")
    linear = project / "scorer" / "linear.py"
    linear.write_text("import threadpoolctl  # a dependency the smoke run imports\n" + linear.read_text())
    set_build(project)  # the defaults: both on
    calls: list[Probe] = []

    def record(before: Probe, after: Probe) -> str | None:
        calls.append(after)
        return None

    one = build_zip(load_config(project), wheel_cache=wheels, interpreter=py312, trim_verifier=record)
    assert len(calls) == 1 and one.sourceless_dependencies and one.warnings == []
    assert "threadpoolctl.pyc" in calls[0].used  # that one run saw the bytecode-only tree
    calls.clear()

    def first_fails(before: Probe, after: Probe) -> str | None:
        calls.append(after)
        return "injected mismatch" if len(calls) == 1 else None

    apart = build_zip(load_config(project), wheel_cache=wheels, interpreter=py312, trim_verifier=first_fails)
    assert len(calls) >= 2  # the combined run, then each option's own
    assert apart.sha256 == one.sha256 and apart.warnings == []  # each passed alone: both shipped
