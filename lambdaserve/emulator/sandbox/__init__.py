"""What a worker sees: process, namespace or container sandboxes, and the memory cap."""

from __future__ import annotations

from typing import TYPE_CHECKING

from lambdaserve.facade import lazy_exports

if TYPE_CHECKING:
    from lambdaserve.emulator.sandbox.container import ContainerImage, require_container_support
    from lambdaserve.emulator.sandbox.cpu import CpuLimit, host_cpus

_EXPORTS = {
    "ContainerImage": "lambdaserve.emulator.sandbox.container",
    "CpuLimit": "lambdaserve.emulator.sandbox.cpu",
    "host_cpus": "lambdaserve.emulator.sandbox.cpu",
    "require_container_support": "lambdaserve.emulator.sandbox.container",
}
__all__ = ["ContainerImage", "CpuLimit", "host_cpus", "require_container_support"]
__getattr__ = lazy_exports(__name__, _EXPORTS)
