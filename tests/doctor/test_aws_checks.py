"""Checks 1b, 3, 4 and 5 with probes built on cloud: botocore Stubber for IAM, real functions."""

from __future__ import annotations

import pytest
from botocore.stub import Stubber

from lambdaserve.cloud.aws import AwsClients, make_session
from lambdaserve.cloud.ops.preflight import denied_actions, principal_arn
from lambdaserve.doctor import Probes, ProbeUnavailable, Severity, run_checks
from lambdaserve.doctor.checks import access_logs, credentials, iam, stack_state
from lambdaserve.errors import CloudError
from tests.cloud.fakes import FAKE_ENV
from tests.doctor.support import context, only, project

ARN = "arn:aws:sts::123456789012:assumed-role/Deployer/alice"
POLICY = {"Statement": [
    {"Action": ["cloudformation:CreateChangeSet", "cloudformation:DescribeStacks"],
     "Resource": "arn:aws:cloudformation:eu-west-1:123456789012:stack/lambdaserve-doc/*"},
    {"Action": "sts:GetCallerIdentity", "Resource": "*"},
]}


def _iam() -> tuple[AwsClients, Stubber]:
    clients = AwsClients(make_session(region="us-east-1", environ=FAKE_ENV), "us-east-1")
    return clients, Stubber(clients.client("iam"))


def _result(action: str, decision: str) -> dict:
    return {"EvalActionName": action, "EvalDecision": decision}


def test_assumed_role_sessions_are_simulated_as_their_role():
    assert principal_arn(ARN) == "arn:aws:iam::123456789012:role/Deployer"
    assert principal_arn("arn:aws:iam::123456789012:user/bob") == "arn:aws:iam::123456789012:user/bob"


def test_simulation_lists_denied_actions_statement_by_statement():
    clients, stub = _iam()
    stub.add_response("simulate_principal_policy", {"EvaluationResults": [
        _result("cloudformation:CreateChangeSet", "implicitDeny"),
        _result("cloudformation:DescribeStacks", "allowed")]},
        {"PolicySourceArn": "arn:aws:iam::123456789012:role/Deployer",
         "ActionNames": ["cloudformation:CreateChangeSet", "cloudformation:DescribeStacks"],
         "ResourceArns": ["arn:aws:cloudformation:eu-west-1:123456789012:stack/lambdaserve-doc/*"]})
    stub.add_response("simulate_principal_policy", {"EvaluationResults": [
        _result("sts:GetCallerIdentity", "allowed")]},
        {"PolicySourceArn": "arn:aws:iam::123456789012:role/Deployer",
         "ActionNames": ["sts:GetCallerIdentity"]})
    with stub:
        assert denied_actions(clients, ARN, POLICY) == ["cloudformation:CreateChangeSet"]


def test_simulation_reads_every_page_iam_marks_with_marker():
    # for parity: IAM pages SimulatePrincipalPolicy by IsTruncated + Marker, not NextToken
    clients, stub = _iam()
    asked = {"PolicySourceArn": "arn:aws:iam::123456789012:role/Deployer",
             "ActionNames": ["cloudformation:CreateChangeSet", "cloudformation:DescribeStacks"],
             "ResourceArns": ["arn:aws:cloudformation:eu-west-1:123456789012:stack/lambdaserve-doc/*"]}
    stub.add_response("simulate_principal_policy", {
        "EvaluationResults": [_result("cloudformation:DescribeStacks", "allowed")],
        "IsTruncated": True, "Marker": "page-2"}, asked)
    stub.add_response("simulate_principal_policy", {
        "EvaluationResults": [_result("cloudformation:CreateChangeSet", "explicitDeny")],
        "IsTruncated": False}, {**asked, "Marker": "page-2"})
    stub.add_response("simulate_principal_policy", {"EvaluationResults": [
        _result("sts:GetCallerIdentity", "implicitDeny")]},
        {"PolicySourceArn": asked["PolicySourceArn"], "ActionNames": ["sts:GetCallerIdentity"]})
    with stub:
        denied = denied_actions(clients, ARN, POLICY)
    assert denied == ["cloudformation:CreateChangeSet", "sts:GetCallerIdentity"]
    stub.assert_no_pending_responses()  # the second page was asked for


def test_simulation_not_allowed_is_explained():
    clients, stub = _iam()
    stub.add_client_error("simulate_principal_policy", "AccessDenied", "not authorized")
    with stub, pytest.raises(CloudError, match="iam:SimulatePrincipalPolicy"):
        denied_actions(clients, ARN, POLICY)


def _iam_ctx(tmp_path, denied):
    probes = Probes(identity=lambda: ARN, simulate=lambda arn, actions: denied)
    return context(project(tmp_path), probes=probes, required_actions=["a:B", "c:D"])


def test_iam_check_reports_missing_actions(tmp_path):
    finding = only(iam.CHECK, _iam_ctx(tmp_path, ["c:D"]))
    assert finding.severity is Severity.ERROR and "c:D" in finding.message
    assert "lambdaserve policy" in finding.hint
    assert only(iam.CHECK, _iam_ctx(tmp_path / "ok", [])).severity is Severity.OK


def test_credentials_error_carries_the_probes_explanation(tmp_path):
    def no_creds() -> str:
        raise CloudError("no AWS credentials found. boto3 looked in:\n  environment: ...",
                         hint="aws configure")

    report = run_checks(context(probes=Probes(identity=no_creds)), [credentials.CHECK])
    assert report.errors[0].message.startswith("no AWS credentials found. boto3 looked in")
    assert only(credentials.CHECK, context(probes=Probes(identity=lambda: ARN))).severity is Severity.OK


def test_unavailable_aws_is_skipped_not_failed():
    def offline() -> str:
        raise ProbeUnavailable("no AWS access: no region", "")

    report = run_checks(context(probes=Probes(identity=offline)), [credentials.CHECK])
    assert report.errors == [] and report.findings[0].severity is Severity.SKIPPED


@pytest.mark.parametrize(("status", "severity", "words"), [
    ("ROLLBACK_COMPLETE", Severity.WARNING, "can not be updated"),
    ("UPDATE_ROLLBACK_FAILED", Severity.ERROR, "could not roll back"),
    ("UPDATE_IN_PROGRESS", Severity.ERROR, "An update is in progress"),
    ("CREATE_COMPLETE", Severity.OK, "CREATE_COMPLETE"),
    (None, Severity.OK, "not deployed"),
])
def test_stack_states(tmp_path, status, severity, words):
    finding = only(stack_state.CHECK, context(project(tmp_path), probes=Probes(stack_status=lambda: status)))
    assert finding.severity is severity and words in finding.message


def test_template_access_log_must_carry_the_integration_error(tmp_path):
    bad = context(project(tmp_path), template_access_log='{"status": "$context.status"}')
    assert only(access_logs.CHECK, bad).severity is Severity.ERROR
    good = context(project(tmp_path), template_access_log='{"e": "$context.integration.error"}')
    assert only(access_logs.CHECK, good).severity is Severity.OK


def test_deployed_stage_without_the_field_is_warned(tmp_path):
    def probes(fmt):
        return Probes(stack_status=lambda: "UPDATE_COMPLETE", deployed_access_log=lambda: fmt)

    found = access_logs.CHECK.run(context(project(tmp_path), probes=probes('{"s": "$context.status"}')))
    assert [f.severity for f in found] == [Severity.WARNING]
    found = access_logs.CHECK.run(context(project(tmp_path), probes=probes(None)))
    assert "no access logs" in found[0].message
    found = access_logs.CHECK.run(context(project(tmp_path), probes=probes("$context.integration.error")))
    assert [f.severity for f in found] == [Severity.OK]
