"""The slim path: native vs ONNX cold start and zip size, for a RandomForest and a torch MLP.

    python benchmarks/convert_slim.py [--runs 7] [--only iris,iris-torchscript]

Per example (examples/make_examples.py into a temporary folder: iris is a 20-tree
RandomForest on joblib, iris-torchscript a 4-16-3 MLP), `lambdaserve convert --to onnx`'s
convert_project writes the ONNX model and lambdaserve.onnx.toml, then:
  zip    build_zip for python3.12 x86_64 of each config (native = the baseline, same run);
         zipped and unzipped bytes. torch does not fit in a zip (the build refuses it), so
         its native side has no zip and the installed torch's size is shown instead.
  cold   spawn a fresh python, import lambdaserve.runtime.handler with the config's
         LAMBDASERVE_* variables (the model loads and warms up, as in Lambda's init) and
         answer one API Gateway event: wall time to the first answer, median of --runs,
         native and ONNX interleaved. Two places: "zip" runs python3.12 from the extracted
         zips (what Lambda runs; .pyc shipped), "venv" runs this interpreter from its own
         site-packages (the only place native torch can run here).
Targets: ONNX cold start <= 0.4 x native; ONNX zip <= 45 MB.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import textwrap
import time
from importlib.metadata import distribution
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from lambdaserve.config import Config, artifact_env, load_config, runtime_env  # noqa: E402
from lambdaserve.convert import convert_project  # noqa: E402
from lambdaserve.package.deps.interpreters import find_interpreter  # noqa: E402
from lambdaserve.package.zip.build import MB, build_zip  # noqa: E402
from lambdaserve.package.zip.extract import extract  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
EVENT = ROOT / "tests" / "events" / "apigw-rest-proxy.json"
CACHE = Path(os.environ.get("LAMBDASERVE_TEST_CACHE") or Path.home() / ".cache" / "lambdaserve-test")
EXAMPLES = ("iris", "iris-torchscript")
ROW = [5.1, 3.5, 1.4, 0.2]

HANDLER = textwrap.dedent("""
    import json, sys
    from lambdaserve.runtime.handler import lambda_handler
    answer = lambda_handler(json.loads(sys.argv[1]), None)
    if answer["statusCode"] != 200:
        sys.exit("runtime answered " + json.dumps(answer))
    print(answer["body"])
""")


def _event(api_path: str) -> str:
    event = json.loads(EVENT.read_text())
    event.update(httpMethod="POST", path=api_path, resource=api_path, isBase64Encoded=False,
                 body=json.dumps({"data": [ROW]}))
    event["headers"]["Content-Type"] = "application/json"
    event["multiValueHeaders"] = {k: [v] for k, v in event["headers"].items()}
    return json.dumps(event)


def _first_answer_s(argv: list[str], env: dict[str, str], cwd: Path) -> tuple[float, str]:
    with tempfile.TemporaryFile() as err:
        start = time.perf_counter()
        child = subprocess.Popen(argv, env=env, cwd=cwd, stdout=subprocess.PIPE, stderr=err)
        assert child.stdout is not None
        first = child.stdout.readline()
        elapsed = time.perf_counter() - start
        child.stdout.read()
        if child.wait() != 0 or not first:
            err.seek(0)
            raise SystemExit(f"{argv[0]} failed:\n{err.read().decode()[-2000:]}")
    return elapsed, first.decode().strip()


def _interleaved(sides: dict[str, tuple[list[str], dict[str, str], Path]], runs: int) -> dict[str, float]:
    """Median wall seconds per side, after one untimed run of each (page cache, .pyc)."""
    answers = {name: _first_answer_s(*side)[1] for name, side in sides.items()}
    if len(set(answers.values())) != 1:  # the two models must answer the same request alike
        print(f"    note: answers differ in their last digits: {answers}")
    times: dict[str, list[float]] = {name: [] for name in sides}
    order = list(sides)
    for i in range(runs):
        for name in order if i % 2 == 0 else reversed(order):
            times[name].append(_first_answer_s(*sides[name])[0])
    return {name: statistics.median(t) for name, t in times.items()}


def _venv_side(config: Config) -> tuple[list[str], dict[str, str], Path]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("LAMBDASERVE_")}
    env.update(runtime_env(config), PYTHONUNBUFFERED="1")
    return [sys.executable, "-c", HANDLER, _event(config.api.path)], env, config.project_dir


def _zip_side(config: Config, task: Path, python: str) -> tuple[list[str], dict[str, str], Path]:
    env = {"PATH": os.environ.get("PATH", ""), "PYTHONPATH": str(task), "PYTHONDONTWRITEBYTECODE": "1",
           "PYTHONUNBUFFERED": "1", **artifact_env(config, "zip")}
    env["LAMBDASERVE_MODEL_DIR"] = str(task / "model")  # /var/task/model, here
    return [python, "-s", "-c", HANDLER, _event(config.api.path)], env, task


def _installed_mb(name: str) -> float:
    files = distribution(name).files or []
    return sum((f.size or 0) for f in files) / MB


def bench(name: str, folder: Path, runs: int, scratch: Path) -> None:
    native = load_config(folder)
    done = convert_project(native)
    slim = load_config(done.config_path)
    print(f"{name}: {native.model.framework} {native.model.path.stat().st_size:,} B -> onnx "
          f"{done.onnx_path.stat().st_size:,} B, verified on {done.rows} rows ({done.tolerance})")
    python = find_interpreter("3.12")
    zips = {}
    for label, config in (("native", native), ("onnx", slim)):
        try:
            zips[label] = build_zip(config, interpreter=python, out_dir=scratch / f"{name}-{label}-zip",
                                    cache_dir=CACHE / "deps", wheel_cache=CACHE / "wheels")
        except Exception as exc:  # torch: refused, over the 250 MB unzipped limit
            print(f"  zip {label:<7} not built: {exc}")
    for label, built in zips.items():
        print(f"  zip {label:<7} {built.zipped_bytes / MB:7.1f} MB zipped "
              f"{built.unzipped_bytes / MB:7.1f} MB unzipped")
    if "native" in zips and "onnx" in zips:
        print(f"  zip onnx / native: {zips['onnx'].zipped_bytes / zips['native'].zipped_bytes:.2f} zipped, "
              f"{zips['onnx'].unzipped_bytes / zips['native'].unzipped_bytes:.2f} unzipped")
    elif "onnx" in zips and native.model.framework == "torchscript":
        print(f"  installed torch (this venv): {_installed_mb('torch'):.0f} MB unzipped, vs the ONNX zip's "
              f"{zips['onnx'].unzipped_bytes / MB:.0f} MB")
    places = {"venv": {"native": _venv_side(native), "onnx": _venv_side(slim)}}
    if set(zips) == {"native", "onnx"}:
        tasks = {label: extract(zips[label].path, scratch / f"{name}-{label}-task") for label in zips}
        places["zip"] = {"native": _zip_side(native, tasks["native"], str(python.path)),
                         "onnx": _zip_side(slim, tasks["onnx"], str(python.path))}
    for place, sides in places.items():
        m = _interleaved(sides, runs)
        print(f"  cold {place:<5} native {m['native'] * 1000:7.0f} ms   onnx {m['onnx'] * 1000:7.0f} ms   "
              f"ratio {m['onnx'] / m['native']:.2f} (target <= 0.40)", flush=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--only", default="", help=f"comma-separated subset of: {', '.join(EXAMPLES)}")
    args = parser.parse_args(argv)
    names = [n.strip() for n in args.only.split(",") if n.strip()] or list(EXAMPLES)
    with tempfile.TemporaryDirectory(prefix="lambdaserve-slim-") as tmp:
        out = Path(tmp) / "examples"
        subprocess.run([sys.executable, str(ROOT / "examples" / "make_examples.py"), "--out", str(out),
                        "--only", ",".join(names)], check=True, stdout=subprocess.DEVNULL)
        print(f"slim path, spawn to first answer, median of {args.runs} fresh processes per side; "
              f"{os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.1f} at start")
        for name in names:
            bench(name, out / name, args.runs, Path(tmp))
        print(f"load average at the end {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs "
              "(other work on the machine adds noise; the ratios hold better than the times)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
