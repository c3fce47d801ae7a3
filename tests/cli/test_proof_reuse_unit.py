"""The proof reuse's pure parts: what a traced path stands for, and what makes a stored run stale."""

from __future__ import annotations

import os

from lambdaserve.cli.proof_reuse import DevStore, _modules, _Paths, _with_source
from lambdaserve.emulator.execution import FunctionSpec
from lambdaserve.package.deps import trim_reuse


def test_bytecode_read_stands_for_the_source_the_build_hashes():
    assert _with_source("scorer/__pycache__/linear.cpython-312.pyc") == {
        "scorer/__pycache__/linear.cpython-312.pyc", "scorer/linear.py"}
    assert _with_source("__pycache__/top.cpython-312.pyc") == {"__pycache__/top.cpython-312.pyc", "top.py"}
    assert _with_source("model/weights.json") == {"model/weights.json"}


def test_module_names_come_from_sources_legacy_bytecode_and_extensions():
    used = {"scorer/__init__.py", "scorer/linear.py", "pkg/mod.pyc",
            "numpy/_core/_multiarray_umath.cpython-312-x86_64-linux-gnu.so",
            "scorer/__pycache__/linear.cpython-312.pyc", "model/weights.json"}
    assert _modules(used) == {"scorer", "scorer.linear", "numpy._core._multiarray_umath", "pkg.mod"}


def test_paths_the_sandboxed_worker_saw_map_to_the_task_root_or_the_host(tmp_path):
    support = tmp_path / "runtime-support"
    spec = FunctionSpec(name="f", task_root=tmp_path / "artifact", environment={}, sandbox="namespace",
                        extra_pythonpath=(support,))
    paths = _Paths(spec)
    assert paths.task("/var/task/scorer/linear.py") == "scorer/linear.py"
    assert paths.task("/var/taskother/x.py") is None
    assert paths.host("/var/runtime/awslambdaric/bootstrap.py") == f"{support}/awslambdaric/bootstrap.py"
    assert paths.host("/tmp/scratch") is None and paths.host("/proc/self/maps") is None  # not files that last
    assert paths.host("/usr/lib/x86_64-linux-gnu/libc.so.6") == "/usr/lib/x86_64-linux-gnu/libc.so.6"
    process = _Paths(FunctionSpec(name="f", task_root=tmp_path / "artifact", environment={}))
    assert process.task(str(tmp_path / "artifact" / "model" / "w.json")) == "model/w.json"
    assert process.host("/tmp/scratch") == "/tmp/scratch"  # the process sandbox's /tmp is the host's


def test_a_file_outside_the_task_root_that_changes_makes_the_stored_run_stale(tmp_path):
    code = tmp_path / "code"
    code.mkdir()
    (code / "app.py").write_text("x = 1\n")
    stdlib = tmp_path / "stdlib.py"
    stdlib.write_text("y = 1\n")
    tree = trim_reuse.TaskTree(code, ())
    store = tmp_path / "store"
    trim_reuse.save(store, "k", tree, {"app.py"}, {"app"}, {"app"}, set(), {"answer": 1},
                    outside={str(stdlib), str(tmp_path / "absent.so")})
    assert trim_reuse.lookup(store, "k", tree) == ({"answer": 1}, None)
    (tmp_path / "absent.so").write_bytes(b"")  # once absent, now there: it would be found
    assert trim_reuse.lookup(store, "k", tree)[1] == f"{tmp_path / 'absent.so'} changed"
    (tmp_path / "absent.so").unlink()
    stdlib.write_text("y = 22\n")
    assert trim_reuse.lookup(store, "k", tree)[1] == f"{stdlib} changed"


def test_the_dev_comparison_is_kept_until_a_file_or_folder_it_read_changes(tmp_path):
    read = tmp_path / "venv-module.py"
    read.write_text("A = 1\n")
    folder = tmp_path / "project"
    folder.mkdir()
    store = DevStore(tmp_path / "dev" / "k.json")
    assert store.lookup() is None  # nothing stored
    store.save([str(read), str(folder)], ["golden.json #1: this venv and the package answer differently"])
    assert store.lookup() == ["golden.json #1: this venv and the package answer differently"]
    (folder / "sklearn.py").write_text("")  # a module added where imports look: the folder changed
    os.utime(folder, ns=(1, 1))
    assert store.lookup() is None
    store.save([str(read), str(folder)], [])
    assert store.lookup() == []
    read.write_text("A = 22\n")
    assert store.lookup() is None

