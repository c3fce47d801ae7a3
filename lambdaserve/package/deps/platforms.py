"""Which wheels Lambda's operating system can load, per Python runtime and architecture.

python3.12+ runs on Amazon Linux 2023 (glibc 2.34); python3.11 on Amazon Linux 2
(glibc 2.26), where manylinux_2_28 wheels (recent numpy, onnxruntime, torch) fail to load.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from email.parser import HeaderParser
from pathlib import Path

from packaging.tags import parse_tag

from lambdaserve.errors import BuildError

# glibc (major, minor) of the OS under each Lambda Python runtime.
RUNTIME_GLIBC: dict[str, tuple[int, int]] = {"3.11": (2, 26), "3.12": (2, 34), "3.13": (2, 34),
                                              "3.14": (2, 34)}
RUNTIME_OS: dict[str, str] = {"3.11": "Amazon Linux 2", "3.12": "Amazon Linux 2023",
                              "3.13": "Amazon Linux 2023", "3.14": "Amazon Linux 2023"}
# config's architecture names to the machine names in wheel tags.
MACHINE: dict[str, str] = {"x86_64": "x86_64", "arm64": "aarch64"}

_GLIBC_TAG = re.compile(r"manylinux_(\d+)_(\d+)_")
_LEGACY = {"manylinux1": (2, 5), "manylinux2010": (2, 12), "manylinux2014": (2, 17)}


def platform_tags(python: str, architecture: str, glibc: tuple[int, int] | None = None) -> list[str]:
    """The --platform tags for pip: manylinux2014 plus manylinux_2_17 … the runtime's glibc (or
    ``glibc``: an image's base that is not Lambda's has its own)."""
    if python not in RUNTIME_GLIBC or architecture not in MACHINE:
        raise BuildError(f"Lambda has no python{python} runtime on {architecture}",
                         hint=f"Use python {' | '.join(sorted(RUNTIME_GLIBC))} on x86_64 or arm64, "
                              "and rebuild the artifact.")
    machine = MACHINE[architecture]
    _, top = glibc or RUNTIME_GLIBC[python]
    return [f"manylinux2014_{machine}"] + [f"manylinux_2_{minor}_{machine}" for minor in range(17, top + 1)]


def tag_glibc(platform: str) -> tuple[int, int] | None:
    """The glibc a wheel's platform tag needs, or None for pure and non-Linux tags."""
    match = _GLIBC_TAG.match(platform + "_")
    if match:
        return int(match.group(1)), int(match.group(2))
    for legacy, glibc in _LEGACY.items():
        if platform.startswith(legacy + "_"):
            return glibc
    return None


@dataclass(frozen=True)
class InstalledWheel:
    name: str
    version: str
    glibc: tuple[int, int] | None  # the lowest glibc any of its tags accepts
    platforms: tuple[str, ...] = ()  # the platform of each tag in its WHEEL file


def installed_wheels(target: Path) -> list[InstalledWheel]:
    """What pip installed into ``target``: names from each *.dist-info folder, tags from its WHEEL
    file (read as the email-style headers it is; tags, compressed sets included, by packaging)."""
    found = []
    for info in sorted(target.glob("*.dist-info")):
        name, _, version = info.name[: -len(".dist-info")].partition("-")
        wheel = info / "WHEEL"
        headers = HeaderParser().parsestr(wheel.read_text(encoding="utf-8", errors="replace")) \
            if wheel.is_file() else None
        platforms = tuple(tag.platform for value in (headers.get_all("Tag", []) if headers else [])
                          for tag in sorted(parse_tag(value.strip()), key=str))
        needs = [g for g in map(tag_glibc, platforms) if g is not None]
        found.append(InstalledWheel(name=name, version=version, glibc=min(needs) if needs else None,
                                    platforms=platforms))
    return found


def glibc_warnings(wheels: list[InstalledWheel], python: str,
                   glibc: tuple[int, int] | None = None) -> list[str]:
    """One warning per wheel whose glibc is newer than the runtime's OS (or ``glibc``) provides."""
    have = glibc or RUNTIME_GLIBC[python]
    warnings = []
    for wheel in wheels:
        if wheel.glibc is not None and wheel.glibc > have:
            warnings.append(
                f"{wheel.name} {wheel.version} needs glibc {wheel.glibc[0]}.{wheel.glibc[1]} "
                f"(manylinux_{wheel.glibc[0]}_{wheel.glibc[1]}), but python{python} runs on "
                f"{RUNTIME_OS[python]} (glibc {have[0]}.{have[1]}), which cannot load it; "
                "use function.python = \"3.12\"")
    return warnings


@dataclass(frozen=True)
class TorchBuild:
    line: str  # what build says went in
    warnings: tuple[str, ...] = ()


def torch_build(wheels: list[InstalledWheel]) -> TorchBuild | None:
    """Which torch build was installed, if any: Lambda has no GPU, and a CUDA build (PyPI's Linux
    torch pulls NVIDIA's libraries; the PyTorch index's +cuXXX bundles them) is gigabytes it
    never uses."""
    torch = next((w for w in wheels if w.name.lower() == "torch"), None)
    if torch is None:
        return None
    nvidia = sorted(w.name for w in wheels if w.name.lower().replace("_", "-").startswith("nvidia-"))
    label = torch.version.partition("+")[2]
    if nvidia or label.startswith(("cu", "rocm")):
        with_libs = f" with {', '.join(nvidia[:3])}{' ...' if len(nvidia) > 3 else ''}" if nvidia else ""
        return TorchBuild(f"torch {torch.version}: a GPU build{with_libs}", (
            f"torch {torch.version} is a GPU build{with_libs}: Lambda has no GPU, and these libraries "
            "are gigabytes; pin the CPU build (PyTorch's CPU index or a local torch-X+cpu wheel in "
            "pip's find-links)",))
    return TorchBuild(f"torch {torch.version}: the CPU build (no CUDA libraries)")
