"""The CodeDeploy traffic-shift watcher: progress, alarms, hooks and the verdict (botocore Stubber).

The answers are shaped as CodeDeploy's and CloudWatch's API references document them (moto's
CodeDeploy has no Lambda deployments): GetDeployment's deploymentInfo, BatchGetDeploymentTargets'
lambdaTarget with its lifecycle events and lambdaFunctionInfo, DescribeAlarms' MetricAlarms.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from lambdaserve.cloud.stack.rollout import RolloutWatcher
from lambdaserve.errors import CloudError
from tests.cloud.fakes import RecordingUI, Stubbed
from tests.cloud.stack_stubs import STACK, STACK_ID, change_set, event, events, request, stack

APP = "lambdaserve-demo-ServerlessDeploymentApplication-1"
GROUP, DEPLOYMENT = "lambdaserve-demo-live", "d-A1B2C3D4E"
ALARMS = ("demo-live-errors", "demo-live-5xx", "demo-live-p99")
STARTED = 1_700_000_000.0
CREATED = datetime(2023, 11, 14, 22, 14, tzinfo=UTC)
SERVICES = ("cloudformation", "codedeploy", "cloudwatch", "logs")
# for parity: CloudWatch's StateReason when a threshold alarm goes to ALARM
FIRED = "Threshold Crossed: 1 datapoint [3.0] was greater than or equal to the threshold (1.0)."
DONE = event(1, STACK, "UPDATE_COMPLETE", kind="AWS::CloudFormation::Stack")


def _resources(s: Stubbed) -> None:
    # for parity: DescribeStackResources names a CodeDeploy application and group by their physical IDs
    summaries = [{"StackName": STACK, "StackId": STACK_ID, "LogicalResourceId": logical,
                  "PhysicalResourceId": physical, "ResourceType": kind,
                  "Timestamp": CREATED, "ResourceStatus": "UPDATE_COMPLETE"}
                 for logical, physical, kind in (
                     ("FunctionLogGroup", "/aws/lambda/demo", "AWS::Logs::LogGroup"),
                     ("CodeDeployApplication", APP, "AWS::CodeDeploy::Application"),
                     ("DeploymentGroup", GROUP, "AWS::CodeDeploy::DeploymentGroup"))]
    s.ok("describe_stack_resources", {"StackResources": summaries}, {"StackName": STACK_ID})


def _found(s: Stubbed) -> None:
    """The first poll's discovery: the group's alarms, then this update's deployment."""
    _resources(s)
    s.ok("get_deployment_group", {"deploymentGroupInfo": {
        "applicationName": APP, "deploymentGroupName": GROUP, "computePlatform": "Lambda",
        "alarmConfiguration": {"enabled": True, "ignorePollAlarmFailure": False,
                               "alarms": [{"name": n} for n in ALARMS]}}},
         {"applicationName": APP, "deploymentGroupName": GROUP}, service="codedeploy")
    s.ok("list_deployments", {"deployments": [DEPLOYMENT]}, service="codedeploy")
    _deployment(s, "InProgress")


def _deployment(s: Stubbed, status: str, error: dict[str, str] | None = None) -> None:
    info: dict[str, Any] = {"applicationName": APP, "deploymentGroupName": GROUP, "deploymentId": DEPLOYMENT,
                            "deploymentConfigName": "CodeDeployDefault.LambdaCanary10Percent5Minutes",
                            "status": status, "createTime": CREATED, "computePlatform": "Lambda",
                            "creator": "CloudFormation"}
    if error:
        info["errorInformation"] = error
        info["rollbackInfo"] = {"rollbackMessage": "Automatic rollback triggered"}
    s.ok("get_deployment", {"deploymentInfo": info}, {"deploymentId": DEPLOYMENT}, service="codedeploy")


def _look(s: Stubbed, status: str, weight: float, hooks: dict[str, str], alarms: dict[str, str],
          diagnostics: str = "") -> None:
    _deployment(s, status)
    target = "demo:live"
    s.ok("list_deployment_targets", {"targetIds": [target]}, {"deploymentId": DEPLOYMENT},
         service="codedeploy")
    lifecycle = []
    for name, state in hooks.items():
        entry: dict[str, Any] = {"lifecycleEventName": name, "status": state}
        if state == "Failed":
            entry["diagnostics"] = {"errorCode": "ScriptFailed", "message": diagnostics}
        lifecycle.append(entry)
    s.ok("batch_get_deployment_targets", {"deploymentTargets": [{
        "deploymentTargetType": "LambdaTarget",
        "lambdaTarget": {"deploymentId": DEPLOYMENT, "targetId": target, "status": status,
                         "targetArn": "arn:aws:lambda:us-east-1:123456789012:function:demo:live",
                         "lifecycleEvents": lifecycle,
                         "lambdaFunctionInfo": {"functionName": "demo", "functionAlias": "live",
                                                "currentVersion": "4", "targetVersion": "5",
                                                "targetVersionWeight": weight}}}]},
         {"deploymentId": DEPLOYMENT, "targetIds": [target]}, service="codedeploy")
    s.ok("describe_alarms", {"MetricAlarms": [
        {"AlarmName": name, "StateValue": state,
         "StateReason": (FIRED if state == "ALARM" else "Threshold Crossed: no datapoints were received")}
        for name, state in alarms.items()]}, {"AlarmNames": list(ALARMS)}, service="cloudwatch")


OK = dict.fromkeys(ALARMS, "OK")
BEFORE_OK = {"BeforeAllowTraffic": "Succeeded", "AllowTraffic": "InProgress", "AfterAllowTraffic": "Pending"}


def test_a_canary_that_stays_healthy_is_promoted_and_each_change_is_printed_once():
    s, ui = Stubbed(SERVICES), RecordingUI()
    watcher = RolloutWatcher(s.clients, STACK_ID, ui, started=STARTED)
    _found(s)
    _look(s, "InProgress", 0.1, BEFORE_OK, OK)
    watcher.poll()
    _look(s, "InProgress", 0.1, BEFORE_OK, OK)  # nothing changed: nothing printed
    watcher.poll()
    done = {"BeforeAllowTraffic": "Succeeded", "AllowTraffic": "Succeeded", "AfterAllowTraffic": "Succeeded"}
    _look(s, "Succeeded", 1.0, done, OK)
    _deployment(s, "Succeeded")
    verdict = watcher.verdict()
    s.assert_done()
    assert verdict.outcome == "promoted" and verdict.target == "5"
    assert verdict.words() == f"promoted: version 5 serves all traffic (CodeDeploy deployment {DEPLOYMENT})"
    assert ui.infos == [
        f"traffic shift {DEPLOYMENT} InProgress: version 5 takes 10% of the traffic (version 4 the rest); "
        "BeforeAllowTraffic Succeeded, AllowTraffic InProgress, AfterAllowTraffic Pending; alarms: "
        "demo-live-errors OK, demo-live-5xx OK, demo-live-p99 OK",
        f"traffic shift {DEPLOYMENT} Succeeded: version 5 takes 100% of the traffic (version 4 the rest); "
        "BeforeAllowTraffic Succeeded, AllowTraffic Succeeded, AfterAllowTraffic Succeeded; alarms: "
        "demo-live-errors OK, demo-live-5xx OK, demo-live-p99 OK"]


def test_an_alarm_that_fires_mid_shift_is_named_in_the_rollback_verdict():
    s, ui = Stubbed(SERVICES), RecordingUI()
    watcher = RolloutWatcher(s.clients, STACK_ID, ui, started=STARTED)
    _found(s)
    _look(s, "InProgress", 0.1, BEFORE_OK, OK)
    watcher.poll()
    fired = {**OK, "demo-live-errors": "ALARM"}
    _look(s, "Stopped", 0.0, {**BEFORE_OK, "AllowTraffic": "Failed"}, fired)
    error = {"code": "ALARM_ACTIVE", "message": "One or more alarms have been activated according to the "
             "Amazon CloudWatch metrics you selected, and the affected deployments have been stopped. "
             "Activated alarms: <demo-live-errors>"}
    _deployment(s, "Stopped", error)
    verdict = watcher.verdict()
    s.assert_done()
    assert verdict.outcome == "rolled-back"
    assert verdict.reason.startswith("alarm demo-live-errors fired (Threshold Crossed: 1 datapoint [3.0]")
    assert "CodeDeploy: ALARM_ACTIVE: One or more alarms" in verdict.reason
    assert "demo-live-errors ALARM" in ui.infos[-1]


def test_a_failed_pre_traffic_hook_is_the_rollback_reason_with_its_diagnostics():
    s, ui = Stubbed(SERVICES), RecordingUI()
    watcher = RolloutWatcher(s.clients, STACK_ID, ui, started=STARTED)
    _found(s)
    why = "golden.json #1: answered differently: predictions[0]: 2 instead of 1 (labels must match exactly)"
    _look(s, "Failed", 0.0, {"BeforeAllowTraffic": "Failed", "AllowTraffic": "Skipped",
                             "AfterAllowTraffic": "Skipped"}, OK, diagnostics=why)
    watcher.poll()
    _look(s, "Failed", 0.0, {"BeforeAllowTraffic": "Failed", "AllowTraffic": "Skipped",
                             "AfterAllowTraffic": "Skipped"}, OK, diagnostics=why)
    _deployment(s, "Failed", {"code": "HOOK_EXECUTION_FAILURE",
                              "message": "The deployment failed because a lifecycle hook failed."})
    verdict = watcher.verdict()
    s.assert_done()
    assert verdict.outcome == "rolled-back"
    assert verdict.reason.startswith(f"BeforeAllowTraffic failed: {why}")
    assert "version 5 takes 0% of the traffic" in ui.infos[0]


def test_before_the_stack_has_a_deployment_group_nothing_is_asked_of_codedeploy():
    s, ui = Stubbed(SERVICES), RecordingUI()
    s.ok("describe_stack_resources", {"StackResources": []}, {"StackName": STACK_ID})
    watcher = RolloutWatcher(s.clients, STACK_ID, ui, started=STARTED)
    watcher.poll()
    s.assert_done()
    assert ui.infos == [] and watcher.last is None


def test_a_rolled_back_shift_fails_the_deploy_with_the_reason_and_the_function_log():
    """The executor watches while it waits for the stack, then explains the rollback the stack shows."""
    from lambdaserve.cloud.stack.deployer import Deployer

    s, ui = Stubbed(SERVICES), RecordingUI()
    s.ok("describe_stacks", stack("UPDATE_COMPLETE"))
    change_set(s, "UPDATE")
    s.ok("describe_stack_events", events(DONE))
    s.ok("execute_change_set", {})
    s.ok("describe_stacks", stack("UPDATE_IN_PROGRESS"))
    s.ok("describe_stack_events", events(DONE))
    _found(s)  # the watcher's poll while the stack is in progress
    _look(s, "InProgress", 0.1, BEFORE_OK, OK)
    s.ok("describe_stacks", stack("UPDATE_ROLLBACK_COMPLETE"))
    s.ok("describe_stack_events", events(
        event(1, STACK, "UPDATE_COMPLETE", kind="AWS::CloudFormation::Stack"),
        event(2, "FunctionAlias", "UPDATE_FAILED", "CodeDeploy deployment failed", kind="AWS::Lambda::Alias"),
        event(3, STACK, "UPDATE_ROLLBACK_COMPLETE", kind="AWS::CloudFormation::Stack")))
    fired = {**OK, "demo-live-5xx": "ALARM"}
    _look(s, "Stopped", 0.0, {**BEFORE_OK, "AllowTraffic": "Failed"}, fired)
    _deployment(s, "Stopped", {"code": "ALARM_ACTIVE", "message": "Activated alarms: <demo-live-5xx>"})
    # for parity: FilterLogEvents returns the runtime's JSON error line as one event
    s.ok("filter_log_events", {"events": [
        {"logStreamName": "2026/12/07/[5]abc", "timestamp": 1_700_000_010_000, "eventId": "1",
         "message": '{"level":"ERROR","error_type":"ValueError",'
                    '"message":"the scaler was fitted on 3 features"}',
         "ingestionTime": 1_700_000_010_100}]}, service="logs")
    deployer = Deployer(s.clients, ui, sleep=s.sleeps, clock=lambda: STARTED, poll=5.0)
    with pytest.raises(CloudError) as caught:
        deployer.deploy(request(assume_yes=True, traffic_shift="Canary10Percent5Minutes"))
    s.assert_done()
    assert caught.value.message.startswith("the new version was rolled back: alarm demo-live-5xx fired")
    assert "the scaler was fitted on 3 features" in caught.value.hint
    assert "previous version serves all traffic again" in caught.value.hint
    assert any("version 5 takes 10% of the traffic" in line for line in ui.infos)
    assert ui.warnings[-1].startswith(f"rolled back by CodeDeploy (deployment {DEPLOYMENT}): "
                                      "alarm demo-live-5xx")


def test_deploy_refuses_a_traffic_shift_codedeploy_does_not_name():
    from click.testing import CliRunner

    from lambdaserve.cli.main import cli

    result = CliRunner().invoke(cli, ["deploy", "--traffic-shift", "Canary50PercentSoon"])
    assert result.exit_code == 2 and "Invalid value for '--traffic-shift'" in result.output
    assert "Canary10Percent5Minutes" in result.output  # the names it takes are listed
