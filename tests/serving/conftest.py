"""Running what was built reuses the build tests' local registry and Debian base images."""

from tests.package.conftest import base_image, registry, trixie_base_image  # noqa: F401 (pytest fixtures)
