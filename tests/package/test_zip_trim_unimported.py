"""build.trim_unimported: what the plan removes, the verifier, and the smoke run's fallbacks.

The iris (scikit-learn) trims are in test_zip_artifact.py, which builds that dependency layer once.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from lambdaserve.config import load_config
from lambdaserve.package.deps.trim_imports import KEEP, Probe, plan_removals, same_answers
from lambdaserve.package.zip.build import build_zip
from tests.package.test_zip_build import make_project, set_build

EXT = ".cpython-312-x86_64-linux-gnu.so"


def _tree(root: Path, files: list[str]) -> Path:
    for rel in files:
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text(rel)
    return root


def test_only_unused_subpackages_and_unloaded_extensions_of_imported_packages_are_planned(tmp_path):
    root = _tree(tmp_path, [
        "pkg/__init__.py", "pkg/core.py", f"pkg/_fast{EXT}", f"pkg/_slow{EXT}", "pkg/libhelper.so",
        "pkg/used/__init__.py", "pkg/used/data.csv", "pkg/used/unused_sub/__init__.py",
        "pkg/unused/__init__.py", "pkg/unused/mod.py", "pkg/unused/table.bin",
        "pkg/plain_data/notes.txt", "pkg/__pycache__/core.cpython-312.pyc",
        "pkg/guarded/__init__.py", "pkg/guarded/deep/__init__.py",
        "pkg.libs/libbundled.so", "never/__init__.py", "never/sub/__init__.py",
        "single.py", "pkg-1.0.dist-info/METADATA",
    ])
    used = frozenset({"pkg/__init__.py", f"pkg/_fast{EXT}", "pkg/used/__init__.py",
                      "pkg/__pycache__/core.cpython-312.pyc"})
    tops = ["pkg", "pkg.libs", "never", "pkg-1.0.dist-info"]
    plan = plan_removals(root, tops, used, keep=["pkg.guarded.deep"])
    # Unused subpackages (data and all) and the extension never loaded go; nothing else does:
    # not a plain library, data folders without __init__.py, a keep-listed package and the
    # packages on its way, *.libs/, metadata, or a top-level package never imported at all.
    assert sorted(plan) == ["pkg/_slow" + EXT, "pkg/unused", "pkg/used/unused_sub"]


def _probe(responses: list[Any], modules: set[str], ok: bool = True, error: str = "") -> Probe:
    return Probe(ok, responses, error, frozenset({"pkg/__init__.py"}), frozenset(modules))


def test_the_default_check_wants_the_same_answers_and_the_same_modules():
    before = _probe([{"statusCode": 200, "body": '{"predictions":[0]}'}], {"pkg", "pkg.fast"})
    assert same_answers(before, _probe(before.responses, {"pkg", "pkg.fast"})) is None
    differs = _probe([{"statusCode": 200, "body": '{"predictions":[1]}'}], {"pkg", "pkg.fast"})
    assert same_answers(before, differs) == "the trimmed tree answered differently"
    # Same answers through a fallback: an ImportError caught somewhere is still a broken trim.
    fallback = _probe(before.responses, {"pkg"})
    assert same_answers(before, fallback) == "the trimmed tree did not import pkg.fast"
    crashed = _probe([], set(), ok=False, error="Traceback...\nImportError: cannot import name 'fast'\n")
    assert "ImportError: cannot import name 'fast'" in str(same_answers(before, crashed))


def test_a_project_with_nothing_to_trim_gives_the_untrimmed_zip(tmp_path, py312):  # noqa: F811
    project = make_project(tmp_path / "p", requirements=())
    off = build_zip(load_config(project), interpreter=py312)
    set_build(project, trim_unimported=True, sourceless_dependencies=False)
    on = build_zip(load_config(project), interpreter=py312)
    assert on.sha256 == off.sha256 and on.warnings == off.warnings == []
    assert on.trim_unimported and "unimported" not in on.trimmed.removed
    assert not list((project / ".lambdaserve" / "cache").glob("trace*"))  # the scratch trees are gone


def test_a_zip_for_another_architecture_is_not_traced_and_says_why(tmp_path, py312):  # noqa: F811
    project = make_project(tmp_path / "p", requirements=())
    toml = project / "lambdaserve.toml"
    other = "arm64" if py312.machine == "x86_64" else "x86_64"
    toml.write_text(toml.read_text().replace('python = "3.12"', f'python = "3.12"\narchitecture = "{other}"'))
    set_build(project, trim_unimported=True, sourceless_dependencies=False)
    built = build_zip(load_config(project), interpreter=py312)
    assert built.architecture == other and "unimported" not in built.trimmed.removed
    assert any("nothing trimmed" in w and other in w for w in built.warnings)


def test_the_keep_list_says_why_for_every_entry():
    assert all(reason and not name.endswith(".") for name, reason in KEEP.items())


def test_a_smoke_run_that_cannot_predict_trims_nothing_and_warns(tmp_path, py312):  # noqa: F811
    project = make_project(tmp_path / "p", requirements=())
    toml = project / "lambdaserve.toml"
    # A row shape the signature leaves open: no zero row can be built, so no trace to trust.
    toml.write_text(toml.read_text().replace("shape = [-1, 2]", "shape = [-1, -1]"))
    set_build(project, trim_unimported=True, sourceless_dependencies=False)
    built = build_zip(load_config(project), interpreter=py312)
    assert "unimported" not in built.trimmed.removed and built.trim_unimported
    assert any("nothing trimmed" in w and "every input's shape" in w for w in built.warnings)
