"""A fresh layer's zip parts are written in the background; when that fails, the zip of the
build is still whole (made from the tree) and the layer is made again next time, but the user
must hear of it: watch_parts says it through the UI's warn, naming the error."""

from __future__ import annotations

import threading
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path

from lambdaserve.package.deps import watch_parts
from lambdaserve.package.deps.layer import COMMON_PART, dependency_layer
from tests.package.test_zip_build import Recorder


class FailsFirst:
    """A background whose first task (the layer's common part) fails at once, as a full disk would."""

    def __init__(self) -> None:
        self.calls = 0
        self._pool = ThreadPoolExecutor(max_workers=4)

    def __call__(self, work: Callable[[], object]) -> Future[object]:
        self.calls += 1
        if self.calls == 1:
            failed: Future[object] = Future()
            failed.set_exception(OSError(28, "No space left on device"))
            return failed
        return self._pool.submit(work)


def _watched(pending: Future[object] | None) -> None:
    """Return once watch_parts' callback ran: callbacks run in the order they were added."""
    assert pending is not None
    after = threading.Event()
    pending.add_done_callback(lambda _done: after.set())
    assert after.wait(60)


def test_a_failed_part_is_said_through_warn_and_the_layer_is_not_recorded(tmp_path: Path, py312) -> None:
    layer = dependency_layer(["threadpoolctl==3.8.0"], python="3.12", architecture="x86_64",
                             cache_dir=tmp_path, wheel_cache=tmp_path / "wheels", interpreter=py312,
                             runner=Recorder(), background=FailsFirst())
    warned: list[str] = []
    watch_parts(warned.append)
    _watched(layer.pending)
    folder = layer.root.parent
    assert not (folder / "layer.json").exists() and not (folder / COMMON_PART).exists()
    assert len(warned) == 1, warned
    assert "No space left on device" in warned[0] and str(folder) in warned[0]
    watch_parts(warned.append)  # each layer is watched once
    assert len(warned) == 1


def test_a_layer_whose_parts_were_written_says_nothing(tmp_path: Path, py312) -> None:
    layer = dependency_layer(["threadpoolctl==3.8.0"], python="3.12", architecture="x86_64",
                             cache_dir=tmp_path, wheel_cache=tmp_path / "wheels", interpreter=py312,
                             runner=Recorder())
    warned: list[str] = []
    watch_parts(warned.append)
    _watched(layer.pending)
    assert (layer.root.parent / "layer.json").is_file()
    assert warned == []
