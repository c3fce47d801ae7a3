"""`export dockerfile` of a LightGBM project: lib_lightgbm.so needs libgomp.so.1, which Lambda's
OS lacks and the lightgbm wheel does not carry. pip in the Dockerfile installs the wheels only,
so the export copies in what the layer's system_libs supplied (the zip's lib/, the same bytes)."""

from __future__ import annotations

from pathlib import Path

from lambdaserve.config import load_config
from lambdaserve.package.deps.system_libs import supply_libraries
from lambdaserve.package.image.dockerfile_export import export_dockerfile
from lambdaserve.runtime.system_libraries import missing_libraries
from tests.package.test_dockerfile_offline import _project, _unreachable
from tests.package.test_system_libs import Installer, _site_needing_libgomp


def test_a_lightgbm_export_copies_in_the_libgomp_the_zip_ships(tmp_path: Path, py312) -> None:
    site = _site_needing_libgomp(tmp_path / "layer" / "site")
    [record] = supply_libraries(site, Installer())  # what the layer does for the zip (layer._install)

    def installer(config, requirements, scratch):
        return site

    project = _project(tmp_path / "p", "public.ecr.aws/lambda/python:3.12", ["lightgbm==4.7.0"])
    out = tmp_path / "out"
    result = export_dockerfile(load_config(project / "lambdaserve.toml"), out, read=_unreachable,
                               install_dependencies=installer, interpreter=py312)
    text = result.dockerfile.read_text()
    assert "COPY lib/ ${LAMBDA_TASK_ROOT}/lib/" in text
    assert (out / "lib" / "libgomp.so.1").read_bytes() == (site / record["path"]).read_bytes()
    assert (out / "lib" / "libgomp.so.1.COPYING").is_file()  # its licence notice, as in the zip
    # The task root the Dockerfile makes: the wheels (pip, without our lib/), then the COPY.
    task = tmp_path / "task"
    (task / "lightgbm" / "lib").mkdir(parents=True)
    (task / "lightgbm" / "lib" / "lib_lightgbm.so").write_bytes(
        (site / "lightgbm" / "lib" / "lib_lightgbm.so").read_bytes())
    assert "libgomp.so.1" in missing_libraries(task)  # the wheel alone lacks it
    (task / "lib").mkdir()
    (task / "lib" / "libgomp.so.1").write_bytes((out / "lib" / "libgomp.so.1").read_bytes())
    assert missing_libraries(task) == {}


def test_an_export_that_needs_no_library_has_no_lib_context(tmp_path: Path, py312) -> None:
    site = tmp_path / "site"
    site.mkdir()
    (tmp_path / "p").mkdir()
    project = _project(tmp_path / "p" / "x", "public.ecr.aws/lambda/python:3.12", [])
    out = tmp_path / "out"
    (out / "lib").mkdir(parents=True)  # left by an earlier export of another requirement set
    (out / "lib" / "libgomp.so.1").write_bytes(b"old")
    result = export_dockerfile(load_config(project / "lambdaserve.toml"), out, read=_unreachable,
                               install_dependencies=lambda config, requirements, scratch: site,
                               interpreter=py312)
    assert "COPY lib/" not in result.dockerfile.read_text() and not (out / "lib").exists()
