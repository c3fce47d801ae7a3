"""The pre-traffic hook's zip in the deploy flow (deploy.traffic_shift): built from the golden
requests `lambdaserve build` recorded for the very zip being deployed, uploaded beside it.

Wires package.build_hook_zip to cloud's upload plan; the template names the result through
``render_template(..., hook=)`` and the change set through ``hook_parameter_values``.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from lambdaserve.cloud import AwsClients
from lambdaserve.cloud.stack import Step, plan_zip_upload
from lambdaserve.cloud.store import ZipArtifact, bucket_name, hook_parameter_values
from lambdaserve.config import Config
from lambdaserve.errors import CloudError, LambdaServeError

HOOK_ZIP_NAME = "pretraffic-hook.zip"


@dataclass(frozen=True)
class HookUpload:
    artifact: ZipArtifact
    steps: tuple[Step, ...]  # what uploading it takes (nothing when already there)

    @property
    def parameters(self) -> dict[str, str]:
        return hook_parameter_values(self.artifact)


def plan_hook_upload(config: Config, clients: AwsClients, *, account: str, built: Path | None,
                     earlier_steps: tuple[Step, ...] | list[Step] = ()) -> HookUpload | None:
    """The hook's zip and its upload steps, or None without a traffic shift.

    ``built``: the function's zip (its build.json holds the golden requests); ``earlier_steps``:
    the function zip's own upload plan, whose bucket creation is not repeated.
    """
    if not config.deploy.traffic_shift:
        return None
    if built is None:
        raise CloudError("a traffic shift needs the golden requests `lambdaserve build` records for a zip; "
                         "images record none yet",
                         hint='Set function.package = "zip", or deploy.traffic_shift = "" for this image.')
    from lambdaserve.cli.build_proof import golden_for
    from lambdaserve.package import build_hook_zip

    golden, where = golden_for(config, built)
    try:
        path = build_hook_zip(golden, built.with_name(HOOK_ZIP_NAME))
    except LambdaServeError as exc:
        raise type(exc)(f"{exc.message} ({where})", hint=exc.hint) from exc
    artifact, steps = plan_zip_upload(clients, bucket=bucket_name(account, clients.region), app=config.name,
                                      path=path)
    return HookUpload(artifact, tuple(s for s in steps if s not in earlier_steps))
