"""The only place that creates boto3 clients.

``AwsClients`` holds one session, region and optional endpoint (moto, LocalStack) and
hands out cached clients with botocore's adaptive retry mode. ``call`` adds our own
throttling backoff with an injected ``sleep`` on top, so deploy loops survive
"Rate exceeded" even when botocore's attempts run out, and so tests can see the delays.
``CallRecorder`` hooks ``before-call`` to list every AWS operation made (for the policy test).
"""

from __future__ import annotations

import os
import time
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

Sleep = Callable[[float], None]

# Error codes AWS services use for "slow down"; CloudFormation says "Throttling".
THROTTLING_CODES = frozenset({
    "Throttling", "ThrottlingException", "TooManyRequestsException", "RequestLimitExceeded",
    "RequestThrottled", "RequestThrottledException", "SlowDown", "PriorRequestNotComplete",
})

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


def is_throttling(exc: BaseException) -> bool:
    return error_code(exc) in THROTTLING_CODES or "rate exceeded" in error_message(exc).lower()


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
                 sleep: Sleep = time.sleep, max_throttle_retries: int = 6,
                 recorder: CallRecorder | None = None) -> None:
        self.session = session
        self.region = region
        self.endpoint_url = endpoint_url
        self.sleep = sleep
        self.max_throttle_retries = max_throttle_retries
        self._clients: dict[str, Any] = {}
        self._config = BotoConfig(region_name=region, retries={"mode": "adaptive", "max_attempts": 5},
                                  user_agent_extra="lambdaserve")
        if recorder is not None:
            session.events.register("before-call.*.*", recorder)

    def client(self, service: str) -> Any:
        if service not in self._clients:
            self._clients[service] = self.session.client(
                service, region_name=self.region, endpoint_url=self.endpoint_url, config=self._config)
        return self._clients[service]

    def call(self, service: str, operation: str, **params: Any) -> Any:
        """client(service).operation(**params), retried with backoff while AWS throttles."""
        method = getattr(self.client(service), operation)
        for attempt in range(self.max_throttle_retries + 1):
            try:
                return method(**params)
            except ClientError as exc:
                if not is_throttling(exc) or attempt == self.max_throttle_retries:
                    raise
                self.sleep(backoff(attempt))
        raise AssertionError("unreachable")  # the loop returns or raises

    def paginate(self, service: str, operation: str, key: str, **params: Any) -> list[Any]:
        """Every item under ``key`` across pages (NextToken / nextToken), throttling-safe."""
        items: list[Any] = []
        token_in = "nextToken" if service in ("logs", "ecr") else "NextToken"
        while True:
            page = self.call(service, operation, **params)
            items.extend(page.get(key, []))
            token = page.get("NextToken") or page.get("nextToken")
            if not token:
                return items
            params = {**params, token_in: token}


def backoff(attempt: int, base: float = 0.5, cap: float = 20.0) -> float:
    """Exponential backoff: 0.5, 1, 2, 4 ... seconds, capped."""
    return float(min(cap, base * 2 ** attempt))


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
        elif code in THROTTLING_CODES:
            hint = "AWS kept throttling after several retries; wait a minute, then retry."
        return CloudError(text, hint=hint)
    if isinstance(exc, EndpointConnectionError):
        return CloudError(f"cannot reach AWS: {exc}",
                          hint="Check the network, the region and --endpoint-url.")
    return CloudError(f"AWS call failed: {exc}", hint="Check the network and your AWS configuration.")
