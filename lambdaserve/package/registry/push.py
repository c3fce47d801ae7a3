"""Push a built image with the Registry HTTP API v2: only the blobs the registry lacks.

Every blob is first checked with HEAD. Base layers the target lacks are mounted from the
base's repository when both live in the same registry, otherwise streamed registry to
registry through this machine (one chunk in memory at a time). The manifest is a single
platform manifest, never an index, and the digest the registry answers must equal ours.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from http.client import HTTPResponse
from typing import BinaryIO, Literal, cast

from lambdaserve.errors import BuildError
from lambdaserve.package.image.base import ACCEPT
from lambdaserve.package.image.build import ImageBuild
from lambdaserve.package.registry.auth import CredentialProvider
from lambdaserve.package.registry.client import RegistryClient
from lambdaserve.package.registry.oci import ImageRef, parse_ref
from lambdaserve.package.registry.upload import DEFAULT_CHUNK, mount_blob, upload_blob

BlobStatus = Literal["checking", "exists", "mounted", "uploading", "copying", "done"]  # while pushing
BlobOutcome = Literal["exists", "mounted", "uploaded", "copied"]  # how a blob reached the registry


@dataclass(frozen=True)
class BlobProgress:
    name: str  # "base 1/6", "dependencies", "model", "code", "config"
    digest: str
    size: int
    done: int
    status: BlobStatus


@dataclass
class PushResult:
    ref: ImageRef
    digest: str  # the manifest's; deploy by digest, not tag
    bytes_uploaded: int = 0
    statuses: dict[str, BlobOutcome] = field(default_factory=dict)  # by blob name
    manifest_pushed: bool = True
    warnings: list[str] = field(default_factory=list)

    @property
    def image_uri(self) -> str:
        return f"{self.ref.registry}/{self.ref.repository}@{self.digest}"


def sudo_warning(environ: Mapping[str, str], euid: int) -> str | None:
    """The classic failure: under sudo, the AWS SDK reads root's credentials, not the user's."""
    if euid == 0 and environ.get("SUDO_USER"):
        return (f"running under sudo: AWS credentials are read from root's profile, not "
                f"{environ['SUDO_USER']}'s; lambdaserve never needs sudo, run it as yourself")
    return None


def _remote_opener(client: RegistryClient, repository: str, digest: str) -> Callable[[int], BinaryIO]:
    def open_at(offset: int) -> BinaryIO:
        headers = {"Range": f"bytes={offset}-"} if offset else {}
        resp, stream = client.request("GET", f"/v2/{repository}/blobs/{digest}", headers=headers,
                                      ok=(200, 206), stream=True)
        body = cast(HTTPResponse, stream)
        if offset and resp.status == 200:  # Range ignored: skip what was already sent
            left = offset
            while left:
                skipped = body.read(min(left, 1 << 20))
                if not skipped:
                    raise ConnectionError("source blob ended early")
                left -= len(skipped)
        return cast(BinaryIO, body)
    return open_at


def push_image(build: ImageBuild, target: str | ImageRef, *,
               credentials: CredentialProvider | None = None,
               base_credentials: CredentialProvider | None = None,
               progress: Callable[[BlobProgress], None] = lambda _p: None,
               chunk_size: int = DEFAULT_CHUNK, environ: Mapping[str, str] | None = None,
               euid: int | None = None, sleep: Callable[[float], None] = time.sleep) -> PushResult:
    """Push ``build`` to ``target`` (registry/repository:tag); credentials are asked for now."""
    ref = parse_ref(target) if isinstance(target, str) else target
    if ref.digest:
        raise BuildError(f"push target {ref} names a digest", hint="Push to a tag, e.g. repo:latest.")
    client = RegistryClient(ref.registry, insecure=ref.insecure, credentials=credentials, sleep=sleep)
    source = RegistryClient(build.base_ref.registry, insecure=build.base_ref.insecure,
                            credentials=base_credentials, sleep=sleep)
    result = PushResult(ref=ref, digest=build.manifest_digest)
    warning = sudo_warning(os.environ if environ is None else environ,
                           os.geteuid() if euid is None else euid)
    if warning:
        result.warnings.append(warning)
    client.add_scope(f"repository:{ref.repository}:pull,push")
    source.add_scope(f"repository:{build.base_ref.repository}:pull")
    try:
        blobs = [(f"base {i + 1}/{len(build.base_layers)}", d.digest, d.size, True)
                 for i, d in enumerate(build.base_layers)]
        blobs += [(layer.name, layer.digest, layer.size, False) for layer in build.layers]
        blobs.append(("config", build.config_digest, build.blob(build.config_digest).stat().st_size, False))
        for name, digest, size, from_base in blobs:
            result.statuses[name] = _push_blob(client, source, build, ref, name, digest, size, from_base,
                                               progress, chunk_size)
        result.manifest_pushed = _push_manifest(client, build, ref)
        result.bytes_uploaded = client.stats.bytes_sent
        return result
    finally:
        client.close()
        source.close()


def _push_blob(client: RegistryClient, source: RegistryClient, build: ImageBuild, ref: ImageRef,
               name: str, digest: str, size: int, from_base: bool,
               progress: Callable[[BlobProgress], None], chunk_size: int) -> BlobOutcome:
    def report(done: int, status: BlobStatus) -> None:
        progress(BlobProgress(name, digest, size, done, status))

    report(0, "checking")
    if client.head_blob(ref.repository, digest):
        report(size, "exists")
        return "exists"
    location = None
    if from_base and build.base_ref.registry == ref.registry:
        location = mount_blob(client, ref.repository, digest, build.base_ref.repository)
        if location is None:
            report(size, "mounted")
            return "mounted"
    if from_base:
        opener = _remote_opener(source, build.base_ref.repository, digest)
        status: BlobOutcome = "copied"
    else:
        path = build.blob(digest)

        def opener(offset: int) -> BinaryIO:
            fh = open(path, "rb")  # noqa: SIM115 (upload_blob closes it)
            fh.seek(offset)
            return fh
        status = "uploaded"
    report(0, "copying" if from_base else "uploading")
    upload_blob(client, ref.repository, digest, size, opener, chunk_size=chunk_size,
                progress=lambda done: report(done, "copying" if from_base else "uploading"),
                location=location)
    report(size, "done")
    return status


def _push_manifest(client: RegistryClient, build: ImageBuild, ref: ImageRef) -> bool:
    """PUT the manifest unless the tag already points at it; verify the digest answered."""
    path = f"/v2/{ref.repository}/manifests/{ref.tag}"
    head, _ = client.request("HEAD", path, headers={"Accept": ACCEPT}, ok=(200, 404))
    if head.status == 200 and head.header("Docker-Content-Digest") == build.manifest_digest:
        return False
    resp, _ = client.request("PUT", path, body=build.manifest_bytes, ok=(201, 200),
                             headers={"Content-Type": build.media_type})
    answered = resp.header("Docker-Content-Digest")
    if not answered:  # the header is required by the spec; if a registry omits it, ask what the tag is
        check, _ = client.request("HEAD", path, headers={"Accept": ACCEPT}, ok=(200, 404))
        answered = check.header("Docker-Content-Digest")
    if answered != build.manifest_digest:
        raise BuildError(f"{ref.registry} answered manifest digest {answered or '(none)'}, "
                         f"expected {build.manifest_digest}",
                         hint="Refusing to deploy an image whose digest does not match what was built; "
                              "check for a proxy rewriting manifests, then push again.")
    return True
