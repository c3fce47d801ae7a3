"""Deploy round trips against a local moto server: first deploy vs no-op redeploy vs code update.

    python benchmarks/deploy_moto.py [--runs 3] [--zip-mb 20]

Each run deploys a fresh stack (the project's real template) three times:
  create   bucket check, zip upload, CREATE change set, execute, wait, outputs;
  no-op    the same zip again: the upload is skipped (content-addressed) and the change set
           is empty, so nothing is executed;
  update   a new zip: upload, UPDATE change set, execute, wait.
Baseline: create, same run. Also printed: AWS calls per step (from the call recorder).
moto answers in-process, so these are lambdaserve's own costs plus moto's, not AWS latency.
"""

from __future__ import annotations

import argparse
import logging
import os
import statistics
import sys
import tempfile
import time
import warnings
import zipfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from lambdaserve.cloud.aws import AwsClients, CallRecorder, make_session  # noqa: E402
from lambdaserve.cloud.cfn.render import render_template  # noqa: E402
from lambdaserve.cloud.stack.deployer import Deployer, DeployRequest  # noqa: E402
from lambdaserve.cloud.store.artifact_ref import parameter_values  # noqa: E402
from lambdaserve.cloud.store.buckets import bucket_name, ensure_bucket, upload_zip  # noqa: E402
from lambdaserve.config import parse_config  # noqa: E402


class QuietUI:
    def info(self, message: str) -> None: ...
    def warn(self, message: str) -> None: ...
    def changes(self, changes: object) -> None: ...
    def event(self, event: object) -> None: ...
    def confirm(self, question: str) -> bool:
        return True


def make_zip(path: Path, megabytes: int, salt: str) -> Path:
    with zipfile.ZipFile(path, "w", zipfile.ZIP_STORED) as archive:
        archive.writestr(zipfile.ZipInfo("app.py", (2024, 1, 1, 0, 0, 0)), f"SALT = {salt!r}\n")
        archive.writestr(zipfile.ZipInfo("model/blob.bin", (2024, 1, 1, 0, 0, 0)),
                         os.urandom(megabytes * 1024 * 1024))
    return path


def one_run(endpoint: str, work: Path, index: int, megabytes: int) -> dict[str, tuple[float, int]]:
    (work / "model.onnx").write_bytes(b"x")
    config = parse_config({"name": f"bench{index}", "model": {"path": "model.onnx", "framework": "onnx"}},
                          work / "lambdaserve.toml")
    recorder = CallRecorder()
    clients = AwsClients(make_session(region="us-east-1", environ={
        "AWS_ACCESS_KEY_ID": "bench", "AWS_SECRET_ACCESS_KEY": "bench"}), "us-east-1", endpoint,
        recorder=recorder)
    deployer = Deployer(clients, QuietUI(), sleep=lambda _s: None, poll=0)
    bucket = bucket_name("123456789012", "us-east-1")
    first = make_zip(work / f"a{index}.zip", megabytes, "a")
    second = make_zip(work / f"b{index}.zip", megabytes, "b")
    results = {}
    for step, path in (("create", first), ("no-op", first), ("update", second)):
        before = len(recorder.calls)
        started = time.perf_counter()
        ensure_bucket(clients, bucket)
        artifact = upload_zip(clients, bucket, config.name, path)
        outcome = deployer.deploy(DeployRequest(
            stack=config.stack_name, template=render_template(config, artifact),
            parameters=parameter_values(artifact), smoke=False, assume_yes=True)).outcome
        results[step] = (time.perf_counter() - started, len(recorder.calls) - before)
        assert outcome == {"create": "created", "no-op": "up-to-date", "update": "updated"}[step], outcome
    return results


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--zip-mb", type=int, default=20)
    args = parser.parse_args()
    warnings.simplefilter("ignore")
    logging.getLogger("werkzeug").setLevel(logging.WARNING)
    from moto.server import ThreadedMotoServer

    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    try:
        host, port = server.get_host_and_port()
        with tempfile.TemporaryDirectory() as tmp:
            runs = [one_run(f"http://{host}:{port}", Path(tmp), i, args.zip_mb) for i in range(args.runs)]
    finally:
        server.stop()
    base = statistics.median(r["create"][0] for r in runs)
    print(f"deploy against moto, {args.zip_mb} MB zip, median of {args.runs} runs")
    for step in ("create", "no-op", "update"):
        seconds = statistics.median(r[step][0] for r in runs)
        calls = runs[-1][step][1]
        print(f"  {step:<7} {seconds * 1000:8.0f} ms  {seconds / base:5.2f}x create  {calls:3d} AWS calls")


if __name__ == "__main__":
    main()
