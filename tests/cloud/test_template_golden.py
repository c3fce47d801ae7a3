"""Golden templates: every config variant, plain CloudFormation and SAM export.

Regenerate after an intended change with LAMBDASERVE_UPDATE_GOLDEN=1 and review the diff.
Other template tests import ``VARIANTS`` and ``make_config`` from here.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest

from lambdaserve.cloud.cfn.render import render_sam, render_template, to_json, to_yaml
from lambdaserve.cloud.store.artifact_ref import Artifact, ImageArtifact, ZipArtifact
from lambdaserve.config import Config, parse_config

GOLDEN = Path(__file__).parent / "golden"
UPDATE = os.environ.get("LAMBDASERVE_UPDATE_GOLDEN") == "1"

ZIP = ZipArtifact(bucket="lambdaserve-artifacts-123456789012-us-east-1",
                  key="iris/" + "b" * 64 + ".zip", sha256="b" * 64)
IMAGE = ImageArtifact(repository_uri="123456789012.dkr.ecr.us-east-1.amazonaws.com/lambdaserve/iris",
                      digest="sha256:" + "a" * 64)

VARIANTS: dict[str, dict[str, Any]] = {
    "rest_zip": {},
    "http_image": {"function": {"package": "image"}, "api": {"type": "http"}},
    "api_key_throttling": {"api": {"auth": "api_key", "throttling_rate": 50, "throttling_burst": 100,
                                   "path": "/v1/predict", "cors_origins": ["https://example.com"]}},
    "iam_function_url": {"api": {"auth": "iam", "function_url": True,
                                 "cors_origins": ["https://a.example.com", "https://b.example.com"]}},
    # Lambda refuses SnapStart together with provisioned concurrency, hence two variants.
    "provisioned_http_iam": {"function": {"provisioned_concurrency": 2},
                             "api": {"type": "http", "auth": "iam", "function_url": True,
                                     "throttling_rate": 10}},
    "snapstart_py313": {"function": {"snapstart": True, "python": "3.13"}, "api": {"stage": "v1"}},
    "keep_warm_reserved_arm64": {"function": {"keep_warm": "rate(5 minutes)", "reserved_concurrency": 10,
                                              "architecture": "arm64"},
                                 "api": {"function_url": True, "cors_origins": ["*"]}},
    # CodeDeploy shifts: two types, so off -> on, on -> off and one type -> another all replay.
    "canary_rest_zip": {"deploy": {"traffic_shift": "Canary10Percent5Minutes", "alarm_p99_ms": 800}},
    "linear_http_image": {"function": {"package": "image", "provisioned_concurrency": 1},
                          "api": {"type": "http"},
                          "deploy": {"traffic_shift": "Linear10PercentEvery1Minute", "alarm_errors": 3,
                                     "alarm_5xx": 5}},
    # model.s3_uri: the role may GetObject that one object; the zip carries no model
    "s3_model_http": {"model": {"s3_uri": "s3://iris-models-123/models/iris/model.onnx",
                                "s3_kms_key": "arn:aws:kms:us-east-1:123456789012:key/"
                                              "1234abcd-12ab-34cd-56ef-1234567890ab"},
                      "api": {"type": "http"}},
}


def make_config(tmp_path: Path, extra: dict[str, Any] | None = None) -> Config:
    """A Config for a tiny model file in tmp_path; ``extra`` maps sections to overrides."""
    model = tmp_path / "model.onnx"
    if not model.exists():
        model.write_bytes(b"not really onnx; detection goes by suffix")
    raw: dict[str, Any] = {"name": "iris", "model": {"path": "model.onnx"}}
    for section, values in (extra or {}).items():
        raw.setdefault(section, {}).update(values)
    return parse_config(raw, tmp_path / "lambdaserve.toml")


def artifact_for(config: Config) -> Artifact:
    return IMAGE if config.function.package == "image" else ZIP


def rendered(tmp_path: Path, variant: str, fmt: str) -> dict[str, Any]:
    config = make_config(tmp_path, VARIANTS[variant])
    render = render_sam if fmt == "sam" else render_template
    return render(config, artifact_for(config))


@pytest.mark.parametrize("fmt", ["cfn", "sam"])
@pytest.mark.parametrize("variant", sorted(VARIANTS))
def test_template_matches_golden_file(tmp_path: Path, variant: str, fmt: str) -> None:
    text = to_yaml(rendered(tmp_path, variant, fmt))
    golden = GOLDEN / f"{variant}.{fmt}.yaml"
    if UPDATE:
        golden.parent.mkdir(exist_ok=True)
        golden.write_text(text, encoding="utf-8")
    assert golden.exists(), f"missing {golden}; run with LAMBDASERVE_UPDATE_GOLDEN=1"
    assert text == golden.read_text(encoding="utf-8"), (
        f"{golden.name} changed; if intended, rerun with LAMBDASERVE_UPDATE_GOLDEN=1 and review the diff")


def test_rendering_is_deterministic_and_independent_of_the_project_folder(tmp_path: Path) -> None:
    first, second = tmp_path / "a", tmp_path / "b"
    first.mkdir()
    second.mkdir()
    for variant in VARIANTS:
        assert to_yaml(rendered(first, variant, "cfn")) == to_yaml(rendered(second, variant, "cfn"))
        assert to_json(rendered(first, variant, "sam")) == to_json(rendered(second, variant, "sam"))
