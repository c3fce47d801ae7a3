"""Zips written at once from the same files share their deflates: each file is deflated once,
and each zip is the same bytes as one written on its own (a fresh layer's parts and the zip
build writes meanwhile, layer.zip_members)."""

from __future__ import annotations

import os
import random
import zipfile
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from lambdaserve.package.zip.writer import BACKGROUND_NICE, Deflates, Member, write_zip


def _files(root: Path, count: int) -> list[Path]:
    rng = random.Random(7)
    paths = []
    for i in range(count):
        path = root / f"pkg{i % 3}" / f"m{i:03}.bin"
        path.parent.mkdir(parents=True, exist_ok=True)
        # some compressible, some not, one larger than the writer's 1 MB chunk
        body = bytes(rng.randrange(256) for _ in range(2000)) if i % 2 else b"abc" * (400 + i)
        path.write_bytes(body * (600 if i == 5 else 1))
        paths.append(path)
    return paths


def _members(root: Path, paths: list[Path]) -> list[Member]:
    return [Member(p.relative_to(root).as_posix(), source=p, executable=i % 4 == 0)
            for i, p in enumerate(paths)]


def test_two_zips_written_at_once_deflate_each_file_once_and_are_the_bytes_of_zips_written_alone(tmp_path):
    root = tmp_path / "tree"
    paths = _files(root, 90)
    first, second = _members(root, paths[:60]), _members(root, paths[30:])
    deflates = Deflates()
    with ThreadPoolExecutor(max_workers=2) as pool:  # as a layer's part (niced) and a build's zip
        a = pool.submit(write_zip, tmp_path / "a.zip", first, nice=BACKGROUND_NICE, deflates=deflates)
        b = pool.submit(write_zip, tmp_path / "b.zip", second, comment="zip", deflates=deflates)
        a.result(), b.result()
    assert deflates.files == 90  # the 30 files both hold were deflated once
    write_zip(tmp_path / "a-alone.zip", first)
    write_zip(tmp_path / "b-alone.zip", second, comment="zip")
    assert (tmp_path / "a.zip").read_bytes() == (tmp_path / "a-alone.zip").read_bytes()
    assert (tmp_path / "b.zip").read_bytes() == (tmp_path / "b-alone.zip").read_bytes()
    with zipfile.ZipFile(tmp_path / "a.zip") as zf:
        assert zf.testzip() is None
        assert zf.read("pkg2/m005.bin") == paths[5].read_bytes()


def test_a_file_changed_since_it_was_deflated_is_deflated_again(tmp_path):
    root = tmp_path / "tree"
    [path] = _files(root, 1)
    deflates = Deflates()
    write_zip(tmp_path / "a.zip", _members(root, [path]), deflates=deflates)
    path.write_bytes(b"another content, another size")
    os.utime(path, ns=(1, 1))
    write_zip(tmp_path / "b.zip", _members(root, [path]), deflates=deflates)
    with zipfile.ZipFile(tmp_path / "b.zip") as zf:
        assert zf.read("pkg0/m000.bin") == b"another content, another size"
    assert deflates.files == 2


def test_a_normal_priority_zip_does_not_wait_for_a_file_a_background_zip_is_deflating(tmp_path):
    # The background (niced) writer is stuck inside one file's deflate; the build's zip, at normal
    # priority, deflates that file itself instead of waiting, and is still the same bytes.
    import threading

    from lambdaserve.package.zip.writer import _deflate

    root = tmp_path / "tree"
    paths = _files(root, 6)
    stuck, release = threading.Event(), threading.Event()

    def slow_on_the_first(source: Path):  # type: ignore[no-untyped-def]
        if source == paths[0] and threading.current_thread().name.startswith("lambdaserve-deflate") \
                and not stuck.is_set():
            stuck.set()
            assert release.wait(60)
        return _deflate(source)

    deflates = Deflates(slow_on_the_first)
    with ThreadPoolExecutor(max_workers=1) as pool:
        background = pool.submit(write_zip, tmp_path / "part.zip", _members(root, paths[:1]),
                                 nice=BACKGROUND_NICE, deflates=deflates)
        assert stuck.wait(30)
        write_zip(tmp_path / "zip.zip", _members(root, paths), deflates=deflates)  # returns while stuck
        assert not background.done()
        release.set()
        background.result(30)
    write_zip(tmp_path / "alone.zip", _members(root, paths))
    assert (tmp_path / "zip.zip").read_bytes() == (tmp_path / "alone.zip").read_bytes()
