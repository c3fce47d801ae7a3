"""Cold start of the namespace sandbox with /tmp as its own disk (tmp_disk.py) vs a tmpfs /tmp.

    python benchmarks/tmp_disk.py [--runs 7] [--ephemeral-mb 512]

Each run starts a fresh local Lambda (one environment, tests' echo handler) and times
Function.start() to the first answer. The baseline, measured in the same run and interleaved,
is the same sandbox with /tmp as a tmpfs (LAMBDASERVE_TMP_DISK_DIR pointed at a tmpfs, which
tmp_disk refuses). The first disk run also makes the size's image template (mkfs.ext4); it is
reported apart. Needs Linux, root and mkfs.ext4.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from lambdaserve.emulator import Function  # noqa: E402
from tests.emulator.lambda_helpers import spec  # noqa: E402


def _first_answer(ephemeral_mb: int) -> float:
    with Function(spec("echo.handler", sandbox="namespace", ephemeral_mb=ephemeral_mb)) as function:
        started = time.perf_counter()
        function.start()
        result = function.invoke(b"{}")
        elapsed = (time.perf_counter() - started) * 1000  # closing (the unmount) is not timed
        assert result.function_error is None, result.payload
        assert "/tmp as a disk failed" not in result.log_tail, result.log_tail
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--ephemeral-mb", type=int, default=512)
    args = parser.parse_args()
    shm = tempfile.mkdtemp(dir="/dev/shm") if Path("/dev/shm").is_dir() else None
    if shm is None:
        sys.exit("needs a tmpfs at /dev/shm for the baseline")
    disk_dir = os.environ.get("LAMBDASERVE_TMP_DISK_DIR")
    times: dict[str, list[float]] = {"tmpfs": [], "disk": []}
    first_disk = 0.0
    try:
        for i in range(args.runs + 1):
            for mode in ("tmpfs", "disk"):
                if mode == "tmpfs":
                    os.environ["LAMBDASERVE_TMP_DISK_DIR"] = shm
                elif disk_dir is None:
                    os.environ.pop("LAMBDASERVE_TMP_DISK_DIR", None)
                else:
                    os.environ["LAMBDASERVE_TMP_DISK_DIR"] = disk_dir
                ms = _first_answer(args.ephemeral_mb)
                if i == 0:
                    first_disk = ms if mode == "disk" else first_disk
                    continue  # untimed warm-up (and the template)
                times[mode].append(ms)
    finally:
        os.rmdir(shm)
    base = statistics.median(times["tmpfs"])
    disk = statistics.median(times["disk"])
    print(f"first answer, median of {args.runs}: tmpfs /tmp {base:.1f} ms, disk /tmp {disk:.1f} ms, "
          f"ratio {disk / base:.3f}")
    print(f"the first disk run, which made the {args.ephemeral_mb} MB template: {first_disk:.1f} ms "
          f"({first_disk / base:.2f}x the tmpfs median)")


if __name__ == "__main__":
    main()
