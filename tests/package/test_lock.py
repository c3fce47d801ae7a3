"""The lock: the function's transitive dependencies pinned to the training environment's versions.

The "training environment" here is a folder of *.dist-info metadata (what importlib.metadata
reads from any site-packages), so each test states exactly what was installed where the model
was trained.
"""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from importlib.metadata import version
from pathlib import Path

import pytest
from click.testing import CliRunner

from lambdaserve.cli.main import cli
from lambdaserve.config import load_config
from lambdaserve.config.lock_file import LockUse, lock_use, read_lock
from lambdaserve.errors import BuildError
from lambdaserve.package.deps.interpreters import Interpreter
from lambdaserve.package.deps.layer import layer_key
from lambdaserve.package.deps.lock import Environment, closure, provenance, target_name, write_lock


def installed(site: Path, name: str, ver: str, *requires: str) -> None:
    """``name`` ``ver`` as pip leaves it in site-packages: its METADATA with Requires-Dist lines."""
    info = site / f"{name.replace('-', '_')}-{ver}.dist-info"  # as pip escapes it
    info.mkdir(parents=True)
    (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {name}\nVersion: {ver}\n"
                                   + "".join(f"Requires-Dist: {r}\n" for r in requires))


def trained_in(site: Path) -> Environment:
    """An environment whose only packages are those in ``site``."""
    return Environment("/training/bin/python", "3.11.9", "linux", (str(site),))


@pytest.fixture()
def site(tmp_path: Path) -> Path:
    site = tmp_path / "site"
    installed(site, "lsparent", "1.0", "lschild>=1.0", 'winonly; sys_platform == "win32"',
              'oldpython; python_version < "3.12"', 'fastpath; extra == "fast"', "notinstalled")
    installed(site, "lschild", "1.0", "Grand_Child>=3")
    installed(site, "grand-child", "3.1+local", "not a requirement (((")  # skipped, as pip would
    for name in ("winonly", "oldpython", "fastpath"):
        installed(site, name, "9.0")
    return site


def test_the_closure_pins_every_dependency_on_the_runtime_to_the_installed_version(site):
    found = closure(["lsparent==1.0"], "3.12", "x86_64", path=[str(site)])
    # grand-child through lschild; its local label dropped (==3.1 matches 3.1+local)
    assert {n: (p.version, p.via) for n, p in found.pins.items()} == {
        "grand-child": ("3.1", ("lsparent",)), "lschild": ("1.0", ("lsparent",))}
    # markers are the runtime's (linux, python3.12), not this host's (python3.11): oldpython is out
    assert "oldpython" not in found.pins and "winonly" not in found.pins and "fastpath" not in found.pins
    assert found.missing == {"notinstalled": ("lsparent",)}
    on_311 = closure(["lsparent==1.0"], "3.11", "x86_64", path=[str(site)])
    assert "oldpython" in on_311.pins
    with_extra = closure(["lsparent[fast]==1.0"], "3.12", "x86_64", path=[str(site)])
    assert with_extra.pins["fastpath"].version == "9.0"


def test_the_lock_is_written_read_back_and_goes_stale_when_the_requirements_change(site, tmp_path):
    lock = tmp_path / "lambdaserve.lock"
    write_lock(lock, ["lsparent==1.0"], "3.12", "x86_64", trained_in(site))
    text = lock.read_text()
    assert "grand-child==3.1                 # via lsparent\n" in text
    assert "notinstalled (via lsparent)" in text  # said, not pinned
    assert "# Read from Python 3.11.9 (linux); markers evaluated for python3.12 x86_64 on Lambda." in text
    read = read_lock(lock)
    assert read is not None and read.constraints == ["grand-child==3.1", "lschild==1.0"]
    assert read.is_for(["lsparent == 1.0"]) and not read.is_for(["lsparent==1.0", "other==2"])
    assert read_lock(tmp_path / "nothing.lock") is None


def test_a_lock_from_an_environment_with_other_versions_of_the_requirements_is_refused(site, tmp_path):
    with pytest.raises(BuildError, match=r"lsparent==2.0 \(installed here: 1.0\)") as info:
        write_lock(tmp_path / "lambdaserve.lock", ["lsparent==2.0"], "3.12", "x86_64", trained_in(site))
    assert "lambdaserve lock" in info.value.hint
    assert not (tmp_path / "lambdaserve.lock").exists()


def test_a_lock_line_that_is_no_pin_is_refused_with_its_line(tmp_path):
    (tmp_path / "lambdaserve.lock").write_text('# for: ["a==1"]\nscipy>=1.0\n')
    with pytest.raises(BuildError, match=r"lambdaserve.lock:2: 'scipy>=1.0' is not a pin"):
        read_lock(tmp_path / "lambdaserve.lock")


def _use(tmp_path: Path, state: str, pins: dict[str, str]) -> LockUse:
    lock = tmp_path / "lambdaserve.lock"
    lock.write_text('# for: ["scikit-learn==1.9.1"]\n' + "".join(f"{n}=={v}\n" for n, v in pins.items()))
    return LockUse(lock, state, read_lock(lock))  # type: ignore[arg-type]


def test_provenance_names_where_each_version_came_from_and_says_what_floats(tmp_path):
    reqs = ["scikit-learn==1.9.1"]
    packages = [("scikit_learn", "1.9.1"), ("scipy", "1.18.1"), ("threadpoolctl", "3.8.0"), ("extra", "1.0")]
    target = target_name("3.12", "x86_64")
    assert target == "cp312 manylinux_2_34 x86_64"

    pins, warnings = provenance(reqs, _use(tmp_path, "used", {"scipy": "1.17.1", "threadpoolctl": "3.8.0"}),
                                packages, target)
    assert pins["scikit-learn"] == {"version": "1.9.1", "from": "function.requirements"}
    assert pins["threadpoolctl"]["from"] == "lambdaserve.lock"
    assert pins["scipy"] == {"version": "1.18.1", "from": "resolver", "why": (
        "lambdaserve.lock pins 1.17.1, which has no wheel for cp312 manylinux_2_34 x86_64")}
    assert warnings[0] == (
        "scipy==1.17.1 (the training environment's, from lambdaserve.lock) has no wheel for "
        "cp312 manylinux_2_34 x86_64: took 1.18.1; answers are proved by the golden requests")
    assert warnings[1] == (
        "not pinned by lambdaserve.lock (not installed where it was made), so the resolver chose: extra 1.0")

    missing = LockUse(tmp_path / "none.lock", "missing")
    pins, warnings = provenance(reqs, missing, packages, target)
    assert pins["scipy"] == {"version": "1.18.1", "from": "resolver", "why": "no lock"}
    [warning] = warnings
    assert "not pinned (no none.lock)" in warning and "scipy 1.18.1, threadpoolctl 3.8.0" in warning
    assert "run `lambdaserve lock` with the Python the model was trained with" in warning

    [warning] = provenance(reqs, _use(tmp_path, "stale", {"scipy": "1.17.1"}), packages, target)[1]
    assert warning.startswith("lambdaserve.lock was made for other requirements")
    assert "lambdaserve lock" in warning
    assert provenance(reqs, missing, [("scikit_learn", "1.9.1")], target)[1] == []  # nothing to float


def test_the_layer_key_holds_the_lock_pins_and_is_unchanged_without_them():
    py = Interpreter(Path("/usr/bin/python3.12"), "3.12.1", "x86_64")
    plain = layer_key(["a==1"], "3.12", "x86_64", "uv 0.13.8", py)
    assert plain == layer_key(["a==1"], "3.12", "x86_64", "uv 0.13.8", py, constraints=())
    locked = layer_key(["a==1"], "3.12", "x86_64", "uv 0.13.8", py, constraints=["b==2"])
    assert locked != plain != layer_key(["a==1"], "3.12", "x86_64", "uv 0.13.8", py, constraints=["b==3"])


TOML = """
    name = "locked"
    [model]
    path = "weights.json"
    framework = "custom"
    predictor = "p:P"
    [function]
    python = "3.12"
    requirements = {requirements}
"""


def test_lambdaserve_lock_pins_scikit_learns_dependencies_to_this_environment(tmp_path):
    (tmp_path / "weights.json").write_text("{}")
    reqs = [f"scikit-learn=={version('scikit-learn')}"]
    (tmp_path / "lambdaserve.toml").write_text(textwrap.dedent(TOML).format(requirements=json.dumps(reqs)))
    assert lock_use(load_config(tmp_path)).state == "missing"
    done = CliRunner().invoke(cli, ["lock", "--config", str(tmp_path)])
    assert done.exit_code == 0, done.output
    assert f"scipy=={version('scipy')}" in done.output and "via scikit-learn" in done.output
    use = lock_use(load_config(tmp_path))
    assert use.state == "used" and f"scipy=={version('scipy')}" in use.constraints
    assert f"threadpoolctl=={version('threadpoolctl')}" in use.constraints
    # function.requirements edited: the lock no longer describes them
    reqs.append(f"joblib=={version('joblib')}")
    (tmp_path / "lambdaserve.toml").write_text(textwrap.dedent(TOML).format(requirements=json.dumps(reqs)))
    stale = lock_use(load_config(tmp_path))
    assert stale.state == "stale" and stale.constraints == []


def test_lambdaserve_lock_reads_the_training_venv_it_is_pointed_at(tmp_path):
    """lambdaserve installed in one environment (this one), the model trained in another venv."""
    venv = tmp_path / "training-venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True, timeout=120)
    python = venv / "bin" / "python"
    site = Path(subprocess.run([str(python), "-c", "import sysconfig; print(sysconfig.get_path('purelib'))"],
                               capture_output=True, text=True, check=True).stdout.strip())
    installed(site, "lsparent", "1.0", "lschild>=1.0")
    installed(site, "lschild", "1.0")
    (tmp_path / "weights.json").write_text("{}")
    (tmp_path / "lambdaserve.toml").write_text(textwrap.dedent(TOML).format(requirements='["lsparent==1.0"]'))
    here = CliRunner().invoke(cli, ["lock", "--config", str(tmp_path)])
    assert "note: lsparent" not in here.output and "lschild" not in here.output  # not installed here
    done = CliRunner().invoke(cli, ["lock", "--config", str(tmp_path), "--python", str(python)])
    assert done.exit_code == 0, done.output
    assert f"installed in the environment of {venv}" in done.output
    assert lock_use(load_config(tmp_path)).constraints == ["lschild==1.0"]
    nothing = CliRunner().invoke(cli, ["lock", "--config", str(tmp_path), "--python", str(tmp_path / "nope")])
    assert nothing.exit_code == 1 and "does not run as a Python" in nothing.output
