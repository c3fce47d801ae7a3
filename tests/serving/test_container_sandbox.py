"""An image built on the local Debian base, unpacked by umoci, run in the container sandbox.

The worker is the image's own ENTRYPOINT + CMD (python3 -m awslambdaric) inside its root
filesystem, against our Runtime API: read-only but /tmp, no /dev/shm, the shim present.
"""

from __future__ import annotations

import dataclasses
import importlib.util
import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from lambdaserve.cli import wiring
from lambdaserve.cli.serve_artifact import container_spec, layout_image_config
from lambdaserve.config import load_config
from lambdaserve.emulator import Function, FunctionSpec
from lambdaserve.emulator.sandbox.container import ContainerImage
from lambdaserve.errors import BuildError
from lambdaserve.package.image.build import build_image, load_build
from lambdaserve.package.image.unpack import export_layout
from tests.examples import make_example
from tests.helpers import require, require_tool
from tests.models import iris
from tests.package.conftest import cached_installer

pytestmark = [pytest.mark.integration, pytest.mark.slow]

# Handlers run by overriding the image's CMD, appended to the example's predictor module.
PROBES = '''

import errno
import os
import sys


def _write(path):
    try:
        with open(path, "w") as f:
            f.write("x")
        return "ok"
    except OSError as exc:
        return errno.errorcode.get(exc.errno or 0, str(exc.errno))


def sleepy(event, context):
    import time

    time.sleep(60)


def hoard(event, context):
    kept = []
    while True:
        kept.append(bytearray(b"x" * (16 * 1024 * 1024)))


def probe(event, context):
    import multiprocessing

    try:
        multiprocessing.Queue()
        queue = "created"
    except OSError as exc:
        queue = exc.errno
    stat = os.statvfs("/tmp")
    return {
        "var_task": _write("/var/task/written.txt"), "root": _write("/written.txt"),
        "opt": _write("/opt/ml/model/written.txt"), "tmp": _write("/tmp/written.txt"),
        "tmp_mb": stat.f_blocks * stat.f_frsize // (1024 * 1024),
        "dev_shm": os.path.exists("/dev/shm"), "queue": queue, "cwd": os.getcwd(),
        "python": sys.executable, "host_visible": os.path.exists("/work"), "pid": os.getpid(),
        "env": {k: v for k, v in os.environ.items() if k.startswith(("LAMBDA", "AWS_", "_HANDLER"))},
    }
'''


def _project(root: Path, base: str) -> Path:
    """examples/iris-custom as an image on the Debian base (python 3.11; numpy 2.2 has wheels
    for Amazon Linux 2's glibc, which build targets for python3.11)."""
    make_example("iris-custom", root)
    toml = (root / "lambdaserve.toml").read_text()
    for old, new in (('python = "3.12"', 'python = "3.11"'), ('package = "zip"', 'package = "image"'),
                     ('requirements = ["numpy==2.4.6"]', 'requirements = ["numpy==2.2.6"]'),
                     ("ephemeral_storage = 512", "ephemeral_storage = 600"),
                     ('base_image = ""', f'base_image = "{base}"')):
        assert old in toml, old
        toml = toml.replace(old, new)
    (root / "lambdaserve.toml").write_text(toml)
    with (root / "iris_predictor.py").open("a") as module:
        module.write(PROBES)
    return root


@pytest.fixture(scope="module")
def image_project(tmp_path_factory: pytest.TempPathFactory, base_image: str) -> Path:
    require(os.geteuid() == 0, "the container sandbox needs root")
    require_tool("umoci")
    project = _project(tmp_path_factory.mktemp("image") / "iris-custom", base_image)
    build_image(load_config(project), install_dependencies=cached_installer)
    return project


@pytest.fixture(scope="module")
def served(image_project: Path) -> Iterator[Function]:
    with Function(container_spec(load_config(image_project), concurrency=1)) as function:
        yield function


def _framework_answer(project: Path, rows: list[list[float]]) -> Any:
    spec = importlib.util.spec_from_file_location("h9_iris_predictor", project / "iris_predictor.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    predictor = module.Predictor()
    predictor.load(project / "model")
    return predictor.predict({"measurements": rows})["species"]


def _chrooted_in(rootfs: Path) -> set[int]:
    """Processes whose root directory is the image's."""
    found = set()
    for entry in Path("/proc").iterdir():
        try:
            if entry.name.isdigit() and os.readlink(entry / "root") == str(rootfs):
                found.add(int(entry.name))
        except OSError:
            continue
    return found


def test_the_image_answers_like_the_predictor_and_the_project_folder(served: Function,
                                                                     image_project: Path) -> None:
    rows = iris()[2]
    result = served.invoke(json.dumps({"data": rows}).encode())
    assert result.function_error is None, result.payload
    answer = json.loads(result.payload)["predictions"]
    assert answer == _framework_answer(image_project, rows)
    assert sorted(set(answer)) == ["setosa", "versicolor", "virginica"]
    assert result.cold_start and result.init_duration_ms is not None
    with Function(wiring.function_spec(load_config(image_project), concurrency=1)) as folder:
        local = folder.invoke(json.dumps({"data": rows}).encode())
    assert json.loads(local.payload)["predictions"] == answer  # `serve` on the project folder
    again = served.invoke(json.dumps({"data": rows[:1]}).encode())
    assert not again.cold_start and json.loads(again.payload)["predictions"] == ["setosa"]


def test_an_oci_layout_names_the_same_image(image_project: Path, tmp_path: Path) -> None:
    build = load_build(image_project / ".lambdaserve" / "build" / "image")
    layout = export_layout(build, tmp_path / "layout", tag="v1")
    digest, config = layout_image_config(layout, "v1")
    assert config == json.loads(build.blob(build.config_digest).read_bytes())
    assert (layout / "blobs" / "sha256" / digest.split(":", 1)[1]).is_file()
    image = ContainerImage.from_config(tmp_path, config)
    assert image.command == ["python3", "-m", "awslambdaric", "lambdaserve.runtime.handler.lambda_handler"]
    with pytest.raises(BuildError, match="no single-platform image tagged 'v2'"):
        layout_image_config(layout, "v2")


def _overridden(project: Path, handler: str, **changes: Any) -> FunctionSpec:
    """The image's spec with its CMD replaced, as Lambda's ImageConfig.Command does."""
    spec = container_spec(load_config(project), concurrency=1)
    assert spec.container is not None
    image = dataclasses.replace(spec.container, cmd=(handler,))
    return dataclasses.replace(spec, container=image, **changes)


def test_inside_the_image_only_tmp_is_writable_and_there_is_no_dev_shm(image_project: Path) -> None:
    spec = _overridden(image_project, "iris_predictor.probe")
    assert spec.container is not None
    rootfs = spec.container.rootfs
    before = _chrooted_in(rootfs)
    with Function(spec) as function:
        result = function.invoke(b"{}")
        assert _chrooted_in(rootfs) - before == {json.loads(result.payload)["pid"]}
    assert _chrooted_in(rootfs) - before == set()  # killed on close
    assert result.function_error is None, result.payload
    seen = json.loads(result.payload)
    # for parity: the image's filesystem is read-only on Lambda except /tmp, sized by ephemeral storage
    assert (seen["var_task"], seen["root"], seen["opt"], seen["tmp"]) == ("EROFS", "EROFS", "EROFS", "ok")
    assert seen["tmp_mb"] == 600
    # for parity: no /dev/shm, so multiprocessing's semaphores fail with ENOSYS (Errno 38)
    assert seen["dev_shm"] is False and seen["queue"] == 38
    assert seen["cwd"] == "/var/task" and seen["python"] == "/usr/bin/python3"
    assert seen["host_visible"] is False  # the image's root, not the host's
    env = seen["env"]
    assert env["LAMBDASERVE_MODEL_DIR"] == "/opt/ml/model" and env["LAMBDA_TASK_ROOT"] == "/var/task"
    assert env["_HANDLER"] == "iris_predictor.probe" and env["AWS_LAMBDA_FUNCTION_NAME"] == "iris-custom"
    assert env["AWS_LAMBDA_RUNTIME_API"].startswith("127.0.0.1:")


def test_a_timeout_kills_the_container_worker(image_project: Path) -> None:
    spec = _overridden(image_project, "iris_predictor.sleepy", timeout_s=1.0)
    assert spec.container is not None
    before = _chrooted_in(spec.container.rootfs)
    with Function(spec) as function:
        result = function.invoke(b"{}")
        # for parity: a timed-out environment is discarded at once
        assert result.timed_out and result.function_error == "Unhandled"
        assert _chrooted_in(spec.container.rootfs) - before == set()


def test_the_memory_cap_kills_the_container_worker(image_project: Path) -> None:
    spec = _overridden(image_project, "iris_predictor.hoard", memory_mb=128, timeout_s=20.0)
    with Function(spec) as function:
        result = function.invoke(b"{}")
    body = json.loads(result.payload)
    # for parity: Lambda's OOM is a SIGKILL of the runtime, reported as Runtime.OutOfMemory
    assert body["errorType"] == "Runtime.OutOfMemory", body
    assert body["errorMessage"].endswith("Runtime exited with error: signal: killed")
    assert result.max_memory_mb >= 100


_OWNER = """
import json, sys, time
from pathlib import Path
from lambdaserve.cli import wiring
from lambdaserve.cli.serve_artifact import container_spec, layout_image_config
from lambdaserve.config import load_config
from lambdaserve.emulator import Function, FunctionSpec
from lambdaserve.emulator.sandbox.container import ContainerImage
from lambdaserve.errors import BuildError
from tests.examples import make_example
spec = container_spec(load_config(Path(sys.argv[1])), concurrency=1)
function = Function(spec).start()
print(json.loads(function.invoke(b'{"data": [[5.1, 3.5, 1.4, 0.2]]}').payload)["predictions"], flush=True)
time.sleep(60)
"""


def test_a_sigkilled_emulator_leaves_no_container_worker(image_project: Path) -> None:
    rootfs = image_project / ".lambdaserve" / "local" / "bundle" / "rootfs"
    before = _chrooted_in(rootfs)
    owner = subprocess.Popen([sys.executable, "-c", _OWNER, str(image_project)], stdout=subprocess.PIPE,
                             text=True)
    try:
        assert owner.stdout is not None
        assert owner.stdout.readline().strip() == "['setosa']"
        assert len(_chrooted_in(rootfs) - before) == 1
        owner.send_signal(signal.SIGKILL)  # no close(), no atexit: PR_SET_PDEATHSIG from the shim
        owner.wait(timeout=10)
        deadline = time.monotonic() + 5
        while _chrooted_in(rootfs) - before and time.monotonic() < deadline:
            time.sleep(0.05)
        assert _chrooted_in(rootfs) - before == set()
    finally:
        if owner.poll() is None:
            owner.kill()
            owner.wait()
