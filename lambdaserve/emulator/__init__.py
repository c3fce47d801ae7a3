"""A local Lambda: real awslambdaric workers against our Runtime API, under Lambda's limits.

    function.py       Function, FunctionSpec, InvokeResult and the two invoke errors
    pool.py           leasing environments, cold starts, timeouts, payload limits, reaping
    environment.py    one worker: INIT -> READY <-> BUSY -> DEAD, its logs, its Runtime API
    runtime_api.py    the 2018-06-01 Runtime API server (keep-alive, TCP_NODELAY)
    worker_process.py Lambda's variables, process groups, PR_SET_PDEATHSIG
    launch.py         per sandbox (process | namespace | container): checks, argv, variables
    container.py      the container sandbox: an unpacked image as /, its own ENTRYPOINT + CMD
    memory.py         the memory cap: cgroup v2, cgroup v1, else an RSS watchdog
    cpu.py            the CPU share (spec.cpu_vcpus) as a CFS quota: cgroup v2 cpu.max or v1 cfs_quota_us
    sandbox_boot.py   the sandboxes' boot (read-only /, capped /tmp, no /dev/shm; binds, chroot)
    shim/             sitecustomize for workers: multiprocessing's SemLock raises ENOSYS
    lambda_text.py    Lambda's log lines and error payloads, word for word

Errors (all ``lambdaserve.errors.EmulatorError``):

    EmulatorError               the emulator cannot run (bad task root, closed function...)
     ├── ThrottledError         429 TooManyRequestsException, every environment is busy
     └── PayloadTooLargeError   413 RequestEntityTooLargeException, request over 6 MB

Everything a function does wrong (raise, exit, time out, run out of memory) is not an
exception here: it is an ``InvokeResult`` with ``function_error="Unhandled"``, as on Lambda.
"""

from lambdaserve.emulator.function import (
    Function,
    FunctionSpec,
    InvokeResult,
    PayloadTooLargeError,
    ThrottledError,
)

__all__ = ["Function", "FunctionSpec", "InvokeResult", "PayloadTooLargeError", "ThrottledError"]
