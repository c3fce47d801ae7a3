"""Resolving dependencies for the Lambda runtime, not the host: tags, pip, requirement checks."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from lambdaserve.config.requirements import is_pinned, requirement_name
from lambdaserve.errors import BuildError
from lambdaserve.package.deps import layer as deps
from lambdaserve.package.deps.interpreters import Interpreter
from lambdaserve.package.deps.layer import check_requirements, layer_key
from lambdaserve.package.deps.layer_lock import LayerLock
from lambdaserve.package.deps.pip import default_pip, install_for_target, pip_version, target_args
from lambdaserve.package.deps.platforms import glibc_warnings, installed_wheels, platform_tags


def test_python312_targets_amazon_linux_2023_glibc_234():
    tags = platform_tags("3.12", "x86_64")
    assert tags[0] == "manylinux2014_x86_64"
    assert tags[1:] == [f"manylinux_2_{m}_x86_64" for m in range(17, 35)]
    assert platform_tags("3.13", "arm64")[-1] == "manylinux_2_34_aarch64"


def test_python313_and_314_target_amazon_linux_2023_and_refuse_newer_glibc(tmp_path):
    from lambdaserve.config.schema import PYTHONS

    assert {"3.13", "3.14"} <= set(PYTHONS)
    for python in ("3.13", "3.14"):
        assert platform_tags(python, "x86_64")[-1] == "manylinux_2_34_x86_64"
        assert target_args(python, "x86_64")[-2:] == [python, "--only-binary=:all:"]
    _dist_info(tmp_path, "future-1.0", "cp314-cp314-manylinux_2_39_x86_64")
    warned = glibc_warnings(installed_wheels(tmp_path), "3.14")
    assert len(warned) == 1 and "python3.14 runs on Amazon Linux 2023 (glibc 2.34)" in warned[0]


def test_python311_targets_amazon_linux_2_and_never_manylinux_2_28():
    tags = platform_tags("3.11", "x86_64")
    assert tags[-1] == "manylinux_2_26_x86_64"
    assert "manylinux_2_28_x86_64" not in tags and "manylinux_2_27_x86_64" not in tags


def test_pip_gets_one_platform_per_tag_and_the_target_python():
    args = target_args("3.12", "arm64")
    assert args.count("--platform") == 19
    assert args[-5:] == ["--implementation", "cp", "--python-version", "3.12", "--only-binary=:all:"]


def _dist_info(root: Path, name: str, *tags: str) -> None:
    info = root / f"{name}.dist-info"
    info.mkdir(parents=True)
    (info / "WHEEL").write_text("Wheel-Version: 1.0\n" + "".join(f"Tag: {t}\n" for t in tags))


def test_a_compressed_tag_set_counts_each_of_its_platforms(tmp_path):
    _dist_info(tmp_path, "scipy-1.13.0", "cp311-cp311-manylinux_2_28_x86_64.manylinux_2_17_x86_64")
    [wheel] = installed_wheels(tmp_path)
    assert sorted(wheel.platforms) == ["manylinux_2_17_x86_64", "manylinux_2_28_x86_64"]
    assert wheel.glibc == (2, 17)  # the lowest any of its tags accepts


def test_wheels_needing_a_newer_glibc_than_amazon_linux_2_are_warned_about(tmp_path):
    _dist_info(tmp_path, "numpy-2.4.6", "cp311-cp311-manylinux_2_27_x86_64",
               "cp311-cp311-manylinux_2_28_x86_64")
    _dist_info(tmp_path, "scipy-1.13.0", "cp311-cp311-manylinux_2_17_x86_64",
               "cp311-cp311-manylinux2014_x86_64")
    _dist_info(tmp_path, "joblib-1.6.0", "py3-none-any")
    wheels = installed_wheels(tmp_path)
    assert [(w.name, w.glibc) for w in wheels] == [("joblib", None), ("numpy", (2, 27)), ("scipy", (2, 17))]
    warnings = glibc_warnings(wheels, "3.11")
    assert len(warnings) == 1 and warnings[0].startswith("numpy 2.4.6 needs glibc 2.27")
    assert "Amazon Linux 2 " in warnings[0] and '"3.12"' in warnings[0]
    assert glibc_warnings(wheels, "3.12") == []


def test_unpinned_torch_is_refused_and_other_loose_pins_warned():
    with pytest.raises(BuildError, match="not pinned") as info:
        check_requirements(["torch>=2"], "torchscript")
    assert "torch==" in info.value.hint
    assert check_requirements(["torch==2.13.0"], "torchscript") == []
    warnings = check_requirements(["scikit-learn>=1.5", "xgboost==3.2.0"], "xgboost")
    assert any("scikit-learn>=1.5" in w and "not pinned" in w for w in warnings)
    assert any("xgboost-cpu" in w for w in warnings)


@pytest.mark.parametrize(("requirement", "name", "pinned"), [
    ("Scikit_Learn==1.9.1", "scikit-learn", True),
    ("scikit-learn[alldeps] == 1.9.1 ; python_version >= '3.11'", "scikit-learn", True),
    ("numpy===2.4.6", "numpy", True),
    ("torch @ https://example.invalid/torch-2.13.0-cp312-none-linux_x86_64.whl", "torch", True),
    ("numpy==2.*", "numpy", False),
    ("numpy>=2,<3", "numpy", False),
    ("zope.interface==7.0", "zope-interface", True),
    ("numpy", "numpy", False),
])
def test_requirements_are_read_as_pip_reads_them(requirement, name, pinned):
    assert requirement_name(requirement) == name
    assert is_pinned(requirement) is pinned


def test_a_framework_without_its_package_in_requirements_is_refused():
    with pytest.raises(BuildError, match="onnxruntime: the package could not load the model"):
        check_requirements(["numpy==2.4.6"], "onnx")
    with pytest.raises(BuildError, match="torch"):
        check_requirements(["numpy==2.4.6"], "torchscript")
    assert check_requirements(["onnxruntime==1.32.0"], "onnx") == []
    assert check_requirements([], "custom") == []


def _answer(stdout: str, code: int = 0):
    def runner(args, **kwargs):
        return subprocess.CompletedProcess(list(args), code, stdout, "")
    return runner


def test_an_old_pip_is_refused_with_the_upgrade_command():
    with pytest.raises(BuildError, match="pip 23.0 is too old") as info:
        pip_version(["pip"], _answer("pip 23.0.1 from /usr/lib/python3/dist-packages/pip (python 3.11)\n"))
    assert "pip>=26" in info.value.hint
    assert pip_version(["pip"], _answer("pip 26.3 from /x (python 3.11)\n")) == "26.3"
    with pytest.raises(BuildError, match="does not run"):
        pip_version(["nopip"], _answer("", code=127))


def test_the_layer_key_changes_with_every_input():
    py = Interpreter(Path("/usr/bin/python3.12"), "3.12.1", "x86_64")
    base = layer_key(["a==1"], "3.12", "x86_64", "26.3", py)
    assert base == layer_key(["a==1"], "3.12", "x86_64", "26.3", py)
    others = {layer_key(["a==2"], "3.12", "x86_64", "26.3", py),
              layer_key(["a==1"], "3.13", "x86_64", "26.3", py),
              layer_key(["a==1"], "3.12", "arm64", "26.3", py),
              layer_key(["a==1"], "3.12", "x86_64", "26.4", py),
              layer_key(["a==1"], "3.12", "x86_64", "26.3", Interpreter(py.path, "3.12.9", "x86_64"))}
    assert base not in others and len(others) == 5


def test_pip_resolves_for_the_target_python_not_the_host(tmp_path):
    # The host runs 3.11; a cp312-only wheel must be chosen for python3.12.
    target = tmp_path / "site"
    install_for_target(["markupsafe==3.0.3"], target, python="3.12", architecture="x86_64",
                       wheel_cache=tmp_path / "wheels", pip=default_pip())
    assert list(target.glob("markupsafe/_speedups.cpython-312-x86_64-linux-gnu.so"))
    assert not list(target.glob("markupsafe/*cpython-311*"))


def test_python311_with_a_manylinux_2_28_only_package_explains_amazon_linux_2(tmp_path):
    with pytest.raises(BuildError) as info:
        install_for_target(["onnxruntime==1.32.0"], tmp_path / "site", python="3.11", architecture="x86_64",
                           wheel_cache=tmp_path / "wheels", pip=default_pip())
    assert "onnxruntime==1.32.0" in info.value.message
    assert "manylinux_2_28" in info.value.hint and 'function.python = "3.12"' in info.value.hint


def test_only_the_most_recently_used_layers_are_kept(tmp_path):
    for age in range(6):
        layer = tmp_path / f"layer{age}"
        layer.mkdir()
        (layer / "layer.json").write_text("{}")
        os.utime(layer, (1_000_000 - age, 1_000_000 - age))
    (tmp_path / "half.partial").mkdir()  # an interrupted build is not a layer: left alone
    # Another build (any project of this user) still holds the oldest: never deleted under it.
    held = LayerLock.shared(tmp_path / "layer5.lock")
    deps._prune(tmp_path, keep=4)
    held.release()
    left = sorted(p.name for p in tmp_path.iterdir() if not p.name.endswith(".lock"))  # lock files stay
    assert left == ["half.partial", "layer0", "layer1", "layer2", "layer3", "layer5"]


def test_a_python_lambda_does_not_offer_is_a_build_error_with_the_fix():
    with pytest.raises(BuildError) as info:
        platform_tags("3.9", "x86_64")
    assert "no python3.9 runtime" in info.value.message and "3.12" in info.value.hint


def test_uv_targets_the_runtimes_glibc_and_machine():
    from lambdaserve.package.deps.uv import python_platform

    assert python_platform("3.12", "x86_64") == "x86_64-manylinux_2_34"
    assert python_platform("3.13", "arm64") == "aarch64-manylinux_2_34"
    with pytest.raises(BuildError, match="no python3.9 runtime"):
        python_platform("3.9", "x86_64")


def test_python311_is_installed_by_pip_because_uv_cannot_target_glibc_226():
    from lambdaserve.package.deps.uv import supports

    # uv names manylinux_2_17 and _2_28 but no _2_26: 2_17 would skip wheels pip takes.
    assert not supports("3.11", "x86_64") and supports("3.12", "x86_64") and supports("3.13", "arm64")
    assert deps._installer(None, "3.11", "x86_64") is None
    assert deps._installer(None, "3.12", "x86_64") is not None
    assert deps._installer(["pip"], "3.12", "x86_64") is None  # an explicit pip wins


def test_uv_installs_the_target_pythons_wheels_not_the_hosts(tmp_path):
    from lambdaserve.package.deps.uv import find_uv, install_with_uv

    uv = find_uv()
    assert uv is not None  # pinned in pyproject: lambdaserve's default installer
    target = tmp_path / "site"
    install_with_uv(["markupsafe==3.0.3"], target, python="3.12", architecture="x86_64", uv=uv)
    assert list(target.glob("markupsafe/_speedups.cpython-312-x86_64-linux-gnu.so"))
    assert not list(target.glob("markupsafe/*cpython-311*"))
    assert not (target / ".lock").exists()  # uv's own lock file does not ship
    with pytest.raises(BuildError) as info:
        install_with_uv(["markupsafe==0.0.1"], tmp_path / "none", python="3.12", architecture="x86_64",
                        uv=uv)
    assert "uv could not install markupsafe==0.0.1" in info.value.message
    assert "Check the pins exist" in info.value.hint
