"""`lambdaserve deploy | destroy | status | logs`: the cloud verbs.

deploy = build (no AWS calls) → plan (read-only calls: stack state, bucket, object, ECR
repository) → execute: recover the stack, upload or push, change set (preview, confirm,
execute, events) → outputs → smoke test. ``--dry-run`` prints the plan and stops. With
``--target local`` the same deploy goes to a moto server, and the emulator then serves
the deployed function until Ctrl-C.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

import click

from lambdaserve.cli.cloud_session import CloudSession, TerminalUI, open_cloud
from lambdaserve.cli.params import ENDPOINT_URL
from lambdaserve.cloud.cfn import Release, function_log_group_name, render_template
from lambdaserve.cloud.ops import parse_since, read_logs
from lambdaserve.cloud.stack import (
    LOCAL_SHIFT_SPEED,
    Deployer,
    DeployRequest,
    Step,
    app_status,
    destroy_stack,
    plan_image_push,
    plan_model_upload,
    plan_zip_upload,
    template_upload,
    version_description,
    without_alias,
)
from lambdaserve.cloud.store import (
    PARAM_IMAGE_URI,
    Artifact,
    ImageArtifact,
    ZipArtifact,
    bucket_name,
    ecr_credentials,
    parameter_values,
    placeholder,
    repository_name,
)
from lambdaserve.config import BUILD_RECORD, Config, load_config
from lambdaserve.config.model import TrafficShift
from lambdaserve.config.schema import TRAFFIC_SHIFTS
from lambdaserve.errors import CloudError
from lambdaserve.runtime.golden import GoldenSet

if TYPE_CHECKING:
    from lambdaserve.cli.build_package import Say


def cloud_options(func: Any) -> Any:
    """--target/--profile/--region/--endpoint-url/--config, shared by every cloud verb."""
    for option in reversed([
        click.option("--target", type=click.Choice(["aws", "local"]), default="aws", show_default=True,
                     help="aws, or local: a moto server as the cloud (started if none is running)."),
        click.option("--profile", default=None, help="AWS profile (default: AWS_PROFILE or 'default')."),
        click.option("--region", default=None, help="AWS region (default: deploy.region, then AWS_REGION)."),
        click.option("--endpoint-url", default=None, type=ENDPOINT_URL,
                     help="Another AWS endpoint, e.g. a moto server."),
        click.option("--config", "config_path", default=".", type=click.Path(path_type=Path),
                     help="The project folder or its lambdaserve.toml."),
    ]):
        func = option(func)
    return func


def _say(ui: TerminalUI) -> Say:
    from lambdaserve.cli.build_package import Say

    return Say(summary=ui.info, warn=ui.warn, progress=ui.info)


def _built_zip(config: Config, ui: TerminalUI, zip_path: Path | None) -> Path:
    """The zip to deploy: ``zip_path``, or one built and proved now, as `lambdaserve build` does."""
    if zip_path is not None:
        return zip_path
    from lambdaserve.cli.build_package import zip_built_and_proved

    built, _proof = zip_built_and_proved(config, _say(ui))
    return built.path


def _golden(config: Config, ui: TerminalUI, built: Path | None) -> GoldenSet | None:
    """What the smoke test POSTs: the golden requests build recorded for this very zip or image."""
    if built is None:
        return None
    from lambdaserve.cli.build_proof import golden_for

    golden, where = golden_for(config, built)
    (ui.info if golden is not None and golden.recorded else ui.warn)(f"smoke test: {where}")
    return golden


def _image_pusher(config: Config, cloud: CloudSession, ui: TerminalUI) -> Callable[[str], ImageArtifact]:
    def push(uri: str) -> ImageArtifact:
        from lambdaserve.cli.build_package import image_built_and_proved
        from lambdaserve.package.registry import Credentials, push_image

        registry = uri.split("/")[0]

        def fresh_login() -> Credentials:  # asked at every push: ECR logins expire after 12 hours
            username, password, _expires = ecr_credentials(cloud.clients, registry)
            return Credentials(username, password)

        built, _proof = image_built_and_proved(config, _say(ui))  # as `build` does
        pushed = push_image(built, f"{uri}:latest", credentials=fresh_login)
        for warning in pushed.warnings:
            ui.warn(warning)
        ui.info(f"pushed {pushed.image_uri}")
        return ImageArtifact(repository_uri=uri, digest=pushed.digest)

    return push


def _release(artifact: ZipArtifact, path: Path, ui: TerminalUI) -> Release | None:
    """The model hash and build time from the build.json written next to this zip, if it is this zip's."""
    try:
        record = json.loads((path.parent / BUILD_RECORD).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        record = {}
    if (not isinstance(record, dict) or record.get("sha256") != artifact.sha256
            or not record.get("model_sha256") or not record.get("built")):
        ui.warn(f"no build.json of {path.name} next to it: the published version's description will not "
                "name its model hash and build time (`lambdaserve status` shows them for builds it made)")
        return None
    return Release(str(record["model_sha256"]), str(record["built"]))


def _artifact(config: Config, cloud: CloudSession, ui: TerminalUI, deployer: Deployer, zip_path: Path | None,
              dry_run: bool) -> tuple[Artifact, list[Step], tuple[str, ...], Release | None, Path | None]:
    """The artifact, the steps still to run for it, the parameters not known until they run,
    what the build holds (for the version's description), and the zip or the image's build
    folder (whose build.json holds the golden requests)."""
    if config.function.package != "image":
        bucket = bucket_name(cloud.identity.account, cloud.clients.region)
        path = _built_zip(config, ui, zip_path)
        artifact, steps = plan_zip_upload(cloud.clients, bucket=bucket, app=config.name, path=path)
        if not steps:
            ui.info(f"code unchanged: s3://{bucket}/{artifact.key} already uploaded")
        if config.model.s3_uri:  # the zip leaves it out; the function fetches it at init
            model_steps = plan_model_upload(cloud.clients, uri=config.model.s3_uri, path=config.model.path,
                                            sha256=config.model.sha256)
            if not model_steps:
                ui.info(f"model unchanged: {config.model.s3_uri} already holds it")
            steps = [*steps, *model_steps]
        return artifact, steps, (), _release(artifact, path, ui), path
    if cloud.local is not None:
        raise CloudError("--target local deploys zip packages only: moto has no image registry",
                         hint="Set function.package = 'zip' to rehearse locally, or deploy the image to AWS.")
    steps = plan_image_push(cloud.clients, repository_name(config.name))
    if dry_run:  # the digest is known only once pushed
        return placeholder("image"), steps, (PARAM_IMAGE_URI,), None, None
    # the template pins the digest, so the push runs before the stack is planned
    image = deployer.push(steps)
    return image, [], (), None, config.build_dir / "image"


def _print_outputs(outputs: dict[str, str]) -> None:
    for key in ("ApiUrl", "FunctionName", "FunctionArn", "LogGroupName"):
        if key in outputs:
            click.echo(f"  {key:<13} {outputs[key]}")
    for key, value in sorted(outputs.items()):
        if key not in ("ApiUrl", "FunctionName", "FunctionArn", "LogGroupName"):
            click.echo(f"  {key:<13} {value}")


@click.command("deploy")
@cloud_options
@click.option("--yes", "-y", "assume_yes", is_flag=True, help="Do not ask before changing anything.")
@click.option("--no-smoke", is_flag=True,
              help="Skip the smoke test after the deploy (GET <ApiUrl>/health, then POST the golden requests "
                   "build recorded and compare the answers).")
@click.option("--artifact", "zip_path", default=None,
              type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="Deploy this built zip instead of running `lambdaserve build`.")
@click.option("--serve/--no-serve", default=True, show_default=True,
              help="With --target local: serve the deployed function with the emulator.")
@click.option("--port", default=3000, show_default=True, type=click.IntRange(0, 65535),
              help="With --target local: the emulator's port.")
@click.option("--dry-run", is_flag=True,
              help="Print the plan (recovery steps, uploads, the change against the deployed template) "
                   "and change nothing in AWS; the zip is still built locally.")
@click.option("--skip-doctor", "--no-doctor", "skip_doctor", is_flag=True,
              help="Do not run `lambdaserve doctor`'s local checks first.")
@click.option("--traffic-shift", "traffic_shift", default=None, type=click.Choice(TRAFFIC_SHIFTS),
              help="Override deploy.traffic_shift for this deploy: how CodeDeploy shifts traffic to the new "
                   "version (e.g. Canary10Percent5Minutes); '' moves the alias at once.")
@click.option("--shift-speed", "shift_speed", default=LOCAL_SHIFT_SPEED, show_default=True,
              type=click.FloatRange(min=1.0),
              help="With --target local and a traffic shift: how many times faster than on AWS the rehearsal "
                   "runs (60: each minute of the shift takes a second).")
def deploy(target: str, profile: str | None, region: str | None, endpoint_url: str | None, config_path: Path,
           assume_yes: bool, no_smoke: bool, zip_path: Path | None, serve: bool, port: int,
           dry_run: bool, skip_doctor: bool, traffic_shift: str | None, shift_speed: float) -> None:
    """Deploy the model as a Lambda function behind API Gateway (through a CloudFormation change set)."""
    config = load_config(config_path)
    if traffic_shift is not None:  # one config from here on: the template and the watcher read the same
        shift = cast(TrafficShift, traffic_shift)  # click's Choice checked it against the same names
        config = dataclasses.replace(config, deploy=dataclasses.replace(config.deploy, traffic_shift=shift))
    ui = TerminalUI(assume_yes)
    if not skip_doctor:  # every classic failure the doctor can see without AWS, before any AWS call
        from lambdaserve.cli.doctor_cmd import preflight

        builds = (zip_path is None) if config.function.package != "image" else not dry_run
        preflight(config, warn=ui.warn, build_follows=builds)  # ui.warn escapes: findings hold [brackets]
    with open_cloud(config, ui, target=target, profile=profile, region=region,
                    endpoint_url=endpoint_url, expect_state=False) as cloud:
        verb = "planning a deploy of" if dry_run else "deploying"
        ui.info(f"{verb} {config.stack_name} to account {cloud.identity.account}, {cloud.clients.region}")
        deployer = Deployer(cloud.clients, ui, push_image=_image_pusher(config, cloud, ui))
        artifact, artifact_steps, unknown, release, built = _artifact(config, cloud, ui, deployer, zip_path,
                                                                      dry_run)
        golden = _golden(config, ui, built) if not no_smoke else None
        from lambdaserve.cli.hook_artifact import plan_hook_upload

        hook = plan_hook_upload(config, cloud.clients, account=cloud.identity.account, built=built,
                                earlier_steps=artifact_steps)
        hook_artifact, hook_parameters = (hook.artifact, hook.parameters) if hook else (None, {})
        artifact_steps = [*artifact_steps, *(hook.steps if hook else ())]
        template = rendered = render_template(config, artifact, release, hook_artifact)
        if cloud.local is not None:  # moto's CloudFormation has no aliases: set through Lambda's API below
            template = without_alias(rendered)
        upload = template_upload(template, app=config.name, region=cloud.clients.region,
                                 bucket=bucket_name(cloud.identity.account, cloud.clients.region))
        request = DeployRequest(stack=config.stack_name, template=template,
                                parameters={**parameter_values(artifact), **hook_parameters},
                                tags={"lambdaserve:app": config.name},
                                stage=config.api.stage, assume_yes=assume_yes, auth=config.api.auth,
                                smoke=not no_smoke and cloud.local is None,
                                template_url=upload.url if upload else None, golden=golden,
                                traffic_shift=config.deploy.traffic_shift if cloud.local is None else "")
        plan = deployer.plan(request, artifact_steps=artifact_steps, template_upload=upload,
                             preview=dry_run, unknown_parameters=unknown)
        if dry_run:
            for line in plan.lines():
                click.echo(line)
            if cloud.local is not None and not no_smoke:  # not a plan step: it runs in the emulator
                posts = f", then POST {len(golden.requests)} golden requests" if golden else ""
                click.echo(f"  then: smoke test of the deployed zip in the local Lambda: GET /health{posts}")
            if cloud.local is not None and config.deploy.traffic_shift:
                click.echo(f"  then: rehearse traffic shift {config.deploy.traffic_shift} in the local "
                           f"Lambda ({shift_speed:g}x faster than on AWS) when a previous version serves")
            click.echo("dry run: nothing was changed")
            return
        try:
            result = deployer.execute(plan, request)
        except KeyboardInterrupt:
            if cloud.local is None:  # CloudFormation carries on without us
                ui.warn("stopped watching; CloudFormation finishes (or rolls back) the deploy on its own. "
                        "`lambdaserve status` shows where it is.")
            raise
        if result.outcome == "cancelled":
            raise click.exceptions.Exit(1)
        smoke, shifted = result.smoke, ""
        if cloud.local is not None and result.outputs.get("FunctionName"):
            from lambdaserve.cli.local_canary import release_locally

            smoke, shifted = release_locally(config, cloud, ui, result.outputs,
                                             version_description(rendered, request.parameters),
                                             golden, shift_speed, smoke=not no_smoke)
        click.echo(f"{config.stack_name}: {result.outcome}")
        _print_outputs(result.outputs)
        if result.rollout is not None:
            click.echo(f"  traffic shift {result.rollout.words()}")
        if shifted:
            click.echo(f"  traffic shift {shifted}")
        if smoke is not None:
            click.echo(f"  smoke test    {smoke.detail}")
            for note in smoke.notes:
                ui.warn(note)
        if cloud.local is not None and serve:
            from lambdaserve.cli.local_serve import serve_deployed

            serve_deployed(config, cloud, result.outputs, port=port, log=ui.info)


@click.command("destroy")
@cloud_options
@click.option("--yes", "-y", "assume_yes", is_flag=True, help="Do not ask for confirmation.")
@click.option("--artifacts", is_flag=True, help="Also delete this app's zips in S3 and its ECR repository.")
def destroy(target: str, profile: str | None, region: str | None, endpoint_url: str | None,
            config_path: Path, assume_yes: bool, artifacts: bool) -> None:
    """Delete the deployed stack (and with --artifacts, its uploaded code)."""
    config = load_config(config_path)
    ui = TerminalUI(assume_yes)
    with open_cloud(config, ui, target=target, profile=profile, region=region,
                    endpoint_url=endpoint_url) as cloud:
        bucket = bucket_name(cloud.identity.account, cloud.clients.region) if artifacts else None
        repo = repository_name(config.name) if artifacts else None
        result = destroy_stack(cloud.clients, ui, stack=config.stack_name, app=config.name,
                               assume_yes=assume_yes, artifact_bucket=bucket, repository=repo)
        click.echo(f"{config.stack_name}: " + ("deleted" if result.stack_deleted else "not deployed"))


@click.command("status")
@cloud_options
@click.option("--json", "as_json", is_flag=True, help="Print the status as JSON.")
def status(target: str, profile: str | None, region: str | None, endpoint_url: str | None,
           config_path: Path, as_json: bool) -> None:
    """The stack's state, the function's configuration and the API URL."""
    config = load_config(config_path)
    ui = TerminalUI()
    with open_cloud(config, ui, target=target, profile=profile, region=region,
                    endpoint_url=endpoint_url) as cloud:
        found = app_status(cloud.clients, config.stack_name, stage=config.api.stage)
    if as_json:
        click.echo(json.dumps({"stack": found.stack, "status": found.status, "reason": found.reason,
                               "updated": found.updated, "outputs": found.outputs,
                               "function": found.function,
                               "failures": [f"{f.logical_id}: {f.reason}" for f in found.failures],
                               "versions": None if found.versions is None else {
                                   "alias": found.versions.alias, "live": found.versions.live,
                                   "published": [{"version": v.version, "traffic": v.weight,
                                                  "model_sha256": v.model_sha256, "built": v.built}
                                                 for v in found.versions.published]}},
                              indent=1, default=str))
        return
    if not found.deployed:
        click.echo(f"{found.stack}: not deployed (run `lambdaserve deploy`)")
        return
    click.echo(f"{found.stack}: {found.status}" + (f" ({found.reason})" if found.reason else ""))
    click.echo(f"  updated       {found.updated}")
    _print_outputs(found.outputs)
    for key, value in found.function.items():
        click.echo(f"  {key:<13} {value}")
    if found.versions is not None:
        click.echo(f"  versions      behind alias {found.versions.alias!r} "
                   "(`lambdaserve rollback` serves the previous one)")
        for v in reversed(found.versions.published):
            serves = f"serves {v.weight:.0%}" if v.weight > 0 else "standby"
            click.echo(f"    {v.version:>5}  {serves:<12} model {v.model_sha256[:12] or '?':<12} "
                       f"built {v.built or '?'}")
    for failure in found.failures:
        click.echo(f"  failed        {failure.logical_id} ({failure.resource_type}): {failure.reason}")
    if found.status and found.status.endswith(("_FAILED", "ROLLBACK_COMPLETE")):
        click.echo("  `lambdaserve deploy` recovers from this state (it asks before deleting anything).")


@click.command("logs")
@cloud_options
@click.option("--since", default="10m", show_default=True, help="How far back: 30s, 10m, 2h, 1d.")
@click.option("--tail", is_flag=True, help="Keep printing new lines until Ctrl-C.")
def logs(target: str, profile: str | None, region: str | None, endpoint_url: str | None,
         config_path: Path, since: str, tail: bool) -> None:
    """Print the function's CloudWatch logs."""
    config = load_config(config_path)
    seconds = parse_since(since)
    ui = TerminalUI()
    with open_cloud(config, ui, target=target, profile=profile, region=region,
                    endpoint_url=endpoint_url) as cloud:
        found = app_status(cloud.clients, config.stack_name, stage=config.api.stage)
        group = found.outputs.get("LogGroupName") or function_log_group_name(config)
        for event in read_logs(cloud.clients, group, since_seconds=seconds, tail=tail):
            click.echo(event.message)


COMMANDS = [deploy, destroy, status, logs]
