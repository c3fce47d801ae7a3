"""Ship the shared libraries a layer needs that Lambda's OS lacks (LightGBM's libgomp.so.1).

lib_lightgbm.so links the system's OpenMP runtime, which Amazon Linux's Lambda base does not
have. Wheels built with auditwheel vendor a copy of it (``scikit_learn.libs/libgomp-<hash>.so.1.0.0``),
built on manylinux for the wheel's architecture and glibc; we copy that file to ``lib/libgomp.so.1``,
and /var/task/lib is on Lambda's LD_LIBRARY_PATH. The copy comes from the layer itself when its
scikit-learn wheel vendors it, else from a pinned scikit-learn wheel
installed alone (no dependencies) by the layer's own installer for the same Python,
architecture and glibc. Its provenance (wheel, version, file, sha256, licence) goes into the
layer's record and from there into build.json.

Licence: libgomp is GCC's runtime library, GPL-3.0-or-later WITH GCC-exception-3.1, which lets
programs use it under their own terms; the provider wheel's COPYING, which names the bundled
library and carries the exception's text, ships beside it (``lib/libgomp.so.1.COPYING``).
"""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from lambdaserve.config.requirements import installed_version
from lambdaserve.errors import BuildError
from lambdaserve.runtime.digest import file_sha256
from lambdaserve.runtime.system_libraries import missing_libraries

# Installs requirements (exact pins, no dependencies) for the layer's target into a folder.
Installer = Callable[[Sequence[str], Path], None]
LIB_DIR = "lib"  # /var/task/lib: on Lambda's LD_LIBRARY_PATH


@dataclass(frozen=True)
class Provider:
    """Where a library ships from: a wheel folder that vendors it."""

    distribution: str  # a wheel that vendors it under ``folder``
    pin: str  # the exact release installed when the layer holds no copy
    folder: str  # auditwheel's folder in that wheel
    prefix: str  # the vendored file's name starts with it (auditwheel adds a hash)
    licence: str
    notice: str  # in its .dist-info: the file that names the bundled library and its licence


# scikit-learn 1.7.2 ships manylinux_2_17 wheels for cp310-cp314 on x86_64 and aarch64, so its
# libgomp (needs glibc 2.17) loads on Amazon Linux 2 (2.26) and 2023 (2.34) alike.
PROVIDERS: dict[str, Provider] = {
    "libgomp.so.1": Provider("scikit-learn", "scikit-learn==1.7.2", "scikit_learn.libs", "libgomp-",
                             "GPL-3.0-or-later WITH GCC-exception-3.1", "licenses/COPYING"),
}


def supply_libraries(root: Path, install: Installer) -> list[dict[str, Any]]:
    """Copy into ``root/lib`` each library ``root`` needs that Lambda's OS lacks and we know a
    provider of; return their provenance records (empty when nothing was needed)."""
    shipped = []
    for name in sorted(missing_libraries(root)):
        if name in PROVIDERS:
            shipped.append(_supply(root, name, PROVIDERS[name], install))
    return shipped


def supplied_files(root: Path) -> list[Path]:
    """The files ``supply_libraries`` put in ``root/lib`` (libraries and their notices): what an
    export that installs the wheels itself (the Dockerfile) must still copy in."""
    folder = root / LIB_DIR
    if not folder.is_dir():
        return []
    return sorted(p for p in folder.iterdir()
                  if p.is_file() and p.name.removesuffix(".COPYING") in PROVIDERS)


def _supply(root: Path, name: str, provider: Provider, install: Installer) -> dict[str, Any]:
    found = _vendored(root, provider)
    if found is not None:
        return _ship(root, name, provider, found, root, "from a wheel of this layer")
    with tempfile.TemporaryDirectory(prefix="lambdaserve-lib-") as scratch:
        install([provider.pin], Path(scratch))
        found = _vendored(Path(scratch), provider)
        if found is None:
            raise BuildError(f"{provider.pin} installed for this target carries no {name}",
                             hint=f"Use function.package = \"image\" with {name} installed.")
        return _ship(root, name, provider, found, Path(scratch), f"installed alone ({provider.pin})")


def _vendored(site: Path, provider: Provider) -> Path | None:
    folder = site / provider.folder
    if not folder.is_dir():
        return None
    return next((p for p in sorted(folder.iterdir())
                 if p.name.startswith(provider.prefix) and ".so" in p.name and p.is_file()), None)


def _ship(root: Path, name: str, provider: Provider, source: Path, site: Path, how: str) -> dict[str, Any]:
    target = root / LIB_DIR / name
    target.parent.mkdir(exist_ok=True)
    shutil.copyfile(source, target)  # a copy: never stripped nor renamed inside, as auditwheel made it
    version = installed_version(provider.distribution, [str(site)]) or ""
    record: dict[str, Any] = {
        "name": name, "path": f"{LIB_DIR}/{name}",
        "sha256": file_sha256(target),
        "source": f"{provider.distribution} {version}: {provider.folder}/{source.name}",
        "how": how, "licence": provider.licence}
    stem = provider.distribution.replace("-", "_")
    notice = next(iter(sorted(site.glob(f"{stem}-*.dist-info/{provider.notice}"))), None)
    if notice is not None and notice.is_file():
        shutil.copyfile(notice, target.with_name(name + ".COPYING"))
        record["notice"] = f"{LIB_DIR}/{name}.COPYING"
    return record
