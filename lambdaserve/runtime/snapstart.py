"""SnapStart's runtime hooks, registered with Lambda's ``snapshot_restore_py`` when it is importable.

Lambda's Python runtimes (3.12+) ship ``snapshot_restore_py``; with SnapStart on, the runtime runs
the before-snapshot hooks at the end of init, in the reverse order of registration, takes the
snapshot, and in every environment restored from it runs the after-restore hooks in the order of
registration (within 10 s). Every restored environment starts from the same memory, so random
state drawn at init is the same in all of them unless it is drawn again after the restore.

The runtime's hooks:
- after restore (registered before the model loads, so it runs before any hook the predictor's
  own modules register): reseed ``random`` and, if loaded, numpy's and torch's global generators
  from the OS, then call the predictor's ``after_restore()`` if it has one;
- before snapshot (registered once the model is loaded): the warm-up row, so the snapshot holds a
  warm model, then the predictor's ``before_snapshot()`` if it has one.
A hook that raises fails the snapshot (Runtime.BeforeSnapshotError) or the restore
(Runtime.AfterRestoreError), as on Lambda.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from typing import Any


def _registry() -> Any | None:
    try:
        import snapshot_restore_py  # Lambda's own module; present in its Python runtimes
    except ImportError:
        return None
    return snapshot_restore_py


def reseed() -> list[str]:
    """Draw fresh seeds from the OS for the global generators that are loaded; their names."""
    import random

    random.seed()  # no argument: os.urandom
    done = ["random"]
    numpy = sys.modules.get("numpy")
    if numpy is not None:
        numpy.random.seed()  # the legacy global RandomState, from the OS as well
        done.append("numpy")
    torch = sys.modules.get("torch")
    if torch is not None and callable(getattr(torch, "seed", None)):
        torch.seed()
        done.append("torch")
    return done


def register_after_restore(log: Callable[..., None], predictor: Callable[[], Any]) -> bool:
    """Register the reseeding hook; ``predictor()`` gives the loaded predictor (or None) at restore.

    False when ``snapshot_restore_py`` is not importable (not a Lambda Python runtime)."""
    registry = _registry()
    if registry is None:
        return False

    def after_restore() -> None:
        seeded = reseed()
        hook = getattr(predictor(), "after_restore", None)
        if callable(hook):
            hook()
        log("INFO", "restored from a snapshot", reseeded=seeded, predictor_hook=callable(hook))

    registry.register_after_restore(after_restore)
    return True


def register_before_snapshot(log: Callable[..., None], warm_up: Callable[[], float | None],
                             predictor: Any) -> bool:
    """Register the warm-up (and the predictor's before_snapshot) to run right before the snapshot."""
    registry = _registry()
    if registry is None:
        return False

    def before_snapshot() -> None:
        warmup_ms = warm_up()
        hook = getattr(predictor, "before_snapshot", None)
        if callable(hook):
            hook()
        log("INFO", "ready for the snapshot",
            warmup_ms=None if warmup_ms is None else round(warmup_ms, 3), predictor_hook=callable(hook))

    registry.register_before_snapshot(before_snapshot)
    return True
