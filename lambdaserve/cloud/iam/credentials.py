"""Find out who we deploy as, and explain every way that can go wrong.

The three classic failures: no credentials at all (say where boto3 looked), running under
sudo (root's credentials, the "no basic auth credentials" trap), and an expired session.
"""

from __future__ import annotations

import configparser
import contextlib
import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path

from botocore.exceptions import (
    BotoCoreError,
    ClientError,
    NoCredentialsError,
    ProfileNotFound,
    SSOError,
    TokenRetrievalError,
)

from lambdaserve.cloud.aws import AwsClients, error_code, error_message
from lambdaserve.errors import CloudError

Warn = Callable[[str], None]

_EXPIRED = frozenset({"ExpiredToken", "ExpiredTokenException", "RequestExpired", "TokenRefreshRequired"})
_INVALID = frozenset({"InvalidClientTokenId", "SignatureDoesNotMatch", "UnrecognizedClientException",
                      "AuthFailure", "InvalidAccessKeyId"})


@dataclass(frozen=True)
class Identity:
    account: str
    arn: str
    region: str


def _paths(environ: Mapping[str, str], home: Path) -> tuple[Path, Path]:
    creds = environ.get("AWS_SHARED_CREDENTIALS_FILE") or str(home / ".aws" / "credentials")
    config = environ.get("AWS_CONFIG_FILE") or str(home / ".aws" / "config")
    return Path(creds).expanduser(), Path(config).expanduser()


def _sections(path: Path) -> configparser.ConfigParser:
    parser = configparser.ConfigParser()
    with contextlib.suppress(configparser.Error):  # botocore reports a malformed file better
        parser.read(path, encoding="utf-8")
    return parser


def where_we_looked(profile: str | None, environ: Mapping[str, str], home: Path) -> list[str]:
    """One line per place boto3 searches for credentials, with what it found there."""
    name = profile or environ.get("AWS_PROFILE") or "default"
    creds_path, config_path = _paths(environ, home)
    has_keys = bool(environ.get("AWS_ACCESS_KEY_ID") and environ.get("AWS_SECRET_ACCESS_KEY"))
    creds, config = _sections(creds_path), _sections(config_path)
    config_section = "default" if name == "default" else f"profile {name}"
    sso = config.has_section(config_section) and any(
        key.startswith("sso_") for key in config.options(config_section))
    imds = "disabled (AWS_EC2_METADATA_DISABLED)" if environ.get(
        "AWS_EC2_METADATA_DISABLED", "").lower() == "true" else "not reachable (not on EC2/ECS)"

    def state(path: Path, present: bool) -> str:
        if not path.exists():
            return "file missing"
        return f"profile [{name}] found" if present else f"no profile [{name}]"

    return [
        "environment: AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY " + ("set" if has_keys else "not set"),
        f"shared credentials file {creds_path}: {state(creds_path, creds.has_section(name))}",
        f"config file {config_path}: {state(config_path, config.has_section(config_section))}",
        "SSO: " + (f"configured for [{name}]" if sso else "not configured"),
        f"container / instance metadata (IMDS): {imds}",
    ]


def sudo_warning(environ: Mapping[str, str], euid: int) -> str | None:
    """A warning when sudo made us root: boto3 now reads /root/.aws, not the user's."""
    user = environ.get("SUDO_USER")
    if euid == 0 and user:
        return (f"running under sudo as root (SUDO_USER={user}): AWS credentials and Docker logins are "
                f"root's, not {user}'s. This is the classic 'no basic auth credentials' failure; "
                "run lambdaserve without sudo.")
    return None


def resolve_identity(clients: AwsClients, *, profile: str | None = None,
                     environ: Mapping[str, str] | None = None, home: Path | None = None,
                     euid: int | None = None, warn: Warn = lambda _msg: None) -> Identity:
    """The caller's account and ARN (sts get_caller_identity), or a CloudError with the fix."""
    env = os.environ if environ is None else environ
    home = home if home is not None else Path(env.get("HOME") or Path.home())
    uid = euid if euid is not None else os.geteuid()
    message = sudo_warning(env, uid)
    if message:
        warn(message)
    name = profile or env.get("AWS_PROFILE") or "default"
    login = f"aws sso login --profile {name}"
    try:
        if clients.session.get_credentials() is None:
            raise NoCredentialsError()
        answer = clients.call("sts", "get_caller_identity")
    except ProfileNotFound as exc:
        creds_path, config_path = _paths(env, home)
        raise CloudError(f"AWS profile '{name}' does not exist in {creds_path} or {config_path}",
                         hint=f"Run `aws configure --profile {name}`, or pick another with --profile."
                         ) from exc
    except NoCredentialsError as exc:
        places = "\n  ".join(where_we_looked(profile, env, home))
        raise CloudError(f"no AWS credentials found. boto3 looked in:\n  {places}",
                         hint="Run `aws configure` (access keys) or `aws configure sso` then "
                              f"`{login}`, or export AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY."
                         ) from exc
    except (SSOError, TokenRetrievalError) as exc:
        raise CloudError(f"the SSO session for profile '{name}' has expired or is missing ({exc})",
                         hint=f"Run `{login}` and try again.") from exc
    except ClientError as exc:
        code = error_code(exc)
        if code in _EXPIRED:
            raise CloudError(f"your AWS session has expired ({code}: {error_message(exc)})",
                             hint=f"Refresh it: `{login}` for SSO, or get new temporary keys "
                                  "(AWS_SESSION_TOKEN) from your identity provider.") from exc
        if code in _INVALID:
            raise CloudError(f"AWS rejected the credentials ({code}: {error_message(exc)})",
                             hint="Check AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY or the profile's keys; "
                                  "they may have been deleted or mistyped.") from exc
        raise CloudError(f"cannot check the AWS identity: {code}: {error_message(exc)}",
                         hint="Check your network and credentials with `aws sts get-caller-identity`."
                         ) from exc
    except BotoCoreError as exc:
        raise CloudError(f"cannot reach AWS STS: {exc}",
                         hint="Check your network, proxy and --endpoint-url.") from exc
    return Identity(account=str(answer["Account"]), arn=str(answer["Arn"]), region=clients.region)
