"""Check 2: docker's config.json: stale ECR logins (12 h tokens) and missing credential helpers."""

from __future__ import annotations

import base64
import json
import re
from pathlib import Path
from typing import Any

from lambdaserve.doctor.context import DoctorContext
from lambdaserve.doctor.finding import Check, Finding, error, ok, warning

ECR_HOST = re.compile(r"^(https?://)?\d{12}\.dkr\.ecr\.[a-z0-9-]+\.amazonaws\.com(\.cn)?/?$")
LOGIN = "aws ecr get-login-password | docker login --username AWS --password-stdin {registry}"


def config_path(ctx: DoctorContext) -> Path:
    folder = ctx.environ.get("DOCKER_CONFIG")
    return Path(folder) / "config.json" if folder else ctx.home / ".docker" / "config.json"


def token_expiry(auth: str) -> float | None:
    """The expiration (epoch s) inside an ECR login: base64('AWS:' + base64(JSON with expiration))."""
    try:
        user, _, token = base64.b64decode(auth).decode().partition(":")
        padded = token + "=" * (-len(token) % 4)
        payload: dict[str, Any] = json.loads(base64.b64decode(padded))
        return float(payload["expiration"]) if user == "AWS" else None
    except (ValueError, KeyError, TypeError, UnicodeDecodeError):
        return None


def run(ctx: DoctorContext) -> list[Finding]:
    path = config_path(ctx)
    if not path.is_file():
        return [ok(f"no {path}: lambdaserve pushes images without docker logins")]
    try:
        cfg = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        return [warning(f"{path} is not valid JSON ({exc})",
                        "Fix or delete it; docker cannot read it either.", file=str(path))]
    found: list[Finding] = []
    for registry, entry in (cfg.get("auths") or {}).items():
        if not ECR_HOST.match(registry) or not isinstance(entry, dict) or not entry.get("auth"):
            continue
        expires = token_expiry(str(entry["auth"]))
        host = registry.split("//")[-1].rstrip("/")
        if expires is not None and expires < ctx.now:
            hours = (ctx.now - expires) / 3600
            found.append(warning(f"the docker login for {host} expired {hours:.1f} h ago (ECR tokens "
                                 "last 12 h): docker push answers 'Your authorization token has expired'",
                                 f"Log in again: {LOGIN.format(registry=host)}; or let `lambdaserve deploy` "
                                 "push (it asks ECR for a fresh token every time).", file=str(path)))
    helpers = dict(cfg.get("credHelpers") or {})
    if cfg.get("credsStore"):
        helpers["(credsStore)"] = cfg["credsStore"]
    for registry, helper in helpers.items():
        if ctx.which(f"docker-credential-{helper}") is None:
            bad = error if ECR_HOST.match(registry) else warning
            found.append(bad(f"{path} sends {registry} to the credential helper docker-credential-{helper}, "
                             "which is not on PATH: docker answers 'no basic auth credentials'",
                             f"Install docker-credential-{helper} (amazon-ecr-credential-helper for "
                             f"ecr-login) or remove that entry from {path}.", file=str(path)))
    return found or [ok(f"docker logins in {path} are current")]


CHECK = Check("ecr-auth", "environment", "stale ECR logins and missing docker credential helpers", run)
