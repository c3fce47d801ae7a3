"""Loaded by every emulator worker (never shipped with a function).

1. Lambda has no /dev/shm: POSIX semaphores cannot be created, so multiprocessing's SemLock,
   and with it Lock, Queue, Pool, Manager and torch's DataLoader(num_workers>0), fail with
   ``OSError: [Errno 38] Function not implemented``. Process and Pipe need no semaphore.
2. No orphans: a worker started by the emulator dies with it (PR_SET_PDEATHSIG), set here
   rather than in a preexec_fn, which can deadlock a threaded parent between fork and exec.
3. With LAMBDASERVE_TRACE_FILE set (build's proof only), what the worker reads is recorded
   (lambdaserve_trace.py), so a later build can tell whether a changed file could change the run.
"""

import errno
import os

try:
    import _multiprocessing
except ImportError:  # an interpreter built without it fails the same way already
    pass
else:
    _real = _multiprocessing.SemLock

    class SemLock:
        SEM_VALUE_MAX = _real.SEM_VALUE_MAX

        def __init__(self, *args: object, **kwargs: object) -> None:
            raise OSError(errno.ENOSYS, "Function not implemented")

        @classmethod
        def _rebuild(cls, *args: object) -> None:
            raise OSError(errno.ENOSYS, "Function not implemented")

    _multiprocessing.SemLock = SemLock


def _die_with_the_emulator() -> None:
    # Only the emulator's direct child has it; removed so the function's own children don't.
    parent = os.environ.pop("LAMBDASERVE_PARENT_PID", None)
    if parent is None:
        return
    import ctypes
    import signal

    libc = ctypes.CDLL(None, use_errno=True)
    libc.prctl(1, signal.SIGKILL, 0, 0, 0)  # PR_SET_PDEATHSIG; kept across exec
    if os.getppid() != int(parent):  # the emulator died before prctl took effect
        os._exit(1)


_die_with_the_emulator()


def _trace() -> None:
    # 3. build's proof records what the worker read (lambdaserve_trace.py) when asked to.
    if os.environ.get("LAMBDASERVE_TRACE_FILE"):
        import lambdaserve_trace

        lambdaserve_trace.start()


_trace()
