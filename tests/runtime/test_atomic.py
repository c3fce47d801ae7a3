"""Replacing: a file is written whole or not at all, and writers of one target never mix."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from lambdaserve.runtime.atomic import PARTIAL, STALE_S, Replacing, replace_text

SIZE = 1 << 20
CHUNK = 1 << 14


def _write_slowly(path: Path, byte: int) -> None:
    """One writer's content: SIZE bytes of ``byte``, in chunks so that writers interleave."""
    with path.open("wb") as out:
        for _ in range(SIZE // CHUNK):
            out.write(bytes([byte]) * CHUNK)
            out.flush()


def _whole(data: bytes) -> bool:
    return len(data) == SIZE and data == data[:1] * SIZE


def test_a_finished_block_replaces_the_target_and_leaves_nothing_else(tmp_path: Path) -> None:
    target = tmp_path / "build.json"
    target.write_text("old", encoding="utf-8")
    with Replacing(target) as partial:
        assert partial.parent == tmp_path and partial.name.startswith(".build.json.")
        assert partial.name.endswith(PARTIAL) and not partial.exists()
        partial.write_text("new", encoding="utf-8")
        assert target.read_text(encoding="utf-8") == "old"  # nothing shows until the block ends
    assert target.read_text(encoding="utf-8") == "new"
    assert [p.name for p in tmp_path.iterdir()] == ["build.json"]


def test_an_error_leaves_the_target_as_it_was_and_no_partial_file(tmp_path: Path) -> None:
    target = tmp_path / "model.onnx"
    target.write_bytes(b"the verified model")
    with pytest.raises(ValueError, match="answers differently"), Replacing(target) as partial:
        partial.write_bytes(b"half a conver")
        raise ValueError("the converted model answers differently")
    assert target.read_bytes() == b"the verified model"
    assert [p.name for p in tmp_path.iterdir()] == ["model.onnx"]


def test_an_error_before_anything_was_written_leaves_no_target(tmp_path: Path) -> None:
    with pytest.raises(KeyboardInterrupt), Replacing(tmp_path / "lambdaserve.lock"):
        raise KeyboardInterrupt
    assert list(tmp_path.iterdir()) == []


def test_a_rename_that_fails_removes_the_partial_file(tmp_path: Path) -> None:
    (tmp_path / "taken").mkdir()  # a folder where the file should go: the rename itself fails
    with pytest.raises(IsADirectoryError), Replacing(tmp_path / "taken") as partial:
        partial.write_text("x", encoding="utf-8")
    assert [p.name for p in tmp_path.iterdir()] == ["taken"]


def test_the_target_may_be_named_once_written(tmp_path: Path) -> None:
    out = Replacing(tmp_path / "layer")
    with out as partial:
        partial.write_bytes(b"blob")
        out.target = tmp_path / "digest-of-blob"
    assert [p.name for p in tmp_path.iterdir()] == ["digest-of-blob"]


def test_each_writer_has_a_partial_name_of_its_own(tmp_path: Path) -> None:
    names = {Replacing(tmp_path / "same").path for _ in range(100)}
    assert len(names) == 100


def test_replace_text(tmp_path: Path) -> None:
    replace_text(tmp_path / "lambdaserve.lock", "numpy==2.1.0\n")
    assert (tmp_path / "lambdaserve.lock").read_text(encoding="utf-8") == "numpy==2.1.0\n"


def test_threads_writing_one_target_at_once_leave_one_whole_file(tmp_path: Path) -> None:
    # A shared partial name would fail here: one writer truncates another's file, or renames it
    # away before the other is done (FileNotFoundError).
    target = tmp_path / "record"
    target.write_bytes(b"\xff" * SIZE)
    start, errors, torn = threading.Barrier(5), [], []
    done = threading.Event()

    def write(byte: int) -> None:
        start.wait()
        try:
            with Replacing(target) as partial:
                _write_slowly(partial, byte)
        except Exception as exc:  # reported below, with the thread's name
            errors.append(exc)

    def read() -> None:
        start.wait()
        while not done.is_set():
            if not _whole(data := target.read_bytes()):  # a reader never sees half of one
                torn.append(len(data))

    writers = [threading.Thread(target=write, args=(byte,)) for byte in range(4)]
    reader = threading.Thread(target=read)
    for thread in [*writers, reader]:
        thread.start()
    for thread in writers:
        thread.join()
    done.set()
    reader.join()
    assert errors == [] and torn == []
    assert _whole(data := target.read_bytes()) and data[0] in range(4)
    assert [p.name for p in tmp_path.iterdir()] == ["record"]


def test_processes_writing_one_target_at_once_leave_one_whole_file(tmp_path: Path) -> None:
    target = tmp_path / "record"
    script = (
        "import sys\nfrom pathlib import Path\nfrom lambdaserve.runtime.atomic import Replacing\n"
        "target, byte = Path(sys.argv[1]), bytes([int(sys.argv[2])])\n"
        "for _ in range(5):\n"
        "    with Replacing(target) as partial, partial.open('wb') as out:\n"
        f"        for _ in range({SIZE // CHUNK}):\n"
        f"            out.write(byte * {CHUNK}); out.flush()\n")
    writers = [subprocess.Popen([sys.executable, "-c", script, str(target), str(byte)],
                                stderr=subprocess.PIPE) for byte in (1, 2)]
    while any(w.poll() is None for w in writers):
        if target.exists():
            assert _whole(target.read_bytes())
    errors = [w.stderr.read() for w in writers if w.stderr]
    assert [w.returncode for w in writers] == [0, 0], errors
    assert _whole(data := target.read_bytes()) and data[0] in (1, 2)
    assert [p.name for p in tmp_path.iterdir()] == ["record"]


def test_a_killed_writers_partial_is_removed_by_the_next_writer(tmp_path: Path) -> None:
    # SIGKILL (or an unhandled SIGHUP/SIGTERM) reaches no __exit__; a partial name of its own is
    # never overwritten, so without this a killed build left a zip's worth of bytes per kill.
    target = tmp_path / "app.zip"
    child = subprocess.Popen([sys.executable, "-c",
                              "import os, signal; os.kill(os.getpid(), signal.SIGKILL)"])
    child.wait()
    dead = tmp_path / f".app.zip.{child.pid}-0a0b0c0d{PARTIAL}"
    recent = tmp_path / f".app.zip.{child.pid}-01020304{PARTIAL}"  # maybe another machine's, writing
    busy = tmp_path / f".app.zip.{os.getppid()}-0a0b0c0d{PARTIAL}"  # a live writer's
    other = tmp_path / f".app.zip.json.{child.pid}-0a0b0c0d{PARTIAL}"  # another target's
    for path in (dead, recent, busy, other):
        path.write_bytes(b"half")
    long_ago = time.time() - STALE_S - 60
    for path in (dead, busy, other):
        os.utime(path, (long_ago, long_ago))
    replace_text(target, "whole")
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted([target.name, recent.name, busy.name,
                                                                 other.name])
