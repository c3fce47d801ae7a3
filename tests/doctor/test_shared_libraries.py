"""The shared-libraries check on real ELF files: LightGBM's lib_lightgbm.so needs libgomp.so.1, which
Lambda's OS lacks; the package must carry it."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from lambdaserve.config import load_config
from lambdaserve.doctor import Probes, Severity, run_checks
from lambdaserve.doctor.checks import shared_libraries
from lambdaserve.doctor.context import DoctorContext
from lambdaserve.runtime.system_libraries import needed
from tests.doctor.support import project


def _lib_lightgbm() -> Path:
    lightgbm = pytest.importorskip("lightgbm")
    return Path(lightgbm.__file__).parent / "lib" / "lib_lightgbm.so"


def test_the_elf_reader_lists_what_lib_lightgbm_needs() -> None:
    wants = needed(_lib_lightgbm())
    assert "libgomp.so.1" in wants and "libc.so.6" in wants
    assert needed(Path(__file__)) == ()  # not ELF


def test_the_elf_reader_needs_nothing_of_empty_short_or_linked_files(tmp_path: Path) -> None:
    from lambdaserve.runtime.system_libraries import missing_libraries

    (tmp_path / "empty.so").write_bytes(b"")
    (tmp_path / "short.so").write_bytes(b"\x7fEL")  # not even ELF's magic
    assert [needed(tmp_path / n) for n in ("empty.so", "short.so")] == [(), ()]
    site = tmp_path / "site"
    (site / "lightgbm" / "lib").mkdir(parents=True)
    shutil.copy(_lib_lightgbm(), site / "lightgbm" / "lib" / "lib_lightgbm.so")
    assert missing_libraries(site)["libgomp.so.1"] == ["lightgbm/lib/lib_lightgbm.so"]
    (site / "libgomp.so.1.0.0").write_bytes(b"")
    (site / "libgomp.so.1").symlink_to("libgomp.so.1.0.0")  # carried, as a link: needed no more
    assert "libgomp.so.1" not in missing_libraries(site)


def _check(root: Path, site: Path | None) -> list:
    ctx = DoctorContext(project_dir=root, config=load_config(root), probes=Probes(layer=lambda: site))
    return run_checks(ctx, [shared_libraries.CHECK]).findings


def test_a_library_lambda_lacks_is_an_error_until_the_package_carries_it(tmp_path: Path) -> None:
    root = project(tmp_path / "p")
    site = tmp_path / "site"
    (site / "lightgbm" / "lib").mkdir(parents=True)
    shutil.copy(_lib_lightgbm(), site / "lightgbm" / "lib" / "lib_lightgbm.so")
    [finding] = _check(root, site)
    assert finding.severity is Severity.ERROR
    assert finding.message.startswith("lightgbm/lib/lib_lightgbm.so needs libgomp.so.1")
    assert "cannot open shared object file" in finding.message

    (site / "lib").mkdir()
    (site / "lib" / "libgomp.so.1").write_bytes(b"carried")
    [finding] = _check(root, site)
    assert finding.severity is Severity.OK

    [finding] = _check(root, None)
    assert finding.severity is Severity.SKIPPED


def test_a_layer_holding_a_truncated_library_is_an_error_with_the_fix_not_a_crash(tmp_path: Path) -> None:
    # it needed nothing as far as the reader could tell: the check said every library was found
    root = project(tmp_path / "p")
    site = tmp_path / "site"
    (site / "lightgbm" / "lib").mkdir(parents=True)
    (site / "lightgbm" / "lib" / "lib_lightgbm.so").write_bytes(_lib_lightgbm().read_bytes()[:4096])
    [finding] = _check(root, site)
    assert finding.severity is Severity.ERROR
    assert finding.message.startswith(f"{site}/lightgbm/lib/lib_lightgbm.so is a damaged shared object: "
                                      "its dynamic section")
    assert "reinstall the package it belongs to" in finding.hint
