"""Daemonless image: build times and bytes pushed, first push vs unchanged re-push vs small changes.

    python benchmarks/image_push.py [--model-mb 20] [--requirements numpy==2.4.6]

Starts Debian's docker-registry on 127.0.0.1 (temporary storage), puts a synthetic
AWS-like base in it (one 8 MB layer, an ENTRYPOINT like Lambda's bootstrap, so no
awslambdaric layer is added), then for a custom-predictor project with a random
(incompressible) model of --model-mb MB and the given requirements, python 3.12 x86_64:
  cold       first build (dependency layer from H7's cache if present: see "deps cached")
             and first push. Baseline for bytes: this push; for time: this build.
  unchanged  rebuild and re-push with nothing changed. Target: 0 bytes.
  model      rewrite the model file; rebuild and push. Target: the model layer + config +
             manifest only.
  code       edit the predictor module; rebuild and push. Target: the code layer + config +
             manifest only.
  elsewhere  push the same image to a registry that lacks everything and cannot mount the
             base (another name for the same server): the base is streamed registry to registry.
Bytes are request bodies sent by our registry client (retries included).
"""

from __future__ import annotations

import argparse
import functools
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path
from typing import BinaryIO

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from lambdaserve.config import load_config  # noqa: E402
from lambdaserve.package.image.build import build_image  # noqa: E402
from lambdaserve.package.image.layers import LayerEntry, write_layer  # noqa: E402
from lambdaserve.package.registry.client import RegistryClient  # noqa: E402
from lambdaserve.package.registry.oci import (  # noqa: E402
    DOCKER_CONFIG,
    DOCKER_LAYER,
    DOCKER_MANIFEST,
    canonical_json,
    sha256_digest,
)
from lambdaserve.package.registry.push import push_image  # noqa: E402
from lambdaserve.package.registry.upload import upload_blob  # noqa: E402

PREDICTOR = "class Predictor:\n    def load(self, model_dir):\n        pass\n\n" \
            "    def predict(self, inputs):\n        return [0 for _ in inputs['input']]\n"


def start_registry(root: Path) -> tuple[subprocess.Popen[bytes], str]:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        host = f"127.0.0.1:{sock.getsockname()[1]}"
    (root / "config.yml").write_text(
        f"version: 0.1\nlog:\n  level: error\n  accesslog:\n    disabled: true\nstorage:\n  filesystem:\n"
        f"    rootdirectory: {root / 'data'}\nhttp:\n  addr: {host}\n")
    proc = subprocess.Popen(["docker-registry", "serve", str(root / "config.yml")],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    for _ in range(300):
        try:
            urllib.request.urlopen(f"http://{host}/v2/", timeout=1).close()
            return proc, host
        except OSError:
            time.sleep(0.1)
    proc.kill()
    raise SystemExit("docker-registry did not start")


def push_base(host: str, work: Path) -> str:
    """An AWS-like base: one layer, Lambda's ENTRYPOINT, pushed with our own client."""
    (work / "base").mkdir()
    (work / "base" / "runtime.bin").write_bytes(os.urandom(8 * 1024 * 1024))
    layer = write_layer([LayerEntry("var/runtime/runtime.bin", work / "base" / "runtime.bin")],
                        work / "blobs", "base")
    config = canonical_json({"architecture": "amd64", "os": "linux",
                             "config": {"Entrypoint": ["/lambda-entrypoint.sh"], "WorkingDir": "/var/task",
                                        "Env": ["LAMBDA_TASK_ROOT=/var/task"]},
                             "rootfs": {"type": "layers", "diff_ids": [layer.diff_id]}})
    manifest = canonical_json({"schemaVersion": 2, "mediaType": DOCKER_MANIFEST,
                               "config": {"mediaType": DOCKER_CONFIG, "digest": sha256_digest(config),
                                          "size": len(config)},
                               "layers": [{"mediaType": DOCKER_LAYER, "digest": layer.digest,
                                           "size": layer.size}]})
    (work / "config.json").write_bytes(config)
    client = RegistryClient(host, insecure=True)
    for digest, path in ((layer.digest, layer.path), (sha256_digest(config), work / "config.json")):
        upload_blob(client, "lambda/python", digest, path.stat().st_size,
                    functools.partial(_open_at, path), progress=lambda _n: None)
    client.request("PUT", "/v2/lambda/python/manifests/3.12", body=manifest, ok=(201,),
                   headers={"Content-Type": DOCKER_MANIFEST})
    client.close()
    return f"{host}/lambda/python:3.12"


def _open_at(path: Path, offset: int) -> BinaryIO:
    fh = open(path, "rb")  # noqa: SIM115 (upload_blob closes it)
    fh.seek(offset)
    return fh


def step(name: str, project: Path, target: str, baseline: dict[str, float]) -> dict[str, float]:
    started = time.perf_counter()
    built = build_image(load_config(project))
    build_s = time.perf_counter() - started
    started = time.perf_counter()
    pushed = push_image(built, target)
    push_s = time.perf_counter() - started
    sent = pushed.bytes_uploaded
    changed = ", ".join(f"{n} {s}" for n, s in pushed.statuses.items() if s != "exists") or "-"
    row = {"build_s": build_s, "push_s": push_s, "bytes": float(sent)}
    ratio_b = f"{sent / baseline['bytes']:.4f}" if baseline else "1 (baseline)"
    ratio_t = f"{build_s / baseline['build_s']:.2f}" if baseline else "1 (baseline)"
    print(f"{name:<10} build {build_s:6.2f} s (x{ratio_t})  push {push_s:5.2f} s  "
          f"sent {sent:>11,} B (x{ratio_b})  blobs: {changed}")
    return row


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model-mb", type=int, default=20)
    parser.add_argument("--requirements", nargs="*", default=["numpy==2.4.6"])
    args = parser.parse_args()
    if shutil.which("docker-registry") is None:
        raise SystemExit("needs Debian's docker-registry (apt-get install docker-registry)")
    work = Path(tempfile.mkdtemp(prefix="lambdaserve-bench-"))
    proc, host = start_registry(work)
    try:
        base = push_base(host, work)
        project = work / "project"
        (project / "model").mkdir(parents=True)
        (project / "model" / "model.bin").write_bytes(os.urandom(args.model_mb * 1024 * 1024))
        (project / "predictor.py").write_text(PREDICTOR)
        reqs = ", ".join(f'"{r}"' for r in args.requirements)
        (project / "lambdaserve.toml").write_text(
            'name = "bench"\n[model]\npath = "model"\nframework = "custom"\n'
            'predictor = "predictor:Predictor"\n'
            f'[function]\npython = "3.12"\npackage = "image"\nrequirements = [{reqs}]\n'
            f'[build]\nbase_image = "{base}"\n')
        target = f"{host}/bench/model:latest"
        print(f"model {args.model_mb} MB random; requirements {args.requirements or 'none'}; base {base}")
        first = step("cold", project, target, {})
        step("unchanged", project, target, first)
        (project / "model" / "model.bin").write_bytes(os.urandom(args.model_mb * 1024 * 1024))
        step("model", project, target, first)
        (project / "predictor.py").write_text(PREDICTOR + "# edited\n")
        step("code", project, target, first)
        # Another registry name for the same server: no cross-repo mount, the base is streamed across.
        step("elsewhere", project, f"{host.replace('127.0.0.1', 'localhost')}/other/model:latest", first)
    finally:
        proc.terminate()
        proc.wait(10)
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
