"""A SnapStart function's template process: init once, then fork one process per restore (stdlib only).

Run by the emulator as ``python -m lambdaserve_snapshot HANDLER`` instead of ``-m awslambdaric``;
never shipped with a function. On Lambda a SnapStart version is initialised once, its memory is
snapshotted after the before-snapshot hooks, and every new execution environment resumes from
that snapshot and runs the after-restore hooks. Here:

1. init: the handler's module is imported (the function's init) and awslambdaric's own hook
   runner runs the before-snapshot hooks; awslambdaric's Runtime API client is NOT imported yet,
   because its C extension fixes the Runtime API address when it loads;
2. "snapshot": this process tells the emulator over LAMBDASERVE_SNAPSHOT_SOCKET, then waits;
3. each restore: the emulator sends the new environment's Runtime API address and the write end of
   its log pipe; a fork of this process takes them and runs the real awslambdaric, which finds the
   handler's module already imported, calls /restore/next and runs the after-restore hooks.

Memory, module state and random generators are the snapshot's, as on Lambda; threads started at
init are not (fork copies only the calling thread), and /tmp is shared, not copied.
If init or a before-snapshot hook fails, this process reports it as awslambdaric would.
"""

from __future__ import annotations

import importlib
import json
import os
import selectors
import socket
import sys

SOCKET_VARIABLE = "LAMBDASERVE_SNAPSHOT_SOCKET"  # an abstract Unix socket's name
_PR_SET_PDEATHSIG = 1


def _report_init_failure(handler: str, hooks_failed: bool) -> None:
    """Let awslambdaric report it: it imports the handler again (an import error repeats) and posts
    /init/error with its own error type; a before-snapshot hook's error is posted as on Lambda."""
    from awslambdaric import bootstrap
    from awslambdaric.lambda_runtime_client import LambdaRuntimeClient
    from awslambdaric.lambda_runtime_exception import FaultException

    client = LambdaRuntimeClient(os.environ["AWS_LAMBDA_RUNTIME_API"])
    if not hooks_failed:
        bootstrap.run(handler, client)  # fails at the import again and exits 1
        return
    error = bootstrap.build_fault_result(sys.exc_info(), None)
    print(json.dumps(error), file=sys.stderr)
    client.post_init_error(error, FaultException.BEFORE_SNAPSHOT_ERROR)
    os._exit(64)


def _restored(handler: str, request: dict[str, str], log_fd: int, control: socket.socket) -> None:
    """In the forked child: become a new execution environment and run awslambdaric there."""
    code = 1
    try:
        control.close()
        os.setsid()  # its own process group, which the emulator kills as a whole
        os.dup2(log_fd, 1)
        os.dup2(log_fd, 2)
        os.close(log_fd)
        import ctypes
        import signal

        ctypes.CDLL(None, use_errno=True).prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
        os.environ["AWS_LAMBDA_RUNTIME_API"] = request["runtime_api"]
        from awslambdaric.__main__ import main

        main(["awslambdaric", handler])  # loops until the environment is killed
        code = 0
    except SystemExit as exc:
        code = exc.code if isinstance(exc.code, int) else 1
    except BaseException:
        import traceback

        traceback.print_exc()
    finally:
        sys.stdout.flush()
        os._exit(code)


def _send(control: socket.socket, message: dict[str, object]) -> None:
    control.sendall(json.dumps(message).encode() + b"\n")


def _serve(handler: str, control: socket.socket) -> None:
    """Fork on each request; report each child's pid and, once reaped, its exit status."""
    selector = selectors.DefaultSelector()
    selector.register(control, selectors.EVENT_READ)
    buffered = b""
    while True:
        if selector.select(timeout=0.05):
            data, fds, _flags, _addr = socket.recv_fds(control, 65536, 4)
            if not data:
                return  # the emulator closed the snapshot: the children die with this process
            buffered += data
            fd_list = list(fds)
            while b"\n" in buffered:
                line, buffered = buffered.split(b"\n", 1)
                request = json.loads(line)
                log_fd = fd_list.pop(0)
                pid = os.fork()
                if pid == 0:
                    _restored(handler, request, log_fd, control)
                os.close(log_fd)
                _send(control, {"pid": pid})
        while True:
            try:
                pid, status = os.waitpid(-1, os.WNOHANG)
            except ChildProcessError:
                break
            if pid == 0:
                break
            _send(control, {"exit": pid, "status": os.waitstatus_to_exitcode(status)})


def main(handler: str) -> None:
    control = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    control.connect("\0" + os.environ.pop(SOCKET_VARIABLE))
    modname = handler.rsplit(".", 1)[0]
    try:
        importlib.import_module(modname.replace("/", "."))
    except BaseException:
        _report_init_failure(handler, hooks_failed=False)
        raise
    from awslambdaric import lambda_runtime_hooks_runner  # imports only snapshot_restore_py

    try:
        lambda_runtime_hooks_runner.run_before_snapshot()
    except BaseException:
        _report_init_failure(handler, hooks_failed=True)
        raise
    _send(control, {"snapshot": os.getpid()})
    _serve(handler, control)


if __name__ == "__main__":
    main(sys.argv[1])
