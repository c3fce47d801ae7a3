"""The doctor warns as the function's Lambda runtime nears (or passes) its deprecation date."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from lambdaserve.config.runtimes import DEPRECATION
from lambdaserve.doctor import Severity
from lambdaserve.doctor.checks import runtime_deprecation
from lambdaserve.doctor.registry import CHECKS
from tests.doctor.support import context, only, project


def _on(python: str, root: Path) -> Path:
    project(root)
    toml = root / "lambdaserve.toml"
    toml.write_text(toml.read_text().replace('python = "3.12"', f'python = "{python}"'))
    return root


def _at(day: str) -> float:
    return datetime.fromisoformat(day).replace(tzinfo=UTC).timestamp()


def test_a_runtime_months_from_deprecation_warns_and_names_a_newer_one(tmp_path: Path) -> None:
    root = _on("3.11", tmp_path)
    near = only(runtime_deprecation.CHECK, context(root, now=_at("2026-03-01")))
    assert near.severity is Severity.WARNING
    assert "python3.11 is deprecated on 2026-06-30, in 121 days" in near.message
    assert 'function.python = "3.14"' in near.hint
    past = only(runtime_deprecation.CHECK, context(root, now=_at("2026-12-07")))
    assert past.severity is Severity.WARNING and "was deprecated on 2026-06-30" in past.message
    far = only(runtime_deprecation.CHECK, context(root, now=_at("2025-01-01")))
    assert far.severity is Severity.OK


def test_the_table_is_overridable_and_an_unconfirmed_date_is_said_so(tmp_path: Path) -> None:
    root = _on("3.14", tmp_path)
    assert DEPRECATION["python3.14"] is None  # sources disagree: see config/runtimes.py
    unknown = only(runtime_deprecation.CHECK, context(root, now=_at("2029-12-01")))
    assert unknown.severity is Severity.OK and "no confirmed deprecation date" in unknown.message
    moved = {"LAMBDASERVE_RUNTIME_DEPRECATIONS": "python3.14=2030-01-31"}
    soon = only(runtime_deprecation.CHECK, context(root, now=_at("2029-12-01"), environ=moved))
    assert soon.severity is Severity.WARNING and "in 61 days" in soon.message
    bad = only(runtime_deprecation.CHECK, context(root, environ={"LAMBDASERVE_RUNTIME_DEPRECATIONS": "3.14"}))
    assert bad.severity is Severity.WARNING and "runtime=YYYY-MM-DD" in bad.message


def test_the_check_is_registered_and_skips_images(tmp_path: Path) -> None:
    assert runtime_deprecation.CHECK in CHECKS
    root = project(tmp_path, package="image")
    assert only(runtime_deprecation.CHECK, context(root)).severity is Severity.SKIPPED
