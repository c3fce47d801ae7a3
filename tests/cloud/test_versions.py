"""Which published versions a deploy deletes: all but the alias's and the one before it."""

from __future__ import annotations

from lambdaserve.cloud.stack.plan import prune_step
from lambdaserve.cloud.stack.steps import PruneVersions
from lambdaserve.cloud.stack.versions import serving_versions, versions_to_delete
from tests.cloud.test_template_golden import VARIANTS, rendered


def test_keeps_the_live_version_and_the_previous_one() -> None:
    assert versions_to_delete(["$LATEST", "1", "2", "3", "4"], "4") == ["1", "2"]
    assert versions_to_delete(["$LATEST", "7", "9", "12"], "12") == ["7"]
    assert versions_to_delete(["$LATEST", "1"], "1") == []


def test_a_rolled_back_alias_keeps_newer_versions() -> None:
    # the alias points at 3 (a rollback): 4 is newer and stays (it may be the stack's own Version
    # resource); only what is older than 2 goes
    assert versions_to_delete(["$LATEST", "1", "2", "3", "4"], "3") == ["1"]
    assert versions_to_delete(["$LATEST", "1", "2"], "$LATEST") == []  # unexpected: delete nothing
    assert versions_to_delete(["$LATEST", "1", "2"], "9") == []


def test_a_version_still_taking_weighted_traffic_is_kept() -> None:
    # for parity: GetAlias's documented answer for an alias that sends 10% to another version
    alias = {"AliasArn": "arn:aws:lambda:us-east-1:123456789012:function:iris:live", "Name": "live",
             "FunctionVersion": "5", "RoutingConfig": {"AdditionalVersionWeights": {"2": 0.1}}}
    assert serving_versions(alias) == ["5", "2"]
    assert versions_to_delete(["$LATEST", "1", "2", "3", "4", "5"], "5",
                              serving=serving_versions(alias)) == ["1", "3"]
    assert serving_versions({"FunctionVersion": "5", "RoutingConfig": {
        "AdditionalVersionWeights": {"2": 0.0}}}) == ["5"]


def test_every_template_prunes_behind_the_live_alias(tmp_path) -> None:
    for variant in VARIANTS:
        assert prune_step(rendered(tmp_path, variant, "cfn")) == PruneVersions("iris", "live"), variant


def test_a_first_create_lost_to_iam_propagation_says_to_deploy_again() -> None:
    import pytest

    from lambdaserve.cloud.stack.events import StackEvent, WaitResult
    from lambdaserve.cloud.stack.execute import _raise_if_failed
    from lambdaserve.errors import CloudError

    # for parity: the message API Gateway gives when it reads a just-created role (aws-cdk #2194)
    failed = StackEvent("e1", None, "ApiGatewayAccount", "AWS::ApiGateway::Account", "CREATE_FAILED",
                        "The role ARN does not have required permissions set to API Gateway")
    with pytest.raises(CloudError) as info:
        _raise_if_failed("lambdaserve-iris", "CREATE", WaitResult("ROLLBACK_COMPLETE", (failed,)))
    assert "propagated" in info.value.hint and "`lambdaserve deploy` again" in info.value.hint
