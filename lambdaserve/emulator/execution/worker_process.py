"""Starting and killing worker processes: Lambda's environment variables, own process group,
PR_SET_PDEATHSIG, and the namespace sandbox boot."""

from __future__ import annotations

import contextlib
import os
import queue
import signal
import subprocess
import sys
import threading
from collections.abc import Callable, Mapping
from concurrent.futures import Future
from pathlib import Path
from typing import IO, Protocol

from lambdaserve.errors import EmulatorError
from lambdaserve.runtime.system_libraries import library_path

_SANDBOX = Path(__file__).resolve().parent.parent / "sandbox"
SHIM_DIR = _SANDBOX / "shim"  # sitecustomize.py: no /dev/shm, as on Lambda
SANDBOX_BOOT = _SANDBOX / "boot.py"
# The shim reads it, sets PR_SET_PDEATHSIG if its parent is still this process, and removes it.
PARENT_PID_VARIABLE = "LAMBDASERVE_PARENT_PID"
# Passed through from the parent because the worker needs them to find its libraries.
PASS_THROUGH = ("PATH", "LD_LIBRARY_PATH", "SYSTEMROOT", "TMPDIR")


def interpreter(python: str) -> tuple[str, str]:
    """('3.12', the real executable) of the interpreter that will run the workers.

    A pyenv shim is a shell script that looks for .python-version files from its working
    folder on every start: resolved once here, workers start faster and need no host folders.
    """
    if Path(python) == Path(sys.executable):
        return f"{sys.version_info.major}.{sys.version_info.minor}", sys.executable
    out = subprocess.run(
        [python, "-c", "import sys; print(f'{sys.version_info[0]}.{sys.version_info[1]}', sys.executable)"],
        capture_output=True, text=True, timeout=30, check=False,
    )
    parts = out.stdout.split(maxsplit=1)
    if out.returncode != 0 or len(parts) != 2:
        raise EmulatorError(
            f"cannot run the worker interpreter {python}: {out.stderr.strip()}",
            hint="Point the function's python at a working interpreter (e.g. pyenv's python3.12).",
        )
    return parts[0], parts[1].strip() or python


def lambda_variables(*, name: str, memory_mb: int, region: str, runtime_api: str,
                     log_stream: str) -> dict[str, str]:
    """The variables Lambda sets in every execution environment, zip or image."""
    return {
        "AWS_LAMBDA_FUNCTION_NAME": name,
        "AWS_LAMBDA_FUNCTION_VERSION": "$LATEST",
        "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": str(memory_mb),
        "AWS_LAMBDA_LOG_GROUP_NAME": f"/aws/lambda/{name}",
        "AWS_LAMBDA_LOG_STREAM_NAME": log_stream,
        "AWS_LAMBDA_INITIALIZATION_TYPE": "on-demand",
        "AWS_LAMBDA_RUNTIME_API": runtime_api,
        "AWS_REGION": region,
        "AWS_DEFAULT_REGION": region,
        "TZ": ":UTC",
        "LANG": "en_US.UTF-8",
    }


def worker_environment(
    *,
    name: str,
    task_root: str,
    handler: str,
    memory_mb: int,
    region: str,
    py_version: str,
    runtime_api: str,
    log_stream: str,
    user_env: Mapping[str, str],
    pythonpath: tuple[str, ...],
) -> dict[str, str]:
    """Lambda's variables, then the function's own (which cannot override the reserved ones).

    Paths are as the worker sees them (``/var/task`` when the sandbox binds the task root there).
    """
    env = {key: os.environ[key] for key in PASS_THROUGH if key in os.environ}
    env.update(user_env)
    env.update(lambda_variables(name=name, memory_mb=memory_mb, region=region,
                                runtime_api=runtime_api, log_stream=log_stream))
    env.update({
        "AWS_EXECUTION_ENV": f"AWS_Lambda_python{py_version}",
        "LAMBDA_TASK_ROOT": task_root,
        "_HANDLER": handler,
        "PYTHONPATH": os.pathsep.join([task_root, str(SHIM_DIR), *pythonpath]),
        "PYTHONUNBUFFERED": "1",
    })
    if "LD_LIBRARY_PATH" not in user_env:  # a function may set its own, as on Lambda
        # for parity: Lambda's LD_LIBRARY_PATH ends /var/task:/var/task/lib:/opt/lib (a zip's lib/)
        env["LD_LIBRARY_PATH"] = library_path(task_root, env.get("LD_LIBRARY_PATH", ""))
    return env


def worker_argv(python: str, handler: str, sandbox: str, ephemeral_mb: int, *,
                binds: tuple[tuple[Path, str], ...] = (), cwd: str = "",
                keep: tuple[str, ...] = (), tmp_image: Path | None = None,
                module: str = "awslambdaric", hide_libraries: tuple[str, ...] = ()) -> list[str]:
    command = [python, "-m", module, handler]
    if sandbox != "namespace":
        return command
    # lambdaserve's own Python boots the sandbox, isolated (-I) from the worker's variables;
    # the worker's sitecustomize then sets PR_SET_PDEATHSIG (its parent is still us).
    boot = [sys.executable, "-I", str(SANDBOX_BOOT), "--tmp-mb", str(ephemeral_mb)]
    if tmp_image is not None:
        boot += ["--tmp-image", str(tmp_image)]
    for source, target in binds:
        boot += ["--bind", f"{source}={target}"]
    for path in keep:
        boot += ["--keep", path]
    for name in hide_libraries:
        boot += ["--hide-library", name]
    if cwd:
        boot += ["--cwd", cwd]
    return [*boot, "--", *command]


_Job = tuple[Callable[[], "subprocess.Popen[bytes]"], "Future[subprocess.Popen[bytes]]"]


class Spawner:
    """Runs every Popen on one long-lived thread.

    The worker sets PR_SET_PDEATHSIG itself (sandbox/shim/sitecustomize.py: no preexec_fn, which can
    deadlock a threaded parent). It fires when the *thread* that forked the child exits, not
    the process; invocations arrive on short-lived server threads, so forking there would kill
    warm workers.
    """

    def __init__(self) -> None:
        self._jobs: queue.Queue[_Job | None] = queue.Queue()
        self._thread = threading.Thread(target=self._run, name="lambdaserve-spawner", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while (job := self._jobs.get()) is not None:
            make, future = job
            try:
                future.set_result(make())
            except BaseException as exc:  # handed to the caller, never lost
                future.set_exception(exc)

    def spawn(self, argv: list[str], env: Mapping[str, str], cwd: Path) -> subprocess.Popen[bytes]:
        variables = {**env, PARENT_PID_VARIABLE: str(os.getpid())}

        def make() -> subprocess.Popen[bytes]:
            return subprocess.Popen(
                argv, env=variables, cwd=cwd, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                stderr=subprocess.STDOUT, start_new_session=True, bufsize=0,
            )

        future: Future[subprocess.Popen[bytes]] = Future()
        self._jobs.put((make, future))
        try:
            return future.result()
        except OSError as exc:
            raise EmulatorError(
                f"cannot start the worker {argv[0]}: {exc}",
                hint="Check the function's python interpreter path and task root.",
            ) from exc

    def close(self) -> None:
        self._jobs.put(None)


class WorkerProcess(Protocol):
    """What an environment needs of its worker: a Popen, or a fork of a SnapStart template."""

    pid: int

    @property
    def stdout(self) -> IO[bytes] | None: ...

    def wait(self, timeout: float | None = None) -> int: ...

    def kill(self) -> None: ...


def kill_group(proc: WorkerProcess) -> None:
    """SIGKILL the worker and everything it started (its own session and process group)."""
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(proc.pid, signal.SIGKILL)
    with contextlib.suppress(ProcessLookupError):
        proc.kill()
