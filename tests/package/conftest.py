"""Image test infrastructure: a local registry and Debian base images made here (their session
fixtures, shared with tests/serving, are in tests/conftest.py).

Each base (a Debian minbase + python3, libstdc++6 and pip, as an OCI index with one linux image
and one attestation manifest, like public.ecr.aws's) is built once with mmdebstrap and
cached under ~/.cache/lambdaserve-test/ (or $LAMBDASERVE_TEST_CACHE); each session pushes
it to its own registry with skopeo, an independent tool. bookworm has python 3.11 (the
Amazon Linux 2 runtime's version); trixie has python 3.13 (Amazon Linux 2023's), which
scikit-learn's current wheels need.
"""

from __future__ import annotations

import gzip
import hashlib
import json
import os
import platform
import shutil
import socket
import subprocess
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from tests.helpers import CACHE, cache_lock, require_tool

if TYPE_CHECKING:
    from lambdaserve.package.image.build import ImageBuild

BASE_LAYOUT = CACHE / "base-bookworm-python3-v2"
TRIXIE_LAYOUT = CACHE / "base-trixie-python3-v1"
# python3-pip only so the exported Dockerfile's `RUN pip install` lines can run on this base.
BASE_PACKAGES = ("python3", "libstdc++6", "python3-pip")
BASE_REPO, BASE_TAG = "base/debian-python", "bookworm"
ARCH = {"x86_64": "amd64", "aarch64": "arm64"}[platform.machine()]
OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json"
OCI_INDEX = "application/vnd.oci.image.index.v1+json"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass(frozen=True)
class LocalRegistry:
    host: str  # 127.0.0.1:<port>
    root: Path

    def get(self, path: str, accept: str = "") -> tuple[int, dict[str, str], bytes]:
        headers = {"Accept": accept} if accept else {}
        req = urllib.request.Request(f"http://{self.host}{path}", headers=headers)
        with urllib.request.urlopen(req, timeout=30) as resp:
            return resp.status, dict(resp.headers), resp.read()


def _blob(layout: Path, data: bytes) -> dict[str, object]:
    digest = hashlib.sha256(data).hexdigest()
    (layout / "blobs" / "sha256" / digest).write_bytes(data)
    return {"digest": f"sha256:{digest}", "size": len(data)}


def _gzip_layer(tar: Path, layout: Path) -> tuple[dict[str, object], str]:
    """The rootfs tar as a gzip layer blob: (descriptor, diff_id)."""
    plain, packed = hashlib.sha256(), layout / "blobs" / "layer.partial"
    with open(tar, "rb") as src, open(packed, "wb") as raw, \
            gzip.GzipFile(filename="", mode="wb", fileobj=raw, mtime=0, compresslevel=1) as gz:
        while chunk := src.read(1 << 20):
            plain.update(chunk)
            gz.write(chunk)
    digest = hashlib.sha256(packed.read_bytes()).hexdigest()
    size = packed.stat().st_size
    packed.rename(layout / "blobs" / "sha256" / digest)
    return ({"mediaType": "application/vnd.oci.image.layer.v1.tar+gzip", "digest": f"sha256:{digest}",
             "size": size}, f"sha256:{plain.hexdigest()}")


def make_base_layout(dest: Path, suite: str = "bookworm") -> None:
    """mmdebstrap of ``suite`` → one-layer OCI image, in an index with an attestation manifest,
    tagged ``suite``."""
    mmdebstrap = require_tool("mmdebstrap")
    work = dest.with_name(dest.name + ".partial")
    shutil.rmtree(work, ignore_errors=True)
    (work / "blobs" / "sha256").mkdir(parents=True)
    tar = work / "rootfs.tar"
    done = subprocess.run(
        [mmdebstrap, "--variant=minbase", f"--include={','.join(BASE_PACKAGES)}", "--skip=output/dev",
         "--aptopt=APT::Install-Recommends \"false\"",
         "--dpkgopt=path-exclude=/usr/share/doc/*", "--dpkgopt=path-exclude=/usr/share/man/*",
         "--dpkgopt=path-exclude=/usr/share/locale/*", "--format=tar", suite, str(tar)],
        capture_output=True, text=True, timeout=900, env={**os.environ, "SOURCE_DATE_EPOCH": "0"})
    if done.returncode != 0:
        pytest.fail("mmdebstrap failed:\n" + done.stderr[-3000:])
    layer, diff_id = _gzip_layer(tar, work)
    tar.unlink()
    config = {"architecture": ARCH, "os": "linux", "created": "1970-01-01T00:00:00Z",
              "config": {"Env": ["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"],
                         "Cmd": ["/bin/sh"]},
              "rootfs": {"type": "layers", "diff_ids": [diff_id]},
              "history": [{"created": "1970-01-01T00:00:00Z", "created_by": "mmdebstrap --variant=minbase "
                           f"--include={','.join(BASE_PACKAGES)} {suite}"}]}
    image = {"schemaVersion": 2, "mediaType": OCI_MANIFEST,
             "config": {"mediaType": "application/vnd.oci.image.config.v1+json",
                        **_blob(work, json.dumps(config).encode())},
             "layers": [layer]}
    statement = _blob(work, b'{"_type":"https://in-toto.io/Statement/v0.1","predicateType":"test"}')
    unknown = {"architecture": "unknown", "os": "unknown", "rootfs": {"type": "layers", "diff_ids": []}}
    attestation = {"schemaVersion": 2, "mediaType": OCI_MANIFEST,
                   "config": {"mediaType": "application/vnd.oci.image.config.v1+json",
                              **_blob(work, json.dumps(unknown).encode())},
                   "layers": [{"mediaType": "application/vnd.in-toto+json", **statement}]}
    image_desc = {"mediaType": OCI_MANIFEST, **_blob(work, json.dumps(image).encode())}
    index = {"schemaVersion": 2, "mediaType": OCI_INDEX, "manifests": [
        {**image_desc, "platform": {"architecture": ARCH, "os": "linux"}},
        {"mediaType": OCI_MANIFEST, **_blob(work, json.dumps(attestation).encode()),
         "platform": {"architecture": "unknown", "os": "unknown"},
         "annotations": {"vnd.docker.reference.type": "attestation-manifest",
                         "vnd.docker.reference.digest": image_desc["digest"]}}]}
    top = {"schemaVersion": 2, "manifests": [
        {"mediaType": OCI_INDEX, **_blob(work, json.dumps(index).encode()),
         "annotations": {"org.opencontainers.image.ref.name": suite}}]}
    (work / "index.json").write_text(json.dumps(top))
    (work / "oci-layout").write_text('{"imageLayoutVersion": "1.0.0"}')
    shutil.rmtree(dest, ignore_errors=True)
    work.rename(dest)


def push_base(registry: LocalRegistry, layout: Path, suite: str) -> str:
    """Make ``layout`` once (cached), push it as ``base/debian-python:<suite>``; its reference."""
    skopeo = require_tool("skopeo")
    with cache_lock(layout.name):  # xdist workers: one mmdebstrap, the others wait for it
        if not (layout / "index.json").is_file():
            layout.parent.mkdir(parents=True, exist_ok=True)
            make_base_layout(layout, suite)
    ref = f"{registry.host}/{BASE_REPO}:{suite}"
    done = subprocess.run([skopeo, "copy", "--all", "--dest-tls-verify=false", "--quiet",
                           f"oci:{layout}:{suite}", f"docker://{ref}"],
                          capture_output=True, text=True, timeout=300)
    if done.returncode != 0:
        pytest.fail("skopeo could not push the base image: " + done.stderr)
    return ref


PREDICTOR = '''"""A tiny linear model: the test's user code (a custom predictor)."""
import json
from pathlib import Path


class Predictor:
    def load(self, model_dir):
        self.weights = json.loads((Path(model_dir) / "weights.json").read_text())["weights"]

    def predict(self, inputs):
        return [sum(w * x for w, x in zip(self.weights, row)) for row in inputs["input"]]
'''


@dataclass
class ImageProject:
    root: Path
    base_image: str

    def config(self):  # -> lambdaserve.config.Config
        from lambdaserve.config import load_config
        return load_config(self.root)

    def set_weights(self, weights: list[float]) -> None:
        (self.root / "model" / "weights.json").write_text(json.dumps({"weights": weights}))


@pytest.fixture
def image_project(tmp_path: Path, base_image: str) -> ImageProject:
    """A custom-predictor project on the Debian test base (python 3.11, like bookworm's)."""
    return _image_project(tmp_path / "project", base_image)


@pytest.fixture(scope="module")
def built_image(tmp_path_factory: pytest.TempPathFactory, base_image: str) -> ImageBuild:
    """One build of an ``image_project``, shared by a module's tests that only read or push it."""
    from lambdaserve.package.image.build import build_image

    project = _image_project(tmp_path_factory.mktemp("built") / "project", base_image)
    return build_image(project.config(), install_dependencies=cached_installer)


def _image_project(root: Path, base_image: str) -> ImageProject:
    (root / "model").mkdir(parents=True)
    (root / "predictor.py").write_text(PREDICTOR)
    (root / "lambdaserve.toml").write_text(
        'name = "linear"\n[model]\npath = "model"\nframework = "custom"\npredictor = "predictor:Predictor"\n'
        '[function]\npython = "3.11"\npackage = "image"\n'
        f'[build]\nbase_image = "{base_image}"\n')
    project = ImageProject(root, base_image)
    project.set_weights([1.0, 2.0])
    return project


def cached_installer(config, requirements, scratch: Path, *, glibc=None) -> Path:
    """The product's installer (layer.install_dependencies; a build.image.DependencyInstaller):
    the layer comes from the session's per-user cache (tests/conftest.py), so the image tests'
    builds of one stack pip once."""
    from lambdaserve.package.deps.layer import install_dependencies

    return install_dependencies(config, requirements, scratch, glibc=glibc)
