"""Tabular models, native zip vs the `convert --to onnx` zip: unzipped size and cold start, side by side.

    python benchmarks/tabular_slim.py [--runs 5] [--only table,lightgbm,xgboost]

Kinds (tiny models made here, each a project written by `lambdaserve init`):
  table     scikit-learn Pipeline(ColumnTransformer(OneHotEncoder on "city", StandardScaler on
            "age" and "income")) on a DataFrame, init --sample train.csv: named mixed columns
  lightgbm  a LightGBM Booster saved as model.txt (numeric features; its zip ships libgomp in lib/)
  xgboost   an XGBoost Booster saved as model.ubj
A kind `convert` cannot do is measured natively only, and its row says so.
For each kind: convert_project writes model.onnx and lambdaserve.onnx.toml; build_zip builds
both configs for python3.12 x86_64 (the native one is the baseline, same run); each zip is
extracted and cold-started by python3.12 in fresh processes (PYTHONPATH and LD_LIBRARY_PATH as
Lambda sets them for /var/task): import lambdaserve.runtime.handler (the model loads and warms up,
as in Lambda's init) and answer one API Gateway event; wall time from spawn to the first answer,
native and ONNX interleaved, median of --runs. Ratios are slim / native.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks.convert_slim import CACHE, EVENT, HANDLER, _interleaved  # noqa: E402
from lambdaserve.config import Config, artifact_env, load_config  # noqa: E402
from lambdaserve.convert import convert_project  # noqa: E402
from lambdaserve.package.deps.interpreters import find_interpreter  # noqa: E402
from lambdaserve.package.zip.build import MB, build_zip  # noqa: E402
from lambdaserve.package.zip.extract import extract  # noqa: E402

KINDS = ("table", "lightgbm", "xgboost")
LAMBDASERVE = str(Path(sys.executable).with_name("lambdaserve"))


def _make(kind: str, folder: Path) -> tuple[list[str], Any]:
    """Train the kind's tiny model into ``folder``: (init arguments, one request's data)."""
    import numpy as np

    folder.mkdir(parents=True)
    x = np.random.default_rng(0).random((200, 4))
    if kind == "table":
        import joblib
        import pandas as pd
        from sklearn.compose import ColumnTransformer
        from sklearn.linear_model import LogisticRegression
        from sklearn.pipeline import Pipeline
        from sklearn.preprocessing import OneHotEncoder, StandardScaler

        frame = pd.DataFrame({"age": (x[:, 0] * 60 + 18).round(), "income": x[:, 1] * 1e5,
                              "city": np.array(["Paris", "Lyon", "Nice"])[(x[:, 2] * 3).astype(int)]})
        prep = ColumnTransformer([("cat", OneHotEncoder(), ["city"]),
                                  ("num", StandardScaler(), ["age", "income"])])
        labels = (frame["age"] > 40).astype(int)  # int: skl2onnx answers bool labels as 0/1
        model = Pipeline([("prep", prep), ("clf", LogisticRegression())]).fit(frame, labels)
        joblib.dump(model, folder / "model.joblib")
        frame.to_csv(folder / "train.csv", index=False)
        record = {"age": 30, "income": 4e4, "city": "Paris"}
        return ["--model", "model.joblib", "--sample", "train.csv"], [record]
    if kind == "lightgbm":
        import lightgbm

        booster = lightgbm.train({"objective": "binary", "verbose": -1, "num_leaves": 8},
                                 lightgbm.Dataset(x, (x[:, 0] > 0.5).astype(int)), 20)
        booster.save_model(str(folder / "model.txt"))
        return ["--model", "model.txt"], [[0.1, 0.2, 0.3, 0.4]]
    import xgboost

    labels = (x[:, 0] > 0.5).astype(int)
    xgboost.train({"objective": "binary:logistic"}, xgboost.DMatrix(x, labels), 20).save_model(
        str(folder / "model.ubj"))
    return ["--model", "model.ubj"], [[0.1, 0.2, 0.3, 0.4]]


def _event(api_path: str, data: Any) -> str:
    event = json.loads(EVENT.read_text())
    event.update(httpMethod="POST", path=api_path, resource=api_path, isBase64Encoded=False,
                 body=json.dumps({"data": data}))
    event["headers"]["Content-Type"] = "application/json"
    event["multiValueHeaders"] = {k: [v] for k, v in event["headers"].items()}
    return json.dumps(event)


def _zip_side(config: Config, task: Path, python: str, data: Any) -> tuple[list[str], dict[str, str], Path]:
    env = {"PATH": os.environ.get("PATH", ""), "PYTHONPATH": str(task), "PYTHONDONTWRITEBYTECODE": "1",
           "PYTHONUNBUFFERED": "1", "LD_LIBRARY_PATH": f"{task}:{task}/lib", **artifact_env(config, "zip")}
    env["LAMBDASERVE_MODEL_DIR"] = str(task / "model")  # /var/task/model, here
    return [python, "-s", "-c", HANDLER, _event(config.api.path, data)], env, task


def bench(kind: str, scratch: Path, runs: int) -> dict[str, Any]:
    folder = scratch / kind
    init, data = _make(kind, folder)
    done = subprocess.run([LAMBDASERVE, "init", *init, "--force"], cwd=folder, capture_output=True, text=True)
    if done.returncode != 0:
        raise SystemExit(f"{kind}: init failed:\n{done.stderr}")
    native = load_config(folder)
    configs = {"native": native}
    try:
        configs["onnx"] = load_config(convert_project(native).config_path)
    except Exception as exc:  # a kind convert cannot do: measured natively only, and said so
        print(f"{kind}: no slim path: {exc}", flush=True)
    python = find_interpreter("3.12")
    zips = {label: build_zip(config, interpreter=python, out_dir=scratch / f"{kind}-{label}-zip",
                             cache_dir=CACHE / "deps", wheel_cache=CACHE / "wheels")
            for label, config in configs.items()}
    tasks = {label: extract(z.path, scratch / f"{kind}-{label}-task") for label, z in zips.items()}
    sides = {label: _zip_side(configs[label], tasks[label], str(python.path), data) for label in zips}
    cold = _interleaved(sides, runs)
    return {"kind": kind, "unzipped": {k: z.unzipped_bytes for k, z in zips.items()},
            "zipped": {k: z.zipped_bytes for k, z in zips.items()}, "cold": cold}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--only", default="", help=f"comma-separated subset of: {', '.join(KINDS)}")
    args = parser.parse_args(argv)
    kinds = [k.strip() for k in args.only.split(",") if k.strip()] or list(KINDS)
    print(f"tabular slim path: python3.12 x86_64 zips, spawn to first answer, median of {args.runs} "
          f"fresh processes per side, interleaved; {os.cpu_count()} CPUs, load average "
          f"{os.getloadavg()[0]:.1f} at start", flush=True)
    results = []
    with tempfile.TemporaryDirectory(prefix="lambdaserve-tabular-slim-") as tmp:
        for kind in kinds:
            results.append(bench(kind, Path(tmp), args.runs))
    print("\n| kind | unzipped native | unzipped ONNX | size ONNX/native | cold native | cold ONNX | "
          "cold ONNX/native |\n|---|---|---|---|---|---|---|")
    for r in results:
        size, cold = r["unzipped"], r["cold"]
        slim = "onnx" in size
        print(f"| {r['kind']} | {size['native'] / MB:.1f} MB | "
              + (f"{size['onnx'] / MB:.1f} MB | **{size['onnx'] / size['native']:.2f}** | " if slim
                 else "— | — | ")
              + f"{cold['native'] * 1000:,.0f} ms | "
              + (f"{cold['onnx'] * 1000:,.0f} ms | **{cold['onnx'] / cold['native']:.2f}** |" if slim
                 else "— | no slim path |"))
    print(f"\nload average at the end {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs "
          "(other work on the machine adds noise; the ratios hold better than the times)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
