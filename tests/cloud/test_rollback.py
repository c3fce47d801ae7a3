"""`lambdaserve rollback` moves the live alias back at once; `status` lists the versions (Stubber)."""

from __future__ import annotations

from typing import Any

import pytest

from lambdaserve.cloud.stack.rollback import list_versions, roll_back
from lambdaserve.errors import CloudError
from tests.cloud.fakes import Stubbed

FN = "iris"
ARN = "arn:aws:lambda:us-east-1:123456789012:function:iris"
MODEL = "ab" * 32


def _alias(version: str, weights: dict[str, float] | None = None) -> dict[str, Any]:
    # for parity: GetAlias/UpdateAlias answer with the alias's ARN, version and routing config
    answer: dict[str, Any] = {"AliasArn": f"{ARN}:live", "Name": "live", "FunctionVersion": version,
                              "Description": "", "RevisionId": "r1"}
    if weights:
        answer["RoutingConfig"] = {"AdditionalVersionWeights": weights}
    return answer


def _versions(*numbers: str) -> dict[str, Any]:
    # for parity: ListVersionsByFunction lists $LATEST and each published version with its Description
    listed = [{"FunctionName": FN, "FunctionArn": f"{ARN}:$LATEST", "Version": "$LATEST", "Description": ""}]
    listed += [{"FunctionName": FN, "FunctionArn": f"{ARN}:{n}", "Version": n,
                "Description": f"code {'c' * 64} config 0123456789 model {MODEL} "
                               f"built 2026-12-0{n}T10:00:00Z"}
               for n in numbers]
    return {"Versions": listed}


def _listing(s: Stubbed, live: str, numbers: tuple[str, ...],
             weights: dict[str, float] | None = None) -> None:
    s.ok("get_alias", _alias(live, weights), {"FunctionName": FN, "Name": "live"}, service="lambda")
    s.ok("list_versions_by_function", _versions(*numbers), {"FunctionName": FN}, service="lambda")


def test_status_lists_each_version_its_share_model_hash_and_build_time() -> None:
    s = Stubbed(("lambda",))
    _listing(s, "3", ("1", "2", "3"), {"2": 0.1})
    found = list_versions(s.clients, FN, "live")
    assert found.live == "3"
    assert [(v.version, v.weight) for v in found.published] == [("1", 0.0), ("2", 0.1), ("3", 0.9)]
    assert found.published[2].model_sha256 == MODEL and found.published[2].built == "2026-12-03T10:00:00Z"
    s.assert_done()


def test_rollback_points_the_alias_at_the_previous_version_and_reads_it_back() -> None:
    s = Stubbed(("lambda",))
    _listing(s, "3", ("1", "2", "3"))
    s.ok("get_alias", _alias("3"), {"FunctionName": FN, "Name": "live"}, service="lambda")
    s.ok("update_alias", _alias("2"), {"FunctionName": FN, "Name": "live", "FunctionVersion": "2",
                                      "RoutingConfig": {"AdditionalVersionWeights": {}}}, service="lambda")
    s.ok("get_alias", _alias("2"), {"FunctionName": FN, "Name": "live"}, service="lambda")
    done = roll_back(s.clients, FN, "live")
    assert (done.before, done.after, done.cleared_weights) == ("3", "2", {})
    s.assert_done()


def test_rollback_mid_canary_drops_the_weighted_version() -> None:
    s = Stubbed(("lambda",))
    _listing(s, "2", ("1", "2", "3"), {"3": 0.1})  # a shift from 2 to 3 in progress
    s.ok("get_alias", _alias("2", {"3": 0.1}), {"FunctionName": FN, "Name": "live"}, service="lambda")
    s.ok("update_alias", _alias("2"), {"FunctionName": FN, "Name": "live", "FunctionVersion": "2",
                                      "RoutingConfig": {"AdditionalVersionWeights": {}}}, service="lambda")
    s.ok("get_alias", _alias("2"), {"FunctionName": FN, "Name": "live"}, service="lambda")
    done = roll_back(s.clients, FN, "live", to="2")
    assert done.after == "2" and done.cleared_weights == {"3": 0.1}
    s.assert_done()


def test_an_alias_that_did_not_move_is_not_reported_as_rolled_back() -> None:
    s = Stubbed(("lambda",))
    _listing(s, "3", ("2", "3"))
    s.ok("get_alias", _alias("3"), {"FunctionName": FN, "Name": "live"}, service="lambda")
    s.ok("update_alias", _alias("2"), service="lambda")
    s.ok("get_alias", _alias("3"), {"FunctionName": FN, "Name": "live"}, service="lambda")  # someone moved it
    with pytest.raises(CloudError, match="did not move to version 2"):
        roll_back(s.clients, FN, "live")


@pytest.mark.parametrize(("live", "numbers", "to", "message"), [
    ("1", ("1",), None, "no older version is left"),
    ("3", ("2", "3"), "7", "no published version 7"),
])
def test_nothing_to_roll_back_to_is_an_error_with_the_fix(live: str, numbers: tuple[str, ...], to: str | None,
                                                          message: str) -> None:
    s = Stubbed(("lambda",))
    _listing(s, live, numbers)
    with pytest.raises(CloudError, match=message) as info:
        roll_back(s.clients, FN, "live", to=to)
    assert info.value.hint


def test_a_function_without_the_alias_says_to_deploy() -> None:
    s = Stubbed(("lambda",))
    s.error("get_alias", "ResourceNotFoundException", "Cannot find alias arn", status=404, service="lambda")
    with pytest.raises(CloudError, match="has no alias 'live'"):
        list_versions(s.clients, FN, "live")
