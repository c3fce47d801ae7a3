"""The try-it page (``api.docs = true``): Swagger UI over the function's own /openapi.json.

Swagger UI is vendored, pinned, from npm's swagger-ui-dist (lambdaserve/vendor/swagger_ui, see
scripts/vendor_swagger_ui.sh); the build ships it only when api.docs is on. This module writes
the one small HTML page that loads it and serves the two asset files, so the page, its script and
the API share one origin: no CORS, no CDN, and it works offline and behind any auth header.

Routes (GET): ``/`` and ``/docs`` answer the page; ``/docs/<version>/<file>`` the assets. The
version in the asset path lets browsers cache them for a year; the page itself is revalidated.

Assets go out gzip-compressed to clients that accept it (the 1.7 MB bundle becomes 0.46 MB):
that keeps them under ALB's 1 MB response limit and cuts transfer everywhere. A compressed body
is binary, so it travels base64-encoded; a REST API decodes it only for its binaryMediaTypes,
which the template sets to ``BINARY_MEDIA_TYPES`` when api.docs is on.
"""

from __future__ import annotations

import html
import json
from pathlib import Path

import lambdaserve
from lambdaserve.runtime.events import HttpRequest, HttpResponse, RawBody

SWAGGER_UI_VERSION = "5.35.0"  # keep in step with scripts/vendor_swagger_ui.sh
ASSET_DIR = Path(lambdaserve.__file__).resolve().parent / "vendor" / "swagger_ui"
ASSETS: dict[str, str] = {
    "swagger-ui-bundle.js": "application/javascript; charset=utf-8",
    "swagger-ui.css": "text/css; charset=utf-8",
}
BINARY_MEDIA_TYPES = ("application/javascript", "text/css")  # as REST needs them for gzip
ASSET_ROUTE = f"/docs/{SWAGGER_UI_VERSION}/"
PAGE_ROUTES = ("/", "/docs")
ROUTES = PAGE_ROUTES + tuple(ASSET_ROUTE + name for name in ASSETS)

# The page revalidates (a new deploy changes the API); versioned assets never change.
PAGE_CACHE = "no-cache"
ASSET_CACHE = "public, max-age=31536000, immutable"

_PAGE = """<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{title} · try it</title>
<link rel="icon" href="data:,">
<link rel="stylesheet" href="{assets}swagger-ui.css">
</head>
<body>
<div id="swagger-ui"></div>
<script src="{assets}swagger-ui-bundle.js"></script>
<script>
window.ui = SwaggerUIBundle({config});
</script>
</body>
</html>
"""


def missing_assets() -> list[str]:
    """Asset files not on disk (a package built without api.docs, or a broken checkout)."""
    return [name for name in ASSETS if not (ASSET_DIR / name).is_file()]


def page(title: str, prefix: str) -> bytes:
    """The HTML page; ``prefix`` is what precedes the routes in the client's URL ("/prod")."""
    # Only Swagger UI's documented options; the spec's own servers entry ("." ) makes
    # "Execute" post to this same stage.
    config = {
        "url": f"{prefix}/openapi.json",
        "dom_id": "#swagger-ui",
        "deepLinking": False,
        "tryItOutEnabled": True,
        "displayRequestDuration": True,
        "defaultModelsExpandDepth": 0,
    }
    # No "<" at all inside the script block, so nothing in a path can end or open a tag there.
    script_config = json.dumps(config).replace("<", "\\u003c")
    return _PAGE.format(title=html.escape(title), assets=html.escape(prefix + ASSET_ROUTE),
                        config=script_config).encode("utf-8")


_cache: dict[tuple[str, bool], bytes] = {}


def _asset(name: str, compressed: bool) -> bytes:
    data = _cache.get((name, compressed))
    if data is None:  # read (and compressed) on the first request, then kept for the environment
        raw = (ASSET_DIR / name).read_bytes()
        if compressed:
            import gzip  # only when a browser first asks for an asset

            raw = gzip.compress(raw, compresslevel=9, mtime=0)
        data = raw
        _cache[(name, compressed)] = data
    return data


def accepts_gzip(accept_encoding: str | None) -> bool:
    """Whether an Accept-Encoding value allows gzip (``gzip;q=0`` refuses it)."""
    for item in (accept_encoding or "").split(","):
        coding, _, params = item.strip().partition(";")
        if coding.strip().lower() in ("gzip", "*"):
            q = params.strip().lower().removeprefix("q=")
            try:
                return not params or float(q) > 0
            except ValueError:
                return True
    return False


def answer(request: HttpRequest, path: str, title: str) -> HttpResponse:
    """The page or an asset for one of ``ROUTES`` (already matched, method already GET)."""
    if path in PAGE_ROUTES:
        return HttpResponse(200, RawBody(page(title, request.prefix)),
                            {"Content-Type": "text/html; charset=utf-8", "Cache-Control": PAGE_CACHE})
    name = path[len(ASSET_ROUTE):]
    headers = {"Content-Type": ASSETS[name], "Cache-Control": ASSET_CACHE, "Vary": "Accept-Encoding"}
    if accepts_gzip(request.header("accept-encoding")):
        headers["Content-Encoding"] = "gzip"
        return HttpResponse(200, RawBody(_asset(name, True), text=False), headers)
    return HttpResponse(200, RawBody(_asset(name, False)), headers)
