"""A fresh dependency layer's zip parts are written in the background, and recorded only after.

The cold build hands the layer's tree to the smoke runs while its parts deflate on the core
those runs leave idle. What must hold: the parts end up holding exactly the tree, layer.json
comes last (a folder without it is built again), a layer still being finished is never built
a second time, and the background threads lower only their own priority.
"""

from __future__ import annotations

import os
import sys
import threading
import zipfile
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path

import pytest

from lambdaserve.errors import BuildError
from lambdaserve.package.deps.interpreters import Interpreter
from lambdaserve.package.deps.layer import (
    COMMON_PART,
    Background,
    DependencyLayer,
    dependency_layer,
    layer_parts,
    zip_members,
)
from lambdaserve.package.deps.layer_lock import LayerLock
from lambdaserve.package.deps.trim_imports import link_tree
from lambdaserve.package.zip.writer import lower_priority, write_zip
from tests.package.test_zip_build import Recorder

REQUIREMENTS = ["threadpoolctl==3.8.0"]


def _layer(cache: Path, py312: Interpreter, runner: Recorder, sourceless: bool = False,
           background: Background | None = None) -> DependencyLayer:
    return dependency_layer(REQUIREMENTS, python="3.12", architecture="x86_64", cache_dir=cache,
                            wheel_cache=cache / "wheels", interpreter=py312, runner=runner,
                            sourceless=sourceless, background=background)


class HeldBack:
    """A background that starts nothing until ``release``: the parts stay unwritten meanwhile."""

    def __init__(self) -> None:
        self._gate = threading.Event()
        self._pool = ThreadPoolExecutor(max_workers=8)

    def __call__(self, work: Callable[[], object]) -> Future[object]:
        def held() -> object:
            self._gate.wait(60)
            return work()
        return self._pool.submit(held)

    def release(self) -> None:
        self._gate.set()
        self._pool.shutdown(wait=True)


def _installs(runner: Recorder) -> list[list[str]]:
    return [c for c in runner.calls if "install" in c]


def _tree(root: Path) -> set[str]:
    return {p.relative_to(root).as_posix() for p in root.rglob("*") if p.is_file()}


def _zipped(parts: list[Path]) -> list[str]:
    names: list[str] = []
    for part in parts:
        with zipfile.ZipFile(part) as zf:
            names += [n for n in zf.namelist() if not n.endswith("/")]
    return names


def test_the_parts_hold_exactly_the_tree_and_the_record_is_written_after_them(tmp_path, py312):
    layer = _layer(tmp_path, py312, Recorder())
    layer.wait()
    folder = layer.root.parent
    assert (folder / "layer.json").is_file() and (folder / COMMON_PART).is_file()
    names = _zipped(layer_parts(layer))
    assert sorted(names) == sorted(_tree(layer.root))  # every file once: no file lost, none twice
    assert any(n.endswith(".py") for n in names) and any("__pycache__/" in n for n in names)


def test_a_layer_folder_without_its_record_is_built_again(tmp_path, py312):
    first = _layer(tmp_path, py312, Recorder())
    first.wait()
    (first.root.parent / "layer.json").unlink()  # as a build killed before the parts were done leaves it
    assert first.hold is not None
    first.hold.release()  # the killed build's lock (layer_lock.py) died with its process
    again = Recorder()
    layer = _layer(tmp_path, py312, again)
    layer.wait()
    assert _installs(again) and not layer.cached
    assert (layer.root.parent / "layer.json").is_file()
    warm = Recorder()
    assert _layer(tmp_path, py312, warm).cached and _installs(warm) == []


def test_the_sourceless_layer_takes_its_source_layer_while_that_is_finished_not_a_rebuild(tmp_path, py312):
    # As in build_zip, the sourceless layer is asked for while the source layer's parts are
    # still being written: building that again would delete the folder they are written into.
    runner, held = Recorder(), HeldBack()
    source = _layer(tmp_path, py312, runner, background=held)
    assert not (source.root.parent / "layer.json").exists()  # not recorded while its parts wait
    slim = _layer(tmp_path, py312, runner, sourceless=True, background=held)
    assert len(_installs(runner)) == 1
    held.release()
    slim.wait()
    source.wait()
    assert (source.root.parent / "layer.json").is_file() and (slim.root.parent / "layer.json").is_file()
    slim_names = _zipped(layer_parts(slim))
    assert sorted(slim_names) == sorted(_tree(slim.root))
    assert not any(n.endswith(".py") for n in slim_names if n.startswith("threadpoolctl"))
    # the shared part is the source layer's own file, linked, not a copy
    assert os.path.samefile(slim.root.parent / COMMON_PART, source.root.parent / COMMON_PART)


def test_a_zip_of_a_fresh_layer_does_not_wait_for_its_parts_and_is_the_same_bytes(tmp_path, py312):
    # build_zip's cold path: the zip is written while the layer's parts are still held back
    # (it deflates the files itself, through the deflates the parts share); it must be the
    # very zip a later build copies raw from the finished parts.
    runner, held = Recorder(), HeldBack()
    _layer(tmp_path, py312, runner, background=held)
    slim = _layer(tmp_path, py312, runner, sourceless=True, background=held)
    members, deflates = zip_members(slim)
    assert deflates is not None and all(m.part is None for m in members)
    write_zip(tmp_path / "fresh.zip", members, comment="c", deflates=deflates)
    assert not (slim.root.parent / "layer.json").exists()  # written with the parts still held
    held.release()
    slim.wait()
    # once its parts are written the layer lets go of the deflated data; zips copy the parts
    assert slim.deflates is None and zip_members(slim)[1] is None
    cached = _layer(tmp_path, py312, Recorder(), sourceless=True)
    assert cached.cached
    members, deflates = zip_members(cached)
    assert deflates is None and all(m.part is not None for m in members)
    write_zip(tmp_path / "cached.zip", members, comment="c")
    assert (tmp_path / "fresh.zip").read_bytes() == (tmp_path / "cached.zip").read_bytes()
    assert sorted(_zipped([tmp_path / "fresh.zip"])) == sorted(_tree(slim.root))


def test_the_user_cache_keeps_as_many_layers_as_lambdaserve_keep_layers_says(tmp_path, py312, monkeypatch):
    # Older layers of the user's other projects, least recently used first (the default, 8,
    # would keep all three).
    for age, name in enumerate(("newer", "older", "oldest")):
        old = tmp_path / "deps" / name
        old.mkdir(parents=True)
        (old / "layer.json").write_text("{}")
        os.utime(old, (1_000_000 - age, 1_000_000 - age))
    monkeypatch.setenv("LAMBDASERVE_KEEP_LAYERS", "2")
    layer = _layer(tmp_path, py312, Recorder())
    layer.wait()  # the prune runs once the new layer is recorded
    left = sorted(p.name for p in (tmp_path / "deps").iterdir() if (p / "layer.json").is_file())
    assert left == sorted([layer.root.parent.name, "newer"])


def test_a_keep_layers_value_that_is_no_count_fails_before_anything_installs(tmp_path, py312, monkeypatch):
    monkeypatch.setenv("LAMBDASERVE_KEEP_LAYERS", "lots")
    runner = Recorder()
    with pytest.raises(BuildError, match="LAMBDASERVE_KEEP_LAYERS='lots'") as info:
        _layer(tmp_path, py312, runner)
    assert "1 or more" in info.value.hint and _installs(runner) == []


@pytest.mark.skipif(sys.platform != "linux", reason="threads have their own nice value on Linux only")
def test_lower_priority_renices_the_calling_thread_only():
    tid_main = threading.get_native_id()
    before = os.getpriority(os.PRIO_PROCESS, tid_main)
    seen: dict[str, int] = {}

    def background() -> None:
        tid = threading.get_native_id()
        seen["before"] = os.getpriority(os.PRIO_PROCESS, tid)
        lower_priority(5)
        seen["after"] = os.getpriority(os.PRIO_PROCESS, tid)

    worker = threading.Thread(target=background)
    worker.start()
    worker.join()
    assert seen["after"] == min(19, seen["before"] + 5)
    assert os.getpriority(os.PRIO_PROCESS, tid_main) == before


def test_link_tree_replaces_an_existing_name_without_writing_through_it(tmp_path):
    source = tmp_path / "source"
    (source / "pkg").mkdir(parents=True)
    (source / "pkg" / "mod.py").write_text("new")
    cached = tmp_path / "cached.py"
    cached.write_text("cached layer's bytes")
    dest = tmp_path / "dest"
    (dest / "pkg").mkdir(parents=True)
    os.link(cached, dest / "pkg" / "mod.py")  # the name is a hard link into another tree
    link_tree(source, dest)
    assert (dest / "pkg" / "mod.py").read_text() == "new"
    assert os.path.samefile(dest / "pkg" / "mod.py", source / "pkg" / "mod.py")
    assert cached.read_text() == "cached layer's bytes"


def test_a_build_waiting_on_a_layer_being_made_gets_it_while_the_maker_keeps_using_it(tmp_path, py312):
    # The maker (another build) holds the layer's lock exclusively while it makes it, then turns it
    # shared and keeps it for its process's life. A waiter must get the layer then, not wait for an
    # exclusive lock that would come only when the maker's process exits.
    made = _layer(tmp_path, py312, Recorder())
    made.wait()  # its parts written and recorded: no longer a layer this process is finishing
    folder = made.root.parent
    record = folder / "layer.json"
    assert made.hold is not None
    made.hold.release()
    record.rename(folder / "layer.json.made")  # as it is while the maker is still making it
    maker = LayerLock.exclusive(folder.with_name(folder.name + ".lock"))
    runner = Recorder()
    got: list[DependencyLayer] = []
    waiter = threading.Thread(target=lambda: got.append(_layer(tmp_path, py312, runner)), daemon=True)
    waiter.start()
    waiter.join(1)
    assert waiter.is_alive() and not got  # it waits for the maker
    (folder / "layer.json.made").rename(record)
    maker.share()  # made: the maker keeps using it
    waiter.join(60)
    still_waiting = waiter.is_alive()
    maker.release()
    waiter.join(120)
    assert not still_waiting, "the waiter outlasted the making, waiting for an exclusive lock"
    assert got and got[0].cached and not _installs(runner)
