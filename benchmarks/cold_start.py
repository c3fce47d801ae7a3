"""Cold start of the lambdaserve runtime against the bare floor, per framework, in fresh processes.

    python benchmarks/cold_start.py [--runs 5] [--only iris,iris-onnx] [--bytecode cached|none]
                                    [--floor both|awslambdaric|script] [--threads lambda|machine]
                                    [--before DIR] [--count]

For each example model (made by examples/make_examples.py into a temporary folder), two floors:
  awslambdaric  (the honest floor: what any Lambda function serving the model must do) spawn
            ``python -m awslambdaric HANDLER`` against a bare Runtime API (benchmarks/
            bare_runtime_api.py), time from spawn to the first answer's POST /response.
            runtime: HANDLER = lambdaserve.runtime.handler.lambda_handler with the example's
            LAMBDASERVE_* variables, sent an API Gateway REST (v1) proxy event;
            floor: a hand-written handler module that imports the framework and loads the model
            at import, and per event reads the body's rows, predicts and returns statusCode/body.
  script    (stricter: no awslambdaric on either side, so its own ~startup is not in the floor)
            runtime: spawn python, import lambdaserve.runtime.handler (the model loads and warms
            up at import, as in Lambda's init), then one prediction through lambda_handler;
            floor: spawn python, import the framework, load the model, predict once, print.
Each time is wall time from spawn to the first answer (init plus the first answer, as Lambda
counts a cold start; not the interpreter's teardown). After one untimed run of each side, --runs
rounds run every side once, the order reversed every other round, so a runtime run and its floor
run are neighbours: a pair. "ratio" is the median over the pairs of runtime / floor, and "pairs"
the range of those ratios (the spread other work on the machine puts on one pair). The target is
ratio <= 1.10 for every example. Two more ratios move less when other work shares the machine: of
the fastest runs ("min"), and of CPU time (user + system of each process, all threads).

Threads (--threads lambda, the default): both sides get AWS_LAMBDA_FUNCTION_MEMORY_SIZE (the
example's function.memory, as Lambda sets it) and the BLAS/OpenMP thread variables set to the
CPUs Lambda gives that memory (1 below 1,769 MB), the count the runtime itself chooses there.
Left unset, numpy's OpenBLAS starts a thread per visible CPU that busy-waits ~100 ms of CPU on
both sides; on a 2-core machine shared with other work that makes wall time follow the scheduler.
Giving the floor the same variables keeps the comparison about the runtime's own work: our
thread sizing is not counted in our favour. --threads machine leaves them unset on both sides.

--before DIR adds, per floor, the runtime from DIR (a tree holding lambdaserve/, e.g.
``git archive main lambdaserve | tar -x -C DIR``), interleaved in the same rounds: before/after.

--count adds instruction counts (valgrind --tool=callgrind, one run per side, script floor,
both processes leaving with os._exit right after the answer; the main thread's, see _count):
repeatable under load, so our share (runtime - floor, in millions of instructions) can be
compared before and after a change.

Bytecode is the same on both sides: "cached" (default) compiles every module once into a
private PYTHONPYCACHEPREFIX during the untimed runs, as a package that ships .pyc does;
"none" compiles every import from source on every run (PYTHONDONTWRITEBYTECODE=1 and an
empty prefix), as a package without .pyc does.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import textwrap
import time
from collections.abc import Callable
from pathlib import Path

from bare_runtime_api import BareRuntimeApi  # type: ignore[import-not-found]

from lambdaserve.config import load_config, runtime_env
from lambdaserve.runtime.threads import THREAD_VARS, available_cpus

ROOT = Path(__file__).resolve().parents[1]
EVENT = ROOT / "tests" / "events" / "apigw-rest-proxy.json"
IRIS = [5.1, 3.5, 1.4, 0.2]
DIABETES = [0.038, 0.050, 0.061, 0.021, -0.044, -0.034, -0.043, -0.002, 0.019, -0.017]

RUNTIME = textwrap.dedent("""
    import json, sys
    from lambdaserve.runtime.handler import lambda_handler
    answer = lambda_handler(json.loads(sys.argv[1]), None)
    if answer["statusCode"] != 200:
        sys.exit("runtime answered " + json.dumps(answer))
    print(answer["body"])
""")

RUNTIME_HANDLER = "lambdaserve.runtime.handler.lambda_handler"
# The bare scripts: what a hand-written handler would do, and nothing more. Each ends with the
# statement (at indentation 0, with what it holds) that prints the prediction of {row}.
BASELINES = {name: textwrap.dedent(code).strip() for name, code in {
    "iris": """
        import joblib
        m = joblib.load('{dir}/model.joblib')
        print(m.predict([{row}]).tolist())
    """,
    "diabetes": """
        import skops.io as sio
        p = '{dir}/model.skops'
        m = sio.load(p, trusted=sio.get_untrusted_types(file=p))
        print(m.predict([{row}]).tolist())
    """,
    "iris-onnx": """
        import numpy as np, onnxruntime as ort
        s = ort.InferenceSession('{dir}/model.onnx', providers=['CPUExecutionProvider'])
        print(s.run(None, {{s.get_inputs()[0].name: np.array([{row}], np.float32)}})[0].tolist())
    """,
    "iris-torchscript": """
        import torch
        m = torch.jit.load('{dir}/model.pt').eval()
        with torch.inference_mode():
            print(m(torch.tensor([{row}])).tolist())
    """,
    "iris-xgboost": """
        import numpy as np, xgboost as xgb
        b = xgb.Booster()
        b.load_model('{dir}/model.ubj')
        print(b.inplace_predict(np.array([{row}], np.float32)).tolist())
    """,
    "iris-custom": """
        import sys
        sys.path.insert(0, '{dir}')
        from iris_predictor import Predictor
        p = Predictor()
        p.load('{dir}/model')
        print(p.predict({{'measurements': [{row}]}}))
    """,
}.items()}


def bare_handler(name: str, folder: Path) -> str:
    """The floor as a Lambda handler module: the bare script's load at import; per event, its
    prediction of the body's first row, returned as API Gateway expects."""
    lines = BASELINES[name].format(dir=folder, row="rows[0]").splitlines()
    last = max(i for i, line in enumerate(lines) if not line.startswith((" ", "\t")))
    answer = "\n".join(lines[last:]).replace("print(", "return _answer(")
    return "\n".join([
        "import json", *lines[:last], "",
        "def _answer(prediction):",
        "    return {'statusCode': 200, 'body': json.dumps(prediction)}", "",
        "def handler(event, context):",
        "    rows = json.loads(event['body'])['data']",
        textwrap.indent(answer, "    "), ""])


def _event(api_path: str, row: list[float]) -> str:
    event = json.loads(EVENT.read_text())
    event.update(httpMethod="POST", path=api_path, resource=api_path, isBase64Encoded=False,
                 body=json.dumps({"data": [row]}))
    event["headers"]["Content-Type"] = "application/json"
    event["multiValueHeaders"] = {k: [v] for k, v in event["headers"].items()}
    return json.dumps(event)


def _run(argv: list[str], env: dict[str, str]) -> tuple[float, float]:
    """Wall seconds from spawn to the first prediction on stdout, and the child's CPU seconds.

    Lambda's cold start is init plus the first answer; the interpreter's teardown at exit
    (~25 ms for numpy + onnxruntime) never happens on Lambda, so it is left out of the clock.
    """
    with tempfile.TemporaryFile() as err:
        start = time.perf_counter()
        child = subprocess.Popen(argv, env=env, stdout=subprocess.PIPE, stderr=err)
        assert child.stdout is not None
        first = child.stdout.readline()  # both sides print their prediction, unbuffered
        elapsed = time.perf_counter() - start
        child.stdout.read()
        _, status, usage = os.wait4(child.pid, 0)
        child.returncode = os.waitstatus_to_exitcode(status)
        if child.returncode != 0 or not first:
            err.seek(0)
            raise SystemExit(f"{' '.join(argv[:3])}... failed:\n{err.read().decode()[-2000:]}")
    return elapsed, usage.ru_utime + usage.ru_stime


def _run_ric(handler: str, task_root: Path, env: dict[str, str], event: bytes) -> tuple[float, float]:
    """Wall seconds from spawning ``python -m awslambdaric handler`` to its first answer; its CPU."""
    start = time.perf_counter()
    api = BareRuntimeApi(handler, task_root, env)
    try:
        answer = api.invoke(event)
        elapsed = time.perf_counter() - start
    finally:
        usage = api.close()
    if json.loads(answer).get("statusCode") != 200:
        raise SystemExit(f"{handler} answered {answer[:2000]!r}")
    return elapsed, usage.ru_utime + usage.ru_stime


def _count(argv: list[str], env: dict[str, str]) -> int:
    """Instructions the main thread runs until the process has printed its answer (callgrind).

    Only the main thread: the frameworks' worker pools spin while they wait, so their counts
    follow the scheduler (onnxruntime's: 14 M one run, 29 M the next); the main thread's repeat
    to within 0.01 %.
    """
    script = argv[2] + "\nimport os\nos._exit(0)  # teardown is not part of a cold start\n"
    with tempfile.TemporaryDirectory(prefix="lambdaserve-callgrind-") as tmp:
        out = Path(tmp) / "cg.out"
        done = subprocess.run(["valgrind", "--tool=callgrind", "--separate-threads=yes",
                               f"--callgrind-out-file={out}", *argv[:2], script, *argv[3:]],
                              env={**env, "PYTHONHASHSEED": "0"}, capture_output=True, text=True, check=False)
        main = Path(f"{out}-01")
        found = re.search(r"^(?:summary|totals): (\d+)", main.read_text(), re.M) if main.exists() else None
        if done.returncode != 0 or found is None:
            raise SystemExit(f"callgrind of {argv[2][:60]}... failed:\n{done.stderr[-2000:]}")
        return int(found.group(1))


def _base_env(mode: str, prefix: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("LAMBDASERVE_")}
    env["PYTHONPYCACHEPREFIX"] = str(prefix)
    env["PYTHONUNBUFFERED"] = "1"  # the first answer is timed when it reaches the pipe
    if mode == "cached":
        # Empty, not removed: BareRuntimeApi lays these variables over os.environ, where a caller's
        # PYTHONDONTWRITEBYTECODE=1 kept the awslambdaric sides from ever writing their .pyc
        # (awslambdaric's own modules then compiled from source in every timed run, on both sides).
        env["PYTHONDONTWRITEBYTECODE"] = ""
    else:
        env["PYTHONDONTWRITEBYTECODE"] = "1"
    return env


Side = Callable[[], tuple[float, float]]


def _interleaved(sides: list[Side], runs: int) -> list[list[tuple[float, float]]]:
    """One untimed run of each side (page cache, bytecode), then ``runs`` rounds, alternating which
    side goes first so drift hits both alike."""
    for side in sides:
        side()
    times: list[list[tuple[float, float]]] = [[] for _ in sides]
    for i in range(runs):
        order = list(range(len(sides))) if i % 2 == 0 else list(reversed(range(len(sides))))
        for k in order:
            times[k].append(sides[k]())
    return times


def _summary(ours: list[tuple[float, float]], theirs: list[tuple[float, float]]) -> dict[str, float]:
    """Medians of each side, and runtime / floor per pair (round i's two runs) as median and range."""
    pairs = [a[0] / b[0] for a, b in zip(ours, theirs, strict=True)]
    return {"ours": statistics.median(t[0] for t in ours), "theirs": statistics.median(t[0] for t in theirs),
            "ratio": statistics.median(pairs), "pairs_lo": min(pairs), "pairs_hi": max(pairs),
            "ours_min": min(t[0] for t in ours), "theirs_min": min(t[0] for t in theirs),
            "ours_cpu": statistics.median(t[1] for t in ours),
            "theirs_cpu": statistics.median(t[1] for t in theirs)}


def thread_env(memory_mb: int) -> dict[str, str]:
    """What Lambda gives a function of this memory, with the thread count the runtime picks there."""
    env = {"AWS_LAMBDA_FUNCTION_MEMORY_SIZE": str(memory_mb)}
    count = str(available_cpus(env))
    return {**env, **{name: count for name in THREAD_VARS}}


def bench(name: str, folder: Path, runs: int, env: dict[str, str], floors: list[str],
          task_root: Path, before: Path | None = None) -> dict[str, dict[str, float]]:
    """Per floor (and "<floor> before" with ``before``): medians, pair ratios, CPU of each side."""
    config = load_config(folder)
    row = DIABETES if name == "diabetes" else IRIS
    event = _event(config.api.path, row)
    runtime_argv = [sys.executable, "-c", RUNTIME, event]
    runtime_env_ = {**env, **runtime_env(config)}
    old_env = {**runtime_env_, "PYTHONPATH": str(before)} if before else {}
    baseline_argv = [sys.executable, "-c", BASELINES[name].format(dir=folder, row=row)]
    # (runtime side, floor side[, the runtime from --before]) per floor, keyed by the floor's name:
    # until 2026-12-07 the sides were listed script first while the results were read back in the
    # order of `floors` (awslambdaric first), so each row printed the other floor's numbers.
    sides: dict[str, list[Side]] = {}
    if "script" in floors:
        sides["script"] = [lambda: _run(runtime_argv, runtime_env_), lambda: _run(baseline_argv, env)]
        if before:
            sides["script"].append(lambda: _run(runtime_argv, old_env))
    if "awslambdaric" in floors:
        module = f"bare_{name.replace('-', '_')}"
        (task_root / f"{module}.py").write_text(bare_handler(name, folder), encoding="utf-8")
        # the runtime's task root is the example's folder, where a custom predictor's module is
        sides["awslambdaric"] = [lambda: _run_ric(RUNTIME_HANDLER, folder, runtime_env_, event.encode()),
                                 lambda: _run_ric(f"{module}.handler", task_root, env, event.encode())]
        if before:
            sides["awslambdaric"].append(lambda: _run_ric(RUNTIME_HANDLER, folder, old_env, event.encode()))
    order = [(floor, k) for floor in sides for k in range(len(sides[floor]))]
    times = _interleaved([sides[floor][k] for floor, k in order], runs)
    if not runs:  # --runs 0 --count: the untimed runs only, which compile the bytecode
        return {}
    by = dict(zip(order, times, strict=True))
    result = {floor: _summary(by[floor, 0], by[floor, 1]) for floor in sides}
    if before:
        result.update({f"{floor} before": _summary(by[floor, 2], by[floor, 1]) for floor in sides})
        result.update({f"{floor} new/old": _summary(by[floor, 0], by[floor, 2]) for floor in sides})
    return result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--only", default="", help=f"comma-separated subset of: {', '.join(BASELINES)}")
    parser.add_argument("--bytecode", choices=("cached", "none"), default="cached")
    parser.add_argument("--floor", choices=("both", "awslambdaric", "script"), default="both")
    parser.add_argument("--threads", choices=("lambda", "machine"), default="lambda",
                        help="lambda: both sides get the thread count Lambda's share at the example's "
                             "memory gives; machine: leave the thread variables unset on both sides")
    parser.add_argument("--before", type=Path, help="a tree holding the lambdaserve package to compare "
                                                    "with, run interleaved (A/B)")
    parser.add_argument("--count", action="store_true", help="also count instructions (valgrind)")
    args = parser.parse_args(argv)
    names = [n.strip() for n in args.only.split(",") if n.strip()] or list(BASELINES)
    floors = ["awslambdaric", "script"] if args.floor == "both" else [args.floor]
    if args.count and shutil.which("valgrind") is None:
        parser.error("--count needs valgrind (apt-get install valgrind)")
    if args.before and not (args.before / "lambdaserve" / "runtime" / "handler.py").is_file():
        parser.error(f"--before {args.before}: no lambdaserve/runtime/handler.py there")
    before = args.before.resolve() if args.before else None
    with tempfile.TemporaryDirectory(prefix="lambdaserve-bench-") as tmp:
        out = Path(tmp) / "examples"
        subprocess.run([sys.executable, str(ROOT / "examples" / "make_examples.py"), "--out", str(out),
                        "--only", ",".join(names)], check=True, stdout=subprocess.DEVNULL)
        base_env = _base_env(args.bytecode, Path(tmp) / "pycache")
        task_root = Path(tmp) / "bare-handlers"
        task_root.mkdir()
        load = [os.getloadavg()[0]]
        print(f"cold start, spawn to first answer, {args.runs} interleaved rounds; "
              f"bytecode: {args.bytecode}; threads: {args.threads}; python {sys.version.split()[0]}; "
              f"{os.cpu_count()} CPUs; "
              f"load {load[0]:.1f}" + (f"; before = {before}" if before else ""))
        print(f"{'example':<18}{'floor':<20}{'runtime ms':>11}{'floor ms':>9}{'ratio':>7}{'pairs':>12}"
              f"{'overhead ms':>12}{'min ratio':>10}{'cpu ratio':>10}")
        worst = {floor: 0.0 for floor in floors}
        worst_hi = {floor: 0.0 for floor in floors}
        worst_count = 0.0
        for name in names:
            config = load_config(out / name)
            env = {**base_env, **thread_env(config.function.memory)} if args.threads == "lambda" else base_env
            result = bench(name, out / name, args.runs, env, floors, task_root, before)
            for floor, m in result.items():
                if floor in worst:
                    worst[floor] = max(worst[floor], m["ratio"])
                    worst_hi[floor] = max(worst_hi[floor], m["pairs_hi"])
                pairs = f"{m['pairs_lo']:.2f}-{m['pairs_hi']:.2f}"
                print(f"{name:<18}{floor:<20}{m['ours'] * 1000:>11.0f}{m['theirs'] * 1000:>9.0f}"
                      f"{m['ratio']:>7.2f}{pairs:>12}{(m['ours'] - m['theirs']) * 1000:>12.0f}"
                      f"{m['ours_min'] / m['theirs_min']:>10.2f}{m['ours_cpu'] / m['theirs_cpu']:>10.2f}",
                      flush=True)
            if args.count:
                row = DIABETES if name == "diabetes" else IRIS
                ours = _count([sys.executable, "-c", RUNTIME, _event(config.api.path, row)],
                              {**env, **runtime_env(config)})
                theirs = _count([sys.executable, "-c", BASELINES[name].format(dir=out / name, row=row)], env)
                worst_count = max(worst_count, ours / theirs)
                print(f"{name:<18}instructions: runtime {ours / 1e6:.1f} M, script floor "
                      f"{theirs / 1e6:.1f} M, ratio {ours / theirs:.3f}, our share "
                      f"{(ours - theirs) / 1e6:.1f} M", flush=True)
            load.append(os.getloadavg()[0])
        shown = "; ".join(f"{worst[f]:.2f} (pairs up to {worst_hi[f]:.2f}) against the "
                          f"{'bare script' if f == 'script' else 'awslambdaric'} floor" for f in floors)
        counted = f"; instructions {worst_count:.3f}" if args.count else ""
        print(f"RATIO worst median pair ratio (target <= 1.10): {shown}{counted}; threads {args.threads}; "
              f"load {min(load):.1f}-{max(load):.1f} on {os.cpu_count()} CPUs (other work on the machine "
              "adds noise)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
