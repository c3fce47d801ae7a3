"""The Dockerfile export: golden files for the generator, and equivalence with the daemonless image."""

from __future__ import annotations

import json
import os
import subprocess
import tarfile
from pathlib import Path

import pytest

from lambdaserve.package.image.build import build_image
from lambdaserve.package.image.dockerfile import DockerfileSpec, render_dockerfile
from lambdaserve.package.image.tool_builder import ContainerTool, build_from_dockerfile, push_with_tool
from lambdaserve.package.registry.auth import Credentials
from lambdaserve.package.registry.oci import parse_ref
from tests.helpers import require, require_tool
from tests.package.conftest import ImageProject, LocalRegistry, cached_installer
from tests.package.registry_proxy import FaultProxy

GOLDEN = Path(__file__).parent / "golden"

AWS = DockerfileSpec(
    name="iris", base_image="public.ecr.aws/lambda/python:3.12", architecture="x86_64",
    packages=[("scikit_learn", "1.9.1"), ("numpy", "2.4.6"), ("joblib", "1.6.0"), ("scipy", "1.16.3"),
              ("threadpoolctl", "3.6.0")],
    env={"LAMBDASERVE_MODEL_DIR": "/opt/ml/model", "LAMBDASERVE_FRAMEWORK": "sklearn",
         "LAMBDASERVE_MODEL_FILE": "model.skops",
         "LAMBDASERVE_SIGNATURE": '{"inputs":[{"name":"input","dtype":"float32","shape":[-1,4]}]}',
         "PRICE": '$5 \\ "x"'},
    runs_ric=False)
PLAIN = DockerfileSpec(
    name="linear", base_image="127.0.0.1:5000/base/debian-python:bookworm", architecture="arm64",
    packages=[("awslambdaric", "4.2.2"), ("simplejson", "4.3.0"), ("snapshot_restore_py", "1.0.0")],
    env={"LAMBDASERVE_MODEL_DIR": "/opt/ml/model", "LAMBDASERVE_FRAMEWORK": "custom",
         "LAMBDASERVE_PREDICTOR": "predictor:Predictor"},
    runs_ric=True)


@pytest.mark.parametrize(("spec", "golden"), [(AWS, "Dockerfile.aws"), (PLAIN, "Dockerfile.plain")])
def test_dockerfile_matches_golden(spec: DockerfileSpec, golden: str) -> None:
    assert render_dockerfile(spec) == (GOLDEN / golden).read_text()


def test_dockerfile_follows_the_classic_advice() -> None:
    text = render_dockerfile(AWS)
    runs = [line for line in text.splitlines() if line.startswith("RUN ")]
    assert len(runs) == 5 and all("--default-timeout=200" in r and "==" in r for r in runs)
    assert "COPY model/ /opt/ml/model/" in text
    assert text.rstrip().endswith('CMD ["lambdaserve.runtime.handler.lambda_handler"]')
    assert "ENTRYPOINT" not in text  # the AWS base's own bootstrap runs the handler


def _tree(root: Path) -> dict[str, tuple[int, bytes | str]]:
    """path → (mode, bytes or link target), for every file and symlink under root."""
    out: dict[str, tuple[int, bytes | str]] = {}
    for path in sorted(root.rglob("*")):
        rel = path.relative_to(root).as_posix()
        if path.is_symlink():
            out[rel] = (0o777, os.readlink(path))
        elif path.is_file():
            out[rel] = (path.stat().st_mode & 0o777, path.read_bytes())
    return out


def _blob(layout: Path, digest: str) -> Path:
    return layout / "blobs" / "sha256" / digest.split(":")[1]


def _layout_image(layout: Path) -> tuple[dict, dict]:
    """(manifest, config) of the layout's one image."""
    (entry,) = json.loads((layout / "index.json").read_text())["manifests"]
    manifest = json.loads(_blob(layout, entry["digest"]).read_bytes())
    return manifest, json.loads(_blob(layout, manifest["config"]["digest"]).read_bytes())


def _apply(layers: list[Path], root: Path) -> Path:
    """The files ``layers`` (tar or tar+gzip blobs) put in a root filesystem, applied in order.
    Only the layers above a shared base: unpacking the ~200 MB Debian base for both images
    (umoci, twice) cost more than the rest of the comparison and could not differ."""
    root.mkdir()
    for layer in layers:
        with tarfile.open(layer) as tar:
            tar.extractall(root, filter="fully_trusted")  # our own build's layers and buildah's
    return root


def _env(config: dict) -> dict[str, str]:
    return dict(item.split("=", 1) for item in config["config"]["Env"])


@pytest.mark.integration
@pytest.mark.slow
def test_export_built_with_buildah_equals_the_daemonless_image(
        image_project: ImageProject, registry: LocalRegistry, tmp_path: Path) -> None:
    buildah = require_tool("buildah")
    require_tool("umoci")
    require(os.geteuid() == 0, "buildah with vfs storage and chroot isolation runs as root here")
    toml = image_project.root / "lambdaserve.toml"
    toml.write_text(toml.read_text() + '[function.environment]\nPRICE = "$5 \\\\ \\"x\\""\n')
    config = image_project.config()
    context = tmp_path / "export"
    build = build_image(config, install_dependencies=cached_installer)
    tool = ContainerTool("buildah", buildah, env={"BUILDAH_ISOLATION": "chroot"}, global_args=(
        "--storage-driver", "vfs", "--root", str(tmp_path / "storage"), "--runroot", str(tmp_path / "run")))
    # pip inside the build must trust what this machine trusts (its PyPI may sit behind a proxy's CA);
    # a volume is visible to RUN steps only and never lands in the image.
    bundle = Path("/etc/ssl/certs/ca-certificates.crt")
    volume = ["--volume", f"{bundle}:{bundle}:ro"] if bundle.is_file() else []
    built = build_from_dockerfile(config, tool=tool, out_dir=context, extra_args=volume,
                                  install_dependencies=cached_installer)
    exported = built.export
    assert exported.runs_ric and ("awslambdaric", "4.2.2") in exported.packages
    with FaultProxy(registry.host, auth="basic") as proxy:  # the push logs in with our auth file
        target = parse_ref(f"{proxy.host}/exported/linear:v1")
        digest = push_with_tool(tool, built.tag, target, Credentials("robot", "s3cret"))
    accept = ("application/vnd.oci.image.manifest.v1+json, "
              "application/vnd.docker.distribution.manifest.v2+json")
    assert registry.get(f"/v2/exported/linear/manifests/{digest}", accept)[0] == 200
    layout = tmp_path / "theirs"
    subprocess.run([require_tool("skopeo"), "copy", "--src-tls-verify=false",
                    f"docker://{registry.host}/exported/linear@{digest}", f"oci:{layout}:test"],
                   check=True, capture_output=True, timeout=300)
    their_manifest, their_config = _layout_image(layout)
    our_config = json.loads(build.blob(build.config_digest).read_text())
    # FROM the same base: its layers' uncompressed digests, so the files below ours are the same.
    base = len(build.base_layers)
    assert their_config["rootfs"]["diff_ids"][:base] == our_config["rootfs"]["diff_ids"][:base]
    assert len(their_config["rootfs"]["diff_ids"]) > base  # and something on top of it
    theirs = _apply([_blob(layout, d["digest"]) for d in their_manifest["layers"][base:]],
                    tmp_path / "theirs-fs")
    ours = _apply([layer.path for layer in build.layers], tmp_path / "ours-fs")

    # The model and the code (runtime + predictor, with .pyc) are byte-identical, modes included.
    assert _tree(ours / "opt/ml/model") == _tree(theirs / "opt/ml/model")
    code = _tree(context / "code")
    assert "lambdaserve/runtime/handler.py" in code and "__pycache__/predictor.cpython-311.pyc" in code
    assert {n: _tree(ours / "var/task").get(n) for n in code} == code
    assert {n: _tree(theirs / "var/task").get(n) for n in code} == code
    # Dependencies: pip in the build installs the same pinned distributions (we trim and
    # precompile them, pip does not, so only the installed distributions are compared).
    def dists(root: Path) -> set[str]:
        return {p.name for p in (root / "var/task").glob("*.dist-info")}
    assert dists(ours) == dists(theirs) == {f"{n}-{v}.dist-info" for n, v in exported.packages}

    assert _env(their_config) == _env(our_config)
    assert _env(our_config)["PRICE"] == '$5 \\ "x"'
    for key in ("Cmd", "Entrypoint", "WorkingDir"):
        assert their_config["config"][key] == our_config["config"][key]
