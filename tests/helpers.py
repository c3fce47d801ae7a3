"""Shared test helpers."""

from __future__ import annotations

import os
import shutil

import pytest

REQUIRE_ALL = os.environ.get("LAMBDASERVE_REQUIRE_ALL") == "1"


def require_tool(name: str) -> str:
    """The tool's path; skip if it is missing, or fail under LAMBDASERVE_REQUIRE_ALL=1 (CI)."""
    path = shutil.which(name)
    if path is None:
        message = f"{name} is not installed"
        if REQUIRE_ALL:
            pytest.fail(message + " (LAMBDASERVE_REQUIRE_ALL=1)")
        pytest.skip(message)
    return path


def require(condition: bool, why: str) -> None:
    """Skip (or fail under LAMBDASERVE_REQUIRE_ALL=1) unless ``condition`` holds."""
    if not condition:
        if REQUIRE_ALL:
            pytest.fail(why + " (LAMBDASERVE_REQUIRE_ALL=1)")
        pytest.skip(why)
