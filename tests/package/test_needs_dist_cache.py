"""build maps the model's modules to the distributions installed here once per venv state.

Reading every installed distribution's file list costs each build ~0.2 CPU-s; the map is kept in
the user's cache while no folder on sys.path changed, and an install (a new .dist-info) is seen.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from lambdaserve.package.needs import resolve


def _dist(site: Path, name: str, module: str) -> None:
    info = site / f"{name}-1.0.dist-info"
    info.mkdir(parents=True)
    (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {name}\nVersion: 1.0\n")
    (info / "top_level.txt").write_text(f"{module}\n")


def test_the_module_map_is_kept_until_a_distribution_is_installed(tmp_path, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("LAMBDASERVE_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.chdir(tmp_path)  # a project folder: on sys.path under `python -m`, never in the key
    site = tmp_path / "site"
    _dist(site, "fakedist", "fakemod")
    os.utime(site, ns=(10**18, 10**18))  # a fixed time, so the install below surely moves it
    monkeypatch.syspath_prepend(str(site))
    resolve._module_dists.cache_clear()
    assert resolve._module_dists()["fakemod"] == ["fakedist"]
    assert list((tmp_path / "cache" / "module-distributions").glob("*.json"))
    resolve._module_dists.cache_clear()
    assert resolve._module_dists()["fakemod"] == ["fakedist"]  # from the kept map
    _dist(site, "otherdist", "othermod")  # installed since: the folder's time moved
    resolve._module_dists.cache_clear()
    try:
        assert resolve._module_dists()["othermod"] == ["otherdist"]
    finally:
        resolve._module_dists.cache_clear()
