"""What a worker read, for build's proof reuse (never shipped; run only when asked).

With LAMBDASERVE_TRACE_FILE set (removed from the environment here, so the function does not
see it), the worker appends one line per new fact to that file as it happens, so the file is
complete whenever the emulator reads it, with no shutdown hook (workers are killed):

    o PATH   opened (audit event ``open``, which imports' source and bytecode reads raise too)
             or loaded with ctypes
    l PATH   a folder listed outside the import system (a file added there could change the run)
    n NAME   a module name the import system looked for, found or not
    x WHAT   something the trace cannot follow: a program run (its reads are not traced) or a
             network connection (other than to the Runtime API); a run with one is not reusable

Shared objects the dynamic linker mapped are read from /proc/PID/maps by the emulator.
Stdlib only, valid on every Python Lambda runs.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable
from typing import Any

VARIABLE = "LAMBDASERVE_TRACE_FILE"
_IMPORT_SYSTEM = ("<frozen importlib._bootstrap", "<frozen zipimport")
# Audit events of what the trace cannot follow (a fork can: it keeps this hook and file).
_UNTRACEABLE = ("subprocess.Popen", "os.system", "os.exec", "os.posix_spawn", "os.spawn", "os.startfile")


class _Looked:
    """First on sys.meta_path: records every module name looked for, then lets the others find it."""

    def __init__(self, write: Callable[[str, str], None]) -> None:
        self._write = write

    def find_spec(self, name: str, path: Any = None, target: Any = None) -> None:
        self._write("n", name)


def _by_import_system() -> bool:
    try:
        frame = sys._getframe(2)  # 0 is this, 1 the hook, 2 what called os.listdir or os.scandir
    except ValueError:
        return False
    return frame.f_code.co_filename.startswith(_IMPORT_SYSTEM)


def start() -> None:
    path = os.environ.pop(VARIABLE, None)
    if not path:
        return
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND | os.O_CLOEXEC, 0o600)
    seen = set()

    def write(kind: str, value: str) -> None:
        if (kind, value) in seen or "\n" in value:
            return
        seen.add((kind, value))
        os.write(fd, f"{kind} {value}\n".encode("utf-8", "surrogateescape"))

    runtime_api = os.environ.get("AWS_LAMBDA_RUNTIME_API", "")

    def untraceable(event: str, args: tuple[Any, ...]) -> None:
        if event == "socket.connect":
            address = args[1] if len(args) > 1 else None
            if isinstance(address, tuple) and ":".join(str(a) for a in address[:2]) == runtime_api:
                return  # the worker's own Runtime API
            write("x", f"{event} {address!r}")
        else:
            write("x", event)

    def hook(event: str, args: tuple[Any, ...]) -> None:
        if event in ("open", "ctypes.dlopen") and args and isinstance(args[0], (str, bytes, os.PathLike)):
            write("o", os.path.abspath(os.fsdecode(os.fspath(args[0]))))
        elif event in _UNTRACEABLE or event == "socket.connect":
            untraceable(event, args)
        elif event in ("os.listdir", "os.scandir") and not _by_import_system():
            where = args[0] if args and args[0] is not None else "."
            if isinstance(where, (str, bytes, os.PathLike)):
                write("l", os.path.abspath(os.fsdecode(os.fspath(where))))

    sys.meta_path.insert(0, _Looked(write))
    sys.addaudithook(hook)
