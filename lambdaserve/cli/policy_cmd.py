"""`lambdaserve policy`: print the least-privilege IAM policy that deploys this project."""

from __future__ import annotations

import json
import os
from pathlib import Path

import boto3
import click
from rich.console import Console

from lambdaserve.cli.params import ENDPOINT_URL
from lambdaserve.cloud import AwsClients, make_session, resolve_region
from lambdaserve.cloud.iam import deployer_policy, needs_rollout_policy, resolve_identity, rollout_policy
from lambdaserve.cloud.store import bucket_name, repository_name
from lambdaserve.config import load_config
from lambdaserve.errors import CloudError

err = Console(stderr=True, highlight=False)


def _account_from_credentials(session: boto3.Session, profile: str | None, region: str,
                              endpoint_url: str | None) -> str:
    try:
        clients = AwsClients(session, region, endpoint_url)
        return resolve_identity(clients, profile=profile, warn=lambda m: err.print(f"warning: {m}")).account
    except CloudError as exc:
        raise CloudError(f"cannot tell the AWS account: {exc.message}",
                         hint="Pass --account 123456789012, or fix the credentials: " + exc.hint) from exc


@click.command("policy")
@click.option("--account", help="AWS account id (default: the one your credentials belong to).")
@click.option("--region", help="AWS region (default: deploy.region, then AWS_REGION / the profile's region).")
@click.option("--profile", help="AWS profile used to look up the account.")
@click.option("--endpoint-url", type=ENDPOINT_URL, help="AWS endpoint for that lookup (moto, LocalStack).")
@click.option("--output", "-o", type=click.Path(dir_okay=False, path_type=Path),
              help="Write to FILE instead of stdout.")
@click.option("--rollout", is_flag=True,
              help="Print the second policy a traffic shift needs (CodeDeploy, its alarms, the pre-traffic "
                   "hook): attach both while the stack has or had deploy.traffic_shift.")
@click.option("--config", "config_path", default=".", type=click.Path(path_type=Path),
              help="lambdaserve.toml or its folder.")
def policy_cmd(account: str | None, region: str | None, profile: str | None, endpoint_url: str | None,
               output: Path | None, rollout: bool, config_path: Path) -> None:
    """Print the IAM policy a deployer needs for this project, scoped to its stack."""
    config = load_config(config_path)
    # The same resolution as deploy: --region, deploy.region, then AWS_REGION / the profile's region.
    session = make_session(profile=profile, region=region or config.deploy.region or None, environ=os.environ)
    region = resolve_region(region, config.deploy.region, session)
    account = account or _account_from_credentials(session, profile, region, endpoint_url)
    if rollout:
        policy = rollout_policy(config, account=account, region=region,
                                artifact_bucket=bucket_name(account, region))
    else:
        policy = deployer_policy(config, account=account, region=region,
                                 artifact_bucket=bucket_name(account, region),
                                 ecr_repository=repository_name(config.name))
    text = json.dumps(policy, indent=2) + "\n"
    if output is None:
        click.echo(text, nl=False)
    else:
        output.write_text(text, encoding="utf-8")
        err.print(f"wrote {output}")
    err.print(f"note: covers deploy, update and destroy of stack {config.stack_name} in {region}; "
              "regenerate it after changing features in lambdaserve.toml.")
    if needs_rollout_policy(config) and not rollout:
        # One document with both would pass IAM's 6,144-character limit for a managed policy.
        err.print("note: deploy.traffic_shift is set: also attach `lambdaserve policy --rollout` "
                  "(CodeDeploy, its alarms and the pre-traffic hook).")


COMMANDS = [policy_cmd]
