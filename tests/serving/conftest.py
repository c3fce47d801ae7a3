"""Running what was built reuses the build tests' local registry and Debian base image."""

from tests.build.conftest import base_image, registry  # noqa: F401 (pytest fixtures)
