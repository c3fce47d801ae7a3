"""AWS reads the doctor needs (the CLI hands them to lambdaserve.doctor as probes).

IAM simulation statement by statement (so resource-scoped grants are judged on the
resources a deploy touches), the deployed stage's access-log format, and the function's
recent log lines for `doctor --remote`.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

from botocore.exceptions import ClientError

from lambdaserve.cloud.aws import AwsClients, error_code
from lambdaserve.errors import CloudError

_ASSUMED = re.compile(r"^arn:(aws[\w-]*):sts::(\d{12}):assumed-role/([^/]+)/.+$")


def principal_arn(caller_arn: str) -> str:
    """The IAM principal behind an STS caller ARN (assumed-role sessions map to their role)."""
    match = _ASSUMED.match(caller_arn)
    return f"arn:{match.group(1)}:iam::{match.group(2)}:role/{match.group(3)}" if match else caller_arn


def denied_actions(clients: AwsClients, caller_arn: str, policy: dict[str, Any]) -> list[str]:
    """The policy's actions iam:SimulatePrincipalPolicy says the caller may not perform."""
    principal = principal_arn(caller_arn)
    denied: set[str] = set()
    for statement in policy.get("Statement", []):
        actions = statement.get("Action", [])
        actions = [actions] if isinstance(actions, str) else list(actions)
        resources = statement.get("Resource", "*")
        resources = [resources] if isinstance(resources, str) else list(resources)
        params: dict[str, Any] = {"PolicySourceArn": principal, "ActionNames": actions}
        if resources != ["*"]:
            params["ResourceArns"] = resources
        try:
            results = clients.paginate("iam", "simulate_principal_policy", "EvaluationResults", **params)
        except ClientError as exc:
            if error_code(exc) in ("AccessDenied", "AccessDeniedException"):
                raise CloudError(f"{principal} may not call iam:SimulatePrincipalPolicy, so the deploy "
                                 "permissions cannot be checked in advance",
                                 hint="Allow iam:SimulatePrincipalPolicy on yourself, or compare your policy "
                                      "with `lambdaserve policy` by hand.") from exc
            raise
        denied |= {r["EvalActionName"] for r in results if r.get("EvalDecision") != "allowed"}
    return sorted(denied)


def deployed_access_log(clients: AwsClients, outputs: dict[str, str], api_type: str,
                        stage: str) -> str | None:
    """The access-log format of the deployed stage, or None when it logs no access."""
    api_id = outputs.get("ApiId") or _api_id(outputs.get("ApiUrl", ""))
    if not api_id:
        return None
    if api_type == "http":
        found = clients.call("apigatewayv2", "get_stage", ApiId=api_id, StageName=stage)
        return (found.get("AccessLogSettings") or {}).get("Format")
    found = clients.call("apigateway", "get_stage", restApiId=api_id, stageName=stage)
    return (found.get("accessLogSettings") or {}).get("format")


def _api_id(url: str) -> str:
    match = re.match(r"^https?://([a-z0-9]+)\.execute-api\.", url)
    return match.group(1) if match else ""


def recent_log_text(clients: AwsClients, groups: Sequence[str], *, since_ms: int, limit: int = 2000) -> str:
    """The messages of the groups' recent events (filter_log_events), oldest first, one per line."""
    lines: list[str] = []
    for group in groups:
        params: dict[str, Any] = {"logGroupName": group, "startTime": since_ms, "limit": min(limit, 10000)}
        try:
            events = clients.paginate("logs", "filter_log_events", "events", **params)
        except ClientError as exc:
            if error_code(exc) == "ResourceNotFoundException":
                continue
            raise
        lines += [str(e.get("message", "")).rstrip("\n") for e in events[:limit]]
    return "\n".join(lines)
