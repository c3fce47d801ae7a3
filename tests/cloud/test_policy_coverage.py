"""The deployer policy covers every AWS call a real deploy, update and destroy make, and dry runs.

Every call is recorded through botocore's before-call hooks (AwsClients(recorder=...)),
against a moto server over HTTP, with the project's real template. CloudFormation creates
the stack's resources with the caller's credentials, so a policy family is "used" when we
call it directly or when the template holds a resource of that service.
"""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import pytest

from lambdaserve.cloud.aws import CallRecorder
from lambdaserve.cloud.cfn.render import render_template
from lambdaserve.cloud.iam import policy as policy_module
from lambdaserve.cloud.iam.credentials import resolve_identity
from lambdaserve.cloud.stack.deployer import Deployer, DeployRequest
from lambdaserve.cloud.stack.destroy import destroy_stack
from lambdaserve.cloud.stack.moto_alias import publish_and_point, version_description, without_alias
from lambdaserve.cloud.stack.plan import plan_zip_upload
from lambdaserve.cloud.stack.rollback import roll_back
from lambdaserve.cloud.store.artifact_ref import parameter_values
from lambdaserve.cloud.store.buckets import bucket_name, repository_name
from lambdaserve.config import parse_config
from tests.cloud.fakes import FAKE_ENV, RecordingUI, Sleeps, moto_clients, moto_server
from tests.cloud.handmade import tiny_zip

# IAM needs no permission for these: anyone may ask who they are.
UNGATED = {"sts:GetCallerIdentity"}
# CloudFormation resource namespaces -> the IAM prefix it acts through.
NAMESPACE_PREFIX = {
    "Lambda": "lambda",
    "IAM": "iam",
    "Logs": "logs",
    "ApiGateway": "apigateway",
    "ApiGatewayV2": "apigateway",
    "Events": "events",
    "ApplicationAutoScaling": "application-autoscaling",
    "S3": "s3",
    "ECR": "ecr",
}


def _config(tmp_path: Path):
    (tmp_path / "model.onnx").write_bytes(b"not really onnx")
    return parse_config(
        {"name": "iris", "model": {"path": "model.onnx", "framework": "onnx"}}, tmp_path / "lambdaserve.toml"
    )


def _record_full_cycle(tmp_path: Path) -> tuple[CallRecorder, dict, object]:
    config = _config(tmp_path)
    recorder = CallRecorder()
    with moto_server() as endpoint:
        clients = moto_clients(endpoint, recorder=recorder)
        identity = resolve_identity(clients, environ=FAKE_ENV, euid=1000)
        bucket = bucket_name(identity.account, clients.region)
        deployer = Deployer(clients, RecordingUI(), sleep=Sleeps(), poll=0)
        template: dict = {}
        for memory, body in ((512, "v1"), (1024, "v2")):  # create, then update code and memory
            cfg = dataclasses.replace(config, function=dataclasses.replace(config.function, memory=memory))
            # as the CLI does: plan (what --dry-run prints, with its preview), then execute
            artifact, steps = plan_zip_upload(clients, bucket=bucket, app=cfg.name,
                                              path=tiny_zip(tmp_path / f"{body}.zip", body))
            template = render_template(cfg, artifact)
            request = DeployRequest(
                stack=cfg.stack_name,
                template=without_alias(template),  # as `deploy --target local` does on moto
                smoke=False,
                parameters=parameter_values(artifact),
                assume_yes=True,
            )
            plan = deployer.plan(request, artifact_steps=steps, preview=True)
            result = deployer.execute(plan, request)
            assert result.outcome in ("created", "updated")
            publish_and_point(clients, cfg.name, "live", version_description(template, request.parameters))
        # `lambdaserve rollback`: its calls go through the same policy
        assert roll_back(clients, config.name, "live").after == "1"
        destroy_stack(
            clients,
            RecordingUI(),
            stack=config.stack_name,
            app=config.name,
            assume_yes=True,
            artifact_bucket=bucket,
            sleep=Sleeps(),
            poll=0,
        )
    return recorder, template, (config, identity, bucket)


@pytest.fixture(scope="module")
def cycle(tmp_path_factory):
    return _record_full_cycle(tmp_path_factory.mktemp("cycle"))


def test_recorder_sees_every_call_of_a_deploy_update_destroy(cycle):
    recorder, _, _ = cycle
    actions = recorder.actions()
    assert {
        "cloudformation:CreateChangeSet",
        "cloudformation:ExecuteChangeSet",
        "cloudformation:DeleteStack",
        "cloudformation:GetTemplate",  # the dry-run preview
        "s3:CreateBucket",
        "s3:HeadObject",
        "s3:PutObject",
        "s3:DeleteObjects",
        "sts:GetCallerIdentity",
    } <= actions
    # one CreateChangeSet per deploy: the recorder counts calls, not just kinds
    assert sum(c.operation == "CreateChangeSet" for c in recorder.calls) == 2


def test_deployer_policy_covers_exactly_the_calls_made(cycle):
    recorder, template, (config, identity, bucket) = cycle
    policy = policy_module.deployer_policy(
        config,
        account=identity.account,
        region="us-east-1",
        artifact_bucket=bucket,
        ecr_repository=repository_name(config.name),
    )
    missing = sorted(
        f"{c.service}:{c.operation}"
        for c in set(recorder.calls)
        if f"{c.service}:{c.operation}" not in UNGATED
        and not policy_module.covers(policy, c.service, c.operation)
    )
    assert missing == [], f"the policy lacks: {missing}"
    # A family is used when we call it, or when some template this stack may hold (now or before
    # an update) has a resource of it: an update deletes those with the deployer's rights.
    used = {c.service for c in recorder.calls} | {
        NAMESPACE_PREFIX.get(r["Type"].split("::")[1], r["Type"].split("::")[1].lower())
        for t in policy_module.reachable_templates(config)
        for r in t["Resources"].values()
    }
    families = set()
    for statement in policy["Statement"]:
        actions = statement["Action"] if isinstance(statement["Action"], list) else [statement["Action"]]
        families |= {a.split(":")[0] for a in actions}
    assert families - used == set(), f"unused families in the policy: {json.dumps(sorted(families - used))}"


# Each step deploys the next config over the stack the previous one left: features on -> off,
# rest <-> http, api_key -> none, concurrency -> 0, function_url and keep_warm off. (moto's
# CloudFormation has no AWS::Lambda::Alias, so provisioned concurrency and SnapStart transitions
# run on the second local control plane: tests/cloud/test_ministack_transitions.py.)
TRANSITIONS = [
    {"function": {"keep_warm": "rate(5 minutes)", "reserved_concurrency": 3},
     "api": {"auth": "api_key", "function_url": True, "throttling_rate": 5}},
    {"api": {"type": "http", "auth": "iam"}},
    {},
]


def _transition_config(tmp_path: Path, extra: dict):
    (tmp_path / "model.onnx").write_bytes(b"not really onnx")
    raw: dict = {"name": "iris", "model": {"path": "model.onnx", "framework": "onnx"}}
    for section, values in extra.items():
        raw.setdefault(section, {}).update(values)
    return parse_config(raw, tmp_path / "lambdaserve.toml")


def test_transitions_between_templates_deploy_with_the_new_templates_policy(tmp_path: Path) -> None:
    recorder = CallRecorder()
    uncovered: list[str] = []
    with moto_server() as endpoint:
        clients = moto_clients(endpoint, recorder=recorder)
        identity = resolve_identity(clients, environ=FAKE_ENV, euid=1000)
        bucket = bucket_name(identity.account, clients.region)
        deployer = Deployer(clients, RecordingUI(), sleep=Sleeps(), poll=0)
        config = None
        for step, extra in enumerate(TRANSITIONS):
            config = _transition_config(tmp_path, extra)
            start = len(recorder.calls)
            artifact, steps = plan_zip_upload(clients, bucket=bucket, app=config.name,
                                              path=tiny_zip(tmp_path / f"{step}.zip", f"v{step}"))
            template = without_alias(render_template(config, artifact))  # as on `deploy --target local`
            request = DeployRequest(stack=config.stack_name, template=template, smoke=False,
                                    parameters=parameter_values(artifact), assume_yes=True)
            result = deployer.execute(deployer.plan(request, artifact_steps=steps, preview=True), request)
            assert result.outcome in ("created", "updated"), (step, result)
            publish_and_point(clients, config.name, "live", "")
            # moto's stack updates do not add or delete resources (a rest -> http update leaves the
            # REST API in place), so whether the resources change is checked on ministack instead.
            policy = policy_module.deployer_policy(config, account=identity.account, region=clients.region,
                                                   artifact_bucket=bucket, ecr_repository="unused")
            uncovered += [f"step {step}: {c.service}:{c.operation}" for c in recorder.calls[start:]
                          if f"{c.service}:{c.operation}" not in UNGATED
                          and not policy_module.covers(policy, c.service, c.operation)]
        assert config is not None
        start = len(recorder.calls)
        destroy_stack(clients, RecordingUI(), stack=config.stack_name, app=config.name, assume_yes=True,
                      artifact_bucket=bucket, sleep=Sleeps(), poll=0)
        uncovered += [f"destroy: {c.service}:{c.operation}" for c in recorder.calls[start:]
                      if f"{c.service}:{c.operation}" not in UNGATED
                      and not policy_module.covers(policy, c.service, c.operation)]
    assert uncovered == []
