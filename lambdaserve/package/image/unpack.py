"""Turn a built image into a root filesystem on this machine, for the container sandbox.

``export_layout`` writes an OCI image layout holding every blob: ours from the build, the
base's downloaded once from its registry (verified by digest, then kept). ``unpack_rootfs``
hands that layout to umoci, which applies the layers in order with whiteouts and writes an
OCI runtime bundle (``rootfs/`` and ``config.json``). The layout's manifest uses OCI media
types (umoci reads only those); its config and layer bytes are exactly the pushed ones.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
from collections.abc import Callable
from http.client import HTTPResponse
from pathlib import Path
from typing import cast

from lambdaserve.errors import BuildError
from lambdaserve.package.image.build import ImageBuild
from lambdaserve.package.image.config import manifest
from lambdaserve.package.process import Runner, run_command, tail
from lambdaserve.package.registry.auth import CredentialProvider
from lambdaserve.package.registry.client import RegistryClient
from lambdaserve.package.registry.oci import OCI_MANIFEST, canonical_json, sha256_digest
from lambdaserve.runtime.atomic import Replacing


def _download(client: RegistryClient, repository: str, digest: str, dest: Path) -> None:
    sha = hashlib.sha256()
    _, stream = client.request("GET", f"/v2/{repository}/blobs/{digest}", stream=True)
    body = cast(HTTPResponse, stream)
    with body, Replacing(dest) as partial:  # renamed onto dest once its digest matches
        with open(partial, "wb") as out:
            while chunk := body.read(1 << 20):
                sha.update(chunk)
                out.write(chunk)
        if "sha256:" + sha.hexdigest() != digest:
            raise BuildError(f"base layer {digest} downloaded with the wrong content",
                             hint="The registry or a proxy altered it; try again.")


def export_layout(build: ImageBuild, layout: Path, *, tag: str = "latest",
                  base_credentials: CredentialProvider | None = None,
                  log: Callable[[str], None] = lambda _m: None) -> Path:
    """An OCI layout of the whole image in ``layout`` (base blobs already there are reused)."""
    blobs = layout / "blobs" / "sha256"
    blobs.mkdir(parents=True, exist_ok=True)
    missing = [d for d in build.base_layers if not (blobs / d.digest.split(":", 1)[1]).is_file()]
    if missing:
        ref = build.base_ref
        client = RegistryClient(ref.registry, insecure=ref.insecure, credentials=base_credentials)
        client.add_scope(f"repository:{ref.repository}:pull")
        try:
            for desc in missing:
                log(f"downloading base layer {desc.digest[:19]} ({desc.size / 1e6:.1f} MB)")
                _download(client, ref.repository, desc.digest, blobs / desc.digest.split(":", 1)[1])
        finally:
            client.close()
    for digest in [layer.digest for layer in build.layers] + [build.config_digest]:
        dest = blobs / digest.split(":", 1)[1]
        if not dest.is_file():
            shutil.copyfile(build.blob(digest), dest)
    config_size = build.blob(build.config_digest).stat().st_size
    man = canonical_json(manifest(build.base_layers, build.layers, build.config_digest, config_size,
                                  oci=True))
    man_digest = sha256_digest(man)
    (blobs / man_digest.split(":", 1)[1]).write_bytes(man)
    index = {"schemaVersion": 2, "manifests": [
        {"mediaType": OCI_MANIFEST, "digest": man_digest, "size": len(man),
         "annotations": {"org.opencontainers.image.ref.name": tag}}]}
    (layout / "index.json").write_text(json.dumps(index))
    (layout / "oci-layout").write_text('{"imageLayoutVersion": "1.0.0"}')
    return layout


def unpack_rootfs(layout: Path, bundle: Path, *, tag: str = "latest", umoci: str = "umoci",
                  runner: Runner = run_command, euid: int | None = None) -> Path:
    """Unpack the layout's ``tag`` into ``bundle`` with umoci; return ``bundle/rootfs``.

    As a non-root user umoci runs --rootless (files are owned by the caller).
    """
    if bundle.exists():
        shutil.rmtree(bundle)
    args = [umoci, "unpack", "--image", f"{layout}:{tag}", str(bundle)]
    if (os.geteuid() if euid is None else euid) != 0:
        args.insert(2, "--rootless")
    done = runner(args, timeout=900)
    if done.returncode == 127:
        raise BuildError("umoci is not installed; it unpacks images for the container sandbox",
                         hint="Install it: apt-get install umoci (Debian/Ubuntu).")
    if done.returncode != 0:
        raise BuildError(f"umoci could not unpack the image: {tail(done.stderr or done.stdout)}",
                         hint="Check the layout with `umoci stat --image DIR:TAG`.")
    return bundle / "rootfs"
