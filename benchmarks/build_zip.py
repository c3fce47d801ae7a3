"""Zip builds: cold build vs code-only rebuild, size per stack, and import time with vs without .pyc.

    python benchmarks/build_zip.py [--runs 5] [--stacks sklearn,onnx]

Per stack, in a temporary project built for python3.12 x86_64, first with both verified trims
off (the baseline; both are on by default since issue 9), then with each turned on:
  cold      build with empty caches (pip downloads included: the network shows here);
  rebuild   the same build after editing the user's predictor module: the dependency layer
            and the model part come from the cache. Baseline: the cold build, same run.
  size      zipped and unzipped bytes after trimming, with the trimmed bytes and the .pyc
            share. Targets: onnxruntime stack <= 45 MB zipped, sklearn stack <= 150 MB unzipped.
  trim      the same project with build.trim_unimported = true (traced, verified): sizes vs the
            untrimmed build of the same run (baseline), the build time, the largest removals.
  sourceless  trim_unimported plus build.sourceless_dependencies = true (dependencies as
            legacy .pyc only, verified): sizes vs the same baseline.
  import    spawn the target python3.12 from the extracted zip and import
            lambdaserve.runtime.handler (the model loads and warms up, as in Lambda's init),
            median of --runs fresh processes each way, interleaved; "without" is the same
            folder with every __pycache__ removed and PYTHONDONTWRITEBYTECODE=1, like a
            read-only /var/task without .pyc. Then the same import, median of --runs fresh
            processes interleaved, from the default zip (baseline), the trimmed zip and the
            trimmed + sourceless zip: bytecode-only dependencies must not import slower.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import textwrap
import time
import zipfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from lambdaserve.config import load_config, runtime_env  # noqa: E402
from lambdaserve.package.deps.interpreters import Interpreter, find_interpreter  # noqa: E402
from lambdaserve.package.deps.layer import SOURCES  # noqa: E402
from lambdaserve.package.zip.build import MB, ZipBuildResult, build_zip  # noqa: E402
from lambdaserve.package.zip.extract import extract  # noqa: E402

PREDICTOR = '''
    """A user's predictor module: the model file loaded by the framework, named outputs."""
    from pathlib import Path

    FILE = "{file}"


    class Predictor:
        def load(self, model_dir):
            path = str(Path(model_dir) / FILE)
            {load}

        def predict(self, inputs):
            {predict}
'''
STACKS = {
    "sklearn": {
        "requirements": ["scikit-learn==1.9.1", "numpy==2.4.6", "joblib==1.6.0"],
        "file": "model.joblib",
        "load": "import joblib; self.model = joblib.load(path)",
        "predict": 'return {"label": self.model.predict(inputs["features"])}',
    },
    "onnx": {
        "requirements": ["onnxruntime==1.32.0", "numpy==2.4.6"],
        "file": "model.onnx",
        "load": "import onnxruntime as ort; self.session = ort.InferenceSession(path)",
        "predict": ('import numpy as np; x = np.asarray(inputs["features"], dtype=np.float32); '
                    'return {"label": self.session.run(None, {self.session.get_inputs()[0].name: x})[0]}'),
    },
}
TOML = '''
    name = "bench-{stack}"
    [model]
    path = "model"
    framework = "custom"
    predictor = "user_predictor:Predictor"
    [function]
    python = "3.12"
    requirements = {requirements}
    [signature]
    inputs = [{{ name = "features", dtype = "float32", shape = [-1, 4] }}]
    [build]
    trim_unimported = false
    sourceless_dependencies = false
'''


def make_project(folder: Path, stack: str) -> Path:
    from tests.models import onnx_classifier, sklearn_classifier

    spec = STACKS[stack]
    (folder / "model").mkdir(parents=True)
    (sklearn_classifier if stack == "sklearn" else onnx_classifier)(folder / "model")
    source = textwrap.dedent(PREDICTOR).format(file=spec["file"], load=spec["load"], predict=spec["predict"])
    (folder / "user_predictor.py").write_text(source)
    (folder / "lambdaserve.toml").write_text(
        textwrap.dedent(TOML).format(stack=stack, requirements=json.dumps(spec["requirements"])))
    return folder


def import_ms(python: str, task: Path, env: dict[str, str]) -> float:
    code = ("import time; t = time.perf_counter(); import lambdaserve.runtime.handler; "
            "print((time.perf_counter() - t) * 1000)")
    done = subprocess.run([python, "-s", "-c", code], cwd=task, capture_output=True, text=True,
                          env={**env, "PYTHONPATH": str(task), "PYTHONDONTWRITEBYTECODE": "1",
                               "PATH": os.environ.get("PATH", "")}, check=True)
    return float(done.stdout.strip().splitlines()[-1])


def bench(stack: str, runs: int, scratch: Path) -> None:
    project = make_project(scratch / stack, stack)
    config = load_config(project)
    python = find_interpreter("3.12")
    started = time.perf_counter()
    cold = build_zip(config, interpreter=python)
    cold_s = time.perf_counter() - started
    module = project / "user_predictor.py"
    module.write_text(module.read_text() + "\n# a code-only change\n")
    started = time.perf_counter()
    warm = build_zip(load_config(project), interpreter=python)
    warm_s = time.perf_counter() - started
    assert warm.dependencies_cached and warm.sha256 != cold.sha256
    with zipfile.ZipFile(warm.path) as zf:
        pyc = sum(i.file_size for i in zf.infolist() if i.filename.endswith(".pyc"))
    print(f"[{stack}] {', '.join(f'{n}=={v}' for n, v in warm.packages)}")
    print(f"  cold build        {cold_s:7.2f} s (baseline)")
    print(f"  code-only rebuild {warm_s:7.2f} s   ratio {warm_s / cold_s:.3f}   target <= 1 s")
    print(f"  zipped   {warm.zipped_bytes / MB:7.1f} MB   unzipped {warm.unzipped_bytes / MB:7.1f} MB "
          f"(of which .pyc {pyc / MB:.1f} MB; without .pyc {(warm.unzipped_bytes - pyc) / MB:.1f} MB)")
    print(f"  trimmed  {warm.trimmed.total / MB:7.1f} MB: " + ", ".join(
        f"{k} {v / MB:.1f}" for k, v in sorted(warm.trimmed.removed.items(), key=lambda kv: -kv[1]) if v))
    with_pyc = extract(warm.path, scratch / f"{stack}-task")
    without = scratch / f"{stack}-task-nopyc"
    shutil.copytree(with_pyc, without)
    for cache in sorted(without.rglob("__pycache__"), reverse=True):
        shutil.rmtree(cache)
    env_with = runtime_env(config, model_dir=str(with_pyc / "model"))
    env_without = runtime_env(config, model_dir=str(without / "model"))
    import_ms(str(python.path), with_pyc, env_with)  # untimed: warm the page cache
    import_ms(str(python.path), without, env_without)
    a, b = [], []
    for _ in range(runs):
        b.append(import_ms(str(python.path), without, env_without))
        a.append(import_ms(str(python.path), with_pyc, env_with))
    ma, mb = statistics.median(a), statistics.median(b)
    print(f"  init import (median of {runs}): without .pyc {mb:7.0f} ms (baseline), "
          f"with .pyc {ma:7.0f} ms   ratio {ma / mb:.2f}")
    toml = project / "lambdaserve.toml"
    toml.write_text(toml.read_text().replace("trim_unimported = false", "trim_unimported = true"))
    trimmed = variant("trim_unimported", project, warm, python, scratch / f"{stack}-trimmed", warm_s)
    toml.write_text(toml.read_text().replace("sourceless_dependencies = false",
                                             "sourceless_dependencies = true"))
    slim = variant("trim_unimported + sourceless_dependencies", project, warm, python,
                   scratch / f"{stack}-sourceless", warm_s)
    tasks = {"default": (with_pyc, env_with)}
    for name, built in (("trimmed", trimmed), ("trimmed + sourceless", slim)):
        task = extract(built.path, scratch / f"{stack}-task-{name.replace(' + ', '-')}")
        tasks[name] = (task, runtime_env(config, model_dir=str(task / "model")))
    for task, env in tasks.values():
        import_ms(str(python.path), task, env)  # untimed: warm the page cache
    times: dict[str, list[float]] = {name: [] for name in tasks}
    order = list(tasks)
    for round_ in range(runs):  # interleaved, the order rotating: no variant always runs first
        for name in order[round_ % len(order):] + order[:round_ % len(order)]:
            task, env = tasks[name]
            times[name].append(import_ms(str(python.path), task, env))
    base = statistics.median(times["default"])
    print(f"  init import (median of {runs}, fresh processes): " + "   ".join(
        f"{name} {statistics.median(t):5.0f} ms (ratio {statistics.median(t) / base:.2f})"
        for name, t in times.items()) + "   baseline: default")


def variant(label: str, project: Path, untrimmed: ZipBuildResult, python: Interpreter, out: Path,
            rebuild_s: float) -> ZipBuildResult:
    """Build the project as configured now; print its sizes against the default build's."""
    started = time.perf_counter()
    built = build_zip(load_config(project), interpreter=python, out_dir=out)
    took = time.perf_counter() - started
    started = time.perf_counter()
    again = build_zip(load_config(project), interpreter=python, out_dir=out)  # every layer cached now
    again_s = time.perf_counter() - started
    assert again.sha256 == built.sha256, "the same inputs gave another zip"
    removed = built.trimmed.removed.get("unimported", 0)
    sources = built.trimmed.removed.get(SOURCES, 0)
    zipped, unzipped = built.zipped_bytes, built.unzipped_bytes
    print(f"  {label}: zipped {zipped / MB:7.1f} MB (ratio {zipped / untrimmed.zipped_bytes:.3f})   "
          f"unzipped {unzipped / MB:7.1f} MB (ratio {unzipped / untrimmed.unzipped_bytes:.3f}; "
          f"baseline: default)   unimported {removed / MB:.1f} MB in "
          f"{built.trimmed.files.get('unimported', 0)} files"
          + (f", .py sources {sources / MB:.1f} MB in {built.trimmed.files.get(SOURCES, 0)} files"
             if sources else ""))
    print(f"    build with trace + verify {took:6.2f} s, again with every layer cached {again_s:6.2f} s "
          f"(same sha256; code-only rebuild without the options {rebuild_s:.2f} s)")
    largest = built.trimmed.subpackages[:6]
    print("    largest removed: " + ", ".join(f"{name} {size / MB:.1f}" for name, size in largest))
    for warning in built.warnings:
        print(f"    warning: {warning}")
    return built


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--stacks", default="sklearn,onnx")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="lambdaserve-bench-") as tmp:
        for stack in args.stacks.split(","):
            bench(stack, args.runs, Path(tmp))


if __name__ == "__main__":
    main()
