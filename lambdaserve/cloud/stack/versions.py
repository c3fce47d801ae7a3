"""Bounded published versions: the alias's version, the one before it (for a rollback), and any
version the alias's routing config still sends traffic to.

The template retains a replaced AWS::Lambda::Version (so a version an alias-based rollout, or
an operator's rollback, points back to still exists); deploy deletes the older ones here.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping
from typing import Any

from botocore.exceptions import ClientError

from lambdaserve.cloud.aws import AwsClients


def serving_versions(alias: Mapping[str, Any]) -> list[str]:
    """The versions a GetAlias answer sends traffic to: its own and its routing config's weighted ones."""
    weights = alias.get("RoutingConfig", {}).get("AdditionalVersionWeights", {})
    return [str(alias["FunctionVersion"]), *(str(v) for v, w in weights.items() if w > 0)]


def versions_to_delete(published: list[str], live: str, keep: int = 2,
                       serving: Collection[str] = ()) -> list[str]:
    """The numbered versions to delete: all but ``live``, the ``keep - 1`` newest before it, any
    newer one, and every version in ``serving`` (still taking a share of the alias's traffic)."""
    numbers = sorted(int(v) for v in published if v.isdigit())
    if not live.isdigit() or int(live) not in numbers:
        return []  # the alias points somewhere unexpected: delete nothing
    older = [n for n in numbers if n < int(live)]
    kept = {int(live), *older[len(older) - (keep - 1):]} if keep > 1 else {int(live)}
    kept |= {int(v) for v in serving if v.isdigit()}
    # Newer than live: the alias was rolled back. The newest may be the stack's own Version resource,
    # and the next deploy moves the alias past them anyway.
    kept |= {n for n in numbers if n > int(live)}
    return [str(n) for n in numbers if n not in kept]


def prune_versions(clients: AwsClients, function: str, alias: str, keep: int,
                   warn: Callable[[str], None]) -> list[str]:
    """Delete old versions of ``function``; a version that cannot go is reported, not fatal."""
    answer = clients.call("lambda", "get_alias", FunctionName=function, Name=alias)
    live = str(answer["FunctionVersion"])
    paginator = clients.client("lambda").get_paginator("list_versions_by_function")
    pages = paginator.paginate(FunctionName=function)
    published = [str(v["Version"]) for page in pages for v in page.get("Versions", [])]
    deleted = []
    for version in versions_to_delete(published, live, keep, serving_versions(answer)):
        try:
            clients.call("lambda", "delete_function", FunctionName=function, Qualifier=version)
            deleted.append(version)
        except ClientError as exc:
            warn(f"could not delete version {version} of {function}: {exc}")
    return deleted
