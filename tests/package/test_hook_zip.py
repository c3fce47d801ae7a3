"""The pre-traffic hook's zip: refused without recorded answers, the same bytes for the same set."""

from __future__ import annotations

from pathlib import Path

import pytest

from lambdaserve.errors import BuildError
from lambdaserve.package.hook_zip import build_hook_zip
from lambdaserve.runtime.golden import GoldenRequest, GoldenSet

RECORDED = GoldenSet((GoldenRequest("a", {"data": [[1]]}, "/predict", answer={"predictions": [1]}),))


def test_same_golden_set_same_bytes(tmp_path: Path) -> None:
    one = build_hook_zip(RECORDED, tmp_path / "1.zip").read_bytes()
    two = build_hook_zip(RECORDED, tmp_path / "2.zip").read_bytes()
    assert one == two and len(one) < 50_000
    other = GoldenSet((GoldenRequest("a", {"data": [[2]]}, "/predict", answer={"predictions": [1]}),))
    assert build_hook_zip(other, tmp_path / "3.zip").read_bytes() != one


@pytest.mark.parametrize("golden", [None, GoldenSet(()),
                                    GoldenSet((GoldenRequest("a", {"data": [[1]]}, "/predict"),))])
def test_no_recorded_answers_no_hook(tmp_path: Path, golden: GoldenSet | None) -> None:
    with pytest.raises(BuildError, match="golden requests with recorded answers"):
        build_hook_zip(golden, tmp_path / "hook.zip")
