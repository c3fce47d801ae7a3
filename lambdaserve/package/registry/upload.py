"""Blob uploads over the Registry API v2: chunked PATCHes that resume, mounts, registry copies.

A chunk is kept in memory until the registry acknowledges it. When a connection drops
mid-chunk we ask the upload's status (GET → 204 with ``Range: 0-N``) and send only what
the registry has not stored; if the registry lost the upload, we start it again.
"""

from __future__ import annotations

import re
import urllib.parse
from collections.abc import Callable
from typing import BinaryIO

from lambdaserve.errors import BuildError
from lambdaserve.package.registry.client import NETWORK_ERRORS, RegistryClient, RegistryUnreachable

MIN_CHUNK = 5 * 1024 * 1024  # ECR refuses smaller non-final parts
DEFAULT_CHUNK = 8 * 1024 * 1024
_RANGE_RE = re.compile(r"^(?:bytes=)?0-(\d+)$")

Opener = Callable[[int], BinaryIO]  # the blob's bytes from an offset on
Progress = Callable[[int], None]  # bytes of the blob stored so far


class _Restart(Exception):
    """The registry lost the upload session: begin a new one."""


def _with_query(url: str, **params: str) -> str:
    parts = urllib.parse.urlsplit(url)
    query = urllib.parse.parse_qsl(parts.query, keep_blank_values=True) + list(params.items())
    return urllib.parse.urlunsplit(parts._replace(query=urllib.parse.urlencode(query)))


def start_upload(client: RegistryClient, repository: str) -> str:
    resp, _ = client.request("POST", f"/v2/{repository}/blobs/uploads/", body=b"", ok=(202,))
    return client.url(resp.header("Location")) if resp.header("Location") else _missing(client)


def _missing(client: RegistryClient) -> str:
    raise BuildError(f"{client.registry} started an upload without a Location",
                     hint="The registry does not follow the Registry API v2; use another registry.")


def mount_blob(client: RegistryClient, repository: str, digest: str, source_repo: str) -> str | None:
    """Cross-repository mount: None when mounted, else the upload session the registry opened."""
    client.add_scope(f"repository:{source_repo}:pull")
    query = urllib.parse.urlencode({"mount": digest, "from": source_repo})
    resp, _ = client.request("POST", f"/v2/{repository}/blobs/uploads/?{query}", body=b"", ok=(201, 202))
    if resp.status == 201:
        return None
    return client.url(resp.header("Location")) if resp.header("Location") else _missing(client)


def _read(opener: Opener, src: BinaryIO | None, offset: int, size: int,
          client: RegistryClient) -> tuple[bytes, BinaryIO]:
    """``size`` bytes at ``offset``, reopening the source if a (network) read fails."""
    attempt = 0
    while True:
        try:
            stream = src if src is not None else opener(offset)
            data = stream.read(size)
            while len(data) < size:
                more = stream.read(size - len(data))
                if not more:
                    raise ConnectionError(f"source ended at {offset + len(data)}, expected more")
                data += more
            return data, stream
        except (*NETWORK_ERRORS, RegistryUnreachable) as exc:
            attempt += 1
            client.retrying("reading the blob to copy", attempt, exc)
            if src is not None:
                src.close()
            src = None


def _status(client: RegistryClient, location: str) -> tuple[int, str]:
    """How many bytes the registry has for this upload, and the Location to continue at."""
    try:
        resp, _ = client.request("GET", location, ok=(204, 200, 400, 404, 416))
    except RegistryUnreachable as exc:
        raise _Restart() from exc
    if resp.status not in (200, 204):
        raise _Restart()
    match = _RANGE_RE.match(resp.header("Range").strip())
    stored = int(match.group(1)) + 1 if match else 0
    return stored, client.url(resp.header("Location")) if resp.header("Location") else location


def _send(client: RegistryClient, location: str, digest: str, size: int, opener: Opener,
          chunk_size: int, progress: Progress) -> str:
    offset, src, attempt = 0, None, 0
    while offset < size:
        chunk, src = _read(opener, src, offset, min(chunk_size, size - offset), client)
        sent = 0
        while sent < len(chunk):
            start = offset + sent
            try:
                resp, _ = client.request(
                    "PATCH", location, body=chunk[sent:], ok=(202,),
                    headers={"Content-Type": "application/octet-stream",
                             "Content-Range": f"{start}-{offset + len(chunk) - 1}"})
                location = client.url(resp.header("Location")) if resp.header("Location") else location
                sent = len(chunk)
            except RegistryUnreachable as exc:
                attempt += 1
                client.retrying(f"uploading {digest[:19]}", attempt, exc)
                stored, location = _status(client, location)
                if not offset <= stored <= offset + len(chunk):
                    raise _Restart() from exc  # it lost bytes we no longer hold
                sent = stored - offset
        offset += len(chunk)
        progress(offset)
    if src is not None:
        src.close()
    resp, _ = client.request("PUT", _with_query(location, digest=digest), body=b"", ok=(201, 204))
    return resp.header("Docker-Content-Digest")


def upload_blob(client: RegistryClient, repository: str, digest: str, size: int, opener: Opener, *,
                progress: Progress, chunk_size: int = DEFAULT_CHUNK, location: str | None = None) -> None:
    """Upload a blob in chunks; verify the digest the registry computed."""
    if chunk_size < MIN_CHUNK:
        raise BuildError(f"chunk size {chunk_size} is under 5 MiB",
                         hint="Registries such as ECR need non-final chunks of at least 5 MiB.")
    restarts = 0
    while True:
        try:
            returned = _send(client, location or start_upload(client, repository), digest, size,
                             opener, chunk_size, progress)
            break
        except _Restart as exc:
            restarts += 1
            location = None
            client.retrying(f"uploading {digest[:19]} (the registry lost the upload)", restarts, exc)
            progress(0)
    if returned and returned != digest:
        raise BuildError(f"{client.registry} stored blob {returned}, expected {digest}",
                         hint="The upload was corrupted on the way; nothing was tagged. Push again.")
