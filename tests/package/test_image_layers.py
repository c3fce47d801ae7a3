"""Reproducible layer tars: same inputs, same digest; fixed metadata; the layer cache."""

from __future__ import annotations

import gzip
import hashlib
import io
import os
import tarfile
from pathlib import Path

from lambdaserve.package.image.layers import LayerEntry, cached_layer, tree_entries, write_layer


def _tree(root: Path) -> Path:
    (root / "pkg" / "sub").mkdir(parents=True)
    (root / "pkg" / "__init__.py").write_text("x = 1\n")
    (root / "pkg" / "sub" / "data.bin").write_bytes(os.urandom(3000))
    (root / "tool").write_text("#!/bin/sh\n")
    (root / "tool").chmod(0o775)
    (root / "link").symlink_to("pkg/__init__.py")
    return root


def test_same_inputs_give_the_same_digest_whatever_the_mtimes_and_order(tmp_path: Path) -> None:
    src = _tree(tmp_path / "src")
    first = write_layer(tree_entries(src, "var/task"), tmp_path / "a", "deps")
    os.utime(src / "pkg" / "__init__.py", (1, 1))  # touched: content unchanged
    second = write_layer(list(reversed(tree_entries(src, "var/task"))), tmp_path / "b", "deps")
    assert (first.digest, first.diff_id, first.size) == (second.digest, second.diff_id, second.size)
    assert first.digest == "sha256:" + hashlib.sha256(first.path.read_bytes()).hexdigest()
    raw = first.path.read_bytes()
    assert first.diff_id == "sha256:" + hashlib.sha256(gzip.decompress(raw)).hexdigest()
    assert raw[4:8] == b"\0\0\0\0"  # gzip header mtime 0

    (src / "pkg" / "__init__.py").write_text("x = 2\n")
    assert write_layer(tree_entries(src, "var/task"), tmp_path / "c", "deps").digest != first.digest


def test_members_are_sorted_with_parents_and_fixed_metadata(tmp_path: Path) -> None:
    src = _tree(tmp_path / "src")
    layer = write_layer(tree_entries(src, "var/task"), tmp_path / "out", "deps")
    with tarfile.open(fileobj=io.BytesIO(gzip.decompress(layer.path.read_bytes()))) as tar:
        members = tar.getmembers()
        assert not tar.pax_headers
    names = [m.name for m in members]
    assert names == sorted(names)
    assert names[:2] == ["var", "var/task"]  # parents written, so unpackers never invent modes
    by_name = {m.name: m for m in members}
    for m in members:
        assert (m.mtime, m.uid, m.gid, m.uname, m.gname) == (0, 0, 0, "", "")
        assert not m.pax_headers
    assert by_name["var/task/tool"].mode == 0o755  # executables stay executable
    assert by_name["var/task/pkg/__init__.py"].mode == 0o644
    assert by_name["var/task/pkg"].isdir() and by_name["var/task/pkg"].mode == 0o755
    assert by_name["var/task/link"].issym() and by_name["var/task/link"].linkname == "pkg/__init__.py"


def test_cache_reuses_a_layer_until_an_input_changes(tmp_path: Path) -> None:
    src = _tree(tmp_path / "src")
    blobs, cache = tmp_path / "blobs", tmp_path / "cache.json"
    first = cached_layer(tree_entries(src, "opt/ml/model"), blobs, cache, "model")
    stamp = first.path.stat().st_mtime_ns
    again = cached_layer(tree_entries(src, "opt/ml/model"), blobs, cache, "model")
    assert again == first and again.path.stat().st_mtime_ns == stamp  # not rewritten
    (src / "tool").write_text("#!/bin/sh\necho changed\n")
    changed = cached_layer(tree_entries(src, "opt/ml/model"), blobs, cache, "model")
    assert changed.digest != first.digest
    first.path.unlink()  # a lost blob is rebuilt, not trusted from the cache
    (src / "tool").write_text("#!/bin/sh\n")
    os.utime(src / "tool", ns=(0, 0))
    rebuilt = cached_layer([LayerEntry(e.arcname, e.source, e.link, e.executable)
                            for e in tree_entries(src, "opt/ml/model")], blobs, cache, "model")
    assert rebuilt.digest == first.digest and rebuilt.path.is_file()
