"""Where the runtime's own cold-start instructions go, per module and per step (callgrind).

    python benchmarks/import_cost.py [--only iris-onnx,iris-custom] [--before DIR] [--top 30]

cold_start.py --count gives one number per side (runtime vs bare script, main thread). This
splits the runtime's side. In a fresh process under ``valgrind --tool=callgrind``, the floor's
imports run first (awslambdaric's bootstrap and the bare script's import lines: what the floor
pays too), then ``import lambdaserve.runtime.handler`` (which loads the model and warms it up, as
in Lambda's init) and one API Gateway REST event through ``lambda_handler``. Every import made
after the floor's is bracketed by a marker call (``os.getppid``, which callgrind is told to dump
before), so each module gets its **own** instructions: finding, unmarshalling and running its
body, less the imports it makes. The handler's own share is init's work outside imports (settings,
thread sizing, loading, warm-up, the init log line). A second process runs the bare script's
load and prediction after the same imports, for the floor's side of that work.

Instruction counts do not move with the machine's load, so they are the before/after of a change
(``--before DIR``: a tree holding an older lambdaserve/, counted the same way, side by side).
"""

from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
import tempfile
import textwrap
from pathlib import Path

from cold_start import (  # type: ignore[import-not-found]
    BASELINES,
    DIABETES,
    IRIS,
    ROOT,
    _base_env,
    _event,
    thread_env,
    tree_env,
)

from lambdaserve.config import load_config, runtime_env

# Runs under callgrind. argv: the floor's import lines, then the code whose steps are counted.
HARNESS = textwrap.dedent("""
    import os, sys
    _mark = os.getppid  # callgrind dumps its counters before every call of os_getppid
    _log = []

    def _step(kind, name):
        _mark()
        _log.append((kind, name))

    _step("step", "-floor imports")  # each step names what runs from there to the next marker
    sys.path.insert(0, os.environ.get("LAMBDA_TASK_ROOT", "."))
    import awslambdaric.bootstrap  # what the awslambdaric floor has imported before any handler
    exec(sys.argv[1])
    _step("step", "-harness")
    import importlib._bootstrap as _bootstrap
    _find_and_load = _bootstrap._find_and_load

    def _counted(name, import_):  # the C import calls importlib._bootstrap._find_and_load by name
        _step("enter", name)
        try:
            return _find_and_load(name, import_)
        finally:
            _step("exit", name)

    _bootstrap._find_and_load = _counted
    exec(sys.argv[2])
    _step("step", "-end")
    sys.stderr.write("\\nSTEPS " + repr(_log) + "\\n")
    sys.stderr.flush()
    os._exit(0)  # teardown is not part of a cold start
""")

RUNTIME = textwrap.dedent("""
    import json
    event = json.loads(os.environ["BENCH_EVENT"])
    _step("step", "(init: the handler's own, less its imports)")
    from lambdaserve.runtime.handler import lambda_handler
    _step("step", "(first request)")
    answer = lambda_handler(event, None)
    _step("step", "-end")
    assert answer["statusCode"] == 200, answer
""")


def _split(script: str) -> tuple[str, str]:
    """The bare script's import lines, and the rest (load and predict)."""
    lines = script.splitlines()
    head = [ln for ln in lines if ln.startswith(("import ", "from ", "sys.path"))]
    return "\n".join(head), "\n".join(ln for ln in lines if ln not in head)


def _callgrind(code: str, floor_imports: str, env: dict[str, str]) -> list[tuple[str, str, int]]:
    """(kind, name, instructions since the previous step) for every step the harness logged."""
    if env.get("BENCH_UNCOUNTED"):  # a plain run first, which writes the .pyc the counted run reads
        subprocess.run([sys.executable, "-c", HARNESS, floor_imports, code], env=env, check=True,
                       capture_output=True)
        return []
    with tempfile.TemporaryDirectory(prefix="lambdaserve-import-cost-") as tmp:
        out = Path(tmp) / "cg.out"
        done = subprocess.run(
            ["valgrind", "--tool=callgrind", "--separate-threads=yes", "--dump-before=os_getppid",
             f"--callgrind-out-file={out}", sys.executable, "-c", HARNESS, floor_imports, code],
            env={**env, "PYTHONHASHSEED": "0"}, capture_output=True, text=True, check=False)
        found = re.search(r"^STEPS (.*)$", done.stderr, re.M)
        if done.returncode != 0 or found is None:
            raise SystemExit(f"callgrind failed:\n{done.stderr[-3000:]}")
        steps = eval(found.group(1))  # noqa: S307 - our own harness's repr of a list of str pairs
        counts = []
        for k in range(1, len(steps) + 1):  # dump k ends just before the k-th marker call
            text = (Path(tmp) / f"cg.out.{k}-01").read_text()
            counts.append(int(re.search(r"^(?:summary|totals): (\d+)", text, re.M).group(1)))  # type: ignore[union-attr]
    # dump k holds what ran between marker k-1 and marker k, charged to step k-1 (dump 1: startup)
    return [(kind, name, counts[k + 1] if k + 1 < len(counts) else 0) for k, (kind, name) in enumerate(steps)]


def _own(steps: list[tuple[str, str, int]]) -> dict[str, int]:
    """Instructions per module (its own, not its imports') and per named step."""
    own: dict[str, int] = {}
    stack: list[str] = []
    current = ""
    for kind, name, after in steps:
        if kind == "enter":
            stack.append(name)
        elif kind == "exit":
            stack.pop()
        else:
            current = name
        who = stack[-1] if stack else current
        own[who] = own.get(who, 0) + after
    return own


def count(name: str, folder: Path, tree: Path | None, env: dict[str, str],
          warm: bool = False) -> tuple[dict[str, int], int]:
    """The runtime's instructions per module/step, and the floor's load + first prediction."""
    config = load_config(folder)
    row = DIABETES if name == "diabetes" else IRIS
    imports, rest = _split(BASELINES[name].format(dir=folder, row=row))
    run_env = tree_env({**env, **runtime_env(config), "BENCH_EVENT": _event(config.api.path, row),
                        "LAMBDA_TASK_ROOT": str(folder)}, tree or ROOT)
    if warm:
        run_env["BENCH_UNCOUNTED"] = env["BENCH_UNCOUNTED"] = "1"
    ours = _own(_callgrind(RUNTIME, imports, run_env))
    floor = _own(_callgrind(f"_step('step', 'load + predict')\n{rest}\n_step('step', '-end')", imports, env))
    return ours, floor.get("load + predict", 0)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", default="iris-onnx,iris-custom")
    parser.add_argument("--before", type=Path, help="a tree holding an older lambdaserve/ to count beside")
    parser.add_argument("--top", type=int, default=30)
    args = parser.parse_args(argv)
    names = [n.strip() for n in args.only.split(",") if n.strip()]
    with tempfile.TemporaryDirectory(prefix="lambdaserve-bench-") as tmp:
        os.chdir(tmp)  # `python -c` and `-m` put the working directory first on sys.path: not a checkout
        out = Path(tmp) / "examples"
        subprocess.run([sys.executable, str(ROOT / "examples" / "make_examples.py"), "--out", str(out),
                        "--only", ",".join(names)], check=True, stdout=subprocess.DEVNULL)
        base = _base_env("cached", Path(tmp) / "pycache")
        for name in names:
            env = {**base, **thread_env(load_config(out / name).function.memory)}
            trees = {"after": None, "before": args.before.resolve()} if args.before else {"after": None}
            for tree in trees.values():  # once untimed: writes the .pyc both trees then read
                count(name, out / name, tree, dict(env), warm=True)
            results = {label: count(name, out / name, tree, env) for label, tree in trees.items()}
            print(f"\n{name}: millions of instructions (main thread), after the floor's imports")
            labels = list(results)
            floor_work = results["after"][1]
            rows = sorted({k for own, _ in results.values() for k in own if not k.startswith("-")},
                          key=lambda k: -max(r[0].get(k, 0) for r in results.values()))
            print(f"{'module or step':<58}" + "".join(f"{lab:>10}" for lab in labels))
            for key in rows[:args.top]:
                print(f"{key:<58}" + "".join(f"{results[lab][0].get(key, 0) / 1e6:>10.2f}" for lab in labels))
            for lab in labels:
                own = results[lab][0]
                total = sum(v for k, v in own.items() if not k.startswith("-"))
                mods = sum(v for k, v in own.items() if not k.startswith(("(", "-")))
                print(f"{lab}: total {total / 1e6:.1f} M = modules {mods / 1e6:.1f} M + steps "
                      f"{(total - mods) / 1e6:.1f} M; the floor's load + predict {floor_work / 1e6:.1f} M; "
                      f"our share over the floor {(total - floor_work) / 1e6:.1f} M")
    return 0


if __name__ == "__main__":
    sys.exit(main())
