"""build's proof unpacks the zip it runs by linking the cached files the zip holds unchanged.

A file of a given tree (the dependency layer, the compiled code) is hard-linked into the task
root only when it is the zip entry's own bytes (size, CRC-32) with its executable bit; anything
else is unzipped, so the run reads exactly what ships. A linked tree is only for a read-only run:
a run that could write through the links gets the zip unzipped afresh.
"""

from __future__ import annotations

import json
import os
import zipfile
from pathlib import Path

from lambdaserve.package.deps.layer import shared_cache
from lambdaserve.package.process import run_command
from lambdaserve.package.zip.extract import extract, prepare_artifact
from lambdaserve.package.zip.writer import Member, write_zip

FILES = {"pkg/__init__.py": b"A = 1\n", "pkg/data.bin": b"\x00\x01" * 500, "pkg/run.sh": b"#!/bin/sh\n",
         "pkg/same_size.py": b"B = 2\n", "pkg/mode.py": b"C = 3\n"}


def _tree(root: Path) -> Path:
    for name, data in FILES.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_bytes(data)
    (root / "pkg" / "run.sh").chmod(0o755)
    return root


def _zip(path: Path, tree: Path, comment: str = "") -> Path:
    write_zip(path, [Member(name, source=tree / name, executable=name.endswith(".sh")) for name in FILES]
              + [Member("model/m.txt", source=tree / "pkg" / "data.bin")], comment=comment)
    return path


def _same_inode(a: Path, b: Path) -> bool:
    return os.stat(a).st_ino == os.stat(b).st_ino


def test_only_files_identical_to_their_entries_are_linked(tmp_path):
    tree = _tree(tmp_path / "layer")
    zipped = _zip(tmp_path / "f.zip", tree)
    # After the zip was written, the tree drifts: same size other bytes, and a lost executable bit.
    (tree / "pkg" / "same_size.py").write_bytes(b"B = 9\n")
    (tree / "pkg" / "run.sh").chmod(0o644)
    task = extract(zipped, tmp_path / "task", [tree])
    for name in ("pkg/__init__.py", "pkg/data.bin"):
        assert _same_inode(task / name, tree / name)
    for name in ("pkg/same_size.py", "pkg/run.sh"):
        assert not _same_inode(task / name, tree / name)
    assert os.stat(task / "model" / "m.txt").st_nlink == 1  # in no tree: unzipped
    with zipfile.ZipFile(zipped) as zf:  # every file holds its entry's bytes, linked or not
        for info in zf.infolist():
            if not info.is_dir():
                assert (task / info.filename).read_bytes() == zf.read(info), info.filename
    assert os.stat(task / "pkg" / "run.sh").st_mode & 0o111  # the zip's mode, not the tree's


def test_a_linked_task_root_is_unzipped_afresh_for_a_run_that_could_write(tmp_path, py312):
    tree = _tree(tmp_path / "layer")
    comment = json.dumps({"python": "3.12", "architecture": "x86_64"})
    zipped = _zip(tmp_path / "f.zip", tree, comment)
    cache = shared_cache()  # the session's: awslambdaric for python3.12 is made once
    run = prepare_artifact(zipped, tmp_path / "task", cache_dir=cache, runner=run_command, trees=[tree],
                           read_only=True)
    assert _same_inode(run.task_root / "pkg" / "data.bin", tree / "pkg" / "data.bin")
    # Another read-only run (serve --built in the namespace sandbox) takes it as it is.
    kept = prepare_artifact(zipped, tmp_path / "task", cache_dir=cache, runner=run_command, read_only=True)
    assert _same_inode(kept.task_root / "pkg" / "data.bin", tree / "pkg" / "data.bin")
    # A run that could write (the process sandbox) never gets links, whatever trees it is given.
    again = prepare_artifact(zipped, tmp_path / "task", cache_dir=cache, runner=run_command, trees=[tree])
    assert not _same_inode(again.task_root / "pkg" / "data.bin", tree / "pkg" / "data.bin")
    assert (again.task_root / "pkg" / "data.bin").read_bytes() == FILES["pkg/data.bin"]


def test_a_file_rewritten_after_its_crc_was_kept_is_read_again(tmp_path):
    tree = _tree(tmp_path / "layer")
    zipped = _zip(tmp_path / "f.zip", tree)
    extract(zipped, tmp_path / "task", [tree])
    assert (tmp_path / "layer.crc.json").is_file()  # kept beside the tree for the next build
    assert _same_inode(tmp_path / "task" / "pkg" / "__init__.py", tree / "pkg" / "__init__.py")
    # Rewritten in place (same size, same inode): its modification time moved, so its CRC is read.
    with open(tree / "pkg" / "__init__.py", "r+b") as fh:
        fh.write(b"A = 7\n")
    os.utime(tree / "pkg" / "__init__.py", ns=(1, os.stat(tree / "pkg" / "__init__.py").st_mtime_ns + 10**9))
    task = extract(zipped, tmp_path / "task", [tree])
    assert not _same_inode(task / "pkg" / "__init__.py", tree / "pkg" / "__init__.py")
    assert (task / "pkg" / "__init__.py").read_bytes() == FILES["pkg/__init__.py"]
    assert _same_inode(task / "pkg" / "data.bin", tree / "pkg" / "data.bin")
