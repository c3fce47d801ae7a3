"""`build_zip` on a tiny project: what ships, determinism, the cached dependency layer, size limits.

The project is a pure-Python custom predictor plus one small pure-Python requirement, so the
whole pipeline (pip for the target, trim, .pyc by Python 3.12, zip) runs in seconds.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import textwrap
import zipfile
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from lambdaserve.cli.main import cli
from lambdaserve.config import load_config
from lambdaserve.errors import BuildError
from lambdaserve.package.deps.interpreters import Interpreter
from lambdaserve.package.process import run_command
from lambdaserve.package.zip.build import SizeLimits, ZipBuildResult, build_zip
from tests.helpers import require_tool

PREDICTOR = '''
    """y = w . x + b, from model/weights.json."""
    import json
    from pathlib import Path


    class Predictor:
        def load(self, model_dir):
            raw = json.loads((Path(model_dir) / "weights.json").read_text())
            self.w, self.b = raw["w"], raw["b"]

        def predict(self, inputs):
            return {"score": [sum(w * x for w, x in zip(self.w, row)) + self.b
                              for row in inputs["features"]]}
'''

TOML = '''
    name = "tiny"
    [model]
    path = "model"
    framework = "custom"
    predictor = "scorer.linear:Predictor"
    warmup = false
    [function]
    python = "3.12"
    requirements = {requirements}
    [signature]
    inputs = [{{ name = "features", dtype = "float64", shape = [-1, 2] }}]
    outputs = [{{ name = "score", dtype = "float64", shape = [-1] }}]
'''


class Recorder:
    """A runner that runs for real and remembers every command."""

    def __init__(self) -> None:
        self.calls: list[list[str]] = []

    def __call__(self, args: list[str], **kwargs: object) -> subprocess.CompletedProcess[str]:
        self.calls.append([str(a) for a in args])
        return run_command(args, **kwargs)  # type: ignore[arg-type]

    def pip_calls(self) -> list[list[str]]:
        return [c for c in self.calls if "pip" in c and ("download" in c or "install" in c)]


# The pipeline under test here is the untrimmed one; the verified trims (on by default) are
# opted out of, and tested in test_zip_trim_unimported.py and test_zip_sourceless.py.
UNTRIMMED = "[build]\ntrim_unimported = false\nsourceless_dependencies = false\n"


def set_build(project: Path, **options: bool) -> None:
    """Replace the [build] table of the project's lambdaserve.toml (an empty one: the defaults)."""
    toml = project / "lambdaserve.toml"
    body = toml.read_text().split("[build]")[0]
    toml.write_text(body + "[build]\n" + "".join(f"{k} = {str(v).lower()}\n" for k, v in options.items()))


def make_project(folder: Path, requirements: tuple[str, ...] = ("threadpoolctl==3.8.0",)) -> Path:
    (folder / "model").mkdir(parents=True)
    (folder / "model" / "weights.json").write_text(json.dumps({"w": [2.0, -1.0], "b": 0.5}))
    (folder / "scorer").mkdir()
    (folder / "scorer" / "__init__.py").write_text("")
    (folder / "scorer" / "linear.py").write_text(textwrap.dedent(PREDICTOR))
    (folder / "notes.txt").write_text("not shipped")
    (folder / "lambdaserve.toml").write_text(
        textwrap.dedent(TOML).format(requirements=json.dumps(list(requirements))) + UNTRIMMED)
    return folder


@pytest.fixture(scope="module")
def wheels(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("wheels")


def _build(project: Path, wheels: Path, py312: Interpreter, **kwargs: Any) -> ZipBuildResult:
    return build_zip(load_config(project), wheel_cache=wheels, interpreter=py312, **kwargs)


def test_zip_holds_runtime_user_code_model_and_dependencies_only(tmp_path, wheels, py312):
    result = _build(make_project(tmp_path / "p"), wheels, py312)
    names = zipfile.ZipFile(result.path).namelist()
    assert names == sorted(names)
    tops = {n.split("/", 1)[0] for n in names}
    assert tops == {"lambdaserve", "scorer", "model", "threadpoolctl.py", "threadpoolctl-3.8.0.dist-info",
                    "__pycache__"}
    shipped = {n.split("/")[1] for n in names if n.startswith("lambdaserve/") and n.count("/") >= 1}
    assert shipped == {"", "__init__.py", "errors.py", "runtime", "__pycache__"}
    assert "model/weights.json" in names and "notes.txt" not in names
    assert "threadpoolctl-3.8.0.dist-info/METADATA" in names
    assert "threadpoolctl-3.8.0.dist-info/RECORD" not in names  # trimmed, METADATA kept
    # .pyc for python3.12 next to each source, and none for the host's Python
    assert "scorer/__pycache__/linear.cpython-312.pyc" in names
    assert "lambdaserve/runtime/__pycache__/handler.cpython-312.pyc" in names
    assert "__pycache__/threadpoolctl.cpython-312.pyc" in names
    assert not [n for n in names if n.endswith(".pyc") and ".cpython-312." not in n]
    comment = json.loads(zipfile.ZipFile(result.path).comment)
    assert comment["python"] == "3.12" and comment["architecture"] == "x86_64"
    assert result.sha256 == json.loads((result.path.parent / "build.json").read_text())["sha256"]


def test_build_json_records_the_model_hash_and_build_time_deploy_names_versions_by(tmp_path, wheels, py312):
    project = make_project(tmp_path / "p")
    result = _build(project, wheels, py312, wall_clock=lambda: 1_800_000_000.0)
    record = json.loads((result.path.parent / "build.json").read_text())
    assert record["built"] == "2027-01-15T08:00:00Z"
    assert len(record["model_sha256"]) == 64 == len(result.model_sha256)
    # the same bytes rebuilt keep their first build time, so deploy publishes no version of them
    assert _build(project, wheels, py312, wall_clock=lambda: 1_900_000_000.0).built == "2027-01-15T08:00:00Z"
    (project / "model" / "weights.json").write_text('{"changed": true}')
    changed = _build(project, wheels, py312, wall_clock=lambda: 1_900_000_000.0)
    assert changed.model_sha256 != result.model_sha256 and changed.built == "2030-03-17T17:46:40Z"


def test_pycs_are_unchecked_hash_with_var_task_paths(tmp_path, wheels, py312):
    result = _build(make_project(tmp_path / "p"), wheels, py312)
    with zipfile.ZipFile(result.path) as zf:
        pyc = zf.read("scorer/__pycache__/linear.cpython-312.pyc")
    # PEP 552 flags: bit 0 = hash-based, bit 1 = check_source; unchecked-hash is 0b01.
    assert int.from_bytes(pyc[4:8], "little") == 0b01
    assert b"/var/task/scorer/linear.py" in pyc
    assert str(tmp_path).encode() not in pyc


def test_entries_have_fixed_timestamps_and_modes(tmp_path, wheels, py312):
    result = _build(make_project(tmp_path / "p"), wheels, py312)
    unzip = require_tool("unzip")  # an independent reader checks every CRC
    checked = subprocess.run([unzip, "-tq", str(result.path)], capture_output=True, text=True)
    assert checked.returncode == 0 and "No errors detected" in checked.stdout, checked.stdout
    for info in zipfile.ZipFile(result.path).infolist():
        assert info.date_time == (1980, 1, 1, 0, 0, 0)
        mode = info.external_attr >> 16
        assert mode in ((0o040755 if info.is_dir() else 0o100644), 0o100755), (info.filename, oct(mode))


def test_same_inputs_give_the_same_sha256_in_two_folders(tmp_path, wheels, py312):
    first = _build(make_project(tmp_path / "one"), wheels, py312)
    again = _build(tmp_path / "one", wheels, py312)
    elsewhere = _build(make_project(tmp_path / "elsewhere" / "two"), wheels, py312)
    assert first.sha256 == again.sha256 == elsewhere.sha256
    assert first.path.read_bytes() == elsewhere.path.read_bytes()
    (tmp_path / "one" / "scorer" / "linear.py").write_text(textwrap.dedent(PREDICTOR) + "\n# changed\n")
    assert _build(tmp_path / "one", wheels, py312).sha256 != first.sha256


def test_code_only_rebuild_reuses_the_dependency_layer_without_pip(tmp_path, wheels, py312, fresh_user_cache):
    project = make_project(tmp_path / "p")
    cold = Recorder()
    first = _build(project, wheels, py312, runner=cold)
    assert not first.dependencies_cached and cold.pip_calls()
    (project / "scorer" / "linear.py").write_text(textwrap.dedent(PREDICTOR).replace("+ self.b", "- self.b"))
    warm = Recorder()
    second = _build(project, wheels, py312, runner=warm)
    assert second.dependencies_cached and second.dependency_key == first.dependency_key
    assert warm.pip_calls() == []
    assert second.sha256 != first.sha256
    new_reqs = make_project(tmp_path / "q", requirements=("threadpoolctl==3.7.0",))
    assert _build(new_reqs, wheels, py312).dependency_key != first.dependency_key


def test_over_the_unzipped_limit_is_refused_with_the_largest_parts(tmp_path, wheels, py312):
    project = make_project(tmp_path / "p")
    (project / "model" / "big.bin").write_bytes(b"\x01" * 800_000)  # bigger than the runtime (0.5 MB) itself
    with pytest.raises(BuildError) as info:
        _build(project, wheels, py312, limits=SizeLimits(direct_upload=50_000_000, unzipped=200_000))
    assert "over Lambda's 0.2 MB limit" in info.value.message
    assert "model" in info.value.message.split("Largest parts:")[1].splitlines()[1]
    assert 'package = "image"' in info.value.hint and "ONNX" in info.value.hint
    assert "`lambdaserve convert --to onnx`" in info.value.hint and "to come" not in info.value.hint
    assert not (project / ".lambdaserve" / "build" / "tiny.zip").exists()
    assert not list((project / ".lambdaserve" / "build").glob("*.partial"))  # nor half of one


def test_over_the_direct_upload_limit_is_recorded_as_needing_s3(tmp_path, wheels, py312):
    project = make_project(tmp_path / "p")
    small = _build(project, wheels, py312)
    assert not small.needs_s3
    big = _build(project, wheels, py312, limits=SizeLimits(direct_upload=1000, unzipped=250_000_000))
    assert big.needs_s3 and any("S3" in w for w in big.warnings)
    assert json.loads((big.path.parent / "build.json").read_text())["needs_s3"] is True


def test_user_code_that_python312_cannot_compile_is_refused(tmp_path, wheels, py312):
    project = make_project(tmp_path / "p", requirements=())
    (project / "scorer" / "broken.py").write_text("def f(:\n")
    with pytest.raises(BuildError, match="cannot compile scorer/broken.py"):
        _build(project, wheels, py312)


def test_a_predictor_module_found_nowhere_is_refused(tmp_path, wheels, py312):
    project = make_project(tmp_path / "p", requirements=())
    shutil.rmtree(project / "scorer")
    with pytest.raises(BuildError, match="'scorer' is neither in") as info:
        _build(project, wheels, py312)
    assert "scorer.py" in info.value.hint


def test_unpinned_torch_is_refused_before_any_download(tmp_path, wheels, py312):
    project = make_project(tmp_path / "p", requirements=("torch",))
    recorder = Recorder()
    with pytest.raises(BuildError, match="not pinned") as info:
        _build(project, wheels, py312, runner=recorder)
    assert "torch==" in info.value.hint and recorder.calls == []


def test_cli_build_prints_the_zip_its_sizes_and_sha256(tmp_path, py312):
    project = make_project(tmp_path / "p", requirements=())
    result = CliRunner().invoke(cli, ["build", "--package", "zip", "--config", str(project)])
    assert result.exit_code == 0, result.output
    record = json.loads((project / ".lambdaserve" / "build" / "build.json").read_text())
    assert f"sha256    {record['sha256']}" in result.output
    assert "tiny.zip" in result.output and "unzipped" in result.output and "zipped" in result.output


def test_torch_is_refused_for_a_zip_before_gigabytes_are_downloaded(tmp_path, wheels, py312):
    project = make_project(tmp_path / "p", requirements=("torch==2.13.0",))
    recorder = Recorder()
    with pytest.raises(BuildError, match="does not fit in a Lambda zip") as info:
        _build(project, wheels, py312, runner=recorder)
    assert 'package = "image"' in info.value.hint and recorder.calls == []
