"""Fixtures shared across test areas, and the LAMBDASERVE_REQUIRE_ALL=1 rule: no test skips in CI."""

from __future__ import annotations

import os
import subprocess
import time
import urllib.request
from collections.abc import Generator, Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import settings

from lambdaserve.errors import BuildError
from lambdaserve.package.deps.interpreters import Interpreter, find_interpreter
from tests.helpers import PLATFORM_SKIP, REQUIRE_ALL, require, require_tool, stop_process
from tests.package.conftest import BASE_LAYOUT, BASE_TAG, TRIXIE_LAYOUT, LocalRegistry, free_port, push_base

# Every hypothesis test is derandomized: the same examples on every run and machine, so a red
# run is a regression, not a dice roll. Examples that once failed are pinned with @example.
# HYPOTHESIS_PROFILE=explore searches afresh (random, remembered in .hypothesis/) to find new ones.
settings.register_profile("derandomized", derandomize=True, database=None, print_blob=True)
settings.register_profile("explore", derandomize=False)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "derandomized"))

# More than the distinct dependency layers one run makes (a source and a sourceless layer per
# stack: 20 distinct in a run without the image and text modules, 2026-12-07), each at most a
# few hundred MB, under the basetemp.
SESSION_KEEP_LAYERS = 64
# The product's setting (lambdaserve.package.deps.layer.KEEP_LAYERS_ENV), named as a user sets it:
# importing layer.py here cost every pytest process ~0.5 CPU-s. tests/test_user_cache.py checks it.
KEEP_LAYERS_ENV = "LAMBDASERVE_KEEP_LAYERS"


@pytest.fixture(scope="session", autouse=True)
def session_user_cache(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """The per-user cache (dependency layers shared by projects) of this test session, as one
    user's across their projects: layers are content-addressed (pins, Python, architecture,
    layer format), so a build reuses what an earlier test made, and concurrent builds wait on
    the layer's lock (layer_lock). Under the session's basetemp, which pytest makes afresh each
    run: nothing an older version of our code built answers for this one, and builds never read
    or fill the real ~/.cache/lambdaserve. Both xdist workers share the controller's basetemp.
    Set for the whole session (os.environ), so module fixtures and CLI subprocesses use it too;
    a test that asserts a cold build takes ``fresh_user_cache``.
    It keeps every layer the session makes (SESSION_KEEP_LAYERS): with the default eight, the
    ~20 stacks of a run evicted each other and were built again."""
    root = tmp_path_factory.getbasetemp()
    if os.environ.get("PYTEST_XDIST_WORKER"):
        root = root.parent  # xdist gives each worker <controller's basetemp>/<worker id>
    cache = root / "user-cache"
    cache.mkdir(exist_ok=True)
    chosen = {"LAMBDASERVE_CACHE_DIR": str(cache), KEEP_LAYERS_ENV: str(SESSION_KEEP_LAYERS)}
    before = {name: os.environ.get(name) for name in chosen}
    os.environ.update(chosen)
    yield cache
    for name, value in before.items():
        if value is None:
            os.environ.pop(name, None)
        else:
            os.environ[name] = value


@pytest.fixture
def fresh_user_cache(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A per-user cache of this test's own, empty, as a new user's: for tests that assert a
    layer is built (pip runs, log lines, dependencies_cached false), its eviction, locks or
    leftovers. In the session's shared cache another test may have made the layer already,
    or (with a user's retention) evicted it between two builds."""
    cache = tmp_path_factory.mktemp("user-cache")
    monkeypatch.setenv("LAMBDASERVE_CACHE_DIR", str(cache))
    monkeypatch.delenv(KEEP_LAYERS_ENV, raising=False)  # a new user's default retention
    return cache


@pytest.fixture(scope="session")
def py312() -> Interpreter:
    """A Python 3.12 interpreter, the default target runtime's (pyenv has one here)."""
    try:
        return find_interpreter("3.12")
    except BuildError as exc:
        require(False, f"needs a Python 3.12 interpreter: {exc.hint}")
        raise


# The image tests' local registry and Debian base images, here rather than in tests/package's
# conftest: a fixture imported into a second conftest (tests/serving's) is a second fixture, so
# each xdist worker started a second registry and pushed the bases again for the serving modules.
@pytest.fixture(scope="session")
def registry(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalRegistry]:
    binary = require_tool("docker-registry")
    root = tmp_path_factory.mktemp("registry")
    host = f"127.0.0.1:{free_port()}"
    (root / "config.yml").write_text(
        "version: 0.1\nlog:\n  level: error\n  accesslog:\n    disabled: true\n"
        f"storage:\n  filesystem:\n    rootdirectory: {root / 'data'}\n  delete:\n    enabled: true\n"
        f"http:\n  addr: {host}\n")
    log = open(root / "registry.log", "wb")  # noqa: SIM115 (closed in finally)
    proc = subprocess.Popen([binary, "serve", str(root / "config.yml")], stdout=log, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                with urllib.request.urlopen(f"http://{host}/v2/", timeout=2) as resp:
                    if resp.status == 200:
                        break
            except OSError:
                if proc.poll() is not None or time.monotonic() > deadline:
                    pytest.fail("docker-registry did not start: " + (root / "registry.log").read_text())
                time.sleep(0.1)
        yield LocalRegistry(host, root)
    finally:
        stop_process(proc, timeout=10)
        log.close()


@pytest.fixture(scope="session")
def base_image(registry: LocalRegistry) -> str:
    """``127.0.0.1:<port>/base/debian-python:bookworm`` (python 3.11) in the session's registry."""
    return push_base(registry, BASE_LAYOUT, BASE_TAG)


@pytest.fixture(scope="session")
def trixie_base_image(registry: LocalRegistry) -> str:
    """``127.0.0.1:<port>/base/debian-python:trixie`` (python 3.13) in the session's registry."""
    return push_base(registry, TRIXIE_LAYOUT, "trixie")


def _skip_reason(report: Any) -> str:
    longrepr = report.longrepr
    reason = str(longrepr[2]) if isinstance(longrepr, tuple) and len(longrepr) == 3 else str(longrepr)
    return reason.removeprefix("Skipped: ")


def _fail_the_skip(report: Any) -> None:
    """A skip under LAMBDASERVE_REQUIRE_ALL=1 hides a missing tool or module: make it a failure."""
    if not (REQUIRE_ALL and report.skipped) or hasattr(report, "wasxfail"):
        return  # an xfail is reported as skipped, but it ran
    reason = _skip_reason(report)
    if reason.startswith(PLATFORM_SKIP):
        return
    report.outcome = "failed"
    report.longrepr = (f"skipped under LAMBDASERVE_REQUIRE_ALL=1, where nothing may skip: {reason}\n"
                       "Install what it needs (scripts/setup.sh), or use tests.helpers.skip_on_platform "
                       "if it cannot run on this platform.")


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Generator[None, Any, Any]:
    report = yield
    _fail_the_skip(report)
    return report


@pytest.hookimpl(wrapper=True)
def pytest_make_collect_report(collector: pytest.Collector) -> Generator[None, Any, Any]:
    report = yield  # a module-level skip (importorskip at the top of a file) skips at collection
    _fail_the_skip(report)
    return report


# Scheduling only, never correctness (tests pass in any order): CI runs `--dist loadfile
# --no-loadscope-reorder`, so xdist hands whole modules to the workers in collection order. The
# modules that take longest are collected first, longest first, so none of them starts last and
# leaves one worker running alone at the end; the short ones fill in behind them. Ranked by each
# module's wall time (setup, call and teardown, so waits on servers and tools count as well as CPU)
# in a full `-n 2 --dist loadfile` run, 2026-12-07: the 40 modules here are ~87% of it. Until then
# the list held 23 and test_model_matrix.py and test_require_all.py, both long, ran last. A stale
# list costs time, not results.
LONGEST_FIRST = (
    "tests/serving/test_iris_e2e.py",
    "tests/convert/test_convert_text.py",
    "tests/cloud/test_template_validate.py",
    "tests/package/test_dockerfile.py",
    "tests/convert/test_convert.py",
    "tests/cli/test_init_xgboost_table.py",
    "tests/cli/test_build_proof.py",
    "tests/package/test_zip_artifact.py",
    "tests/cli/test_build_libraries.py",
    "tests/runtime/test_loaders_examples.py",
    "tests/test_model_matrix.py",
    "tests/reliability/test_fuzz_fronts.py",
    "tests/cli/test_deploy_local_canary.py",
    "tests/cli/test_try_it_page.py",
    "tests/cli/test_init_invoke_frameworks.py",
    "tests/serving/test_container_sandbox.py",
    "tests/cloud/test_local_cloud.py",
    "tests/cloud/test_cli_cloud.py",
    "tests/cli/test_serve_fronts.py",
    "tests/tune/test_tune_run.py",
    "tests/serving/test_build_image_proof.py",
    "tests/runtime/test_fuzz.py",
    "tests/cli/test_init_build_needs.py",
    "tests/test_require_all.py",
    "tests/reliability/test_corpus.py",
    "tests/cloud/test_s3_model_deploy.py",
    "tests/test_layers.py",
    "tests/package/test_image_push.py",
    "tests/test_collection.py",
    "tests/package/test_zip_lock.py",
    "tests/runtime/test_loaders.py",
    "tests/package/test_zip_trim_reuse.py",
    "tests/serving/test_serve_zip.py",
    "tests/cli/test_try_it_table.py",
    "tests/convert/test_convert_build.py",
    "tests/cli/test_build_trim_in_proof.py",
    "tests/cli/test_init_table.py",
    "tests/package/test_zip_sourceless.py",
    "tests/convert/test_convert_labels.py",
    "tests/cli/test_build_golden_sources.py",
)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    rank = {path: i for i, path in enumerate(LONGEST_FIRST)}
    items.sort(key=lambda item: rank.get(item.nodeid.split("::", 1)[0], len(rank)))  # stable
