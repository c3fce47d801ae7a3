"""Package size, wheel tags, pickle format and version skew: each with a failing and a passing case."""

from __future__ import annotations

from lambdaserve.doctor import PackageInfo, Probes, Severity, WheelInfo
from lambdaserve.doctor.checks import framework_skew, package_size, pickle_format, python_skew, wheel_tags
from lambdaserve.doctor.checks.framework_skew import saved_version, sklearn_pin
from tests import models
from tests.doctor.support import context, only, project

MB = 1_000_000


def test_torch_in_a_zip_is_refused_before_building(tmp_path):
    root = project(tmp_path, framework="torchscript", model="model.pt", requirements='["torch==2.13.0"]')
    finding = only(package_size.CHECK, context(root))
    assert finding.severity is Severity.ERROR and "262144000" in finding.message
    image = project(tmp_path / "img", framework="torchscript", model="model.pt",
                    requirements='["torch==2.13.0"]', package="image")
    assert only(package_size.CHECK, context(image)).severity is Severity.SKIPPED  # nothing built yet


def _sized(tmp_path, info, package="zip"):
    return context(project(tmp_path, package=package), probes=Probes(package=lambda: info))


def test_zip_sizes_against_250_mb(tmp_path):
    assert only(package_size.CHECK, _sized(tmp_path, PackageInfo("zip", 260 * MB, 80 * MB))).severity \
        is Severity.ERROR
    assert only(package_size.CHECK, _sized(tmp_path, PackageInfo("zip", 240 * MB, 70 * MB))).severity \
        is Severity.WARNING
    ok = only(package_size.CHECK, _sized(tmp_path, PackageInfo("zip", 120 * MB, 60 * MB)))
    assert ok.severity is Severity.OK and "through S3" in ok.message


def test_image_against_10_gb(tmp_path):
    big = _sized(tmp_path, PackageInfo("image", image=11_000 * MB), package="image")
    assert only(package_size.CHECK, big).severity is Severity.ERROR
    small = _sized(tmp_path, PackageInfo("image", image=900 * MB), package="image")
    assert only(package_size.CHECK, small).severity is Severity.OK


def _wheels(tmp_path, wheels):
    # the project targets python3.12 on x86_64: Amazon Linux 2023, glibc 2.34
    return context(project(tmp_path), probes=Probes(wheels=lambda: wheels, runtime_glibc=(2, 34)))


def test_wheels_needing_a_newer_glibc_or_another_platform(tmp_path):
    found = wheel_tags.CHECK.run(_wheels(tmp_path, [
        WheelInfo("onnxruntime", "1.32.0", (2, 38), ("manylinux_2_38_x86_64",)),
        WheelInfo("numpy", "2.4.6", None, ("macosx_14_0_arm64",)),
        WheelInfo("scipy", "1.17.0", (2, 17), ("manylinux2014_aarch64",)),
    ]))
    assert [f.severity for f in found] == [Severity.ERROR] * 3
    assert "GLIBC_2.38 not found" in found[0].message
    assert "macosx_14_0_arm64" in found[1].message and "not x86_64" in found[2].message


def test_wheels_for_the_runtime_pass(tmp_path):
    ctx = _wheels(tmp_path, [WheelInfo("numpy", "2.4.6", (2, 28), ("manylinux_2_28_x86_64",)),
                             WheelInfo("joblib", "1.6.0", None, ("any",))])
    assert only(wheel_tags.CHECK, ctx).severity is Severity.OK


def test_pickle_models_suggest_skops(tmp_path):
    made = models.sklearn_classifier(tmp_path, "joblib")
    root = project(tmp_path, framework="sklearn", model=made.path.name,
                   requirements='["scikit-learn==1.9.1"]')
    finding = only(pickle_format.CHECK, context(root))
    assert finding.severity is Severity.WARNING and "skops" in finding.hint
    (tmp_path / "s").mkdir()
    skops = models.sklearn_classifier(tmp_path / "s", "skops")
    root = project(tmp_path / "s", framework="sklearn", model=skops.path.name,
                   requirements='["scikit-learn==1.9.1"]')
    assert only(pickle_format.CHECK, context(root)).severity is Severity.OK


def test_python_skew(tmp_path):
    root = project(tmp_path)
    skew = only(python_skew.CHECK, context(root, python=(3, 11)))
    assert skew.severity is Severity.WARNING
    # invoke of the project folder may run on this Python (no python3.12 with the requirements):
    # the hint names what surely runs the target's, the built zip
    assert "`lambdaserve invoke --built`" in skew.hint and "it runs the target Python" not in skew.hint
    assert only(python_skew.CHECK, context(root, python=(3, 12))).severity is Severity.OK


def test_the_pickled_sklearn_version_is_read_without_unpickling(tmp_path):
    import sklearn  # here, not at the top: collecting the module then imports no framework

    made = models.sklearn_classifier(tmp_path, "pickle")
    assert saved_version(made.path.read_bytes()) == sklearn.__version__


def test_the_sklearn_pin_is_read_with_any_spelling_of_the_name():
    assert sklearn_pin("scikit-learn==1.9.1") == "1.9.1"
    assert sklearn_pin("Scikit_Learn == 1.9.1 ; python_version >= '3.11'") == "1.9.1"
    assert sklearn_pin("scikit-learn>=1.9") is None and sklearn_pin("numpy==2.4.6") is None
    assert sklearn_pin("not a requirement ==") is None


def test_framework_skew(tmp_path):
    import sklearn

    made = models.sklearn_classifier(tmp_path, "pickle")
    here = sklearn.__version__
    major, minor = here.split(".")[:2]

    def ctx(requirement: str):
        return context(project(tmp_path, framework="sklearn", model=made.path.name,
                               requirements=f'["{requirement}"]'))

    finding = only(framework_skew.CHECK, ctx(f"scikit-learn=={major}.{int(minor) - 1}.0"))
    assert finding.severity is Severity.ERROR and f"saved by scikit-learn {here}" in finding.message
    assert only(framework_skew.CHECK, ctx(f"scikit-learn=={here}")).severity is Severity.OK
    assert only(framework_skew.CHECK, ctx("numpy==2.4.6")).severity is Severity.WARNING
