"""Config values AWS refuses only at deploy time are refused at load (exit 3), naming the rule."""

from __future__ import annotations

from pathlib import Path

import pytest

from lambdaserve.config import load_config
from lambdaserve.errors import ConfigError


@pytest.fixture()
def project(tmp_path: Path) -> Path:
    (tmp_path / "model.onnx").write_bytes(b"not really onnx; detection goes by suffix")
    return tmp_path


def load(project: Path, extra: str):
    path = project / "lambdaserve.toml"
    path.write_text('name = "iris"\n[model]\npath = "model.onnx"\n' + extra, encoding="utf-8")
    return load_config(path)


# EventBridge's own rules: the unit is singular for 1 and plural otherwise; cron has six fields
# and exactly one of day-of-month / day-of-week is '?'.
@pytest.mark.parametrize("schedule", [
    "rate(1 minutes)", "rate(5 minute)", "rate(0 minutes)", "rate(1 hours)", "rate(2 day)",
    "rate(5 seconds)", "rate(five minutes)", "rate(5minutes)",
    "cron(0/5 * * * *)",  # five fields: a crontab line, not EventBridge's
    "cron(0 12 * * * *)",  # both day fields set: EventBridge needs '?' in one
    "cron(0 12 ? * ? *)",  # both '?'
    "cron(61 12 * * ? *)", "cron(0 24 * * ? *)", "cron(0 12 32 * ? *)", "cron(0 12 * 13 ? *)",
    "cron(0 12 * * ? 1969)", "cron(a b c d e f)", "cron()",
])
def test_keep_warm_schedules_eventbridge_refuses_fail_at_load(project: Path, schedule: str) -> None:
    with pytest.raises(ConfigError, match="function.keep_warm") as info:
        load(project, f'[function]\nkeep_warm = "{schedule}"\n')
    assert "rate(5 minutes)" in info.value.hint


@pytest.mark.parametrize("schedule", [
    "rate(1 minute)", "rate(5 minutes)", "rate(1 hour)", "rate(12 hours)", "rate(1 day)", "rate(7 days)",
    "cron(0/5 * * * ? *)", "cron(0 12 * * ? *)", "cron(15 10 ? * MON-FRI *)", "cron(0 8 1 * ? *)",
    "cron(0 18 ? * 6L 2027)", "cron(0 9 ? JAN,JUL 2#1 *)", "cron(0 0 L * ? *)", "cron(0 0 15W * ? *)",
])
def test_keep_warm_schedules_eventbridge_accepts_load(project: Path, schedule: str) -> None:
    assert load(project, f'[function]\nkeep_warm = "{schedule}"\n').function.keep_warm == schedule


def test_reserved_concurrency_below_provisioned_fails_at_load(project: Path) -> None:
    with pytest.raises(ConfigError, match="reserved_concurrency = 2.*provisioned_concurrency = 5"):
        load(project, "[function]\nreserved_concurrency = 2\nprovisioned_concurrency = 5\n")
    # equal is allowed, and 0 means unreserved (any provisioned amount)
    assert load(project, "[function]\nreserved_concurrency = 5\nprovisioned_concurrency = 5\n")
    assert load(project, "[function]\nprovisioned_concurrency = 5\n").function.reserved_concurrency == 0


@pytest.mark.parametrize("path", [
    "/predict/", "/health/", "/metadata/", "/a//b", "//", "/a/", "/openapi.json/", "/a/./b", "/a/../b",
])
def test_api_paths_with_empty_or_dot_segments_or_builtin_routes_fail(project: Path, path: str) -> None:
    with pytest.raises(ConfigError, match="api.path"):
        load(project, f'[api]\npath = "{path}"\n')


@pytest.mark.parametrize("path", ["/docs", "/", "/docs/x"])
def test_api_path_cannot_take_the_try_it_pages_routes(project: Path, path: str) -> None:
    with pytest.raises(ConfigError, match="api.path"):
        load(project, f'[api]\npath = "{path}"\ndocs = true\n')


@pytest.mark.parametrize("path", ["/predict", "/v1/models/iris/infer", "/model_x-inference.v2"])
def test_ordinary_api_paths_load(project: Path, path: str) -> None:
    assert load(project, f'[api]\npath = "{path}"\n').api.path == path
