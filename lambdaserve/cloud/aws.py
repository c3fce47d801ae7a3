"""The only place that creates boto3 clients.

``AwsClients`` holds one session, region and optional endpoint (moto, LocalStack) and
hands out cached clients. Throttling and transient errors are botocore's to retry (its standard
mode: one backoff, one list of throttling codes, kept by AWS); paging is botocore's paginators,
which know each operation's token (NextToken, nextToken, Marker ...).
``CallRecorder`` hooks ``before-call`` to list every AWS operation made (for the policy test).
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import boto3
import botocore.session
from botocore.config import Config as BotoConfig
from botocore.credentials import (
    ContainerProvider,
    EnvProvider,
    create_credential_resolver,
)
from botocore.exceptions import ClientError, EndpointConnectionError, ProfileNotFound

from lambdaserve.errors import CloudError

Sleep = Callable[[float], None]  # injected into polling loops (stack events, logs, smoke test)

# Attempts per call, the first included. Standard mode backs off exponentially with jitter (capped
# at 20 s), so a deploy loop rides out "Rate exceeded" for about a minute before it gives up.
MAX_ATTEMPTS = 8

# Config variables botocore would otherwise read from os.environ.
_ENV_CONFIG = {
    "AWS_PROFILE": "profile",
    "AWS_SHARED_CREDENTIALS_FILE": "credentials_file",
    "AWS_CONFIG_FILE": "config_file",
    "AWS_DEFAULT_REGION": "region",
    "AWS_REGION": "region",  # later wins: AWS_REGION over AWS_DEFAULT_REGION, as the SDKs do
}


def error_code(exc: BaseException) -> str:
    """The AWS error code of a ClientError ('' for anything else)."""
    if isinstance(exc, ClientError):
        return str(exc.response.get("Error", {}).get("Code", ""))
    return ""


def error_message(exc: BaseException) -> str:
    if isinstance(exc, ClientError):
        return str(exc.response.get("Error", {}).get("Message", "")) or str(exc)
    return str(exc)


def retries_ran_out(exc: BaseException) -> bool:
    """botocore retried this error (throttling, a 5xx, a dropped connection) until it gave up."""
    if isinstance(exc, ClientError):
        return bool(exc.response.get("ResponseMetadata", {}).get("MaxAttemptsReached"))
    return False


def make_session(profile: str | None = None, region: str | None = None,
                 environ: Mapping[str, str] | None = None) -> boto3.Session:
    """A boto3 session that reads credentials and config paths from ``environ``.

    Passing ``os.environ`` gives boto3's usual behaviour; tests pass a dict instead.
    """
    env = os.environ if environ is None else environ
    core = botocore.session.Session()
    explicit_profile = profile is not None
    for var, name in _ENV_CONFIG.items():
        value = env.get(var)
        if value and not (name == "profile" and explicit_profile):
            core.set_config_variable(name, value)
    if profile:
        core.set_config_variable("profile", profile)
    if region:
        core.set_config_variable("region", region)
    try:
        resolver = create_credential_resolver(core)
    except ProfileNotFound as exc:
        name = core.get_config_variable("profile")
        files = f"{core.get_config_variable('credentials_file')} or {core.get_config_variable('config_file')}"
        raise CloudError(f"AWS profile '{name}' does not exist in {files}",
                         hint=f"Run `aws configure --profile {name}`, or pick another with --profile."
                         ) from exc
    _swap(resolver, "env", EnvProvider(environ=env))
    _swap(resolver, "container-role", ContainerProvider(environ=env))
    if env.get("AWS_EC2_METADATA_DISABLED", "").lower() == "true":
        resolver.remove("iam-role")
    methods = [provider.METHOD for provider in resolver.providers]
    if not explicit_profile and "env" not in methods and env.get("AWS_ACCESS_KEY_ID"):
        # botocore drops env credentials once a profile is set; AWS_PROFILE alone must not.
        resolver.providers.insert(0, EnvProvider(environ=env))
    core.register_component("credential_provider", resolver)
    return boto3.Session(botocore_session=core)


def _swap(resolver: Any, name: str, provider: Any) -> None:
    for index, existing in enumerate(resolver.providers):
        if name == existing.METHOD:
            resolver.providers[index] = provider


@dataclass(frozen=True)
class AwsCall:
    service: str  # the IAM prefix (the signing name): s3, lambda, apigateway, logs ...
    operation: str  # the API operation: PutObject, CreateChangeSet ...


@dataclass
class CallRecorder:
    """Collects every operation a session's clients make, through botocore's event hooks."""

    calls: list[AwsCall] = field(default_factory=list)

    def __call__(self, model: Any, **_: Any) -> None:
        service = model.service_model.signing_name or model.service_model.endpoint_prefix
        self.calls.append(AwsCall(str(service), str(model.name)))

    def actions(self) -> set[str]:
        """IAM-style names, e.g. 'cloudformation:CreateChangeSet'."""
        return {f"{c.service}:{c.operation}" for c in self.calls}


class AwsClients:
    """Cached boto3 clients for one account, region and endpoint."""

    def __init__(self, session: boto3.Session, region: str, endpoint_url: str | None = None, *,
                 max_attempts: int = MAX_ATTEMPTS, recorder: CallRecorder | None = None) -> None:
        self.session = session
        self.region = region
        self.endpoint_url = endpoint_url
        self._clients: dict[str, Any] = {}
        self._config = BotoConfig(region_name=region, user_agent_extra="lambdaserve",
                                  retries={"mode": "standard", "total_max_attempts": max_attempts})
        if recorder is not None:
            session.events.register("before-call.*.*", recorder)

    def client(self, service: str) -> Any:
        if service not in self._clients:
            self._clients[service] = self.session.client(
                service, region_name=self.region, endpoint_url=self.endpoint_url, config=self._config)
        return self._clients[service]

    def call(self, service: str, operation: str, **params: Any) -> Any:
        """client(service).operation(**params); botocore retries throttling and transient errors."""
        return getattr(self.client(service), operation)(**params)

    def paginate(self, service: str, operation: str, *keys: str, **params: Any) -> list[Any]:
        """Every item under ``keys`` across all pages, by botocore's paginator for ``operation``.

        ``PaginationConfig={"StartingToken": token}`` resumes after a page already read.
        """
        paginator = self.client(service).get_paginator(operation)
        return [item for page in paginator.paginate(**params) for key in keys for item in page.get(key, [])]


_DENIED = ("AccessDenied", "AccessDeniedException", "UnauthorizedOperation", "AuthorizationError",
           "UnauthorizedAccess")


def explain(exc: Exception) -> CloudError:
    """A CloudError with the fix, for an AWS error that nothing closer to the call handled."""
    if isinstance(exc, ClientError):
        code, message = error_code(exc), error_message(exc)
        operation = getattr(exc, "operation_name", "the call")
        text = f"AWS refused {operation}: {code}: {message}"
        hint = "`lambdaserve status` shows the stack's state; the AWS message above says what it refused."
        if code in _DENIED or "not authorized to perform" in message:
            hint = ("Your identity lacks this permission. `lambdaserve policy` prints the least-privilege "
                    "deployer policy; attach it to your user or role.")
        elif "TerminationProtection" in message:
            hint = ("Turn off termination protection on the stack (CloudFormation console, Stack actions) "
                    "and run the command again.")
        elif retries_ran_out(exc):
            hint = ("AWS kept refusing (throttling or a passing fault) through every retry; "
                    "wait a minute, then retry.")
        return CloudError(text, hint=hint)
    if isinstance(exc, EndpointConnectionError):
        return CloudError(f"cannot reach AWS: {exc}",
                          hint="Check the network, the region and --endpoint-url.")
    return CloudError(f"AWS call failed: {exc}", hint="Check the network and your AWS configuration.")
