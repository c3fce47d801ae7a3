"""Build on the local Debian base, push with no daemon, and check with independent tools."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest

from lambdaserve.package.image.build import ImageBuild, build_image, load_build
from lambdaserve.package.image.unpack import export_layout, unpack_rootfs
from lambdaserve.package.registry.oci import DOCKER_MANIFEST
from lambdaserve.package.registry.push import push_image
from tests.helpers import require, require_tool
from tests.package.conftest import ImageProject, LocalRegistry, cached_installer

pytestmark = [pytest.mark.integration, pytest.mark.slow]


def _skopeo(*args: str) -> dict:
    done = subprocess.run([require_tool("skopeo"), *args], capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout) if done.stdout.strip().startswith(("{", "[")) else {}


@pytest.fixture(scope="module")
def rootfs(built_image: ImageBuild, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The built image's root filesystem, unpacked once by umoci (the ~200 MB Debian base with it)
    from the exported layout: the tests read it, the chroot one runs python in it."""
    require_tool("umoci")
    folder = tmp_path_factory.mktemp("unpacked")
    return unpack_rootfs(export_layout(built_image, folder / "layout", tag="t"), folder / "bundle", tag="t")


def test_push_then_skopeo_and_umoci_accept_it(built_image: ImageBuild, registry: LocalRegistry,
                                              rootfs: Path, tmp_path: Path) -> None:
    build = built_image
    target = f"{registry.host}/team/linear:v1"
    seen: list[str] = []
    result = push_image(build, target, progress=lambda p: seen.append(f"{p.name}:{p.status}"))

    # The base lives in the same registry: mounted, never downloaded or uploaded.
    assert result.statuses["base 1/1"] == "mounted"
    assert [result.statuses[n] for n in ("dependencies", "model", "code", "config")] == ["uploaded"] * 4
    ours = sum(layer.size for layer in build.layers)
    assert ours < result.bytes_uploaded < ours + 20_000  # + config and manifest
    assert "model:uploading" in seen and "model:done" in seen

    inspect = _skopeo("inspect", "--tls-verify=false", f"docker://{target}")
    assert inspect["Digest"] == result.digest == build.manifest_digest
    assert inspect["Architecture"] == "amd64" and inspect["Os"] == "linux"
    assert len(inspect["Layers"]) == 4
    raw = _skopeo("inspect", "--raw", "--tls-verify=false", f"docker://{target}")
    assert raw["mediaType"] == DOCKER_MANIFEST  # one platform, no index for Lambda to refuse
    cfg = _skopeo("inspect", "--config", "--tls-verify=false", f"docker://{target}")["config"]
    assert cfg["Cmd"] == ["lambdaserve.runtime.handler.lambda_handler"]
    assert cfg["Entrypoint"] == ["python3", "-m", "awslambdaric"]  # the Debian base has no bootstrap
    assert cfg["WorkingDir"] == "/var/task"
    assert "LAMBDASERVE_MODEL_DIR=/opt/ml/model" in cfg["Env"]

    layout = tmp_path / "oci"
    _skopeo("copy", "--src-tls-verify=false", f"docker://{target}", f"oci:{layout}:v1")
    # What the registry gives back is the very config and layers built, so its root filesystem is
    # the one umoci unpacked from the build (read below); umoci reads the pulled copy's manifest.
    stat = subprocess.run([require_tool("umoci"), "stat", "--json", "--image", f"{layout}:v1"],
                          capture_output=True, text=True, timeout=60)
    assert stat.returncode == 0, stat.stderr
    (entry,) = json.loads((layout / "index.json").read_text())["manifests"]
    def blob(digest: str) -> dict:
        return json.loads((layout / "blobs" / "sha256" / digest.split(":")[1]).read_text())
    pulled = blob(entry["digest"])
    assert [d["digest"] for d in pulled["layers"]] == [d.digest for d in build.base_layers] + [
        layer.digest for layer in build.layers]
    ours = json.loads(build.blob(build.config_digest).read_text())  # skopeo re-serialises it for OCI
    assert {k: blob(pulled["config"]["digest"])[k] for k in ("config", "rootfs")} == {
        k: ours[k] for k in ("config", "rootfs")}
    assert json.loads((rootfs / "opt/ml/model/weights.json").read_text()) == {"weights": [1.0, 2.0]}
    assert (rootfs / "var/task/lambdaserve/runtime/handler.py").is_file()
    assert list((rootfs / "var/task/lambdaserve/runtime/__pycache__").glob("handler.cpython-311.pyc"))
    assert (rootfs / "var/task/predictor.py").is_file()
    assert (rootfs / "var/task/awslambdaric/__init__.py").is_file()
    assert (rootfs / "usr/bin/python3").exists()


def test_unchanged_repush_sends_nothing_and_model_change_sends_only_the_model(
        image_project: ImageProject, registry: LocalRegistry) -> None:
    target = f"{registry.host}/team/repush:v1"
    first = build_image(image_project.config(), install_dependencies=cached_installer)
    push_image(first, target)

    again = build_image(image_project.config(), install_dependencies=cached_installer)
    assert again.manifest_digest == first.manifest_digest  # reproducible
    result = push_image(load_build(again.out_dir), target)
    assert result.bytes_uploaded == 0
    assert set(result.statuses.values()) == {"exists"} and not result.manifest_pushed

    image_project.set_weights([3.0, -1.0])
    changed = build_image(image_project.config(), install_dependencies=cached_installer)
    assert changed.layers[0].digest == first.layers[0].digest  # dependencies
    assert changed.layers[2].digest == first.layers[2].digest  # code
    assert not first.layers[1].path.exists()  # the old model's blob is pruned from the build folder
    result = push_image(changed, target)
    assert {n: s for n, s in result.statuses.items() if s != "exists"} == {"model": "uploaded",
                                                                           "config": "uploaded"}
    config_size = changed.blob(changed.config_digest).stat().st_size
    assert result.bytes_uploaded == changed.layers[1].size + config_size + len(changed.manifest_bytes)


def test_base_in_another_registry_is_streamed_across(built_image: ImageBuild,
                                                      registry: LocalRegistry) -> None:
    # "localhost:<port>" names another registry than "127.0.0.1:<port>": no mount, a copy.
    build = built_image
    target = registry.host.replace("127.0.0.1", "localhost") + "/elsewhere/linear:v1"
    result = push_image(build, target)
    assert result.statuses["base 1/1"] == "copied"
    assert result.bytes_uploaded > build.base_layers[0].size
    inspect = _skopeo("inspect", "--tls-verify=false", f"docker://{target}")
    assert inspect["Digest"] == build.manifest_digest


def test_local_layout_runs_the_model_in_a_chroot(built_image: ImageBuild, rootfs: Path) -> None:
    """The very bytes built: export, unpack with umoci, import the handler's model in a chroot."""
    require(os.geteuid() == 0, "chroot needs root")
    build = built_image
    env = json.loads(build.blob(build.config_digest).read_text())["config"]["Env"]
    script = ("import awslambdaric; from lambdaserve.runtime.loaders import load_model; "
              "from lambdaserve.runtime.settings import RuntimeSettings; "
              "print(load_model(RuntimeSettings.from_env()).predict({'input': [[1, 1], [2, 0]]}))")
    done = subprocess.run(["chroot", str(rootfs), "/usr/bin/env", "-i", *env, "python3", "-c", script],
                          capture_output=True, text=True, timeout=120, cwd="/")
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "{'prediction': [3.0, 2.0]}"
