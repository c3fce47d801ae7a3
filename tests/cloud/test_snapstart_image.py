"""SnapStart on an image built from Lambda's own Python base: the template and its SAM twin carry it,
both lint clean, and the deployer policy is drawn over the SnapStart variant of image apps too."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from lambdaserve.cloud.cfn import common as c
from lambdaserve.cloud.cfn.render import render_sam, render_template, to_json, to_yaml
from lambdaserve.cloud.iam.policy import reachable_templates
from tests.cloud.test_template_golden import IMAGE, make_config
from tests.cloud.test_template_validate import lint_errors

SNAP_IMAGE = {"function": {"package": "image", "python": "3.13", "snapstart": True}}


def _function(template: dict[str, Any]) -> dict[str, Any]:
    return template["Resources"][c.FUNCTION]["Properties"]  # type: ignore[no-any-return]


def test_an_image_functions_published_versions_take_snapshots(tmp_path: Path) -> None:
    props = _function(render_template(make_config(tmp_path, SNAP_IMAGE), IMAGE))
    assert props["PackageType"] == "Image" and props["SnapStart"] == {"ApplyOn": "PublishedVersions"}


def test_the_policy_covers_a_snapstart_variant_of_an_image_app(tmp_path: Path) -> None:
    config = make_config(tmp_path, {"function": {"package": "image"}})
    variants = [_function(t) for t in reachable_templates(config)]
    assert any(v.get("SnapStart") == {"ApplyOn": "PublishedVersions"} and v["PackageType"] == "Image"
               for v in variants)


@pytest.mark.slow
@pytest.mark.parametrize("fmt", ["cfn", "sam"])
def test_cfn_lint_accepts_snapstart_on_an_image(tmp_path: Path, fmt: str) -> None:
    config = make_config(tmp_path, SNAP_IMAGE)
    template = render_sam(config, IMAGE) if fmt == "sam" else render_template(config, IMAGE)
    assert lint_errors(to_json(template) if fmt == "sam" else to_yaml(template)) == []
