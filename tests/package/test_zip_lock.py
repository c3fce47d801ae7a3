"""build installs the training environment's versions of the function's transitive dependencies.

A local package index (file://, made here) holds lsparent 1.0, which needs lschild>=1.0, and
lschild 1.0 and 2.0 (pure Python) and 1.5 (a cp311 wheel only: none for python3.12). The
training environment is a folder of metadata; its lock is written from it, as `lambdaserve lock`
does from the interpreter it runs in.
"""

from __future__ import annotations

import base64
import hashlib
import json
import zipfile
from pathlib import Path

import pytest

from lambdaserve.config import load_config
from lambdaserve.package.deps.lock import write_lock
from lambdaserve.package.zip.build import build_zip
from tests.package.test_lock import installed, trained_in
from tests.package.test_zip_build import make_project

pytestmark = pytest.mark.slow


def make_wheel(index: Path, name: str, ver: str, requires: tuple[str, ...] = (),
               tag: str = "py3-none-any", extra: dict[str, str] | None = None) -> None:
    """A wheel in ``index``/files and its name's page in the simple index (PEP 503) beside it;
    ``extra``: more files (path in the wheel -> text)."""
    dist = f"{name}-{ver}.dist-info"
    files = {f"{name}/__init__.py": f"VERSION = {ver!r}\n", **(extra or {}),
             f"{dist}/METADATA": f"Metadata-Version: 2.1\nName: {name}\nVersion: {ver}\n"
                                 + "".join(f"Requires-Dist: {r}\n" for r in requires),
             f"{dist}/WHEEL": f"Wheel-Version: 1.0\nGenerator: tests\nRoot-Is-Purelib: true\nTag: {tag}\n"}
    record = [f"{path},sha256={_digest(text)},{len(text.encode())}" for path, text in files.items()]
    files[f"{dist}/RECORD"] = "\n".join([*record, f"{dist}/RECORD,,"]) + "\n"
    wheel = index / "files" / f"{name}-{ver}-{tag}.whl"
    wheel.parent.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(wheel, "w") as zf:
        for path, text in files.items():
            zf.writestr(path, text)
    page = index / "simple" / name / "index.html"
    page.parent.mkdir(parents=True, exist_ok=True)
    links = "".join(f'<a href="../../files/{w.name}">{w.name}</a>\n'
                    for w in sorted(wheel.parent.glob(f"{name}-*.whl")))
    page.write_text(f"<!DOCTYPE html><html><body>\n{links}</body></html>\n")


def _digest(text: str) -> str:
    return base64.urlsafe_b64encode(hashlib.sha256(text.encode()).digest()).rstrip(b"=").decode()


@pytest.fixture(scope="module")
def index(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("index")
    make_wheel(root, "lsparent", "1.0", ("lschild>=1.0",))
    make_wheel(root, "lschild", "1.0")
    make_wheel(root, "lschild", "2.0")
    make_wheel(root, "lschild", "1.5", tag="cp311-cp311-manylinux_2_17_x86_64")
    return root


@pytest.fixture()
def only_index(index: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # The installers read the index from the environment (pip itself; uv through layer's mapping).
    monkeypatch.setenv("PIP_INDEX_URL", (index / "simple").as_uri())
    monkeypatch.setenv("PIP_EXTRA_INDEX_URL", "")
    monkeypatch.setenv("PIP_FIND_LINKS", "")


def _project(tmp_path: Path, child: str) -> Path:
    """A project whose model was trained where lsparent 1.0 and lschild ``child`` are installed."""
    project = make_project(tmp_path / "p", requirements=("lsparent==1.0",))
    site = tmp_path / "training-site"
    installed(site, "lsparent", "1.0", "lschild>=1.0")
    installed(site, "lschild", child)
    config = load_config(project)
    write_lock(config.lock_file, config.function.requirements, "3.12", "x86_64", trained_in(site))
    return project


def _shipped(zip_path: Path) -> set[str]:
    return {n.split("/", 1)[0] for n in zipfile.ZipFile(zip_path).namelist() if ".dist-info/" in n}


def test_the_zip_ships_the_training_version_of_a_dependency_not_the_newest(tmp_path, only_index, py312):
    project = _project(tmp_path, "1.0")
    result = build_zip(load_config(project), cache_dir=tmp_path / "cache", interpreter=py312)
    assert _shipped(result.path) == {"lsparent-1.0.dist-info", "lschild-1.0.dist-info"}
    assert result.pins["lschild"] == {"version": "1.0", "from": "lambdaserve.lock", "via": "lsparent"}
    assert result.pins["lsparent"] == {"version": "1.0", "from": "function.requirements"}
    assert not [w for w in result.warnings if "lschild" in w], result.warnings
    record = json.loads((result.path.parent / "build.json").read_text())
    assert record["lock"] == {"file": "lambdaserve.lock", "state": "used", "pins": 1}

    # without the lock the resolver takes the newest, and build says so with the fix
    (project / "lambdaserve.lock").unlink()
    floating = build_zip(load_config(project), cache_dir=tmp_path / "cache", interpreter=py312)
    assert _shipped(floating.path) == {"lsparent-1.0.dist-info", "lschild-2.0.dist-info"}
    [warning] = [w for w in floating.warnings if "lschild" in w]
    assert "not pinned (no lambdaserve.lock)" in warning and "(lschild 2.0)" in warning
    assert "Fix: run `lambdaserve lock`" in warning


@pytest.mark.parametrize("installer", ["uv", "pip"])
def test_a_training_version_without_a_wheel_for_the_runtime_falls_back_visibly(tmp_path, only_index, py312,
                                                                                installer, monkeypatch):
    monkeypatch.setenv("LAMBDASERVE_INSTALLER", installer)
    project = _project(tmp_path, "1.5")  # trained with lschild 1.5: a cp311 wheel only
    logged: list[str] = []
    result = build_zip(load_config(project), cache_dir=tmp_path / "cache", interpreter=py312,
                       log=logged.append)
    assert _shipped(result.path) == {"lsparent-1.0.dist-info", "lschild-2.0.dist-info"}
    assert ("lschild==1.5 (the training environment's, from lambdaserve.lock) has no wheel for cp312 "
            "manylinux_2_34 x86_64: took 2.0; answers are proved by the golden requests") in result.warnings
    assert result.pins["lschild"] == {"version": "2.0", "from": "resolver", "why": (
        "lambdaserve.lock pins 1.5, which has no wheel for cp312 manylinux_2_34 x86_64")}
    assert "no wheel for the runtime: lschild==1.5; the resolver chooses those" in logged
