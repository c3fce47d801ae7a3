"""Hints that install an extra name where this lambdaserve came from.

The README installs from a checkout (`pip install -e '.[sklearn]'`); a hint saying
`pip install 'lambdaserve[local]'` then sent a user to the registry for another copy.
"""

from __future__ import annotations

import json
from importlib.metadata import PathDistribution
from pathlib import Path

from lambdaserve.errors import pip_install_extra


def _dist(tmp_path: Path, direct_url: dict[str, object] | None) -> PathDistribution:
    info = tmp_path / "lambdaserve-0.1.0.dist-info"
    info.mkdir(parents=True)
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: lambdaserve\nVersion: 0.1.0\n")
    if direct_url is not None:
        (info / "direct_url.json").write_text(json.dumps(direct_url))
    return PathDistribution(info)


def test_an_editable_checkout_is_named_by_its_folder(tmp_path: Path) -> None:
    dist = _dist(tmp_path, {"url": "file:///home/me/src/lambda%20serve", "dir_info": {"editable": True}})
    assert pip_install_extra("local", dist) == "pip install -e '/home/me/src/lambda serve[local]'"


def test_a_checkout_installed_without_e_is_named_by_its_folder(tmp_path: Path) -> None:
    dist = _dist(tmp_path, {"url": "file:///home/me/src/lambdaserve", "dir_info": {}})
    assert pip_install_extra("onnx", dist) == "pip install '/home/me/src/lambdaserve[onnx]'"


def test_a_registry_install_or_no_record_is_named_by_the_package(tmp_path: Path) -> None:
    assert pip_install_extra("local", _dist(tmp_path / "a", None)) == "pip install 'lambdaserve[local]'"
    wheel = {"url": "https://example.invalid/lambdaserve-0.1.0-py3-none-any.whl", "archive_info": {}}
    assert pip_install_extra("local", _dist(tmp_path / "b", wheel)) == "pip install 'lambdaserve[local]'"
