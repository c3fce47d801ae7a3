"""Cross-process locks on dependency layers, which every project of a user shares.

One lock file per layer key beside the layers (``deps/<key>.lock``, never deleted: deleting a
lock file another process may have open is a race of its own). flock(2) locks belong to
the open file, so they are released when the process dies, however it dies: a killed build
never leaves a layer locked.

- A build making a layer holds it exclusively until its layer.json is written; a second
  build of the same layer (any project) waits, then finds it made.
- A build using a layer holds it shared for as long as it keeps the layer (its lifetime
  in this process), so no other build's pruning deletes it underneath.
- Pruning deletes a layer only if it can lock it exclusively at once.
"""

from __future__ import annotations

import fcntl
import os
import weakref
from pathlib import Path


class LayerLock:
    """A flock on one layer's lock file; released by ``release``, at garbage collection or exit."""

    def __init__(self, path: Path, mode: int) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o644)
        try:
            fcntl.flock(fd, mode)
        except BaseException:
            os.close(fd)
            raise
        self._fd = fd
        self._close = weakref.finalize(self, os.close, fd)

    @classmethod
    def exclusive(cls, path: Path) -> LayerLock:
        """Wait for every other holder to let go."""
        return cls(path, fcntl.LOCK_EX)

    @classmethod
    def shared(cls, path: Path) -> LayerLock:
        """Wait only for an exclusive holder (a build making the layer, or a prune deleting it)."""
        return cls(path, fcntl.LOCK_SH)

    @classmethod
    def try_exclusive(cls, path: Path) -> LayerLock | None:
        """The exclusive lock if nobody else holds the file, else None at once."""
        try:
            return cls(path, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return None

    def share(self) -> None:
        """Exclusive to shared: the layer is made, others may use it, nobody may delete it."""
        fcntl.flock(self._fd, fcntl.LOCK_SH)

    def release(self) -> None:
        self._close()
