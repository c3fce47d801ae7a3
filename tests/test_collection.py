"""Every tests/<area>/ is collected: pytest's default norecursedirs once hid tests/package for good."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

# A plugin that lists each file pytest's directory walk offers for collection. With pytest's
# python plugin off (-p no:python) no test module is imported: the walk is what is checked,
# in seconds rather than the minute a full --collect-only of the suite takes.
PROBE = '''
import os


def pytest_collect_file(file_path, parent):
    with open(os.environ["COLLECTED_FILES"], "a", encoding="utf-8") as out:
        out.write(str(file_path) + "\\n")
'''


def test_pytest_collects_every_test_file_under_tests(tmp_path: Path) -> None:
    on_disk = {p.relative_to(ROOT).as_posix() for p in (ROOT / "tests").rglob("test_*.py")}
    areas = {p.split("/")[1] for p in on_disk if p.count("/") > 1}
    assert areas >= {"package", "emulator", "cloud", "runtime"}
    (tmp_path / "collected_files_probe.py").write_text(textwrap.dedent(PROBE))
    listed = tmp_path / "collected.txt"
    env = {**os.environ, "COLLECTED_FILES": str(listed),
           "PYTHONPATH": os.pathsep.join(filter(None, [str(tmp_path), os.environ.get("PYTHONPATH")]))}
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "--collect-only", "-q", "-p", "no:cacheprovider", "-p", "no:python",
         "-p", "collected_files_probe", f"--basetemp={tmp_path / 'bt'}"],
        cwd=ROOT, capture_output=True, text=True, timeout=300, env=env)
    assert result.returncode in (0, 5), result.stdout[-3000:] + result.stderr[-3000:]  # 5: no tests
    collected = {Path(line).relative_to(ROOT).as_posix() for line in listed.read_text().splitlines()}
    missing = sorted(on_disk - collected)
    assert not missing, f"never collected: {missing}"
    assert "tests/test_collection.py" in collected  # the probe saw the walk, not an empty list


def test_the_longest_first_schedule_names_test_modules_that_exist() -> None:
    # A renamed module would silently drop out of the schedule (tests/conftest.py) and could start last.
    from tests.conftest import LONGEST_FIRST

    missing = [path for path in LONGEST_FIRST if not (ROOT / path).is_file()]
    assert not missing and len(set(LONGEST_FIRST)) == len(LONGEST_FIRST), missing
