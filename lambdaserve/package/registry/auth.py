"""Registry authentication: WWW-Authenticate challenges, Basic auth and the bearer token flow.

A registry answers 401 with ``WWW-Authenticate: Bearer realm=...,service=...,scope=...``
(or ``Basic realm=...``). For Bearer we ask the realm for a token, anonymously or with
the user's credentials as Basic auth; public.ecr.aws hands anonymous pull tokens.
"""

from __future__ import annotations

import base64
import json
import re
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass

from lambdaserve.errors import BuildError


@dataclass(frozen=True)
class Credentials:
    username: str
    password: str

    def __repr__(self) -> str:  # never show the secret in a traceback or a log
        return f"Credentials(username={self.username!r}, password=***)"


# Called at push time, on every push, so a 12-hour ECR token is never reused stale.
CredentialProvider = Callable[[], "Credentials | None"]

_PARAM_RE = re.compile(r'(\w+)\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^\s,]+))')


@dataclass(frozen=True)
class Challenge:
    scheme: str  # "bearer" or "basic"
    params: dict[str, str]


def parse_challenge(header: str) -> Challenge:
    scheme, _, rest = header.strip().partition(" ")
    params = {m.group(1).lower(): (m.group(2) if m.group(2) is not None else m.group(3))
              for m in _PARAM_RE.finditer(rest)}
    return Challenge(scheme.lower(), params)


def basic_header(creds: Credentials) -> str:
    return "Basic " + base64.b64encode(f"{creds.username}:{creds.password}".encode()).decode()


def fetch_token(challenge: Challenge, scopes: list[str], creds: Credentials | None,
                timeout: float = 30.0) -> str:
    """A bearer token for ``scopes`` from the challenge's realm."""
    realm = challenge.params.get("realm", "")
    if not realm.startswith(("https://", "http://")):
        raise BuildError(f"the registry's token realm {realm!r} is not a URL",
                         hint="Check the registry address; it answered an unusable auth challenge.")
    query: list[tuple[str, str]] = []
    if "service" in challenge.params:
        query.append(("service", challenge.params["service"]))
    query.extend(("scope", s) for s in scopes)
    url = realm + ("&" if "?" in realm else "?") + urllib.parse.urlencode(query)
    request = urllib.request.Request(url, headers={"User-Agent": "lambdaserve"})
    if creds is not None:
        request.add_header("Authorization", basic_header(creds))
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310 (realm is http/https)
            body = json.loads(response.read())
    except urllib.error.HTTPError as exc:
        who = "your credentials" if creds else "anonymous access"
        raise BuildError(f"the registry's token service refused {who} ({exc.code} from {realm})",
                         hint="For ECR, check that your AWS identity may call ecr:GetAuthorizationToken "
                              "and push to the repository; for other registries, check the login.") from exc
    except (OSError, ValueError) as exc:
        raise BuildError(f"cannot get a registry token from {realm}: {exc}",
                         hint="Check your network connection and the registry address.") from exc
    token = body.get("token") or body.get("access_token") if isinstance(body, dict) else None
    if not isinstance(token, str) or not token:
        raise BuildError(f"the token service at {realm} answered no token",
                         hint="The registry's auth service is misbehaving; retry later.")
    return token
