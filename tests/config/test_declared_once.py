"""Each lambdaserve.toml field is declared once, on its config dataclass; schema and load follow it."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from lambdaserve.config import parse_config
from lambdaserve.config.model import SECTION_CLASSES
from lambdaserve.config.schema import BY_NAME, PYTHONS, TRAFFIC_SHIFTS


@pytest.mark.parametrize("section", sorted(SECTION_CLASSES))
def test_every_dataclass_field_is_a_toml_key(section: str) -> None:
    for f in dataclasses.fields(SECTION_CLASSES[section]):
        assert f"{section}.{f.name}" in BY_NAME, f"{section}.{f.name} is not declared with setting()"


def test_literal_annotations_are_the_choices() -> None:
    assert BY_NAME["function.python"].choices == PYTHONS == ("3.11", "3.12", "3.13", "3.14")
    assert BY_NAME["deploy.traffic_shift"].choices == TRAFFIC_SHIFTS
    assert "Canary10Percent5Minutes" in TRAFFIC_SHIFTS and TRAFFIC_SHIFTS[0] == ""
    assert BY_NAME["function.requirements"].kind is list and BY_NAME["function.requirements"].default == []


def test_a_value_in_the_file_reaches_its_dataclass(tmp_path: Path) -> None:
    (tmp_path / "model.onnx").write_bytes(b"\x08\x07")
    raw = {"name": "demo", "model": {"path": "model.onnx", "framework": "onnx"},
           "function": {"memory": 2048, "requirements": ["onnxruntime==1.20.0"]},
           "api": {"cors_origins": ["https://example.com"]},
           "deploy": {"traffic_shift": "Linear10PercentEvery1Minute", "alarm_p99_ms": 800},
           "build": {"trim_unimported": False}}
    config = parse_config(raw, tmp_path / "lambdaserve.toml")
    assert config.function.memory == 2048
    assert config.function.requirements == ("onnxruntime==1.20.0",)
    assert config.api.cors_origins == ("https://example.com",)
    assert (config.deploy.traffic_shift, config.deploy.alarm_p99_ms) == ("Linear10PercentEvery1Minute", 800)
    assert config.build.trim_unimported is False
    assert config.model.predictor is None and config.model.path == (tmp_path / "model.onnx").resolve()
