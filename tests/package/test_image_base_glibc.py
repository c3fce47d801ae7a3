"""An image's wheels follow its base's glibc, not Lambda's runtime table, and build says which
torch went in: what the sentence-transformers predictor in an image needs (issue 16 item 4).

python3.11 on Lambda's base is Amazon Linux 2 (glibc 2.26), where no numpy 2.4, scipy or torch
wheel fits; on a Debian bookworm base (glibc 2.36) they all do. The full torch image (built,
proved, served, deployed) is scripts/text_image_e2e.py's: a torch layer costs minutes.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from lambdaserve.package.deps.layer import layer_key
from lambdaserve.package.deps.pip import target_args
from lambdaserve.package.deps.platforms import glibc_warnings, installed_wheels, platform_tags, torch_build
from lambdaserve.package.image.base import read_base
from lambdaserve.package.image.base_glibc import CACHE_FILE, base_glibc
from tests.package.test_deps_resolution import _dist_info

LOCAL_TORCH = Path("/opt/wheels")  # this machine's CPU torch (DEVELOPERS.md: never PyPI's CUDA one)


def test_a_base_glibc_widens_the_tags_and_lambdas_own_stays_as_it_was():
    assert platform_tags("3.11", "x86_64", (2, 36))[-1] == "manylinux_2_36_x86_64"
    assert "manylinux_2_28_x86_64" in target_args("3.11", "x86_64", (2, 36))
    assert platform_tags("3.11", "x86_64", None) == platform_tags("3.11", "x86_64")  # Lambda's 2.26
    # a layer for another glibc is another layer; Lambda's own keeps its key
    from lambdaserve.package.deps.interpreters import Interpreter

    interp = Interpreter(Path(sys.executable), "3.11.2", "x86_64")
    same = layer_key(["numpy==2.4.6"], "3.11", "x86_64", "26.0", interp)
    assert layer_key(["numpy==2.4.6"], "3.11", "x86_64", "26.0", interp, glibc=None) == same
    assert layer_key(["numpy==2.4.6"], "3.11", "x86_64", "26.0", interp, glibc=(2, 36)) != same


def test_wheels_up_to_the_base_glibc_are_not_warned_about(tmp_path):
    _dist_info(tmp_path, "numpy-2.4.6", "cp311-cp311-manylinux_2_28_x86_64")
    wheels = installed_wheels(tmp_path)
    assert glibc_warnings(wheels, "3.11") != []  # on Amazon Linux 2 it would not load
    assert glibc_warnings(wheels, "3.11", (2, 36)) == []


def test_build_names_the_torch_build_and_warns_about_a_gpu_one(tmp_path):
    cpu = tmp_path / "cpu"
    _dist_info(cpu, "torch-2.13.0+cpu", "cp311-cp311-manylinux_2_28_x86_64")
    found = torch_build(installed_wheels(cpu))
    assert found is not None and found.line == "torch 2.13.0+cpu: the CPU build (no CUDA libraries)"
    assert found.warnings == ()
    pypi = tmp_path / "pypi"  # PyPI's Linux torch: a plain version, NVIDIA's libraries beside it
    _dist_info(pypi, "torch-2.13.0", "cp311-cp311-manylinux_2_28_x86_64")
    _dist_info(pypi, "nvidia_cublas_cu12-12.8.4.1", "py3-none-manylinux_2_27_x86_64")
    found = torch_build(installed_wheels(pypi))
    assert found is not None and "GPU build with nvidia_cublas_cu12" in found.line
    assert "Lambda has no GPU" in found.warnings[0]
    bundled = tmp_path / "cu"  # the PyTorch index's +cuXXX carries them inside
    _dist_info(bundled, "torch-2.13.0+cu126", "cp311-cp311-manylinux_2_28_x86_64")
    assert "GPU build" in torch_build(installed_wheels(bundled)).line  # type: ignore[union-attr]
    assert torch_build([]) is None


@pytest.mark.slow
def test_the_image_tags_take_the_local_cpu_torch_and_lambdas_311_tags_cannot(tmp_path):
    """pip itself, offline (--no-index: only the local wheel can be picked), given our tags."""
    wheels = sorted(LOCAL_TORCH.glob("torch-2.13.0+cpu-cp311-*.whl"))
    if not wheels:
        pytest.skip("no local CPU torch wheel for cp311 in /opt/wheels")

    def resolve(glibc: tuple[int, int] | None) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "pip", "install", "--dry-run", "--ignore-installed", "--quiet",
             "--report", str(tmp_path / "report.json"), "--target", str(tmp_path / "t"), "--no-index",
             "--find-links", str(LOCAL_TORCH), "--no-deps", *target_args("3.11", "x86_64", glibc),
             "torch==2.13.0"], capture_output=True, text=True, timeout=120,
            env={**os.environ, "PIP_CONFIG_FILE": os.devnull, "PIP_FIND_LINKS": ""})

    assert resolve(None).returncode != 0  # Amazon Linux 2: the manylinux_2_28 wheel does not fit
    done = resolve((2, 36))
    assert done.returncode == 0, done.stderr
    [picked] = json.loads((tmp_path / "report.json").read_text())["install"]
    assert picked["metadata"]["version"] == "2.13.0+cpu"
    assert "nvidia" not in json.dumps(picked["metadata"].get("requires_dist", []))


@pytest.mark.integration
@pytest.mark.slow
def test_the_bookworm_base_is_read_as_glibc_2_36_once_and_lambdas_base_is_not_read(
        base_image: str, tmp_path: Path):
    base = read_base(base_image, "x86_64")
    assert base_glibc(base_image, "3.11", base, cache_dir=tmp_path) == ((2, 36), "read from the base's libc")
    cached = json.loads((tmp_path / CACHE_FILE).read_text())
    assert cached == {base.manifest_digest: [2, 36]}
    (tmp_path / CACHE_FILE).write_text(json.dumps({base.manifest_digest: [2, 99]}))  # read from the cache
    assert base_glibc(base_image, "3.11", base, cache_dir=tmp_path)[0] == (2, 99)
    # AWS's own base is known by name: its layers are never read
    assert base_glibc("public.ecr.aws/lambda/python:3.11", "3.11", base, cache_dir=tmp_path / "x") == \
        ((2, 26), "Lambda's python3.11 base")
    assert not (tmp_path / "x").exists()


def test_python311_stays_with_pip_on_any_base_and_uv_only_where_it_names_the_glibc():
    from lambdaserve.package.deps import layer as deps

    # pip reads pip's configuration (find-links holding a local CPU torch); uv does not
    assert deps._installer(None, "3.11", "x86_64", (2, 36)) is None
    assert deps._installer(None, "3.12", "x86_64", (2, 29)) is None  # uv has no manylinux_2_29 target
    assert deps._installer(None, "3.12", "x86_64", (2, 36)) is not None
