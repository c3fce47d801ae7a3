"""deploy.traffic_shift in the template: CodeDeploy moves the alias, alarms and a hook guard it."""

from __future__ import annotations

from pathlib import Path

import pytest

from lambdaserve.cloud.cfn import common as c
from lambdaserve.cloud.cfn import rollout as r
from lambdaserve.cloud.cfn.render import render_template
from lambdaserve.cloud.store.artifact_ref import ZipArtifact, hook_parameter_values
from lambdaserve.config.schema import TRAFFIC_SHIFTS
from tests.cloud.test_template_golden import artifact_for, make_config, rendered

HOOK = ZipArtifact(bucket="lambdaserve-artifacts-123456789012-us-east-1",
                   key="iris/" + "c" * 64 + ".zip", sha256="c" * 64)


def test_without_a_shift_nothing_of_codedeploy_is_there(tmp_path: Path) -> None:
    template = rendered(tmp_path, "rest_zip", "cfn")
    assert "UpdatePolicy" not in template["Resources"][c.FUNCTION_ALIAS]
    assert not set(template["Resources"]) & {r.CODEDEPLOY_GROUP, r.HOOK_FUNCTION, *r.ALARMS}
    assert "HookKey" not in template["Parameters"]


@pytest.mark.parametrize("shift", [s for s in TRAFFIC_SHIFTS if s])
def test_every_shift_name_maps_to_codedeploys_predefined_config(tmp_path: Path, shift: str) -> None:
    config = make_config(tmp_path, {"deploy": {"traffic_shift": shift}})
    group = render_template(config, artifact_for(config))["Resources"][r.CODEDEPLOY_GROUP]["Properties"]
    assert group["DeploymentConfigName"] == "CodeDeployDefault.Lambda" + shift


def test_the_alias_moves_through_codedeploy_after_the_hook_and_alarms_exist(tmp_path: Path) -> None:
    template = rendered(tmp_path, "canary_rest_zip", "cfn")
    alias = template["Resources"][c.FUNCTION_ALIAS]
    assert alias["UpdatePolicy"] == {"CodeDeployLambdaAliasUpdate": {
        "ApplicationName": {"Ref": r.CODEDEPLOY_APPLICATION},
        "DeploymentGroupName": {"Ref": r.CODEDEPLOY_GROUP},
        "BeforeAllowTrafficHook": {"Ref": r.HOOK_FUNCTION}}}
    assert {r.CODEDEPLOY_GROUP, r.HOOK_FUNCTION, *r.ALARMS} <= set(alias["DependsOn"])
    group = template["Resources"][r.CODEDEPLOY_GROUP]["Properties"]
    assert group["DeploymentStyle"] == {"DeploymentType": "BLUE_GREEN",
                                        "DeploymentOption": "WITH_TRAFFIC_CONTROL"}
    rollback = set(group["AutoRollbackConfiguration"]["Events"])
    assert {"DEPLOYMENT_FAILURE", "DEPLOYMENT_STOP_ON_ALARM"} <= rollback
    assert group["AlarmConfiguration"]["Alarms"] == [{"Name": {"Ref": a}} for a in r.ALARMS]


def test_the_hook_is_told_the_new_version_and_reads_its_own_zip(tmp_path: Path) -> None:
    config = make_config(tmp_path, {"deploy": {"traffic_shift": "AllAtOnce"}})
    template = render_template(config, artifact_for(config), hook=HOOK)
    hook = template["Resources"][r.HOOK_FUNCTION]["Properties"]
    # Ref of an AWS::Lambda::Version is its ARN, name:N: the hook invokes exactly that.
    assert hook["Environment"]["Variables"] == {r.HOOK_TARGET_ENV: {"Ref": c.FUNCTION_VERSION}}
    assert hook["Handler"] == r.HOOK_HANDLER
    assert hook["Code"] == {"S3Bucket": {"Ref": "HookBucket"}, "S3Key": {"Ref": "HookKey"}}
    params = template["Parameters"]
    assert {k: params[k]["Default"] for k in hook_parameter_values(HOOK)} == hook_parameter_values(HOOK)
    assert "PLACEHOLDER" not in params["HookKey"]["Description"]
    placeholder = render_template(config, artifact_for(config))["Parameters"]["HookKey"]
    assert "PLACEHOLDER" in placeholder["Description"]


def test_alarms_watch_the_new_version_and_the_api_with_the_configs_thresholds(tmp_path: Path) -> None:
    # for parity: Lambda's alias metrics carry FunctionName, Resource (function:alias) and ExecutedVersion.
    resources = rendered(tmp_path, "canary_rest_zip", "cfn")["Resources"]
    errors, p99 = resources[r.ALARM_ERRORS]["Properties"], resources[r.ALARM_P99]["Properties"]
    for alarm in (errors, p99):
        assert alarm["Namespace"] == "AWS/Lambda"
        assert {d["Name"]: d["Value"] for d in alarm["Dimensions"]} == {
            "FunctionName": {"Ref": c.FUNCTION}, "Resource": {"Fn::Sub": "${Function}:live"},
            "ExecutedVersion": {"Fn::GetAtt": [c.FUNCTION_VERSION, "Version"]}}
    assert (errors["MetricName"], errors["Statistic"], errors["Threshold"]) == ("Errors", "Sum", 1)
    assert (p99["MetricName"], p99["ExtendedStatistic"], p99["Threshold"]) == ("Duration", "p99", 800)
    rest = resources[r.ALARM_5XX]["Properties"]
    assert (rest["MetricName"], rest["Dimensions"]) == ("5XXError", [
        {"Name": "ApiName", "Value": "iris"}, {"Name": "Stage", "Value": "prod"}])
    http = rendered(tmp_path, "linear_http_image", "cfn")["Resources"][r.ALARM_5XX]["Properties"]
    assert (http["MetricName"], http["Threshold"]) == ("5xx", 5)
    assert http["Dimensions"][0] == {"Name": "ApiId", "Value": {"Ref": c.HTTP_API}}


def test_two_stacks_of_one_project_get_their_own_names(tmp_path: Path) -> None:
    one = make_config(tmp_path, {"deploy": {"traffic_shift": "AllAtOnce"}})
    two = make_config(tmp_path, {"deploy": {"traffic_shift": "AllAtOnce", "stack_name": "iris-staging"}})
    a, b = r.rollout_names(one), r.rollout_names(two)
    assert a.application != b.application and a.hook_function != b.hook_function
    assert not set(a.alarms) & set(b.alarms)
    assert not any(name.startswith(r.alarm_prefix(one)) for name in b.alarms)


def test_codedeploy_role_is_scoped_to_this_function_hook_and_alarms(tmp_path: Path) -> None:
    statements = rendered(tmp_path, "canary_rest_zip", "cfn")["Resources"][r.CODEDEPLOY_ROLE][
        "Properties"]["Policies"][0]["PolicyDocument"]["Statement"]
    text = str(statements)
    assert "function:iris" in text and "function:iris-pretraffic" in text and "alarm:iris.rollout.*" in text
    assert "'Resource': '*'" not in text
