"""Dependency layers are shared by every project of a user, and two builds at once both succeed.

Each test starts from an empty per-user cache (tests/conftest.py's fresh_user_cache).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from lambdaserve.config import load_config
from lambdaserve.package.deps.layer import shared_cache
from lambdaserve.package.deps.layer_lock import LayerLock
from lambdaserve.package.zip.build import build_zip
from tests.package.test_zip_build import Recorder, make_project


def test_a_second_project_on_the_same_pins_reuses_the_first_ones_layer(tmp_path, py312, fresh_user_cache):
    first = build_zip(load_config(make_project(tmp_path / "one")), interpreter=py312)
    runner = Recorder()
    # Another project, the same pins (listed in another order would be the same layer too).
    second = build_zip(load_config(make_project(tmp_path / "two")), interpreter=py312, runner=runner)
    assert not first.dependencies_cached and second.dependencies_cached
    assert second.dependency_key == first.dependency_key and runner.pip_calls() == []
    assert Path(second.dependency_root).is_relative_to(shared_cache())
    assert not (tmp_path / "two" / ".lambdaserve" / "cache" / "deps").exists()


def test_two_builds_of_two_projects_at_once_both_succeed(tmp_path):
    # Two processes, one fresh per-user cache: both need the same layer, neither has it. The
    # lock makes one wait for the other's layer; without it, one deletes the other's folder
    # as a killed build's leftovers.
    projects = [make_project(tmp_path / name) for name in ("one", "two")]
    env = {**os.environ, "LAMBDASERVE_CACHE_DIR": str(tmp_path / "user-cache")}  # fresh: neither has it
    builds = [subprocess.Popen([sys.executable, "-m", "lambdaserve.cli.main", "build"], cwd=project, env=env,
                               stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
              for project in projects]
    outputs = [build.communicate(timeout=600)[0] for build in builds]
    assert [build.returncode for build in builds] == [0, 0], outputs
    records = [json.loads((p / ".lambdaserve" / "build" / "build.json").read_text()) for p in projects]
    assert records[0]["dependency_key"] == records[1]["dependency_key"]
    assert sorted(r["dependencies_cached"] for r in records) == [False, True]  # made once, then reused
    layer = Path(records[0]["dependency_root"]).parent
    assert (layer / "layer.json").is_file()


def test_pruning_skips_a_layer_another_build_holds(tmp_path):
    lock_file = tmp_path / "deps" / "k.lock"
    held = LayerLock.shared(lock_file)
    assert LayerLock.try_exclusive(lock_file) is None  # what _prune asks before deleting
    held.release()
    again = LayerLock.try_exclusive(lock_file)
    assert again is not None
    again.release()
