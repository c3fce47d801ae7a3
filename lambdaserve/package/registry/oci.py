"""Image references, media types, descriptors and digests (OCI and Docker v2 schema 2)."""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass
from typing import Any

from lambdaserve.errors import BuildError

DOCKER_MANIFEST = "application/vnd.docker.distribution.manifest.v2+json"
DOCKER_LIST = "application/vnd.docker.distribution.manifest.list.v2+json"
DOCKER_CONFIG = "application/vnd.docker.container.image.v1+json"
DOCKER_LAYER = "application/vnd.docker.image.rootfs.diff.tar.gzip"
OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json"
OCI_INDEX = "application/vnd.oci.image.index.v1+json"
OCI_CONFIG = "application/vnd.oci.image.config.v1+json"
OCI_LAYER = "application/vnd.oci.image.layer.v1.tar+gzip"

MANIFEST_TYPES = (DOCKER_MANIFEST, OCI_MANIFEST)
INDEX_TYPES = (DOCKER_LIST, OCI_INDEX)
# The same gzip tar bytes under either name; other layer types (zstd, foreign) keep theirs.
GZIP_LAYERS = {DOCKER_LAYER: OCI_LAYER, OCI_LAYER: DOCKER_LAYER}

# Lambda's architecture names → the platform names registries use.
PLATFORM_ARCH = {"x86_64": "amd64", "arm64": "arm64"}

DOCKER_HUB = "registry-1.docker.io"
_DIGEST_RE = re.compile(r"^sha256:[0-9a-f]{64}$")
_REPO_RE = re.compile(r"^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*(?:/[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*)*$")
_TAG_RE = re.compile(r"^[\w][\w.-]{0,127}$")


def sha256_digest(data: bytes) -> str:
    return "sha256:" + hashlib.sha256(data).hexdigest()


def canonical_json(value: Any) -> bytes:
    """Stable bytes for a manifest or config: sorted keys, no spaces, so digests repeat."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def check_digest(digest: str) -> str:
    if not _DIGEST_RE.match(digest):
        raise BuildError(f"not a sha256 digest: {digest!r}",
                         hint="Digests look like sha256:<64 lowercase hex digits>.")
    return digest


@dataclass(frozen=True)
class Descriptor:
    media_type: str
    digest: str
    size: int
    platform: dict[str, str] | None = None
    urls: tuple[str, ...] = ()

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"mediaType": self.media_type, "digest": self.digest, "size": self.size}
        if self.urls:
            out["urls"] = list(self.urls)
        return out

    @classmethod
    def from_json(cls, raw: dict[str, Any]) -> Descriptor:
        try:
            return cls(media_type=str(raw.get("mediaType", "")), digest=check_digest(str(raw["digest"])),
                       size=int(raw["size"]), platform=raw.get("platform"),
                       urls=tuple(raw.get("urls", ())))
        except (KeyError, TypeError, ValueError) as exc:
            raise BuildError(f"malformed descriptor in a manifest: {raw!r}",
                             hint="The registry answered a manifest this tool cannot read.") from exc


@dataclass(frozen=True)
class ImageRef:
    """registry/repository[:tag][@digest], with Docker's defaults filled in."""

    registry: str  # host[:port], as used in URLs
    repository: str
    tag: str = "latest"
    digest: str = ""

    @property
    def reference(self) -> str:
        """What goes after /manifests/ in a URL."""
        return self.digest or self.tag

    @property
    def insecure(self) -> bool:
        """Registries on this machine speak plain HTTP (the test registry does); others need TLS."""
        if self.registry.startswith("["):
            host = self.registry.split("]", 1)[0] + "]"
        else:
            host = self.registry.rsplit(":", 1)[0]
        return host in ("localhost", "127.0.0.1", "[::1]") or host.startswith("127.")

    def with_tag(self, tag: str) -> ImageRef:
        return ImageRef(self.registry, self.repository, tag, "")

    def __str__(self) -> str:
        out = f"{self.registry}/{self.repository}"
        if self.tag and not self.digest:
            out += f":{self.tag}"
        if self.digest:
            out += f"@{self.digest}"
        return out


def parse_ref(text: str) -> ImageRef:
    """Parse an image reference the way docker does (docker.io and library/ are implied)."""
    original = text.strip()
    rest, digest = original, ""
    if "@" in rest:
        rest, digest = rest.split("@", 1)
        check_digest(digest)
    first, _, remainder = rest.partition("/")
    if remainder and ("." in first or ":" in first or first == "localhost"):
        registry, path = first, remainder
    else:
        registry, path = DOCKER_HUB, rest
    tag = ""
    last = path.rsplit("/", 1)[-1]
    if ":" in last:
        path, tag = path.rsplit(":", 1)
    if registry in ("docker.io", "index.docker.io"):
        registry = DOCKER_HUB
    if registry == DOCKER_HUB and "/" not in path:
        path = "library/" + path
    if not path or not _REPO_RE.match(path) or (tag and not _TAG_RE.match(tag)):
        raise BuildError(f"not a valid image reference: {original!r}",
                         hint="Use registry/repository:tag, e.g. public.ecr.aws/lambda/python:3.12 "
                              "or 123456789012.dkr.ecr.us-east-1.amazonaws.com/my-model:latest.")
    return ImageRef(registry, path, tag or ("" if digest else "latest"), digest)
