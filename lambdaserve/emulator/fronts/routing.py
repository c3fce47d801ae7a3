"""Which API Gateway route serves a path, and whether its API key lets the request through.

Routes are exact paths, or end in ``/{proxy+}`` (a greedy path variable, as in the templates'
``/docs/{proxy+}``): exact routes win over greedy ones, as on API Gateway.

API keys (``api.auth = api_key``): a REST API answers 403 ``{"message": "Forbidden"}`` before
the integration when ``x-api-key`` is missing or unknown on a route that requires a key. The
deployed stack's key is made by the usage plan (cloud/cfn/rest_api.py); locally the keys come
from ``serve --api-key`` or ``LAMBDASERVE_API_KEYS``.
"""

from __future__ import annotations

import hmac
import os
import secrets
from collections.abc import Iterable, Mapping

GREEDY = "/{proxy+}"
ENV_API_KEYS = "LAMBDASERVE_API_KEYS"  # comma-separated keys for a local api_key API


def route_of(path: str, routes: Iterable[str], *, trailing_slash: bool = True) -> str | None:
    """The route for ``path``: the exact one, else the longest greedy one that covers it.

    ``trailing_slash``: whether ``/p/`` is served by the route ``/p`` (REST APIs: yes; HTTP APIs
    route the two apart)."""
    routes = list(routes)
    if path in routes:
        return path
    if trailing_slash and len(path) > 1 and path.endswith("/") and path.rstrip("/") in routes:
        return path.rstrip("/")
    best: str | None = None
    for route in routes:
        if route.endswith(GREEDY):
            base = route[: -len(GREEDY)]
            # {proxy+} needs at least one more segment ("/docs/" alone is not covered).
            if path.startswith(base + "/") and len(path) > len(base) + 1 and (
                    best is None or len(route) > len(best)):
                best = route
    return best


def path_parameters(route: str, path: str) -> dict[str, str] | None:
    """{"proxy": "rest/of/path"} for a greedy route; None for an exact one."""
    if not route.endswith(GREEDY) or route == path:
        return None
    return {"proxy": path[len(route) - len(GREEDY) + 1:]}


def forbidden(keys: Iterable[str], open_paths: Iterable[str], route: str | None,
              sent: str | None) -> bool:
    """True when the API requires keys, ``route`` is not open, and ``sent`` is none of them."""
    keys = tuple(keys)
    if not keys or route is None or route in tuple(open_paths):
        return False
    if sent is None:
        return True
    # Constant-time comparison: the emulator may listen beyond loopback with --host.
    return not any(hmac.compare_digest(sent.encode(), key.encode()) for key in keys)


def local_api_keys(given: Iterable[str],
                   environ: Mapping[str, str] | None = None) -> tuple[tuple[str, ...], bool]:
    """The keys ``serve`` accepts: --api-key values, else LAMBDASERVE_API_KEYS, else one new
    random key. The flag says whether the key was made here (so serve prints it)."""
    env = os.environ if environ is None else environ
    keys = tuple(k for k in given if k)
    if not keys:
        keys = tuple(k.strip() for k in env.get(ENV_API_KEYS, "").split(",") if k.strip())
    if keys:
        return keys, False
    return (secrets.token_urlsafe(30),), True
