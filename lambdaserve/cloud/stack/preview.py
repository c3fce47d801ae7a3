"""A read-only preview of a deploy's changes: the new template against the deployed one.

A change set is the exact diff, but creating one is a write (and leaves a REVIEW_IN_PROGRESS
stack behind on a first create), so ``deploy --dry-run`` compares templates instead: a
resource is added, removed, or modified when its definition differs or it refers to a
parameter whose value changes (the code location is a parameter, so new code modifies the
function). Replacements are only known to CloudFormation, so the preview never claims one.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any

from lambdaserve.cloud.aws import AwsClients
from lambdaserve.cloud.stack.changeset import Change


def all_added(template: Mapping[str, Any]) -> tuple[Change, ...]:
    return tuple(Change("Add", name, str(resource.get("Type", "")), "")
                 for name, resource in template.get("Resources", {}).items())


def deployed_template(clients: AwsClients, stack_id: str,
                      described: Mapping[str, Any]) -> tuple[dict[str, Any], dict[str, str]]:
    """The stack's template (GetTemplate) and parameter values (from its description)."""
    answer = clients.call("cloudformation", "get_template", StackName=stack_id, TemplateStage="Original")
    body = answer.get("TemplateBody", {})
    template = json.loads(body) if isinstance(body, str) else dict(body)  # botocore decodes JSON bodies
    parameters = {str(p["ParameterKey"]): str(p.get("ParameterValue", ""))
                  for p in described.get("Parameters", [])}
    return template, parameters


def _refers_to(resource: Any, names: set[str]) -> bool:
    text = json.dumps(resource)
    return any(f'{{"Ref": "{name}"}}' in text or f"${{{name}}}" in text for name in names)


def template_changes(old: Mapping[str, Any], old_parameters: Mapping[str, str], new: Mapping[str, Any],
                     new_parameters: Mapping[str, str], *, unknown: Sequence[str] = ()) -> tuple[Change, ...]:
    """Add / Remove / Modify per logical id, in the new template's order, then the removals."""
    old_resources, new_resources = old.get("Resources", {}), new.get("Resources", {})

    def value(parameters: Mapping[str, str], template: Mapping[str, Any], name: str) -> str | None:
        if name in parameters:
            return str(parameters[name])
        default = template.get("Parameters", {}).get(name, {}).get("Default")
        return None if default is None else str(default)

    names = set(old.get("Parameters", {})) | set(new.get("Parameters", {}))
    changed = {name for name in names - set(unknown)
               if value(old_parameters, old, name) != value(new_parameters, new, name)}
    changes: list[Change] = []
    for name, resource in new_resources.items():
        kind = str(resource.get("Type", ""))
        if name not in old_resources:
            changes.append(Change("Add", name, kind, ""))
        elif old_resources[name] != resource or _refers_to(resource, changed):
            changes.append(Change("Modify", name, kind, ""))
    changes += [Change("Remove", name, str(resource.get("Type", "")), "")
                for name, resource in old_resources.items() if name not in new_resources]
    return tuple(changes)
