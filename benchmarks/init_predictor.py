"""`lambdaserve init --predictor` of a sentence-transformers predictor: CPU seconds, this tree vs another.

    .venv/bin/python benchmarks/init_predictor.py --before DIR [--runs 3]

DIR holds the code to compare with: `mkdir DIR && git archive <commit> lambdaserve | tar -x -C DIR`.
The predictor is examples/make_examples.py's text-tiny (a random 1-layer BERT saved by
sentence-transformers, the text path's test model), made once into a scratch folder. Each round
runs `lambdaserve init --model model --predictor embed_predictor:Predictor` in a fresh copy of it
with the code of DIR (PYTHONPATH, which the tracing subprocess inherits) and with this tree, the
two alternating and swapping who goes first each round. CPU seconds are user + system of the CLI and
its children (the tracing run): what loading the model stack costs, which the machine's load moves
far less than wall time. One untimed round of each first writes the bytecode both import.
The last line is the ratio: median CPU seconds of this tree / of DIR.
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
ARGS = ["init", "--model", "model", "--predictor", "embed_predictor:Predictor"]


def _init(example: Path, scratch: Path, code: Path | None) -> tuple[float, float]:
    """One init in a fresh copy of the example: (CPU seconds, wall seconds)."""
    project = Path(tempfile.mkdtemp(dir=scratch))
    shutil.copytree(example / "model", project / "model")
    shutil.copy2(example / "embed_predictor.py", project)
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    if code is not None:
        env["PYTHONPATH"] = str(code)
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    done = subprocess.run([sys.executable, "-m", "lambdaserve.cli.main", *ARGS], cwd=project, env=env,
                          capture_output=True, text=True, timeout=900)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if done.returncode != 0:
        raise SystemExit(f"init failed ({'before' if code else 'after'}):\n{done.stderr[-3000:]}")
    shutil.rmtree(project)
    return after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime, wall


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--before", type=Path, required=True, metavar="DIR",
                        help="the code to compare with (a folder holding lambdaserve/)")
    parser.add_argument("--runs", type=int, default=3, help="timed rounds (default 3)")
    args = parser.parse_args()
    before_code = args.before.resolve()
    with tempfile.TemporaryDirectory(prefix="init-predictor-") as tmp:
        scratch = Path(tmp)
        subprocess.run([sys.executable, str(ROOT / "examples" / "make_examples.py"), "--only", "text-tiny",
                        "--out", str(scratch)], check=True, capture_output=True)
        example = scratch / "text-tiny"
        sides: dict[str, Path | None] = {"before": before_code, "after": None}
        for code in sides.values():  # untimed: bytecode
            _init(example, scratch, code)
        cpu: dict[str, list[float]] = {"before": [], "after": []}
        for run in range(args.runs):
            order = ["before", "after"] if run % 2 == 0 else ["after", "before"]
            for name in order:
                seconds, wall = _init(example, scratch, sides[name])
                cpu[name].append(seconds)
                print(f"round {run + 1} {name:<6} CPU {seconds:6.2f} s  wall {wall:6.2f} s  "
                      f"load {os.getloadavg()[0]:.1f}", flush=True)
    ratio = statistics.median(cpu["after"]) / statistics.median(cpu["before"])
    print(f"init --predictor (text-tiny) CPU seconds, this tree / {before_code}: {ratio:.2f} "
          f"(medians {statistics.median(cpu['after']):.1f} / {statistics.median(cpu['before']):.1f} s, "
          f"{args.runs} interleaved rounds, load {os.getloadavg()[0]:.1f})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
