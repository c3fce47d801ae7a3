"""Per-request cost of the runtime (parse event, validate, predict, encode, log) versus the bare minimum.

Baseline, measured in the same run: json.loads of the body, the sklearn model's own predict on a
numpy array, json.dumps of the answer. Measured: the same body as an HTTP API event through
``Runtime.handle`` (model loaded through ``load_model``; log lines written to a discarded stream).

    .venv/bin/python benchmarks/runtime_request.py [--repeat 30]
"""

from __future__ import annotations

import argparse
import io
import json
import tempfile
from pathlib import Path
from typing import Any

from timing import median_ms  # benchmarks/timing.py, beside this script

from lambdaserve.runtime.app import Runtime
from lambdaserve.runtime.loaders import load_model
from lambdaserve.runtime.settings import RuntimeSettings
from lambdaserve.runtime.telemetry import Telemetry


class _Context:
    aws_request_id = "bench"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeat", type=int, default=30)
    args = parser.parse_args()

    import joblib
    import numpy as np
    from sklearn.datasets import load_iris
    from sklearn.linear_model import LogisticRegression

    x, y = load_iris(return_X_y=True)
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "model.joblib"
        joblib.dump(LogisticRegression(max_iter=500).fit(x, y), path)
        settings = RuntimeSettings.from_env(
            {
                "LAMBDASERVE_MODEL_DIR": folder,
                "LAMBDASERVE_MODEL_FILE": path.name,
                "LAMBDASERVE_FRAMEWORK": "sklearn",
                "LAMBDASERVE_NAME": "bench",
            }
        )
        model = load_model(settings)
        sk = joblib.load(path)
    runtime = Runtime(model, settings, telemetry=Telemetry("bench", stream=io.StringIO()))

    print(f"{'rows':>6} {'bare ms':>9} {'runtime ms':>11} {'ratio':>6}")
    for rows in (1, 100, 10_000):
        batch = np.tile(x, (rows // len(x) + 1, 1))[:rows].tolist()
        body = json.dumps({"data": batch})
        event = {
            "version": "2.0",
            "rawPath": "/predict",
            "headers": {"content-type": "application/json"},
            "requestContext": {"http": {"method": "POST"}, "stage": "$default"},
            "body": body,
            "isBase64Encoded": False,
        }

        def bare(body: str = body) -> str:
            data = np.asarray(json.loads(body)["data"], dtype=np.float64)
            return json.dumps({"predictions": sk.predict(data).tolist()})

        def served(event: dict[str, Any] = event) -> Any:
            stream = runtime.telemetry._stream
            if isinstance(stream, io.StringIO):  # keep the discarded log from growing
                stream.seek(0)
                stream.truncate()
            return runtime.handle(event, _Context())

        assert json.loads(served()["body"]) == json.loads(bare())
        base, ours = median_ms(bare, args.repeat), median_ms(served, args.repeat)
        print(f"{rows:>6} {base:>9.3f} {ours:>11.3f} {ours / base:>6.2f}")


if __name__ == "__main__":
    main()
