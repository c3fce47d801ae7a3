"""The Registry HTTP API v2: references, authentication, uploads and push."""

from __future__ import annotations

from typing import TYPE_CHECKING

from lambdaserve.facade import lazy_exports

if TYPE_CHECKING:
    from lambdaserve.package.registry.auth import CredentialProvider, Credentials
    from lambdaserve.package.registry.oci import ImageRef, parse_ref
    from lambdaserve.package.registry.push import BlobProgress, push_image

_EXPORTS = {
    "BlobProgress": "lambdaserve.package.registry.push",
    "CredentialProvider": "lambdaserve.package.registry.auth",
    "Credentials": "lambdaserve.package.registry.auth",
    "ImageRef": "lambdaserve.package.registry.oci",
    "parse_ref": "lambdaserve.package.registry.oci",
    "push_image": "lambdaserve.package.registry.push",
}
__all__ = ["BlobProgress", "CredentialProvider", "Credentials", "ImageRef", "parse_ref", "push_image"]
__getattr__ = lazy_exports(__name__, _EXPORTS)
