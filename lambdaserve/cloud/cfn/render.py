"""The CloudFormation template deploy uses, and its SAM twin; pure functions of (config, artifact).

The artifact's location is a set of Parameters (``artifact.PARAM_*``) whose defaults are the
artifact passed in, so the printed template is the deployed one. Logical IDs and names come
from ``template_common``; the deployer policy derives its scope from them.
"""

from __future__ import annotations

import json
from typing import Any

import yaml

from lambdaserve.cloud.cfn import common as c
from lambdaserve.cloud.cfn.common import Json
from lambdaserve.cloud.cfn.function import Release, function_resources, parameters
from lambdaserve.cloud.cfn.http_api import http_resources
from lambdaserve.cloud.cfn.options import option_resources
from lambdaserve.cloud.cfn.outputs import (
    OUTPUT_API_KEY_ID,
    OUTPUT_API_LOG_GROUP,
    OUTPUT_API_URL,
    OUTPUT_FUNCTION_ARN,
    OUTPUT_FUNCTION_NAME,
    OUTPUT_FUNCTION_URL,
    OUTPUT_LOG_GROUP,
    OUTPUT_PREDICT_URL,
    api_log_group,
    description,
    outputs,
)
from lambdaserve.cloud.cfn.rest_api import rest_resources
from lambdaserve.cloud.cfn.rollout import (
    ALARMS,
    CODEDEPLOY_GROUP,
    HOOK_FUNCTION,
    alias_update_policy,
    hook_parameters,
    rollout_resources,
)
from lambdaserve.cloud.cfn.sam import render_sam
from lambdaserve.cloud.store.artifact_ref import Artifact, ZipArtifact
from lambdaserve.config import Config


def render_template(config: Config, artifact: Artifact, release: Release | None = None,
                    hook: ZipArtifact | None = None) -> dict[str, Any]:
    """Plain CloudFormation (no transform): what ``lambdaserve deploy`` creates the change set from.

    ``release``: the build's model hash and time, for the published version's description.
    ``hook``: the pre-traffic hook's uploaded zip (package.hook_zip), used with deploy.traffic_shift;
    without it the template names a placeholder.
    """
    resources: dict[str, Json] = {}
    resources.update(function_resources(config, artifact, release))
    resources[c.API_LOG_GROUP] = api_log_group(config)
    if config.api.type == "rest":
        resources.update(rest_resources(config))
    else:
        resources.update(http_resources(config))
    resources.update(option_resources(config))
    if config.deploy.traffic_shift:
        resources.update(rollout_resources(config))
        alias = resources[c.FUNCTION_ALIAS]
        alias["UpdatePolicy"] = alias_update_policy()
        # CodeDeploy reads the alarms and invokes the hook when the alias moves: both must already
        # describe the new version by then.
        after = {CODEDEPLOY_GROUP, HOOK_FUNCTION, *ALARMS}
        alias["DependsOn"] = sorted(set(alias.get("DependsOn", [])) | after)
    return {
        "AWSTemplateFormatVersion": "2010-09-09",
        "Description": description(config),
        "Parameters": {**parameters(artifact), **hook_parameters(config, hook)},
        "Resources": resources,
        "Outputs": outputs(config),
    }


class _Dumper(yaml.SafeDumper):  # type: ignore[misc]  # PyYAML ships no type hints
    """Block style, no aliases, multi-line strings kept literal."""

    def ignore_aliases(self, data: Any) -> bool:
        return True


def _str(dumper: yaml.SafeDumper, value: str) -> yaml.Node:
    style = "|" if "\n" in value else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


_Dumper.add_representer(str, _str)


def to_yaml(template: dict[str, Any]) -> str:
    """Deterministic YAML: keys in the order the generator built them, intrinsics in long form."""
    return str(yaml.dump(template, Dumper=_Dumper, sort_keys=False, default_flow_style=False,
                         allow_unicode=True, width=4096))


def to_json(template: dict[str, Any]) -> str:
    return json.dumps(template, indent=2, ensure_ascii=False) + "\n"


__all__ = [
    "OUTPUT_API_KEY_ID", "OUTPUT_API_LOG_GROUP", "OUTPUT_API_URL", "OUTPUT_FUNCTION_ARN",
    "OUTPUT_FUNCTION_NAME", "OUTPUT_FUNCTION_URL", "OUTPUT_LOG_GROUP", "OUTPUT_PREDICT_URL",
    "Release", "render_sam", "render_template", "to_json", "to_yaml",
]
