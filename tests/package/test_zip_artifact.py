"""Run what was built: the zip, extracted, as the task root of a real local Lambda under Python 3.12."""

from __future__ import annotations

import json
import zipfile
from pathlib import Path
from typing import Any

import pytest

from lambdaserve.config import load_config, runtime_env
from lambdaserve.emulator.execution.function import Function, FunctionSpec
from lambdaserve.errors import BuildError
from lambdaserve.package.deps.interpreters import Interpreter
from lambdaserve.package.deps.trim_imports import Probe
from lambdaserve.package.zip.build import ZipBuildResult, build_zip
from lambdaserve.package.zip.extract import extract, prepare_artifact
from lambdaserve.package.zip.writer import Member, write_zip
from tests.package.test_zip_build import make_project


@pytest.fixture(scope="module")
def cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Where the emulator unpacks the zips (prepare_artifact)."""
    return tmp_path_factory.mktemp("cache")


def _snapshot(root: Path) -> dict[str, float]:
    return {str(p.relative_to(root)): p.stat().st_mtime for p in root.rglob("*")}


def _invoke(project: Path, zip_path: Path, dest: Path, cache: Path,
            *bodies: dict[str, Any]) -> list[dict[str, Any]]:
    """Each body's answer from one function (its first invoke a cold start, the rest warm)."""
    config = load_config(project)
    run = prepare_artifact(zip_path, dest, cache_dir=cache)
    before = _snapshot(run.task_root)
    spec = FunctionSpec(name=config.name, task_root=run.task_root, python=run.python,
                        extra_pythonpath=run.extra_pythonpath,
                        environment=runtime_env(config, model_dir=str(run.model_dir)), concurrency=1)
    answers = []
    with Function(spec) as function:
        for body in bodies:
            result = function.invoke(json.dumps(body).encode())
            assert result.function_error is None, result.payload
            answers.append(json.loads(result.payload))
    # for parity: /var/task is read-only on Lambda, so the shipped .pyc must be used as they are.
    # The shipped unchecked-hash .pyc files were used: Python wrote nothing into the task root.
    assert _snapshot(run.task_root) == before
    return answers


def _rows(rows: list[list[float]], probabilities: bool = False) -> dict[str, Any]:
    return {"data": rows, **({"parameters": {"probabilities": True}} if probabilities else {})}


def _members(zip_path: Path) -> dict[str, tuple[int, int, int]]:
    """Each member's (CRC-32, size, deflated size): what a rebuild that is not byte-identical
    differs in (the same content deflated otherwise shows in the last)."""
    with zipfile.ZipFile(zip_path) as archive:
        return {info.filename: (info.CRC, info.file_size, info.compress_size) for info in archive.infolist()}


def _assert_same_zip(first: ZipBuildResult, first_members: dict[str, tuple[int, int, int]],
                     again: ZipBuildResult) -> None:
    """A rebuild of the same inputs is byte-identical; if not, say which members differ."""
    if again.sha256 == first.sha256:
        return
    now = _members(again.path)
    differ = sorted(n for n in first_members.keys() & now.keys() if first_members[n] != now[n])
    raise AssertionError(f"rebuild {again.sha256} != {first.sha256}: only in the first "
                         f"{sorted(first_members.keys() - now.keys())[:10]}, only in the rebuild "
                         f"{sorted(now.keys() - first_members.keys())[:10]}, different {differ[:10]}")


def test_the_extracted_zip_answers_under_python312_with_awslambdaric(tmp_path, py312, cache):
    project = make_project(tmp_path / "p", requirements=())
    built = build_zip(load_config(project), interpreter=py312)
    answer, = _invoke(project, built.path, tmp_path / "task", cache, _rows([[1.0, 2.0], [3.0, 0.5]]))
    assert answer == {"predictions": [0.5, 6.0]}


@pytest.mark.slow
@pytest.mark.timeout(900)  # up to three builds and smoke runs: over 300 s at load 20
def test_iris_sklearn_zip_built_for_python312_predicts_like_sklearn(tmp_path, py312, cache):
    from tests.models import sklearn_classifier

    project = tmp_path / "iris"
    project.mkdir()
    made = sklearn_classifier(project)
    (project / "lambdaserve.toml").write_text(
        'name = "iris"\n[model]\npath = "model.joblib"\nwarmup = false\n[function]\npython = "3.12"\n'
        'requirements = ["scikit-learn==1.9.1", "numpy==2.4.6", "joblib==1.6.0"]\n')
    built = build_zip(load_config(project), interpreter=py312)
    assert {"scikit-learn", "numpy", "scipy", "joblib"} <= {_dist(n) for n, _ in built.packages}
    assert built.unzipped_bytes < 250_000_000 and built.trimmed.removed["tests"] > 0
    answer, = _invoke(project, built.path, tmp_path / "task", cache, _rows(made.rows))
    assert answer["predictions"] == made.expected["label"].tolist()


def _dist(name: str) -> str:
    return name.replace("_", "-").lower()


# build.trim_unimported on the same iris stack: its layer, like every build's here, is the session's
# per-user one (tests/conftest.py), made once for all the iris tests of the suite.
IRIS_TOML = ('name = "iris"\n[model]\npath = "model.joblib"\n[function]\npython = "3.12"\n'
             'requirements = ["scikit-learn==1.9.1", "numpy==2.4.6", "joblib==1.6.0"]\n'
             '[build]\ntrim_unimported = {trim}\nsourceless_dependencies = {sourceless}\n')


@pytest.fixture(scope="module")
def iris(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Any]:
    from tests.models import sklearn_classifier

    project = tmp_path_factory.mktemp("iris")
    made = sklearn_classifier(project)
    return project, made


def _build(project: Path, trim: bool, py: Interpreter, sourceless: bool = False,
           **kwargs: Any) -> ZipBuildResult:
    (project / "lambdaserve.toml").write_text(IRIS_TOML.format(trim=str(trim).lower(),
                                                               sourceless=str(sourceless).lower()))
    return build_zip(load_config(project), interpreter=py, **kwargs)


@pytest.mark.slow
@pytest.mark.timeout(900)  # up to three builds and smoke runs: over 300 s at load 20
def test_trimmed_iris_zip_predicts_like_sklearn_and_is_deterministic(tmp_path, iris, cache, py312):
    project, made = iris
    full = _build(project, False, py312)
    trimmed = _build(project, True, py312)
    removed = trimmed.trimmed.removed["unimported"]
    assert removed > 5_000_000 and trimmed.unzipped_bytes <= full.unzipped_bytes - removed
    names = set(zipfile.ZipFile(trimmed.path).namelist())
    largest = dict(trimmed.trimmed.subpackages)
    assert "scipy.io" in largest and not any(n.startswith("scipy/io/") for n in names)
    # Never trimmed: the bundled libraries, metadata, and keep-listed lazy imports the smoke never made.
    assert {n for n in zipfile.ZipFile(full.path).namelist() if ".libs/" in n or ".dist-info/" in n} <= names
    assert {"joblib/externals/loky/__init__.py", "sklearn/externals/array_api_compat/torch/__init__.py",
            "numpy/_core/_simd.cpython-312-x86_64-linux-gnu.so"} <= names
    report = json.loads((trimmed.path.parent / "build.json").read_text())
    assert report["trim_unimported"] is True and report["trimmed"]["removed_bytes"]["unimported"] == removed
    first = _members(trimmed.path)
    again = _build(project, True, py312)  # the same inputs (the verified trim reused), the same bytes
    _assert_same_zip(trimmed, first, again)
    answer, proba = _invoke(project, again.path, tmp_path / "task", cache, _rows(made.rows),
                            _rows(made.rows, probabilities=True))
    assert answer["predictions"] == made.expected["label"].tolist()
    assert proba["predictions"] == [
        {"label": label, "probabilities": row} for label, row in
        zip(made.expected["label"].tolist(), made.expected["probabilities"].tolist(), strict=True)]


@pytest.mark.slow
@pytest.mark.timeout(900)  # up to three builds and smoke runs: over 300 s at load 20
def test_sourceless_trimmed_iris_zip_predicts_like_sklearn_and_is_deterministic(tmp_path, iris, cache, py312):
    project, made = iris
    trimmed = _build(project, True, py312)
    slim = _build(project, True, py312, sourceless=True)
    assert not any("build." in w for w in slim.warnings) and slim.trimmed.removed["unimported"] > 5_000_000
    names = set(zipfile.ZipFile(slim.path).namelist())
    # Every dependency module is bytecode only, at the legacy place; the runtime keeps its sources.
    assert not [n for n in names if n.endswith(".py") and not n.startswith("lambdaserve/")]
    assert not [n for n in names if "__pycache__/" in n and not n.startswith("lambdaserve/")]
    assert {"sklearn/__init__.pyc", "numpy/__init__.pyc", "scipy/special/__init__.pyc",
            "lambdaserve/runtime/handler.py",
            "lambdaserve/runtime/__pycache__/handler.cpython-312.pyc"} <= names
    assert not any(n.startswith("scipy/io/") for n in names)  # still trimmed
    sources = slim.trimmed.removed["dependency sources (.py)"]
    assert sources > 5_000_000 and slim.unzipped_bytes == trimmed.unzipped_bytes - sources
    assert slim.dependency_key != trimmed.dependency_key
    first = _members(slim.path)
    again = _build(project, True, py312, sourceless=True)  # the verified trim reused: the same bytes
    _assert_same_zip(slim, first, again)
    assert again.dependencies_cached
    answer, proba = _invoke(project, again.path, tmp_path / "task", cache, _rows(made.rows),
                            _rows(made.rows, probabilities=True))
    assert answer["predictions"] == made.expected["label"].tolist()
    assert proba["predictions"] == [
        {"label": label, "probabilities": row} for label, row in
        zip(made.expected["label"].tolist(), made.expected["probabilities"].tolist(), strict=True)]


@pytest.mark.slow
def test_a_verifier_reporting_a_mismatch_restores_every_file_and_warns(iris, py312):
    project, _ = iris
    seen: list[tuple[Probe, Probe]] = []

    def mismatch(before: Probe, after: Probe) -> str:
        seen.append((before, after))
        return "injected mismatch"

    restored = _build(project, True, py312, trim_verifier=mismatch)
    untrimmed = _build(project, False, py312)
    (before, after), = seen
    # The second run did happen over the trimmed tree, and answered the same, before the veto.
    assert after.ok and after.responses == before.responses and after.modules == before.modules
    assert before.used and all(not p.startswith("[") for p in before.used)
    assert "unimported" not in restored.trimmed.removed and not restored.trimmed.subpackages
    assert any("injected mismatch" in w and "restored" in w for w in restored.warnings)
    # Restored means the zip is exactly the untrimmed one (trim_unimported is not in the zip).
    assert restored.sha256 == untrimmed.sha256


def test_an_artifact_for_another_architecture_is_refused(tmp_path, cache):
    zip_path = tmp_path / "arm.zip"
    (tmp_path / "f.py").write_text("x = 1\n")
    write_zip(zip_path, [Member("f.py", source=tmp_path / "f.py")],
              comment=json.dumps({"python": "3.12", "architecture": "arm64"}))
    with pytest.raises(BuildError, match="built for arm64") as info:
        prepare_artifact(zip_path, tmp_path / "task", cache_dir=cache)
    assert "function.architecture" in info.value.hint


def test_a_zip_not_built_by_lambdaserve_is_refused(tmp_path, cache):
    zip_path = tmp_path / "other.zip"
    with zipfile.ZipFile(zip_path, "w") as zf:
        zf.writestr("handler.py", "x = 1\n")
    with pytest.raises(BuildError, match="does not say which Python"):
        prepare_artifact(zip_path, tmp_path / "task", cache_dir=cache)


def test_extract_refuses_paths_outside_the_task_root(tmp_path):
    zip_path = tmp_path / "evil.zip"
    with zipfile.ZipFile(zip_path, "w") as zf:
        zf.writestr("../escaped.py", "x = 1\n")
    with pytest.raises(BuildError, match="unsafe path"):
        extract(zip_path, tmp_path / "task")
    assert not (tmp_path / "escaped.py").exists()
