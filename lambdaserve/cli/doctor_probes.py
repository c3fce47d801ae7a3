"""The doctor's probes, built on cloud, build and the emulator (the doctor imports none of them)."""

from __future__ import annotations

import json
import os
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from botocore.exceptions import BotoCoreError, ClientError

from lambdaserve.cloud import AwsClients, explain, make_session
from lambdaserve.config import BUILD_RECORD, Config
from lambdaserve.doctor import PackageInfo, Probes, ProbeUnavailable, SmokeRun, WheelInfo
from lambdaserve.errors import LambdaServeError
from lambdaserve.runtime.golden import GoldenRequest, GoldenSet, check

if TYPE_CHECKING:
    from lambdaserve.emulator.execution import FunctionSpec

T = TypeVar("T")


class LazyAws:
    """Clients and identity made on first use; a failure is kept and given to every AWS probe."""

    def __init__(self, config: Config | None, *, profile: str | None, region: str | None,
                 endpoint_url: str | None, warn: Callable[[str], None]) -> None:
        self.config, self.profile, self.region, self.endpoint_url = config, profile, region, endpoint_url
        self.warn = warn
        self._clients: AwsClients | None = None
        self._arn: str | None = None
        self._failed: LambdaServeError | None = None

    def clients(self) -> AwsClients:
        from lambdaserve.cloud import resolve_region

        if self._failed is not None:
            raise ProbeUnavailable(f"no AWS access: {self._failed.message}", self._failed.hint)
        if self._clients is None:
            configured = self.config.deploy.region if self.config else None
            session = make_session(profile=self.profile, region=self.region or configured or None,
                                   environ=os.environ)
            self._clients = AwsClients(session, resolve_region(self.region, configured, session),
                                       self.endpoint_url)
        return self._clients

    def identity(self) -> str:
        from lambdaserve.cloud.iam import resolve_identity

        if self._arn is None:
            try:
                self._arn = resolve_identity(self.clients(), profile=self.profile, warn=self.warn).arn
            except LambdaServeError as exc:
                if not isinstance(exc, ProbeUnavailable):
                    self._failed = exc
                raise
        return self._arn

    def call(self, read: Callable[[AwsClients], T]) -> T:
        self.identity()  # no identity, no point asking (the credentials check reports why)
        try:
            return read(self.clients())
        except (ClientError, BotoCoreError) as exc:
            raise explain(exc) from exc


def aws_probes(config: Config | None, aws: LazyAws) -> Probes:
    from lambdaserve.cloud.iam import deployer_policy
    from lambdaserve.cloud.ops import denied_actions, deployed_access_log
    from lambdaserve.cloud.stack import app_status

    probes = Probes(identity=aws.identity)
    if config is None:
        return probes

    def status() -> str | None:
        return aws.call(lambda c: app_status(c, config.stack_name, stage=config.api.stage).status)

    def simulate(arn: str, _actions: Sequence[str]) -> Sequence[str]:
        return aws.call(lambda c: denied_actions(c, arn, _policy(c)))

    def _policy(clients: AwsClients) -> dict[str, Any]:
        from lambdaserve.cloud.store import bucket_name, repository_name

        account = aws.identity().split(":")[4]
        return deployer_policy(config, account=account, region=clients.region,
                               artifact_bucket=bucket_name(account, clients.region),
                               ecr_repository=repository_name(config.name))

    def access_log() -> str | None:
        def read(c: AwsClients) -> str | None:
            outputs = app_status(c, config.stack_name, stage=config.api.stage).outputs
            return deployed_access_log(c, outputs, config.api.type, config.api.stage)
        return aws.call(read)

    probes.stack_status, probes.simulate, probes.deployed_access_log = status, simulate, access_log
    return probes


def required_actions(config: Config) -> list[str]:
    """Every action of the deployer policy (account and region do not change the list)."""
    from lambdaserve.cloud.iam import deployer_policy

    policy = deployer_policy(config, account="123456789012", region="us-east-1",
                             artifact_bucket="b", ecr_repository="r")
    actions: set[str] = set()
    for statement in policy["Statement"]:
        found = statement["Action"]
        actions |= {found} if isinstance(found, str) else set(found)
    return sorted(actions)


def add_local_probes(probes: Probes, config: Config) -> None:
    """Readers of the last build (sizes, wheels) from build's own records."""
    from lambdaserve.package.deps import RUNTIME_GLIBC, installed_wheels

    build_dir = config.build_dir
    cache = config.state_dir / "cache" / "deps"

    def package() -> PackageInfo | None:
        if config.function.package == "image":
            record = build_dir / "image" / "image.json"
            if not record.is_file():
                return None
            raw = json.loads(record.read_text())
            size = sum(d.get("size", 0) for d in raw["base_layers"]) + sum(x["size"] for x in raw["layers"])
            return PackageInfo("image", image=size)
        record = build_dir / BUILD_RECORD
        if not record.is_file():
            return None
        raw = json.loads(record.read_text())
        return PackageInfo("zip", unzipped=int(raw["unzipped_bytes"]), zipped=int(raw["zipped_bytes"]))

    def layer() -> Path | None:
        record = build_dir / BUILD_RECORD
        raw = json.loads(record.read_text()) if record.is_file() else {}
        key, root = raw.get("dependency_key"), raw.get("dependency_root")
        # Builds since issue 20 record where the (shared) layer is; older ones kept it in the project.
        site = Path(root) if root else cache / str(key) / "site" if key else None
        return site if site is not None and site.is_dir() else None

    def wheels() -> list[WheelInfo]:
        site = layer()
        if site is None:
            return []
        return [WheelInfo(w.name, w.version, w.glibc, w.platforms) for w in installed_wheels(site)]

    probes.package, probes.wheels, probes.layer = package, wheels, layer
    probes.runtime_glibc = RUNTIME_GLIBC.get(config.function.python)


def smoke_probe(config: Config, log: Callable[[str], None] = lambda _l: None) -> Callable[[], SmokeRun]:
    """One cold GET /health in the local Lambda (no /dev/shm); init loads and warms the model.

    It runs the built zip when there is one (then also its golden requests, compared with the
    answers build recorded), and the project folder in the dev venv otherwise; SmokeRun.ran says which.
    """

    def run() -> SmokeRun:
        from lambdaserve.emulator.execution import Function

        spec, ran, golden = _smoke_target(config)
        lines: list[str] = []
        started = time.perf_counter()
        failures: list[str] = []
        with Function(spec, log_sink=lines.append) as function:
            result = function.invoke(json.dumps(_event(config, "GET", "/health")).encode())
            healthy = result.function_error is None and _status(result.payload) == 200
            asked = golden if golden is not None and healthy else GoldenSet(())
            for request in asked.requests:
                event = _event(config, "POST", request.path, request.query, request.data())
                answer = function.invoke(json.dumps(event).encode())
                why = _golden_check(request, answer.payload, asked)
                if why is not None:
                    failures.append(f"golden request {request.name}: {why}")
        log(f"smoke run done in {time.perf_counter() - started:.1f} s")
        text = "\n".join(lines + failures) + "\n" + result.log_tail + "\n" + \
            result.payload.decode("utf-8", "replace")
        return SmokeRun(ok=healthy and not failures, output=text, init_ms=result.init_duration_ms,
                        duration_ms=result.duration_ms, ran=ran)

    return run


def _smoke_target(config: Config) -> tuple[FunctionSpec, str, GoldenSet | None]:
    """The built zip when there is one (with its golden requests), else the project folder."""
    from lambdaserve.cli import build_proof, serve_artifact, serve_cmd, wiring

    zip_path = config.build_dir / f"{config.name}.zip"
    why = "no zip is built (`lambdaserve build`)"
    changed = serve_artifact.changed_since(config, zip_path) if zip_path.is_file() else None
    if changed is not None:  # the zip no longer shows the project: its own answers would mislead
        why = f"{changed} changed after the zip was built (`lambdaserve build` builds it again)"
    elif zip_path.is_file():
        try:
            spec = serve_artifact.zip_spec(config, zip_path, sandbox=serve_cmd.default_sandbox(zip_path),
                                           concurrency=1)
            golden, _where = build_proof.golden_for(config, zip_path)
            return spec, f"the built zip {zip_path.name} ({spec.python})", golden
        except LambdaServeError as exc:
            why = f"the built zip cannot run here: {exc.message}"
    return (wiring.function_spec(config, concurrency=1),
            f"the project folder in the dev venv, not the package: {why}", None)


def _event(config: Config, method: str, path: str, query: str = "", body: bytes = b"") -> dict[str, object]:
    from lambdaserve.emulator.fronts import IncomingRequest, http_event, rest_event

    headers = [("Content-Type", "application/json")] if body else []
    req = IncomingRequest(method, path, query, headers, body)
    return (rest_event(req, resource=path, stage=config.api.stage) if config.api.type == "rest"
            else http_event(req, route_key=f"{method} {path}", stage=config.api.stage))


def _golden_check(request: GoldenRequest, payload: bytes, golden: GoldenSet) -> str | None:
    try:
        answer = json.loads(payload)
        status, body = int(answer["statusCode"]), str(answer.get("body") or "").encode()
    except (ValueError, KeyError, TypeError):
        return f"not an API answer: {payload[:300].decode('utf-8', 'replace')}"
    return check(request, status, body, golden.tolerance)


def _status(payload: bytes) -> object:
    try:
        answer = json.loads(payload)
    except ValueError:
        return None
    return answer.get("statusCode") if isinstance(answer, dict) else None


def read_input(text_or_file: str) -> str:
    """--explain takes the error text itself, or a log file's path."""
    path = Path(text_or_file)
    try:
        if len(text_or_file) < 4096 and path.is_file():
            return path.read_text(encoding="utf-8", errors="replace")
    except OSError:
        pass
    return text_or_file
