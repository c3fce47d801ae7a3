"""Change sets: create one, wait for it, read its diff, execute or discard it."""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal, get_args

from botocore.exceptions import ClientError

from lambdaserve.cloud.aws import AwsClients, Sleep, error_code, error_message
from lambdaserve.errors import CloudError

MAX_TEMPLATE_BODY = 51_200  # bytes CloudFormation accepts inline; larger goes through S3
CAPABILITIES = ["CAPABILITY_IAM", "CAPABILITY_NAMED_IAM"]
# AWS says the first, moto (and old CloudFormation) the second.
_NO_CHANGES = ("didn't contain changes", "No updates are to be performed")


# CloudFormation's documented ResourceChange values; "" is a Replacement outside a Modify.
ChangeAction = Literal["Add", "Modify", "Remove", "Import", "Dynamic"]
Replacement = Literal["True", "False", "Conditional", ""]
# A FAILED change set raises; NO_CHANGES is our own, for "nothing to do".
ChangeSetStatus = Literal["CREATE_COMPLETE", "NO_CHANGES"]


@dataclass(frozen=True)
class Change:
    action: ChangeAction
    logical_id: str
    resource_type: str
    replacement: Replacement
    physical_id: str = ""


@dataclass(frozen=True)
class ChangeSet:
    arn: str
    stack_id: str
    status: ChangeSetStatus
    reason: str
    changes: tuple[Change, ...]

    @property
    def empty(self) -> bool:
        return self.status == "NO_CHANGES"


def is_no_changes(reason: str) -> bool:
    return any(phrase in reason for phrase in _NO_CHANGES)


def create_change_set(clients: AwsClients, *, stack: str, name: str, template: Mapping[str, Any],
                      parameters: Mapping[str, str], change_set_type: str, tags: Mapping[str, str],
                      template_url: str | None = None, sleep: Sleep = time.sleep,
                      poll: float = 2.0, timeout: float = 600.0) -> ChangeSet:
    """Create the change set and wait until it is ready (or known to be empty)."""
    body = json.dumps(template)  # key order kept: moto creates resources in template order
    source = {"TemplateURL": template_url} if template_url else {"TemplateBody": body}
    try:
        created = clients.call(
            "cloudformation", "create_change_set", StackName=stack, ChangeSetName=name,
            ChangeSetType=change_set_type, Capabilities=CAPABILITIES, **source,
            Parameters=[{"ParameterKey": k, "ParameterValue": v} for k, v in sorted(parameters.items())],
            Tags=[{"Key": k, "Value": v} for k, v in sorted(tags.items())])
    except ClientError as exc:
        if is_no_changes(error_message(exc)):
            return ChangeSet("", "", "NO_CHANGES", error_message(exc), ())
        if error_code(exc) != "ValidationError":
            raise  # permissions, throttling: explained where every AWS error is
        raise CloudError(f"CloudFormation refused the change set: {error_code(exc)}: {error_message(exc)}",
                         hint="Run `lambdaserve template` and validate it with cfn-lint.") from exc
    arn = str(created["Id"])
    waited = 0.0
    while True:
        found = clients.call("cloudformation", "describe_change_set", ChangeSetName=arn)
        status, reason = str(found["Status"]), str(found.get("StatusReason", ""))
        if status == "FAILED":
            if is_no_changes(reason):
                return ChangeSet(arn, str(found.get("StackId", "")), "NO_CHANGES", reason, ())
            raise CloudError(f"the change set failed: {reason}",
                             hint="Fix the template or its parameters; `lambdaserve template` shows it.")
        if status == "CREATE_COMPLETE":
            stack_id = str(found.get("StackId", created.get("StackId", "")))
            return ChangeSet(arn, stack_id, "CREATE_COMPLETE", reason, tuple(_changes(clients, arn, found)))
        if waited >= timeout:
            raise CloudError(f"the change set {name} is still {status} after {int(waited)} s",
                             hint="Look at it in the CloudFormation console.")
        sleep(poll)
        waited += poll


def _changes(clients: AwsClients, arn: str, first: dict[str, Any]) -> list[Change]:
    raw = list(first.get("Changes", []))
    if first.get("NextToken"):  # the status poll read page 1; the paginator reads the rest
        raw += clients.paginate("cloudformation", "describe_change_set", "Changes", ChangeSetName=arn,
                                PaginationConfig={"StartingToken": first["NextToken"]})
    changes = []
    for item in raw:
        rc = item.get("ResourceChange", {})
        changes.append(Change(action=_action(rc.get("Action")),
                              logical_id=str(rc.get("LogicalResourceId", "")),
                              resource_type=str(rc.get("ResourceType", "")),
                              replacement=_replacement(rc.get("Replacement", "")),
                              physical_id=str(rc.get("PhysicalResourceId", ""))))
    return changes


def _action(value: object) -> ChangeAction:
    for known in get_args(ChangeAction):
        if value == known:
            return known  # type: ignore[no-any-return]
    # A value CloudFormation added after us: shown as a change whose effect is decided at run time.
    return "Dynamic"


def _replacement(value: object) -> Replacement:
    for known in get_args(Replacement):
        if value == known:
            return known  # type: ignore[no-any-return]
    return "Conditional"  # unknown: the cautious reading, it may replace


def execute_change_set(clients: AwsClients, arn: str) -> None:
    clients.call("cloudformation", "execute_change_set", ChangeSetName=arn)


def delete_change_set(clients: AwsClients, arn: str) -> None:
    if not arn:
        return
    try:
        clients.call("cloudformation", "delete_change_set", ChangeSetName=arn)
    except ClientError as exc:
        if error_code(exc) not in ("ChangeSetNotFound", "ChangeSetNotFoundException"):
            raise


def describe_changes(changes: tuple[Change, ...] | list[Change]) -> list[str]:
    """Readable diff lines: '+ Add Function (AWS::Lambda::Function)', '~ Modify Api ... replacement: True'."""
    marks = {"Add": "+", "Remove": "-", "Modify": "~"}
    lines = []
    for change in changes:
        line = f"{marks.get(change.action, '*')} {change.action} {change.logical_id} ({change.resource_type})"
        if change.action == "Modify" and change.replacement in ("True", "Conditional"):
            line += f"  replacement: {change.replacement}"
        lines.append(line)
    return lines


@dataclass(frozen=True)
class TemplateUpload:
    """A template too big to send inline, and where it goes in the artifact bucket."""

    bucket: str
    key: str
    body: bytes
    url: str


def template_upload(template: Mapping[str, Any], *, bucket: str, app: str,
                    region: str) -> TemplateUpload | None:
    """Where a template over CloudFormation's inline limit goes (content-addressed); None if it fits."""
    body = json.dumps(template).encode()
    if len(body) <= MAX_TEMPLATE_BODY:
        return None
    key = f"{app}/templates/{hashlib.sha256(body).hexdigest()}.json"
    return TemplateUpload(bucket, key, body, f"https://{bucket}.s3.{region}.amazonaws.com/{key}")


def put_template(clients: AwsClients, upload: TemplateUpload) -> None:
    clients.call("s3", "put_object", Bucket=upload.bucket, Key=upload.key, Body=upload.body,
                 ContentType="application/json")


def template_url_if_large(clients: AwsClients, template: Mapping[str, Any], *, bucket: str,
                          app: str) -> str | None:
    """Templates over CloudFormation's inline limit go to the artifact bucket; returns their URL."""
    upload = template_upload(template, bucket=bucket, app=app, region=clients.region)
    if upload is None:
        return None
    put_template(clients, upload)
    return upload.url
