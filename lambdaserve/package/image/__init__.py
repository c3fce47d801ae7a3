"""Container images with no Docker daemon, a Dockerfile export, and unpacking for the sandbox."""

from __future__ import annotations

from typing import TYPE_CHECKING

from lambdaserve.facade import lazy_exports

if TYPE_CHECKING:
    from lambdaserve.package.image.build import (
        ImageBuild,
        build_image,
        load_build,
        record_image_build,
        set_aside_image,
    )
    from lambdaserve.package.image.dockerfile_export import export_dockerfile
    from lambdaserve.package.image.tool_builder import build_from_dockerfile, push_with_tool
    from lambdaserve.package.image.unpack import export_layout, unpack_rootfs

_EXPORTS = {
    "ImageBuild": "lambdaserve.package.image.build",
    "build_from_dockerfile": "lambdaserve.package.image.tool_builder",
    "build_image": "lambdaserve.package.image.build",
    "export_dockerfile": "lambdaserve.package.image.dockerfile_export",
    "export_layout": "lambdaserve.package.image.unpack",
    "load_build": "lambdaserve.package.image.build",
    "push_with_tool": "lambdaserve.package.image.tool_builder",
    "record_image_build": "lambdaserve.package.image.build",
    "set_aside_image": "lambdaserve.package.image.build",
    "unpack_rootfs": "lambdaserve.package.image.unpack",
}
__all__ = [
    "ImageBuild",
    "build_from_dockerfile",
    "build_image",
    "export_dockerfile",
    "export_layout",
    "load_build",
    "push_with_tool",
    "record_image_build",
    "set_aside_image",
    "unpack_rootfs",
]
__getattr__ = lazy_exports(__name__, _EXPORTS)
