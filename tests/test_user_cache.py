"""The per-user cache the tests build in (tests/conftest.py): one per session, an empty one on request."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from lambdaserve.package.deps import layer
from lambdaserve.package.deps.layer import KEEP_LAYERS, keep_layers, shared_cache
from tests import conftest


@pytest.fixture(scope="module")
def cache_seen_by_a_module_fixture() -> str | None:
    """What a module-scoped fixture's build (a served project, a built zip) reads."""
    return os.environ.get("LAMBDASERVE_CACHE_DIR")


def test_every_build_of_the_session_uses_one_cache_under_its_basetemp(
        cache_seen_by_a_module_fixture: str | None, session_user_cache: Path,
        tmp_path_factory: pytest.TempPathFactory) -> None:
    # Module fixtures too: never the real ~/.cache/lambdaserve, always the layers this run made.
    assert cache_seen_by_a_module_fixture == str(session_user_cache) == str(shared_cache())
    # Under the basetemp pytest makes afresh each run, so no older run's layer answers for this
    # one; the controller's, not an xdist worker's, so both workers share the layers.
    basetemp = tmp_path_factory.getbasetemp()
    controller = basetemp.parent if os.environ.get("PYTEST_XDIST_WORKER") else basetemp
    assert session_user_cache.parent == controller
    assert not any(part.startswith("popen-gw") for part in session_user_cache.parts)


def test_a_test_asserting_a_cold_build_gets_an_empty_cache_of_its_own(fresh_user_cache: Path,
                                                                       session_user_cache: Path) -> None:
    assert shared_cache() == fresh_user_cache != session_user_cache
    assert list(fresh_user_cache.iterdir()) == []


def test_the_session_keeps_every_layer_it_makes_and_a_fresh_cache_a_new_users_default(
        session_user_cache: Path, request: pytest.FixtureRequest) -> None:
    # The session's shared cache evicts nothing, so no stack is built twice in one run, whatever
    # the order; a test asserting eviction gets a fresh cache, which keeps the product's default.
    assert conftest.KEEP_LAYERS_ENV == layer.KEEP_LAYERS_ENV
    assert keep_layers() > 2 * 20 > KEEP_LAYERS  # a source and a sourceless layer for ~20 stacks
    request.getfixturevalue("fresh_user_cache")
    assert keep_layers() == KEEP_LAYERS
