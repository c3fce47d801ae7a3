"""Issue 5's "done when", as a README user does it, through the CLI: the iris example built as a
zip and as an image (pushed to a local registry, no daemon), each served, answering what the
project folder and scikit-learn itself answer; unchanged inputs rebuild to the same digests.

The image is built on the trixie test base (python 3.13, Amazon Linux 2023's runtime version:
scikit-learn 1.9's wheels need its glibc). The served image is the one pulled back from the
registry by skopeo, so the bytes that run are the bytes that were pushed.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from lambdaserve.cli.main import cli
from lambdaserve.errors import BuildError
from lambdaserve.package.deps.interpreters import find_interpreter
from tests.examples import make_example
from tests.helpers import CACHE, cache_lock, require, require_tool, stop_process
from tests.package.conftest import LocalRegistry, free_port

# A cold machine downloads scikit-learn, scipy and numpy for cp313 and builds a Debian base.
pytestmark = [pytest.mark.integration, pytest.mark.slow, pytest.mark.timeout(900)]

LAMBDASERVE = Path(sys.executable).with_name("lambdaserve")
# Rows from each class and near the class borders, so a wrong model would show.
ROWS = [[5.1, 3.5, 1.4, 0.2], [6.0, 2.2, 4.0, 1.0], [6.3, 3.3, 6.0, 2.5],
        [5.9, 3.0, 5.1, 1.8], [6.7, 3.0, 5.0, 1.7], [4.9, 2.5, 4.5, 1.7]]


@dataclass(frozen=True)
class Built:
    zip_path: Path
    zip_sha256: str
    image_digest: str
    uploaded: str  # what the push sent, as the CLI says it ("61.2 MB", "0.0 kB")


@dataclass(frozen=True)
class Iris:
    project: Path
    image_ref: str  # where it was pushed
    first: Built


def _lambdaserve(*args: str) -> str:
    result = CliRunner().invoke(cli, list(args))
    assert result.exit_code == 0, f"lambdaserve {' '.join(args)}:\n{result.output}"
    return result.output


def _build(project: Path, image_ref: str) -> Built:
    zipped = _lambdaserve("build", "--package", "zip", "--config", str(project))
    imaged = _lambdaserve("build", "--package", "image", "--push", image_ref, "--config", str(project))
    zip_path = re.search(r"^Built (\S+\.zip) for python3\.13 ", zipped, re.M)
    sha = re.search(r"^  sha256    ([0-9a-f]{64})$", zipped, re.M)
    digest = re.search(r"^Built image (sha256:[0-9a-f]{64}) ", imaged, re.M)
    assert zip_path and sha and digest, zipped + imaged
    repository = image_ref.rsplit(":", 1)[0]
    pushed = re.search(rf"^Pushed {re.escape(repository)}@{digest.group(1)} \((.+) uploaded\)$", imaged, re.M)
    assert pushed, imaged
    return Built(Path(zip_path.group(1)), sha.group(1), digest.group(1), pushed.group(1))


@pytest.fixture(scope="module")
def iris_built(tmp_path_factory: pytest.TempPathFactory, registry: LocalRegistry,
               trixie_base_image: str) -> Iris:
    try:
        find_interpreter("3.13")
    except BuildError as exc:
        require(False, f"needs a Python 3.13 interpreter: {exc.hint}")
    project = tmp_path_factory.mktemp("e2e") / "iris"
    project.mkdir()
    make_example("iris", project)
    toml = (project / "lambdaserve.toml").read_text()
    for old, new in (('python = "3.12"', 'python = "3.13"'),
                     ('base_image = ""', f'base_image = "{trixie_base_image}"')):
        assert old in toml, old
        toml = toml.replace(old, new)
    (project / "lambdaserve.toml").write_text(toml)
    _share_build_cache(project)
    image_ref = f"{registry.host}/iris:latest"
    with cache_lock("iris-e2e"):  # the cache is shared (symlinked) with any other session's build
        built = _build(project, image_ref)
    return Iris(project, image_ref, built)


def _share_build_cache(project: Path) -> None:
    """pip's wheels and the trimmed, compiled dependency layers are kept between test runs (the
    CLI keeps them in .lambdaserve/cache); everything else is the project's own."""
    cache = CACHE / "iris-e2e"
    cache.mkdir(parents=True, exist_ok=True)
    (project / ".lambdaserve").mkdir()
    (project / ".lambdaserve" / "cache").symlink_to(cache, target_is_directory=True)


@contextmanager
def _serving(project: Path, *options: str) -> Iterator[str]:
    """`lambdaserve serve` in its own process; yields the predict URL; SIGTERM stops it."""
    port = free_port()
    log = open(project / f"serve-{port}.log", "wb")  # noqa: SIM115 (closed in finally)
    proc = subprocess.Popen([str(LAMBDASERVE), "serve", "--port", str(port), "--concurrency", "1",
                             "--config", str(project), *options], stdout=log, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 240  # unpacking an image with umoci the first time
        while True:
            try:
                # The first /health is a cold start: wait it out rather than send a second request
                # that a one-environment function would throttle.
                with urllib.request.urlopen(f"{base}/prod/health", timeout=120) as resp:
                    if resp.status == 200:
                        break
            except urllib.error.HTTPError as exc:  # up, but the function did not start
                pytest.fail(f"serve {' '.join(options)}: /health answered {exc.code}:\n"
                            + (project / f"serve-{port}.log").read_text()[-4000:])
            except OSError:
                if proc.poll() is not None or time.monotonic() > deadline:
                    pytest.fail(f"serve {' '.join(options)} did not start:\n"
                                + (project / f"serve-{port}.log").read_text())
                time.sleep(0.2)
        yield f"{base}/prod/predict"
    finally:
        stop_process(proc)
        log.close()


def _predict(url: str, rows: list[list[float]]) -> Any:
    request = urllib.request.Request(url, data=json.dumps({"data": rows}).encode(), method="POST",
                                     headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=60) as resp:
        assert resp.status == 200
        return json.loads(resp.read())["predictions"]


def _sklearn_answer(project: Path) -> list[int]:
    import joblib

    return [int(label) for label in joblib.load(project / "model.joblib").predict(ROWS)]


def test_zip_image_and_folder_answer_like_scikit_learn(iris_built: Iris, tmp_path: Path) -> None:
    require(os.geteuid() == 0, "the container sandbox needs root")
    skopeo, _ = require_tool("skopeo"), require_tool("umoci")
    project, built = iris_built.project, iris_built.first
    expected = _sklearn_answer(project)
    assert sorted(set(expected)) == [0, 1, 2]

    # The registry holds the image the build made, and an independent tool reads it.
    inspected = subprocess.run([skopeo, "inspect", "--tls-verify=false", f"docker://{iris_built.image_ref}"],
                               capture_output=True, text=True, timeout=60)
    assert inspected.returncode == 0, inspected.stderr
    info = json.loads(inspected.stdout)
    assert info["Digest"] == built.image_digest
    assert info["Architecture"] == {"x86_64": "amd64", "aarch64": "arm64"}[os.uname().machine]
    # `build --package image` of a project whose function.package is zip: the image's own place.
    assert "LAMBDASERVE_MODEL_DIR=/opt/ml/model" in info["Env"]
    # Run what was pushed: pulled back into an OCI layout, unpacked by umoci, in the container sandbox.
    layout = tmp_path / "pulled"
    pulled = subprocess.run([skopeo, "copy", "--quiet", "--src-tls-verify=false",
                             f"docker://{iris_built.image_ref}", f"oci:{layout}:latest"],
                            capture_output=True, text=True, timeout=300)
    assert pulled.returncode == 0, pulled.stderr

    answers = {}
    with _serving(project) as url:
        answers["folder"] = _predict(url, ROWS)
    with _serving(project, "--artifact", str(built.zip_path)) as url:
        answers["zip"] = _predict(url, ROWS)
    with _serving(project, "--sandbox", "container", "--artifact", f"{layout}:latest") as url:
        answers["image"] = _predict(url, ROWS)
    assert answers == {"folder": expected, "zip": expected, "image": expected}


def test_unchanged_inputs_rebuild_to_the_same_digests(iris_built: Iris, tmp_path: Path) -> None:
    # The same inputs in another folder, copied with fresh timestamps, with no earlier build there.
    elsewhere = tmp_path / "iris-again"
    shutil.copytree(iris_built.project, elsewhere, copy_function=shutil.copyfile,
                    ignore=shutil.ignore_patterns(".lambdaserve", "serve-*.log"))
    _share_build_cache(elsewhere)
    again = _build(elsewhere, iris_built.image_ref)
    assert again.zip_sha256 == iris_built.first.zip_sha256
    assert again.image_digest == iris_built.first.image_digest
    assert again.uploaded == "0.0 kB"  # every blob is already in the registry
