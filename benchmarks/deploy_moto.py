"""Deploy round trips against a local moto server: first deploy, no-op redeploy, dry run, update.

    python benchmarks/deploy_moto.py [--runs 3] [--zip-mb 20]

Each run deploys a fresh stack (the project's real template) three times:
  create   bucket check, zip upload, CREATE change set, execute, wait, outputs;
  no-op    the same zip again: the upload is skipped (content-addressed) and the change set
           is empty, so nothing is executed;
  dry-run  the plan of the update with its template preview (what `deploy --dry-run` prints):
           read-only calls, nothing executed;
  update   a new zip: upload, UPDATE change set, execute, wait.
Each step plans (plan_zip_upload, Deployer.plan) and executes the plan, as the CLI does.
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
from lambdaserve.cloud.stack.plan import plan_zip_upload  # noqa: E402
from lambdaserve.cloud.store.artifact_ref import parameter_values  # noqa: E402
from lambdaserve.cloud.store.buckets import bucket_name  # noqa: E402
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
    expected = {"create": "created", "no-op": "up-to-date", "dry-run": "planned", "update": "updated"}
    for step, path in (("create", first), ("no-op", first), ("dry-run", second), ("update", second)):
        before = len(recorder.calls)
        started = time.perf_counter()
        artifact, steps = plan_zip_upload(clients, bucket=bucket, app=config.name, path=path)
        request = DeployRequest(stack=config.stack_name, template=render_template(config, artifact),
                                parameters=parameter_values(artifact), smoke=False, assume_yes=True)
        plan = deployer.plan(request, artifact_steps=steps, preview=step == "dry-run")
        outcome = "planned" if step == "dry-run" else deployer.execute(plan, request).outcome
        results[step] = (time.perf_counter() - started, len(recorder.calls) - before)
        assert outcome == expected[step], outcome
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
    for step in ("create", "no-op", "dry-run", "update"):
        seconds = statistics.median(r[step][0] for r in runs)
        calls = runs[-1][step][1]
        print(f"  {step:<7} {seconds * 1000:8.0f} ms  {seconds / base:5.2f}x create  {calls:3d} AWS calls")


if __name__ == "__main__":
    main()
