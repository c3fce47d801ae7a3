"""CPU the runtime's own imports and init cost, once the framework is loaded, in fresh processes.

    .venv/bin/python benchmarks/runtime_init_cpu.py [--runs 15] [--only iris-onnx,iris-custom] [--against DIR]

For each example (made by examples/make_examples.py): a fresh process imports the framework
first (numpy and onnxruntime; numpy and the predictor's module), then times with
``time.process_time`` (this process's CPU, which other work on a shared machine moves far less
than wall time) the import of ``lambdaserve.runtime.handler`` (settings, model load, warm-up)
and one answer through ``lambda_handler``. The baseline, in the same run and interleaved: a
process that imports the same framework, then loads the model and predicts once, as the bare
scripts of benchmarks/cold_start.py do. ``--against DIR`` also runs a second copy of the
runtime (``DIR/lambdaserve``, e.g. ``git archive <commit> lambdaserve | tar -x -C DIR``) for a
before/after in the same run. Prints min and median CPU ms, and runtime / baseline.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import textwrap
from pathlib import Path

from cold_start import BASELINES, DIABETES, IRIS, RUNTIME, _event  # type: ignore[import-not-found]

from lambdaserve.config import load_config, runtime_env

ROOT = Path(__file__).resolve().parents[1]
# What each example's framework imports before the clock starts, on both sides.
PRELOAD = {"iris-onnx": "import numpy, onnxruntime", "iris-custom": "import numpy",
           "iris": "import numpy, sklearn, joblib", "iris-xgboost": "import numpy, xgboost"}
TIMED = textwrap.dedent("""
    import json, sys, time
    {preload}
    started = time.process_time()
    {body}
    sys.stderr.write("CPU %.6f\\n" % (time.process_time() - started))
""")


def _script(preload: str, body: str) -> str:
    return TIMED.format(preload=preload, body=body.strip())


def _cpu_ms(argv: list[str], env: dict[str, str]) -> float:
    done = subprocess.run(argv, env=env, capture_output=True, text=True, check=False)
    lines = [line for line in done.stderr.splitlines() if line.startswith("CPU ")]
    if done.returncode != 0 or not lines:
        raise SystemExit(f"{argv[2][:60]}... failed:\n{done.stderr[-2000:]}")
    return float(lines[-1].split()[1]) * 1000


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=15)
    parser.add_argument("--only", default="iris-onnx,iris-custom", help=f"of: {', '.join(PRELOAD)}")
    parser.add_argument("--against", default="", help="a folder holding another copy of lambdaserve/")
    args = parser.parse_args(argv)
    names = [n.strip() for n in args.only.split(",") if n.strip()]
    with tempfile.TemporaryDirectory(prefix="lambdaserve-bench-") as tmp:
        out = Path(tmp) / "examples"
        subprocess.run([sys.executable, str(ROOT / "examples" / "make_examples.py"), "--out", str(out),
                        "--only", ",".join(names)], check=True, stdout=subprocess.DEVNULL)
        base = {k: v for k, v in os.environ.items() if not k.startswith("LAMBDASERVE_")}
        base.pop("PYTHONDONTWRITEBYTECODE", None)
        base["PYTHONPYCACHEPREFIX"] = str(Path(tmp) / "pycache")  # both sides run from cached bytecode
        print(f"CPU ms (time.process_time) of the runtime's import + init + first answer after the "
              f"framework's import, vs the bare load + predict; {args.runs} fresh processes per side, "
              f"interleaved; load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs")
        for name in names:
            folder = out / name
            config = load_config(folder)
            row = DIABETES if name == "diabetes" else IRIS
            runtime_body = RUNTIME  # the framework's modules are loaded: its imports only bind names
            bare_body = BASELINES[name].format(dir=folder, row=row)
            preload = PRELOAD[name]
            event = _event(config.api.path, row)
            sides: dict[str, tuple[list[str], dict[str, str]]] = {
                "runtime": ([sys.executable, "-c", _script(preload, runtime_body), event],
                            {**base, **runtime_env(config)}),
                "bare": ([sys.executable, "-c", _script(preload, bare_body)], base),
            }
            if args.against:
                sides["against"] = (sides["runtime"][0], {**sides["runtime"][1], "PYTHONPATH": args.against})
            for argv_, env in sides.values():  # untimed: bytecode and page cache
                _cpu_ms(argv_, env)
            times: dict[str, list[float]] = {label: [] for label in sides}
            order = list(sides)
            for i in range(args.runs):
                for label in order if i % 2 == 0 else reversed(order):
                    times[label].append(_cpu_ms(*sides[label]))
            bare_min, bare_med = min(times["bare"]), statistics.median(times["bare"])
            for label, values in times.items():
                low, mid = min(values), statistics.median(values)
                print(f"{name:<14}{label:<9} min {low:7.2f}  median {mid:7.2f}   / bare: "
                      f"min {low / bare_min:5.2f}  median {mid / bare_med:5.2f}", flush=True)
        print(f"load average now {os.getloadavg()[0]:.1f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
