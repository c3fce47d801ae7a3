"""A traffic shift turned on, changed and turned off on the local cloud (moto), as `deploy --target
local` runs it: each update deploys, uploading the hook's zip, and its calls are allowed by the
deployer's two policies (deployer_policy + rollout_policy).

moto's CloudFormation has no AWS::CodeDeploy::*, AWS::CloudWatch::Alarm or AWS::Lambda::Alias, and
its updates crash on resources it skipped, so the local template leaves the rollout out
(moto_alias.without_alias): CloudFormation's own CodeDeploy and CloudWatch calls are not replayed
here. tests/cloud/test_policy_transitions.py checks their grants statically, on every pair of
templates with and without a shift.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from lambdaserve.cloud.aws import CallRecorder
from lambdaserve.cloud.cfn import rollout as r
from lambdaserve.cloud.cfn.render import render_template
from lambdaserve.cloud.iam import policy as policy_module
from lambdaserve.cloud.iam.credentials import resolve_identity
from lambdaserve.cloud.iam.rollout_rights import rollout_policy
from lambdaserve.cloud.stack.deployer import Deployer, DeployRequest
from lambdaserve.cloud.stack.destroy import destroy_stack
from lambdaserve.cloud.stack.moto_alias import without_alias
from lambdaserve.cloud.stack.plan import plan_zip_upload
from lambdaserve.cloud.store.artifact_ref import hook_parameter_values, parameter_values
from lambdaserve.cloud.store.buckets import bucket_name
from lambdaserve.config import parse_config
from lambdaserve.package.hook_zip import build_hook_zip
from lambdaserve.runtime.golden import GoldenRequest, GoldenSet
from tests.cloud.fakes import FAKE_ENV, RecordingUI, Sleeps, moto_clients, moto_server
from tests.cloud.handmade import tiny_zip

pytestmark = pytest.mark.slow
UNGATED = {"sts:GetCallerIdentity"}
STEPS = ["", "Canary10Percent5Minutes", "Linear10PercentEvery1Minute", ""]


def test_shift_on_changed_and_off_deploys_with_the_two_policies(tmp_path: Path) -> None:
    (tmp_path / "model.onnx").write_bytes(b"not really onnx")
    recorder = CallRecorder()
    uncovered: list[str] = []
    with moto_server() as endpoint:
        clients = moto_clients(endpoint, recorder=recorder)
        identity = resolve_identity(clients, environ=FAKE_ENV, euid=1000)
        bucket = bucket_name(identity.account, clients.region)
        deployer = Deployer(clients, RecordingUI(), sleep=Sleeps(), poll=0)
        for step, shift in enumerate(STEPS):
            config = parse_config({"name": "iris", "model": {"path": "model.onnx", "framework": "onnx"},
                                   "deploy": {"traffic_shift": shift}}, tmp_path / "lambdaserve.toml")
            start = len(recorder.calls)
            artifact, steps = plan_zip_upload(clients, bucket=bucket, app=config.name,
                                              path=tiny_zip(tmp_path / f"{step}.zip", f"v{step}"))
            parameters = parameter_values(artifact)
            hook = None
            if shift:
                golden = GoldenSet((GoldenRequest(f"step {step}", {"data": [[step]]}, "/predict",
                                                  answer={"predictions": [step]}),))
                hook, hook_steps = plan_zip_upload(clients, bucket=bucket, app=config.name,
                                                   path=build_hook_zip(golden, tmp_path / f"hook{step}.zip"))
                steps += [s for s in hook_steps if s not in steps]
                parameters |= hook_parameter_values(hook)
            template = without_alias(render_template(config, artifact, hook=hook))
            request = DeployRequest(stack=config.stack_name, template=template, smoke=False,
                                    parameters=parameters, assume_yes=True)
            result = deployer.execute(deployer.plan(request, artifact_steps=steps, preview=True), request)
            assert result.outcome in ("created", "updated"), (step, result)
            assert not set(template["Resources"]) & set(r.ROLLOUT_IDS)
            base = policy_module.deployer_policy(config, account=identity.account, region=clients.region,
                                                 artifact_bucket=bucket, ecr_repository="unused")
            shifting = parse_config({"name": "iris", "model": {"path": "model.onnx", "framework": "onnx"},
                                     "deploy": {"traffic_shift": "AllAtOnce"}}, tmp_path / "lambdaserve.toml")
            extra = rollout_policy(shifting, account=identity.account, region=clients.region,
                                   artifact_bucket=bucket)
            policy = {"Version": "2012-10-17", "Statement": base["Statement"] + extra["Statement"]}
            uncovered += [f"step {step}: {c.service}:{c.operation}" for c in recorder.calls[start:]
                          if f"{c.service}:{c.operation}" not in UNGATED
                          and not policy_module.covers(policy, c.service, c.operation)]
        destroy_stack(clients, RecordingUI(), stack=config.stack_name, app=config.name, assume_yes=True,
                      artifact_bucket=bucket, sleep=Sleeps(), poll=0)
    assert uncovered == []
