"""`lambdaserve rollback` and the versions `status` lists: the alias moved back, no rebuild.

Every deploy publishes a version and points the ``live`` alias at it (cloud/cfn/function.py);
deploy keeps the one before it (stack/versions.py). A rollback is one UpdateAlias call, so the
fronts (which all invoke the alias) serve the previous version at once.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from botocore.exceptions import ClientError

from lambdaserve.cloud.aws import AwsClients
from lambdaserve.cloud.stack.versions import serving_versions
from lambdaserve.errors import CloudError

# What deploy writes into a version's description (cloud/cfn/function.py): "model <sha256>", "built <time>".
_MODEL = re.compile(r"\bmodel ([0-9a-f]{12,64})\b")
_BUILT = re.compile(r"\bbuilt (\S+)")


@dataclass(frozen=True)
class PublishedVersion:
    version: str
    description: str
    weight: float  # the share of the alias's traffic it takes: 1.0 for the alias's own, 0 for none

    @property
    def model_sha256(self) -> str:
        found = _MODEL.search(self.description)
        return found.group(1) if found else ""

    @property
    def built(self) -> str:
        found = _BUILT.search(self.description)
        return found.group(1) if found else ""


@dataclass(frozen=True)
class Versions:
    function: str
    alias: str
    live: str  # the alias's own version
    published: tuple[PublishedVersion, ...]  # oldest first


@dataclass(frozen=True)
class RolledBack:
    function: str
    alias: str
    before: str
    after: str
    cleared_weights: dict[str, float]  # a weighted routing the rollback removed


def _weights(alias: dict[str, Any]) -> dict[str, float]:
    return {str(v): float(w) for v, w in alias.get("RoutingConfig", {}).get("AdditionalVersionWeights",
                                                                             {}).items()}


def _get_alias(clients: AwsClients, function: str, alias: str) -> dict[str, Any]:
    try:
        return dict(clients.call("lambda", "get_alias", FunctionName=function, Name=alias))
    except ClientError as exc:
        if exc.response.get("Error", {}).get("Code") == "ResourceNotFoundException":
            raise CloudError(f"{function} has no alias {alias!r}: nothing to roll back",
                             hint="Deploy first (`lambdaserve deploy`); every deploy publishes a version "
                                  "behind the alias.") from exc
        raise


def list_versions(clients: AwsClients, function: str, alias: str) -> Versions:
    """The function's published versions and the share of traffic each takes through ``alias``."""
    answer = _get_alias(clients, function, alias)
    live = str(answer["FunctionVersion"])
    extra = _weights(answer)
    shares = {v: w for v, w in extra.items() if w > 0}
    shares[live] = 1.0 - sum(shares.values())
    paginator = clients.client("lambda").get_paginator("list_versions_by_function")
    pages = paginator.paginate(FunctionName=function)
    published = sorted((v for page in pages for v in page.get("Versions", [])
                        if str(v["Version"]).isdigit()), key=lambda v: int(v["Version"]))
    return Versions(function, alias, live, tuple(
        PublishedVersion(str(v["Version"]), str(v.get("Description", "")), shares.get(str(v["Version"]), 0.0))
        for v in published))


def rollback_target(versions: Versions, to: str | None = None) -> str:
    """The version a rollback points the alias at: ``to``, or the newest one before the live one."""
    numbers = [v.version for v in versions.published]
    if to is not None:
        if to not in numbers:
            raise CloudError(f"{versions.function} has no published version {to}",
                             hint=f"Published versions: {', '.join(numbers) or 'none'} "
                                  "(`lambdaserve status` lists them).")
        return to
    older = [n for n in numbers if int(n) < int(versions.live)] if versions.live.isdigit() else []
    if not older:
        raise CloudError(f"{versions.function}'s alias {versions.alias!r} serves version {versions.live}, "
                         "and no older version is left to roll back to",
                         hint="Deploy the previous build again (`lambdaserve deploy --artifact <zip>`).")
    return older[-1]


def roll_back(clients: AwsClients, function: str, alias: str, to: str | None = None) -> RolledBack:
    """Point ``alias`` at the previous version (or ``to``) at once, dropping any weighted routing."""
    versions = list_versions(clients, function, alias)
    target = rollback_target(versions, to)
    answer = _get_alias(clients, function, alias)
    cleared = {v: w for v, w in _weights(answer).items() if w > 0}
    if target == versions.live and not cleared:
        raise CloudError(f"{function}'s alias {alias!r} already serves version {target}",
                         hint="`lambdaserve status` lists the versions; pass another with --to.")
    clients.call("lambda", "update_alias", FunctionName=function, Name=alias, FunctionVersion=target,
                 RoutingConfig={"AdditionalVersionWeights": {}})
    after = _get_alias(clients, function, alias)  # read back: say only what the alias now does
    if str(after["FunctionVersion"]) != target or [v for v in serving_versions(after) if v != target]:
        raise CloudError(f"{function}'s alias {alias!r} did not move to version {target} "
                         f"(it serves {', '.join(serving_versions(after))})",
                         hint="Run `lambdaserve rollback` again, or check the alias in the Lambda console.")
    return RolledBack(function, alias, versions.live, target, cleared)


def alias_version(clients: AwsClients, function: str, alias: str) -> str:
    """The version ``alias`` serves now, or "" when the function or the alias does not exist yet."""
    try:
        return str(clients.call("lambda", "get_alias", FunctionName=function, Name=alias)["FunctionVersion"])
    except ClientError as exc:
        if exc.response.get("Error", {}).get("Code") == "ResourceNotFoundException":
            return ""
        raise


@dataclass(frozen=True)
class Restored:
    """What a failed deploy did to the alias: ``serving`` is read back from Lambda, never assumed."""

    alias: str
    failed: str  # the version the deploy published (the one that failed)
    previous: str  # the version the alias served before the deploy ("" on a first deploy)
    serving: str  # the version the alias serves now ("" when it could not be read)
    moved: bool  # True when this call moved the alias back
    problem: str = ""  # why it could not go back, when it could not

    def words(self) -> str:
        """One sentence for the user: which version now serves, and why."""
        if self.moved:
            return (f"alias {self.alias!r} moved back: version {self.serving} (the one before this deploy) "
                    f"serves all traffic again; version {self.failed} serves none")
        if self.problem:
            return f"the failing version may still be serving: {self.problem}"
        if not self.previous:
            return ("nothing to go back to: this was the first deploy, so version "
                    f"{self.serving or self.failed} still serves (fix it and deploy again, or "
                    "`lambdaserve destroy`)")
        return (f"version {self.serving} serves, as it did before this deploy: the deploy published no new "
                "version, so there is none to go back to")


def restore_previous(clients: AwsClients, function: str, alias: str, previous: str) -> Restored:
    """After a failed smoke test: point ``alias`` back at ``previous`` (what it served before the
    deploy), clearing any weights, and read it back. Never raises for AWS's refusals: the
    deploy is failing already, and the user must hear where the alias stands."""
    try:
        now = alias_version(clients, function, alias)
    except ClientError as exc:
        return Restored(alias, "", previous, "", False, f"could not read the alias {alias!r}: {exc}; "
                                                   "check with `lambdaserve status`")
    if not previous or now == previous:
        return Restored(alias, now, previous, now, False)
    try:
        done = roll_back(clients, function, alias, to=previous)
    except (ClientError, CloudError) as exc:
        text = exc.message if isinstance(exc, CloudError) else str(exc)
        return Restored(alias, now, previous, now, False,
                        f"could not point {alias!r} back at version {previous}: {text}; run "
                        f"`lambdaserve rollback --to {previous}`")
    return Restored(alias, now, previous, done.after, True)
