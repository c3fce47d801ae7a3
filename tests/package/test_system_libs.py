"""LightGBM's lib_lightgbm.so needs libgomp.so.1, which Lambda's OS lacks: the layer ships a
manylinux copy in lib/ (on Lambda's LD_LIBRARY_PATH), taken from a scikit-learn wheel, with its
provenance and licence notice."""

from __future__ import annotations

import hashlib
import shutil
from collections.abc import Sequence
from importlib.metadata import version
from pathlib import Path

import pytest

from lambdaserve.errors import BuildError
from lambdaserve.package.deps.system_libs import PROVIDERS, supply_libraries
from lambdaserve.runtime.system_libraries import missing_libraries


def _installed(distribution: str) -> Path:
    module = pytest.importorskip(distribution)
    return Path(module.__file__).parent.parent  # site-packages


def _site_needing_libgomp(site: Path) -> Path:
    lightgbm = _installed("lightgbm") / "lightgbm" / "lib" / "lib_lightgbm.so"
    (site / "lightgbm" / "lib").mkdir(parents=True)
    shutil.copy(lightgbm, site / "lightgbm" / "lib")
    return site


def _copy_sklearn_wheel(target: Path) -> None:
    """What installing scikit-learn alone leaves that matters here: its vendored libs and metadata."""
    site = _installed("sklearn")
    shutil.copytree(site / "scikit_learn.libs", target / "scikit_learn.libs")
    [info] = site.glob("scikit_learn-*.dist-info")
    shutil.copytree(info, target / info.name)


class Installer:
    """Stands in for uv/pip installing one pinned wheel: records the call, lays the wheel out."""

    def __init__(self, lays: bool = True) -> None:
        self.calls: list[list[str]] = []
        self.lays = lays

    def __call__(self, requirements: Sequence[str], target: Path) -> None:
        self.calls.append(list(requirements))
        if self.lays:
            _copy_sklearn_wheel(target)


def test_a_layer_needing_libgomp_gets_the_pinned_providers_copy_in_lib(tmp_path: Path) -> None:
    site = _site_needing_libgomp(tmp_path / "site")
    assert "libgomp.so.1" in missing_libraries(site)  # what the doctor and the proof complain about
    install = Installer()
    [record] = supply_libraries(site, install)
    assert install.calls == [[PROVIDERS["libgomp.so.1"].pin]]  # one exact pin, nothing else
    shipped = site / "lib" / "libgomp.so.1"
    [vendored] = (_installed("sklearn") / "scikit_learn.libs").glob("libgomp-*.so*")
    assert shipped.read_bytes() == vendored.read_bytes()  # the wheel's file as auditwheel made it
    assert record["path"] == "lib/libgomp.so.1"
    assert record["sha256"] == hashlib.sha256(vendored.read_bytes()).hexdigest()
    # the provider's version, read from the wheel it came from
    assert record["source"] == f"scikit-learn {version('scikit-learn')}: scikit_learn.libs/{vendored.name}"
    assert record["licence"] == "GPL-3.0-or-later WITH GCC-exception-3.1"
    notice = (site / record["notice"]).read_text()
    assert "GCC RUNTIME LIBRARY EXCEPTION" in notice and "libgomp" in notice
    assert missing_libraries(site) == {}  # the doctor's check passes on this tree


def test_a_layer_with_scikit_learn_uses_its_own_copy_and_installs_nothing(tmp_path: Path) -> None:
    site = _site_needing_libgomp(tmp_path / "site")
    _copy_sklearn_wheel(site)
    install = Installer()
    [record] = supply_libraries(site, install)
    assert install.calls == []
    assert record["how"] == "from a wheel of this layer"
    assert (site / "lib" / "libgomp.so.1").is_file()


def test_nothing_is_shipped_or_installed_for_a_layer_that_needs_nothing(tmp_path: Path) -> None:
    site = tmp_path / "site"
    site.mkdir()
    (site / "plain.py").write_text("x = 1\n")
    install = Installer()
    assert supply_libraries(site, install) == []
    assert install.calls == [] and not (site / "lib").exists()


def test_a_provider_without_the_library_is_a_build_error_not_a_silent_skip(tmp_path: Path) -> None:
    site = _site_needing_libgomp(tmp_path / "site")
    with pytest.raises(BuildError, match="carries no libgomp.so.1"):
        supply_libraries(site, Installer(lays=False))
