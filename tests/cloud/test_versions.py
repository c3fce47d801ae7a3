"""Which published versions a deploy deletes: all but the alias's and the one before it."""

from __future__ import annotations

from lambdaserve.cloud.stack.plan import PruneVersions, prune_step
from lambdaserve.cloud.stack.versions import versions_to_delete
from tests.cloud.test_template_golden import VARIANTS, rendered


def test_keeps_the_live_version_and_the_previous_one() -> None:
    assert versions_to_delete(["$LATEST", "1", "2", "3", "4"], "4") == ["1", "2"]
    assert versions_to_delete(["$LATEST", "7", "9", "12"], "12") == ["7"]
    assert versions_to_delete(["$LATEST", "1"], "1") == []


def test_a_rolled_back_alias_keeps_newer_versions() -> None:
    # the alias points at 3 (a rollback): 4 is newer and stays; only what is older than 2 goes
    assert versions_to_delete(["$LATEST", "1", "2", "3", "4"], "3") == ["1", "4"]
    assert versions_to_delete(["$LATEST", "1", "2"], "$LATEST") == []  # unexpected: delete nothing
    assert versions_to_delete(["$LATEST", "1", "2"], "9") == []


def test_only_templates_with_an_alias_prune(tmp_path) -> None:
    assert prune_step(rendered(tmp_path, "rest_zip", "cfn")) is None
    for variant in ("provisioned_http_iam", "snapstart_py313"):
        assert prune_step(rendered(tmp_path, variant, "cfn")) == PruneVersions("iris", "live")
    assert set(VARIANTS) >= {"provisioned_http_iam", "snapstart_py313"}


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
