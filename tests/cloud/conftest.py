"""Fixtures shared by the cloud tests."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.cloud.ministack import MinistackDeploy, ministack_deploy


@pytest.fixture
def ministack(tmp_path: Path) -> Iterator[MinistackDeploy]:
    """A ministack for this test (stopped after it) and a Deployer against it."""
    with ministack_deploy(tmp_path) as deploying:
        yield deploying
