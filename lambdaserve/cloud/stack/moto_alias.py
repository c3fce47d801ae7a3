"""The live alias on the local cloud, whose CloudFormation (moto) cannot create one.

moto's CloudFormation has no AWS::Lambda::Alias: it skips the resource, a Ref to it resolves to
nothing, and the API's Permission fails to create (KeyError 'FunctionName'). The SnapStart and
provisioned-concurrency templates, which had the alias before every template did, failed on
`deploy --target local` the same way; the transition tests ran them on ministack instead.

(moto's Version resource does publish, but without its description, and an update never publishes
again.) So `deploy --target local` deploys the template without the Version and the Alias, its
fronts on the function's ARN, then does their work through Lambda's API, which moto has: it
publishes a version with the template's description (Lambda publishes only when code or
configuration changed) and points the alias at it. `status` and `rollback` then work on the local
cloud as on AWS. The template deployed to AWS is never rewritten.
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Mapping
from typing import Any

from botocore.exceptions import ClientError

from lambdaserve.cloud.aws import AwsClients
from lambdaserve.cloud.cfn import common as c
from lambdaserve.cloud.cfn.rollout import ROLLOUT_IDS

_FUNCTION_ARN = {"Fn::GetAtt": [c.FUNCTION, "Arn"]}


def _rewrite(value: Any) -> Any:
    if isinstance(value, dict):
        if value == {"Ref": c.FUNCTION_ALIAS}:
            return dict(_FUNCTION_ARN)
        return {k: _rewrite(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_rewrite(v) for v in value]
    if isinstance(value, str):
        return value.replace("${" + c.FUNCTION_ALIAS + "}", "${" + c.FUNCTION + ".Arn}")
    return value


def version_description(template: Mapping[str, Any], parameters: Mapping[str, str]) -> str:
    """The Version resource's description, its ${parameters} filled in as CloudFormation would."""
    version = template.get("Resources", {}).get(c.FUNCTION_VERSION, {})
    value = version.get("Properties", {}).get("Description", "")
    text = value.get("Fn::Sub", "") if isinstance(value, dict) else str(value)
    for key, parameter in parameters.items():
        text = text.replace("${" + key + "}", parameter)
    return str(text)


def without_alias(template: dict[str, Any]) -> dict[str, Any]:
    """``template`` for moto: no Version or Alias resource, every front on the function's ARN.

    Nor a traffic shift's resources: moto's CloudFormation has no CodeDeploy or alarms, and its
    updates fail on resources it skipped; without an alias there is nothing to shift anyway.
    """
    out = copy.deepcopy(template)
    resources = out.get("Resources", {})
    for logical_id in (c.FUNCTION_ALIAS, c.FUNCTION_VERSION, *ROLLOUT_IDS):
        resources.pop(logical_id, None)
    for resource in resources.values():
        depends = resource.get("DependsOn")
        if isinstance(depends, list) and c.FUNCTION_ALIAS in depends:
            depends.remove(c.FUNCTION_ALIAS)
            if not depends:
                del resource["DependsOn"]
        if resource.get("Type") == "AWS::Lambda::Url":
            resource.get("Properties", {}).pop("Qualifier", None)
        if resource.get("Type") == "AWS::Lambda::Alias":
            continue
        resource["Properties"] = _rewrite(resource.get("Properties", {}))
    return out


def publish(clients: AwsClients, function: str, description: str) -> str:
    """Publish ``function`` (Lambda answers with the newest version when nothing changed)."""
    return str(clients.call("lambda", "publish_version", FunctionName=function,
                            Description=description)["Version"])


def point(clients: AwsClients, function: str, alias: str, version: str,
          weights: Mapping[str, float] | None = None) -> None:
    """Create ``alias`` on ``version``, or move it there with ``weights`` (another version -> its share)."""
    routing = {"AdditionalVersionWeights": dict(weights or {})}
    try:
        clients.call("lambda", "get_alias", FunctionName=function, Name=alias)
    except ClientError as exc:
        if exc.response.get("Error", {}).get("Code") != "ResourceNotFoundException":
            raise
        clients.call("lambda", "create_alias", FunctionName=function, Name=alias, FunctionVersion=version,
                     RoutingConfig=routing)
    else:
        clients.call("lambda", "update_alias", FunctionName=function, Name=alias, FunctionVersion=version,
                     RoutingConfig=routing)


def publish_and_point(clients: AwsClients, function: str, alias: str, description: str,
                      warn: Callable[[str], None] = lambda _message: None) -> str:
    """Publish ``function`` and create or move ``alias`` to it; returns the version.

    No pruning here, unlike deploy's PruneVersions step on AWS: moto numbers a new version
    len(versions) + 1, so once a version is deleted the next publish reuses a live number (two
    versions "3", and Qualifier=3 finds the older), and the local rehearsal would serve old code."""
    newest = publish(clients, function, description)
    point(clients, function, alias, newest)
    return newest
