"""Where a cold `lambdaserve build` spends its time: each step and each subprocess, wall and CPU.

    .venv/bin/python benchmarks/build_phases.py [--runs 2]

The same project as build_vs_sam.py (the scikit-learn iris forest, scikit-learn, numpy and
joblib pinned, python3.12 x86_64, the default verified trims), built cold (a fresh project,
uv's download cache warm after an untimed first build) through build_zip with a runner that
times every subprocess and a log that stamps every step. CPU columns are cumulative seconds
(user + system) of this process and of its children (uv, strip, the target Pythons that
compile and run the smoke) at that moment.
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from build_vs_sam import lambdaserve_project, make_model  # noqa: E402

from lambdaserve.config import load_config  # noqa: E402
from lambdaserve.package.process import run_command  # noqa: E402
from lambdaserve.package.zip.build import build_zip  # noqa: E402


def _cpu() -> tuple[float, float]:
    own = resource.getrusage(resource.RUSAGE_SELF)
    kids = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime, kids.ru_utime + kids.ru_stime


def build_once(project: Path, quiet: bool = False) -> tuple[float, float, str]:
    """One build; prints the timeline; (wall seconds, CPU seconds, sha256)."""
    started = time.perf_counter()
    cpu0 = _cpu()

    def stamp(message: str) -> None:
        if quiet:
            return
        own, kids = _cpu()
        print(f"{time.perf_counter() - started:7.2f} s  cpu self {own - cpu0[0]:5.2f} "
              f"children {kids - cpu0[1]:5.2f}  {message}", flush=True)

    def runner(args: Sequence[str], **kwargs: Any) -> Any:
        began = time.perf_counter()
        done = run_command(args, **kwargs)
        what = " ".join([os.path.basename(args[0]), *(a[:24] for a in args[1:3] if "\n" not in a)])
        stamp(f"  subprocess {time.perf_counter() - began:5.2f} s: {what}")
        return done

    result = build_zip(load_config(project / "lambdaserve.toml"), runner=runner, log=stamp)
    own, kids = _cpu()
    wall = time.perf_counter() - started
    stamp(f"done: {result.zipped_bytes / 1e6:.1f} MB, sha256 {result.sha256[:16]}")
    return wall, own - cpu0[0] + kids - cpu0[1], result.sha256


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=2)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-phases-") as tmp:
        scratch = Path(tmp)
        model = make_model(scratch / "model")
        build_once(lambdaserve_project(scratch / "warm", model), quiet=True)  # fills uv's cache
        shutil.rmtree(scratch / "warm")
        for run in range(1, args.runs + 1):
            print(f"--- cold build {run}, load {os.getloadavg()[0]:.1f}", flush=True)
            wall, cpu, sha = build_once(lambdaserve_project(scratch / f"p{run}", model))
            print(f"cold build {run}: {wall:.2f} s wall, {cpu:.2f} s CPU, "
                  f"load {os.getloadavg()[0]:.1f}, sha256 {sha[:16]}", flush=True)


if __name__ == "__main__":
    main()
