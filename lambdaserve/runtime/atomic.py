"""Write a file whole or not at all: under a partial name of its own beside it, then renamed onto it.

A reader (a later build, another process, an init fetching the model) finds the old file or the
new one, never half of one. Each writer's partial name is unique (the process and a random part),
so two writers of the same target at once (two builds, two threads) never truncate each other's
file: the last rename wins, whole. Stdlib only: the runtime's S3 model fetch uses it too.

No fsync: every file written this way is a build record or a cache that a later run checks again
or makes anew, or a user's file a command writes again (lambdaserve.lock, a converted model).
"""

from __future__ import annotations

import contextlib
import glob
import os
import time
from pathlib import Path
from types import TracebackType

PARTIAL = ".partial"


class Replacing:
    """``with Replacing(target) as partial:`` write the file ``partial`` (not made yet, in
    ``target``'s folder); when the block ends without an error it is renamed onto ``target``,
    else it is removed and ``target`` is as it was. ``target`` may be set inside the block to
    another name in the same folder (a blob named by the digest of what was written)."""

    def __init__(self, target: Path) -> None:
        self.target = target
        self.path = target.with_name(f".{target.name}.{os.getpid()}-{os.urandom(4).hex()}{PARTIAL}")

    def __enter__(self) -> Path:
        # A writer killed outright (SIGKILL, SIGHUP or SIGTERM unhandled, the OOM killer) reaches no
        # __exit__: a partial under its own name is never overwritten, so the next writer removes it.
        sweep_partials(self.target)
        return self.path

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None,
                 trace: TracebackType | None) -> None:
        if error is None:
            try:
                os.replace(self.path, self.target)  # atomic within one file system
                return
            except BaseException:
                self._remove()
                raise
        self._remove()

    def _remove(self) -> None:
        with contextlib.suppress(OSError):  # the error that brought us here is the one to tell
            self.path.unlink(missing_ok=True)


def sweep_partials(target: Path, *, own: bool = False) -> None:
    """Remove ``target``'s partial files left by writers that were killed (no error reached
    ``__exit__``): those of processes no longer running here, once unchanged for STALE_S (a
    folder shared with other machines, a home on NFS, holds live writers whose pids mean nothing
    here). With ``own`` (the folder is this machine's and this process its one writer: the model
    fetched into /tmp) at once, this process's own too: a sandbox's runtime restarted by the init
    that follows a killed one may have the same pid."""
    for stale in target.parent.glob(f".{glob.escape(target.name)}.*{PARTIAL}"):
        pid = stale.name[len(target.name) + 2:].split("-", 1)[0]
        if not pid.isdigit():
            continue
        running = Path(f"/proc/{pid}").exists()
        with contextlib.suppress(OSError):
            if (own and (int(pid) == os.getpid() or not running)) or (
                    not running and time.time() - stale.stat().st_mtime > STALE_S):
                stale.unlink()


STALE_S = 3600.0  # a partial unchanged this long has no writer: every writer here writes as it goes


def replace_text(target: Path, text: str) -> None:
    """Write ``text`` (UTF-8) to ``target`` whole or not at all."""
    with Replacing(target) as partial:
        partial.write_text(text, encoding="utf-8")
