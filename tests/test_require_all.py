"""Under LAMBDASERVE_REQUIRE_ALL=1 every skip fails, except a platform skip.

pytest runs in a subprocess on tiny test files, with tests/conftest.py loaded as a plugin
(``-p tests.conftest``), once with the variable and once without, and the JUnit XML says
what each test became.
"""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]

CASES = '''
import pytest

from tests.helpers import require_module, require_tool, skip_on_platform


def test_passes():
    pass


def test_plain_skip():
    pytest.skip("not today")


def test_importorskip():
    pytest.importorskip("no_such_module_for_lambdaserve")


def test_require_module():
    require_module("no_such_module_for_lambdaserve")


def test_require_tool():
    require_tool("no-such-tool-for-lambdaserve")


@pytest.mark.skipif(True, reason="a marker")
def test_skipif_marker():
    pass


def test_platform_skip():
    skip_on_platform("needs macOS")


@pytest.mark.skipif(True, reason="platform: needs arm64")
def test_platform_marker():
    pass


@pytest.mark.xfail(reason="a known bug", strict=True)
def test_xfail():
    raise AssertionError
'''

MODULE_SKIP = '''
import pytest

pytest.importorskip("no_such_module_for_lambdaserve")


def test_never_collected():
    pass
'''

# tests.helpers.require_installed, the import-free module-level check
MODULE_NOT_INSTALLED = '''
from tests.helpers import require_installed

require_installed("pytest", "no_such_module_for_lambdaserve")


def test_never_collected_either():
    pass
'''


def _outcomes(tmp_path: Path, require_all: bool, *extra: str) -> dict[str, str]:
    (tmp_path / "test_cases.py").write_text(textwrap.dedent(CASES))
    (tmp_path / "test_module_skip.py").write_text(textwrap.dedent(MODULE_SKIP))
    (tmp_path / "test_module_not_installed.py").write_text(textwrap.dedent(MODULE_NOT_INSTALLED))
    (tmp_path / "pytest.ini").write_text("[pytest]\n")  # not the project's settings
    xml = tmp_path / "junit.xml"
    env = {k: v for k, v in os.environ.items() if k != "LAMBDASERVE_REQUIRE_ALL"}
    if require_all:
        env["LAMBDASERVE_REQUIRE_ALL"] = "1"
    subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "tests.conftest", "-p", "no:cacheprovider", "-c",
         str(tmp_path / "pytest.ini"), "--rootdir", str(tmp_path), f"--basetemp={tmp_path / 'bt'}",
         f"--junitxml={xml}", "--continue-on-collection-errors", "-q", *extra,
         str(tmp_path / "test_cases.py"), str(tmp_path / "test_module_skip.py"),
         str(tmp_path / "test_module_not_installed.py")],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=120, check=False)
    outcomes = {}
    for case in ET.parse(xml).getroot().iter("testcase"):
        children = [child.tag for child in case if child.tag in ("failure", "error", "skipped")]
        name = case.get("name") or ""
        outcomes[name or str(case.get("classname"))] = children[0] if children else "passed"
    return outcomes


def test_without_require_all_skips_stay_skips(tmp_path):
    outcomes = _outcomes(tmp_path, require_all=False)
    assert outcomes["test_passes"] == "passed"
    for name in ("test_plain_skip", "test_importorskip", "test_require_module", "test_require_tool",
                 "test_skipif_marker", "test_platform_skip", "test_platform_marker"):
        assert outcomes[name] == "skipped", name
    assert outcomes["test_xfail"] == "skipped"  # JUnit's word for an xfail
    assert "test_never_collected" not in outcomes
    assert "test_never_collected_either" not in outcomes  # require_installed skipped its module


@pytest.mark.parametrize("extra", [(), ("-n", "2")], ids=["one-process", "xdist"])
def test_under_require_all_every_skip_fails_but_platform_skips(tmp_path, extra):
    outcomes = _outcomes(tmp_path, True, *extra)  # CI runs the suite on two xdist workers
    assert outcomes["test_passes"] == "passed"
    for name in ("test_plain_skip", "test_importorskip", "test_require_module", "test_require_tool",
                 "test_skipif_marker"):
        assert outcomes[name] in ("failure", "error"), (name, outcomes[name])
    assert outcomes["test_platform_skip"] == outcomes["test_platform_marker"] == "skipped"
    assert outcomes["test_xfail"] == "skipped"  # an xfail ran: it is not a skip
    # the module-level importorskip fails its collection instead of vanishing (which, without
    # --continue-on-collection-errors, stops the whole run)
    for file in ("module_skip", "module_not_installed"):
        module = [name for name in outcomes if file in name]
        assert module and all(outcomes[name] == "error" for name in module), outcomes
