"""What the try-it page (api.docs) costs a function, against a /health answer in the same run.

In process, through ``Runtime.handle`` with REST events (log lines to a discarded stream):
  - baseline: GET /health;
  - the page (GET /docs), the bundle plain and gzipped from the environment's cache, and the
    first gzipped bundle of an environment (read + gzip -9, paid once per execution environment);
  - bytes on the wire (plain, gzip, and the base64 answer JSON ALB's 1 MB limit applies to), and
    what api.docs adds to the package (files, and deflated as in the zip).

    .venv/bin/python benchmarks/try_it_page.py [--repeat 30]
"""

from __future__ import annotations

import argparse
import io
import json
import tempfile
import zlib
from collections.abc import Callable
from pathlib import Path
from typing import Any

from timing import median_ms  # benchmarks/timing.py, beside this script

from lambdaserve.runtime import docs
from lambdaserve.runtime.app import Runtime
from lambdaserve.runtime.loaders import load_model
from lambdaserve.runtime.settings import RuntimeSettings
from lambdaserve.runtime.telemetry import Telemetry


class _Context:
    aws_request_id = "bench"


def _event(path: str, gzip_ok: bool) -> dict[str, Any]:
    headers = {"Accept-Encoding": "gzip, deflate, br"} if gzip_ok else {}
    return {"resource": path, "path": path, "httpMethod": "GET", "headers": headers,
            "multiValueHeaders": {k: [v] for k, v in headers.items()},
            "requestContext": {"stage": "prod", "path": "/prod" + path, "requestId": "bench"},
            "body": None, "isBase64Encoded": False}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeat", type=int, default=30)
    args = parser.parse_args()

    import joblib
    from sklearn.datasets import load_iris
    from sklearn.linear_model import LogisticRegression

    x, y = load_iris(return_X_y=True)
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "model.joblib"
        joblib.dump(LogisticRegression(max_iter=500).fit(x, y), path)
        settings = RuntimeSettings.from_env({
            "LAMBDASERVE_MODEL_DIR": folder, "LAMBDASERVE_MODEL_FILE": path.name,
            "LAMBDASERVE_FRAMEWORK": "sklearn", "LAMBDASERVE_NAME": "iris", "LAMBDASERVE_DOCS": "1"})
        runtime = Runtime(load_model(settings), settings, telemetry=Telemetry("iris", stream=io.StringIO()))
    bundle = docs.ASSET_ROUTE + "swagger-ui-bundle.js"

    def handle(path: str, gzip_ok: bool = False) -> Callable[[], Any]:
        event = _event(path, gzip_ok)
        return lambda: runtime.handle(event, _Context())

    for warm in (handle("/health"), handle("/docs"), handle(bundle), handle(bundle, True)):
        warm()
    rows = [
        ("GET /health (baseline)", median_ms(handle("/health"), args.repeat, warm=False)),
        ("GET /docs (the page)", median_ms(handle("/docs"), args.repeat, warm=False)),
        ("bundle, plain, cached", median_ms(handle(bundle), args.repeat, warm=False)),
        ("bundle, gzip, cached", median_ms(handle(bundle, True), args.repeat, warm=False)),
        ("bundle, gzip, first in an environment",
         median_ms(handle(bundle, True), max(3, args.repeat // 5), before=docs._cache.clear, warm=False)),
    ]
    base = rows[0][1]
    print(f"{'request':40} {'median ms':>10} {'x /health':>10}")
    for name, ms in rows:
        print(f"{name:40} {ms:10.3f} {ms / base:10.1f}")

    plain = (docs.ASSET_DIR / "swagger-ui-bundle.js").read_bytes()
    answer = json.dumps(handle(bundle, True)())
    print(f"\nbundle bytes: plain {len(plain):,}; gzip {len(docs._asset('swagger-ui-bundle.js', True)):,}; "
          f"gzip answer JSON (base64) {len(answer):,} vs ALB's limit {1024 * 1024:,}")
    files = [p for p in docs.ASSET_DIR.iterdir() if p.is_file()]
    raw = sum(p.stat().st_size for p in files)
    deflated = sum(len(zlib.compress(p.read_bytes(), 9)) for p in files)
    print(f"api.docs adds to the package: {len(files)} files, {raw:,} bytes unzipped, "
          f"about {deflated:,} zipped")


if __name__ == "__main__":
    main()
