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
run are neighbours: a pair.

The statistic, and why. "ratio" is the median over the pairs of runtime / floor, printed with a
90 % confidence interval of that median ("90% CI": order statistics by the sign test, so no
assumption about how the noise is distributed; with 7 pairs it is the whole range, with 15 the
4th to the 12th) and the range of all pairs. A pair, not the two sides' medians: neighbouring runs
share the machine's load of that moment, and a ratio per pair cancels it. The median, not the mean:
other work on the machine stalls single runs of either side by up to 2x, and one stall would move
the mean. The last column decides the target honestly: "met" only when the interval's upper end
is <= 1.10, "not met" when its lower end is above, "open" when 1.10 lies inside it (run more
rounds). "min" (fastest runs) and "cpu" (user + system of each process, all threads) are printed
for reference: both move less with load, but neither is the cold start Lambda bills.

--count adds the same sides' instruction ratio ("instr") and our share in millions ("+M inst"):
callgrind, one run per side, both leaving with os._exit right after the answer, the main
thread's count (see _count). Instructions do not depend on the load, so they are the steady
before/after of a change; they do not see the kernel's work (page faults, file reads). For the
awslambdaric rows both sides first import what ``python -m awslambdaric`` imports before any
handler (its bootstrap), so the ratio has that floor's denominator; its event loop is not counted
on either side.

Threads (--threads lambda, the default): both sides get AWS_LAMBDA_FUNCTION_MEMORY_SIZE (the
example's function.memory, as Lambda sets it) and the BLAS/OpenMP thread variables set to the
CPUs Lambda gives that memory (1 below 1,769 MB), the count the runtime itself chooses there.
Left unset, numpy's OpenBLAS starts a thread per visible CPU that busy-waits ~100 ms of CPU on
both sides; on a 2-core machine shared with other work that makes wall time follow the scheduler.
Giving the floor the same variables keeps the comparison about the runtime's own work: our
thread sizing is not counted in our favour. --threads machine leaves them unset on both sides.

--before DIR adds, per floor, the runtime from DIR (a tree holding lambdaserve/, e.g.
``git archive main lambdaserve | tar -x -C DIR``), interleaved in the same rounds: before/after.
Every side imports lambdaserve from a tree on PYTHONPATH (this checkout, or DIR), checked before
the runs: an editable install's finder would otherwise answer first (see SHIM).

Bytecode is the same on both sides: "cached" (default) compiles every module once into a
private PYTHONPYCACHEPREFIX during the untimed runs, as a package that ships .pyc does;
"none" compiles every import from source on every run (PYTHONDONTWRITEBYTECODE=1 and an
empty prefix), as a package without .pyc does.
"""

from __future__ import annotations

import argparse
import json
import math
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
TARGET = 1.10
CONFIDENCE = 0.90  # of the median pair ratio's interval; its upper end is a 95 % one-sided bound
# What `python -m awslambdaric` has imported before it imports a handler: counted on both sides for
# the awslambdaric rows' instruction ratio (its event loop's own work is not counted on either).
RIC_IMPORTS = "import awslambdaric.bootstrap\n"
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
    # one plain run first: a module whose .pyc is stale (a source touched since, e.g. by a rebase)
    # compiles in the first run only, and that run must not be the counted one
    subprocess.run([*argv[:2], script, *argv[3:]], env=env, capture_output=True, check=False)
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


# An editable install's finder sits before PYTHONPATH on sys.meta_path, so until 2026-12-07
# `--before DIR` ran this checkout's runtime on both sides of every A/B. Every side (floors too,
# so all pay the same) starts with this sitecustomize, and lambdaserve comes from PYTHONPATH.
SHIM = """import sys
sys.meta_path[:] = [f for f in sys.meta_path if not getattr(f, "__module__", "").startswith("__editable__")]
"""


def _base_env(mode: str, prefix: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("LAMBDASERVE_")}
    shim = prefix.parent / "shim"
    shim.mkdir(exist_ok=True)
    (shim / "sitecustomize.py").write_text(SHIM, encoding="utf-8")
    stand_in = prefix.parent / "stand-in"
    stand_in.mkdir(exist_ok=True)
    env["PYTHONPATH"] = os.pathsep.join([str(shim), str(stand_in)])
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


def tree_env(env: dict[str, str], tree: Path) -> dict[str, str]:
    """``env`` with lambdaserve imported from ``tree`` (checked: the run fails on another one).

    ``tree`` takes the place of the base env's empty stand-in folder, so every side has as many
    sys.path entries: on Lambda lambdaserve sits in the task root, where any function's handler
    is. An entry more on our side alone cost it ~3.1 M instructions (one more lookup for each
    top-level import of awslambdaric's, numpy's, ...) that no deployed function pays.
    """
    shim, _stand_in = env["PYTHONPATH"].split(os.pathsep)
    tree_env = {**env, "PYTHONPATH": os.pathsep.join([shim, str(tree)])}
    found = subprocess.run([sys.executable, "-c", "import lambdaserve; print(lambdaserve.__file__)"],
                           env=tree_env, capture_output=True, text=True, check=True).stdout.strip()
    if Path(found).resolve() != (tree / "lambdaserve" / "__init__.py").resolve():
        raise SystemExit(f"lambdaserve came from {found}, not from {tree}")
    return tree_env


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


def median_interval(values: list[float], confidence: float = CONFIDENCE) -> tuple[float, float]:
    """A distribution-free interval for the median: the k-th smallest and k-th largest values, k as
    large as the sign test allows (each value falls below the median with probability 1/2, so the
    interval misses it with probability 2 * P(Binomial(n, 1/2) < k)). 7 values: the whole range."""
    ordered, n = sorted(values), len(values)
    k, below = 1, 0.0
    while k < (n + 1) // 2:
        below += math.comb(n, k - 1) / 2 ** n  # P(fewer than k below the median) so far
        if 1 - 2 * (below + math.comb(n, k) / 2 ** n) < confidence:
            break
        k += 1
    return ordered[k - 1], ordered[n - k]


def _summary(ours: list[tuple[float, float]], theirs: list[tuple[float, float]]) -> dict[str, float]:
    """Medians of each side, and runtime / floor per pair (round i's two runs): median, its
    interval, range."""
    pairs = [a[0] / b[0] for a, b in zip(ours, theirs, strict=True)]
    lo, hi = median_interval(pairs)
    return {"ours": statistics.median(t[0] for t in ours), "theirs": statistics.median(t[0] for t in theirs),
            "ratio": statistics.median(pairs), "ci_lo": lo, "ci_hi": hi,
            "pairs_lo": min(pairs), "pairs_hi": max(pairs),
            "ours_min": min(t[0] for t in ours), "theirs_min": min(t[0] for t in theirs),
            "ours_cpu": statistics.median(t[1] for t in ours),
            "theirs_cpu": statistics.median(t[1] for t in theirs)}


def thread_env(memory_mb: int) -> dict[str, str]:
    """What Lambda gives a function of this memory, with the thread count the runtime picks there."""
    env = {"AWS_LAMBDA_FUNCTION_MEMORY_SIZE": str(memory_mb)}
    count = str(available_cpus(env))
    return {**env, **{name: count for name in THREAD_VARS}}


def bench(name: str, folder: Path, runs: int, env: dict[str, str], floors: list[str],
          task_root: Path, before: Path | None = None, count: bool = False) -> dict[str, dict[str, float]]:
    """Per floor (and "<floor> before", "<floor> new/old" with ``before``): medians, pair ratios and
    their interval, CPU of each side; with ``count``, the instruction ratio of the same two sides."""
    config = load_config(folder)
    row = DIABETES if name == "diabetes" else IRIS
    event = _event(config.api.path, row)
    runtime_argv = [sys.executable, "-c", RUNTIME, event]
    runtime_env_ = tree_env({**env, **runtime_env(config)}, ROOT)
    old_env = tree_env({**env, **runtime_env(config)}, before) if before else {}
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
    result: dict[str, dict[str, float]] = {floor: {} for floor in sides}
    if before:
        result.update({f"{floor} {what}": {} for floor in sides for what in ("before", "new/old")})
    if runs:  # --runs 0 --count: the untimed runs only, which compile the bytecode
        by = dict(zip(order, times, strict=True))
        for floor in sides:
            result[floor] = _summary(by[floor, 0], by[floor, 1])
            if before:
                result[f"{floor} before"] = _summary(by[floor, 2], by[floor, 1])
                result[f"{floor} new/old"] = _summary(by[floor, 0], by[floor, 2])
    if count:
        for floor in sides:
            prelude = RIC_IMPORTS if floor == "awslambdaric" else ""
            ours = _count([sys.executable, "-c", prelude + RUNTIME, event], runtime_env_)
            theirs = _count([sys.executable, "-c", prelude + baseline_argv[2]], env)
            result[floor].update(instr=ours / theirs, instr_ours=ours, instr_theirs=theirs)
            if before:
                old = _count([sys.executable, "-c", prelude + RUNTIME, event], old_env)
                result[f"{floor} before"].update(instr=old / theirs, instr_ours=old, instr_theirs=theirs)
                result[f"{floor} new/old"].update(instr=ours / old, instr_ours=ours, instr_theirs=old)
    return result


def verdict(m: dict[str, float]) -> str:
    """met / not met when the median pair ratio's whole interval is on one side of the target."""
    if "ci_hi" not in m:
        return ""
    return "met" if m["ci_hi"] <= TARGET else "not met" if m["ci_lo"] > TARGET else "open"


def _row(name: str, floor: str, m: dict[str, float]) -> str:
    timed = " " * 59
    if "ratio" in m:
        ci, pairs = f"{m['ci_lo']:.2f}-{m['ci_hi']:.2f}", f"{m['pairs_lo']:.2f}-{m['pairs_hi']:.2f}"
        timed = (f"{m['ours'] * 1000:>9.0f}{m['theirs'] * 1000:>9.0f}{m['ratio']:>7.2f}{ci:>11}{pairs:>11}"
                 f"{m['ours_min'] / m['theirs_min']:>6.2f}{m['ours_cpu'] / m['theirs_cpu']:>6.2f}")
    counted = f"{m['instr']:>7.3f}{(m['instr_ours'] - m['instr_theirs']) / 1e6:>8.1f}" if "instr" in m else ""
    return f"{name:<18}{floor:<21}{timed}{counted}{verdict(m) if ' ' not in floor else '':>9}"


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
        os.chdir(tmp)  # `python -c` and `-m` put the working directory first on sys.path: not a checkout
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
        ci = f"{CONFIDENCE:.0%} CI"
        print(f"{'example':<18}{'floor':<21}{'ours ms':>9}{'floor ms':>9}{'ratio':>7}"
              f"{ci:>11}{'pairs':>11}{'min':>6}{'cpu':>6}"
              + (f"{'instr':>7}{'+M inst':>8}" if args.count else "") + f"{'<= 1.10':>9}")
        worst: dict[str, dict[str, float]] = {floor: {} for floor in floors}
        for name in names:
            config = load_config(out / name)
            env = {**base_env, **thread_env(config.function.memory)} if args.threads == "lambda" else base_env
            result = bench(name, out / name, args.runs, env, floors, task_root, before, args.count)
            for floor, m in result.items():
                if floor in worst:
                    for key in ("ratio", "ci_hi", "ci_lo", "pairs_hi", "instr"):
                        if key in m:
                            worst[floor][key] = max(worst[floor].get(key, 0.0), m[key])
                print(_row(name, floor, m), flush=True)
            load.append(os.getloadavg()[0])
        shown = "; ".join(
            f"{'bare script' if f == 'script' else 'awslambdaric'} floor: median "
            + (f"{w['ratio']:.2f}, {CONFIDENCE:.0%} CI upper end {w['ci_hi']:.2f} (pairs up to "
               f"{w['pairs_hi']:.2f}), {verdict(w)}" if "ratio" in w else "-")
            + (f", instructions {w['instr']:.3f}" if "instr" in w else "") for f, w in worst.items())
        print(f"RATIO worst example per floor (target <= {TARGET:.2f}; met when the interval's upper end "
              f"is): {shown}; threads {args.threads}; load {min(load):.1f}-{max(load):.1f} on "
              f"{os.cpu_count()} CPUs (other work on the machine adds noise)")
    return 0

if __name__ == "__main__":
    sys.exit(main())
