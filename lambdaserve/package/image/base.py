"""Read the base image's manifest and config from its registry; never its layers."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from lambdaserve.errors import BuildError
from lambdaserve.package.registry.auth import CredentialProvider
from lambdaserve.package.registry.client import RegistryClient
from lambdaserve.package.registry.oci import (
    DOCKER_CONFIG,
    INDEX_TYPES,
    MANIFEST_TYPES,
    OCI_CONFIG,
    PLATFORM_ARCH,
    Descriptor,
    ImageRef,
    parse_ref,
    sha256_digest,
)

ACCEPT = ", ".join(MANIFEST_TYPES + INDEX_TYPES)


@dataclass(frozen=True)
class BaseImage:
    ref: ImageRef
    manifest_digest: str  # of the single-platform manifest picked
    config: dict[str, Any]
    config_digest: str
    layers: tuple[Descriptor, ...]


def _verified(data: bytes, expected: str, what: str) -> None:
    if expected and sha256_digest(data) != expected:
        raise BuildError(f"{what} does not match its digest {expected}",
                         hint="The registry or a proxy altered the content; try again or use another mirror.")


def _pick(index: dict[str, Any], arch: str, ref: ImageRef) -> Descriptor:
    """The linux/<arch> manifest of a list, skipping attestation manifests (unknown/unknown)."""
    want = PLATFORM_ARCH[arch]
    seen = []
    for raw in index.get("manifests", []):
        platform = raw.get("platform") or {}
        annotations = raw.get("annotations") or {}
        if annotations.get("vnd.docker.reference.type") == "attestation-manifest":
            continue
        seen.append(f"{platform.get('os')}/{platform.get('architecture')}")
        if platform.get("os") == "linux" and platform.get("architecture") == want:
            return Descriptor.from_json(raw)
    raise BuildError(f"base image {ref} has no linux/{want} image (it has {', '.join(seen) or 'none'})",
                     hint=f"Pick a base image built for {arch}, or change function.architecture.")


def resolve_base(client: RegistryClient, ref: ImageRef, arch: str) -> BaseImage:
    """Manifest (via the index if there is one) and config of ``ref`` for linux/<arch>."""
    client.add_scope(f"repository:{ref.repository}:pull")
    resp = client.get_json(f"/v2/{ref.repository}/manifests/{ref.reference}", ACCEPT)
    digest = ref.digest or resp.header("Docker-Content-Digest")
    _verified(resp.body, ref.digest, f"manifest of {ref}")
    manifest = _parse(resp.body, ref)
    media_type = manifest.get("mediaType") or resp.header("Content-Type").split(";")[0]
    if media_type in INDEX_TYPES or "manifests" in manifest:
        chosen = _pick(manifest, arch, ref)
        resp = client.get_json(f"/v2/{ref.repository}/manifests/{chosen.digest}", ACCEPT)
        _verified(resp.body, chosen.digest, f"manifest of {ref} for {arch}")
        manifest, digest = _parse(resp.body, ref), chosen.digest
        media_type = manifest.get("mediaType") or chosen.media_type
    if media_type not in MANIFEST_TYPES:
        raise BuildError(f"base image {ref} has an unsupported manifest type {media_type!r}",
                         hint="Use a base published as a Docker v2 schema 2 or OCI image.")
    config_desc = Descriptor.from_json(manifest.get("config") or {})
    if config_desc.media_type not in (DOCKER_CONFIG, OCI_CONFIG):
        raise BuildError(f"base image {ref} is not a container image ({config_desc.media_type})",
                         hint="Use a container image as the base (e.g. public.ecr.aws/lambda/python:3.12).")
    blob, _ = client.request("GET", f"/v2/{ref.repository}/blobs/{config_desc.digest}")
    _verified(blob.body, config_desc.digest, f"config of {ref}")
    config = _parse(blob.body, ref)
    got = config.get("architecture")
    if got and got != PLATFORM_ARCH[arch]:
        raise BuildError(f"base image {ref} is built for {got}, not {PLATFORM_ARCH[arch]}",
                         hint=f"Pick a base image for {arch}, or change function.architecture.")
    layers = tuple(Descriptor.from_json(raw) for raw in manifest.get("layers", []))
    if len(layers) != len(config.get("rootfs", {}).get("diff_ids", [])):
        raise BuildError(f"base image {ref}: its manifest and config disagree on the layer count",
                         hint="The base image is malformed; pick another tag.")
    return BaseImage(ref=ref, manifest_digest=digest, config=config, config_digest=config_desc.digest,
                     layers=layers)


def read_base(image: str, arch: str, credentials: CredentialProvider | None = None,
              timeout: float = 60.0) -> BaseImage:
    """The base image ``image`` (registry/repo:tag) for linux/<arch>, read over the Registry API."""
    ref = parse_ref(image)
    client = RegistryClient(ref.registry, insecure=ref.insecure, credentials=credentials, timeout=timeout)
    try:
        return resolve_base(client, ref, arch)
    finally:
        client.close()


def _parse(body: bytes, ref: ImageRef) -> dict[str, Any]:
    try:
        value = json.loads(body)
    except ValueError as exc:
        raise BuildError(f"the registry answered invalid JSON for {ref}",
                         hint="Check the image reference; the registry may be a web page, not a registry.") \
            from exc
    if not isinstance(value, dict):
        raise BuildError(f"the registry answered unexpected JSON for {ref}",
                         hint="Check the image reference.")
    return value


# AWS's Lambda bases ship the bootstrap (ENTRYPOINT /lambda-entrypoint.sh): known without asking.
LAMBDA_BASES = ("public.ecr.aws/lambda/python:",)


def known_to_have_bootstrap(image: str) -> bool | None:
    """True for AWS's Lambda bases, None when only the base's own config can tell."""
    return True if image.startswith(LAMBDA_BASES) else None
