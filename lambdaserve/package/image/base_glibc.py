"""The glibc of the image's base, which decides the manylinux wheels the image can load.

On AWS's Lambda bases it is the runtime's (python3.11: Amazon Linux 2, glibc 2.26). Any other
base (Debian's python:3.11 is glibc 2.36) is asked: its layers are streamed once and its libc
(``libc.so.6``, or AL2's ``libc-2.26.so``) says "release version X.Y". Taking Lambda's 2.26 for
such a base refuses wheels it loads (numpy 2.4, scipy, torch: manylinux_2_28), and no release
of them fits. The answer is cached by the base's manifest digest.
"""

from __future__ import annotations

import hashlib
import json
import re
import tarfile
from collections.abc import Iterator
from http.client import HTTPResponse
from pathlib import Path, PurePosixPath
from typing import IO, cast

from lambdaserve.errors import BuildError
from lambdaserve.package.deps.platforms import RUNTIME_GLIBC
from lambdaserve.package.image.base import BaseImage, known_to_have_bootstrap
from lambdaserve.package.registry.auth import CredentialProvider
from lambdaserve.package.registry.client import RegistryClient

Glibc = tuple[int, int]
_LIBC = re.compile(r"^libc(\.so\.6|-2\.\d+\.so)$")
_RELEASE = re.compile(rb"release version (\d+)\.(\d+)")
CACHE_FILE = "base-glibc.json"


def base_glibc(image: str, python: str, base: BaseImage, *, cache_dir: Path,
               credentials: CredentialProvider | None = None) -> tuple[Glibc | None, str]:
    """(glibc, where it came from); None when the base has no glibc (musl, distroless without
    libc): the caller keeps the Lambda runtime's tags then, and the proof is the check."""
    if known_to_have_bootstrap(image):
        return RUNTIME_GLIBC[python], f"Lambda's python{python} base"
    cache = cache_dir / CACHE_FILE
    known: dict[str, list[int] | None] = {}
    if cache.is_file():
        try:
            known = json.loads(cache.read_text())
        except ValueError:
            known = {}  # a torn cache only costs a re-read
    if base.manifest_digest in known:
        found = known[base.manifest_digest]
    else:
        glibc = _read_glibc(base, credentials)
        found = list(glibc) if glibc else None
        known[base.manifest_digest] = found
        cache_dir.mkdir(parents=True, exist_ok=True)
        cache.write_text(json.dumps(known, indent=1, sort_keys=True))
    if found is None:
        return None, "the base's layers hold no glibc"
    return (found[0], found[1]), "read from the base's libc"


def _read_glibc(base: BaseImage, credentials: CredentialProvider | None) -> Glibc | None:
    """The release of the libc in the base's layers; a later layer's copy wins."""
    ref = base.ref
    client = RegistryClient(ref.registry, insecure=ref.insecure, credentials=credentials)
    client.add_scope(f"repository:{ref.repository}:pull")
    found: Glibc | None = None
    try:
        for layer in base.layers:
            _, stream = client.request("GET", f"/v2/{ref.repository}/blobs/{layer.digest}", stream=True)
            body = _Verified(cast(HTTPResponse, stream), layer.digest)
            try:
                for data in _libc_files(body):
                    match = _RELEASE.search(data)
                    if match:
                        found = (int(match.group(1)), int(match.group(2)))
                body.drain()
            finally:
                body.close()
    finally:
        client.close()
    return found


def _libc_files(fileobj: _Verified) -> Iterator[bytes]:
    try:
        with tarfile.open(fileobj=cast(IO[bytes], fileobj), mode="r|*") as tar:
            for member in tar:
                if member.isreg() and _LIBC.match(PurePosixPath(member.name).name):
                    handle = tar.extractfile(member)
                    if handle is not None:
                        yield handle.read()
    except (tarfile.TarError, EOFError, OSError) as exc:
        raise BuildError(f"a layer of the base image cannot be read ({exc})",
                         hint="The base image is malformed or was cut off; pull it again or pick another.") \
            from exc


class _Verified:
    """A blob's body, hashed as it is read; ``drain`` reads the rest and checks the digest."""

    def __init__(self, body: HTTPResponse, digest: str) -> None:
        self.body, self.digest, self.sha = body, digest, hashlib.sha256()

    def read(self, size: int = -1) -> bytes:
        data = self.body.read(size)
        self.sha.update(data)
        return data

    def drain(self) -> None:
        while self.read(1 << 20):
            pass
        if "sha256:" + self.sha.hexdigest() != self.digest:
            raise BuildError(f"base layer {self.digest} arrived with the wrong content",
                             hint="The registry or a proxy altered it; try again.")

    def close(self) -> None:
        self.body.close()
