"""`build` proves the zip or image it made: the package itself must load the model and answer.

The zip is extracted as Lambda's /var/task and run by the Python of its target version in
the local Lambda (the namespace sandbox where it can: read-only, no /dev/shm), behind the
local API Gateway: GET /health (the init loads the model and runs the warm-up row), then
the golden requests (``lambdaserve.runtime.golden``): ``--data``, else the project's
golden.json, else one all-zero row made from the signature (with ?probabilities=true too
for a classifier that has them). Their answers go to build.json, for `deploy`'s smoke test.

A failure is a BuildError with the cause and the fix (``package.diagnose``) and the zip is
moved aside (NAME.zip.failed) with no build.json: nothing is left that looks good. The same
requests are then answered by the dev venv in this process; a different answer, or a
version of a shipped distribution that differs from this venv's, is a warning.

An image is proved the same way in the container sandbox: its own root filesystem (the base's
layers downloaded once), ENTRYPOINT + CMD and Python, read-only but /tmp, no /dev/shm; a failure
moves its image.json aside (image.json.failed), and build.json goes in the image's build folder.

Package and emulator never import each other: this module wires them.
"""

from __future__ import annotations

import json
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path
from typing import Any

from lambdaserve.cli import proof_reuse, serve_artifact, serve_cmd
from lambdaserve.cli.dev_compare import DevRun
from lambdaserve.config import BUILD_RECORD, Config
from lambdaserve.emulator.execution import Function, FunctionSpec
from lambdaserve.emulator.fronts import ApiGateway, IncomingRequest, rest_event
from lambdaserve.errors import BuildError, LambdaServeError, UsageError
from lambdaserve.package import cause_of, package_failure
from lambdaserve.package.image import ImageBuild, record_image_build, set_aside_image
from lambdaserve.package.zip import ZipBuildResult, record_build, set_aside
from lambdaserve.runtime.digest import file_sha256
from lambdaserve.runtime.formats import zero_inputs
from lambdaserve.runtime.golden import GOLDEN_FILE, GoldenSet, compare, requests_from_bodies
from lambdaserve.runtime.signature import Signature

PROOF_KEY = "lambdaserve-build-proof"  # the local API key, when api.auth = api_key


@dataclass
class Proof:
    ran: bool  # the package ran here in this build
    how: str  # what ran, for the summary: "python3.12 (/usr/bin/python3.12), namespace sandbox"
    golden: GoldenSet = field(default_factory=lambda: GoldenSet(()))
    source: str = ""  # where the golden requests came from
    notes: list[str] = field(default_factory=list)  # not errors: what was not checked, disagreements
    # Not run: the proof of an earlier build whose run read nothing that changed (proof_reuse.py):
    # that build's zip sha256 and time, and why it still holds.
    reused: dict[str, str] | None = None

    def to_dict(self) -> dict[str, Any]:
        # predictions_checked false: it loaded and answered /health, but no answer was compared
        checked = (self.ran or self.reused is not None) and bool(self.golden.requests)
        out = {"ran": self.ran, "how": self.how, "golden_source": self.source,
               "golden_requests": len(self.golden.requests), "predictions_checked": checked,
               "notes": self.notes}
        if self.reused is not None:
            out["reused_from"] = self.reused
        return out


def given_bodies(config: Config, data: str | None) -> tuple[list[tuple[str, Any]], str]:
    """The golden request bodies the user gave (--data, else golden.json), and from where."""
    if data is not None:
        try:
            return [("--data", json.loads(data))], "--data"
        except ValueError as exc:
            raise UsageError(f"--data is not JSON: {exc}",
                             hint="Pass rows: --data '[[5.1, 3.5, 1.4, 0.2]]'.") from None
    path = config.project_dir / GOLDEN_FILE
    if not path.is_file():
        return [], ""
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise UsageError(f"{path} is not JSON: {exc}",
                         hint='It holds a list of request bodies: [{"data": [[...]]}, ...].') from None
    if not isinstance(raw, list) or not raw:
        raise UsageError(f"{path} must be a non-empty JSON list of request bodies",
                         hint='E.g. [{"data": [[5.1, 3.5, 1.4, 0.2]]}, {"data": [[6.7, 3.0, 5.2, 2.3]]}].')
    return [(f"{GOLDEN_FILE} #{i}", body) for i, body in enumerate(raw, 1)], GOLDEN_FILE


class _Package:
    """The built package running in the local Lambda behind the local API Gateway; ``lines`` is its log."""

    def __init__(self, config: Config, spec: FunctionSpec) -> None:
        self.config = config
        self.lines: list[str] = []
        self.spec = spec
        keys = _api_keys(config)
        self.function = Function(self.spec, log_sink=self.lines.append)
        self.settings = serve_cmd.api_settings(config, None, self.spec, keys)
        self.gateway = ApiGateway(self.function, self.settings, log=self.lines.append)
        self.headers = [("Content-Type", "application/json")] + ([("x-api-key", PROOF_KEY)] if keys else [])

    def ask(self, method: str, path: str, query: str = "", body: bytes = b"") -> tuple[int, bytes]:
        answer = self.gateway.handle(IncomingRequest(method, path, query, self.headers, body))
        if answer is None:  # only with respond_early
            raise BuildError("the local API Gateway gave no answer", hint="This is a lambdaserve bug.")
        return answer.status, answer.body

    def cold_start(self) -> tuple[int, bytes, float]:
        """GET /health straight to the function, as the Invoke API would: the cold start is bounded
        by the function's init limit and timeout, as on Lambda, not by API Gateway's wait (a torch
        model's init can outlast 29 s on a busy machine); (status, body, seconds)."""
        request = IncomingRequest("GET", "/health", "", self.headers, b"")
        event = rest_event(request, resource="/health", stage=self.config.api.stage)
        started = time.monotonic()
        outcome = self.function.invoke(json.dumps(event).encode())
        seconds = time.monotonic() - started
        if outcome.function_error is not None:
            return 502, outcome.payload + b"\n" + outcome.log_tail.encode(), seconds
        answer = json.loads(outcome.payload)
        return int(answer.get("statusCode", 502)), str(answer.get("body", "")).encode(), seconds

    def log(self, answer: bytes = b"") -> str:
        return "\n".join(self.lines) + "\n" + answer.decode("utf-8", "replace")


def _signature_bodies(metadata_body: bytes) -> tuple[list[tuple[str, Any]], bool]:
    """One all-zero row from the package's own signature (None if a shape is open), and has_proba."""
    try:
        signature = Signature.from_dict(json.loads(metadata_body)["signature"])
    except (ValueError, KeyError, TypeError):
        return [], False
    body = zero_row_body(signature)
    if body is None:
        return [], signature.has_proba
    return [("signature zero row", body)], signature.has_proba


def zero_row_body(signature: Signature) -> Any | None:
    """One all-zero row as a request body (rows, or named columns), or None if a shape is open."""
    rows = zero_inputs(signature)
    if rows is None:
        return None
    return next(iter(rows.values())) if len(rows) == 1 else [{name: value[0] for name, value in rows.items()}]


def _api_keys(config: Config) -> tuple[str, ...]:
    return (PROOF_KEY,) if config.api.auth == "api_key" else ()


class TrimNotVerified(Exception):
    """The proof's run of a zip whose trim it was to verify (``ZipBuildResult.trim_check``) failed,
    or asked for something the trim left out, or could not be traced: that zip is not proved and
    must be built again (``retrim``: with the trim verified by its own runs; else without it)."""

    def __init__(self, why: str, *, retrim: bool = False) -> None:
        super().__init__(why)
        self.why, self.retrim = why, retrim


def prove_zip(config: Config, result: ZipBuildResult, *, data: str | None = None,
              log: Callable[[str], None] = lambda _m: None, reuse: bool = True) -> Proof:
    """Run the zip and ask it the golden requests; BuildError (zip set aside) when it cannot serve.

    With ``reuse``, the proof of an earlier build is reused when nothing its run read has
    changed (proof_reuse.py); a fresh proof is stored with the trace of its run.

    With ``result.trim_check``, this run is also the trim's verifying run: it must succeed and
    its trace must show it asked for nothing the trim left out (no file opened or mapped, no
    module looked for, no folder listed); else TrimNotVerified, and the caller builds again."""
    bodies, source = given_bodies(config, data)
    check = result.trim_check
    sandbox = serve_cmd.default_sandbox(result.path)
    try:
        planned = serve_artifact.zip_spec(config, result.path, sandbox=sandbox, concurrency=1, extract=False)
    except BuildError as exc:  # no Python of the target version, another architecture
        if check is not None:
            raise TrimNotVerified(f"the zip cannot run here ({exc.message})", retrim=True) from None
        return Proof(False, "", notes=[f"the package was not run here ({exc.message}): nothing proves it "
                                       "loads the model; deploy's smoke test is the first check"])
    store = proof_reuse.store_for(config, result, planned, serve_cmd.api_settings(
        config, None, planned, _api_keys(config)), bodies, source) if reuse else None
    if store is not None:
        stored, stale = store.lookup()
        if stored is not None:  # a run of this very tree passed (and checked its trim, if any)
            if check is not None:
                check.confirm()
            return _reused(stored, result, log)
        if stale is not None:
            log(f"proving again: {stale} since the last proof")
    # The layer's and code's files the zip holds unchanged are linked, not unzipped (read-only run).
    trees = [Path(root) for root in (result.dependency_root, result.code_root) if root]
    spec = serve_artifact.zip_spec(config, result.path, sandbox=sandbox, concurrency=1, trees=trees,
                                   sha256=result.sha256)
    trace_file = ""
    if store is not None or check is not None:
        spec, trace_file = proof_reuse.traced(spec, Path(result.code_root).parent)
    package = _Package(config, spec)
    how = f"python{result.python} ({package.spec.python}), {sandbox} sandbox"
    log(f"proving the package: {result.path.name} as /var/task, {how}"
        + ("; the same run verifies the trim" if check is not None else ""))
    try:
        with package.function:
            try:
                proof = _ask(config, result.sha256, package, bodies, source, how)
            except BuildError as exc:
                if check is None:
                    raise
                raise TrimNotVerified(f"the proof's run of the trimmed zip failed ({exc.message})") from None
            trace = proof_reuse.read_trace(package.function, spec, trace_file) if trace_file else None
            if check is not None:
                if trace is None:
                    raise TrimNotVerified("the proof's run could not be traced (it started a program or "
                                          "used the network)", retrim=True)
                touched = check.touched(trace.opened, trace.looked, trace.listed)
                if touched is not None:
                    raise TrimNotVerified(f"the proof's run of the trimmed zip asked for what the trim left "
                                          f"out: {touched}")
                check.confirm()
            if store is not None and trace is not None:  # the worker has answered everything
                proof_reuse.save_trace(store, trace, {
                    "golden": proof.golden.to_dict(), "how": how, "source": proof.source,
                    "notes": proof.notes,
                    "zip_sha256": result.sha256, "built": result.built})
            return proof
    except BuildError:
        set_aside(result)
        raise


def _reused(stored: dict[str, Any], result: ZipBuildResult, log: Callable[[str], None]) -> Proof:
    """The stored proof for this zip: its answers, now recorded against this zip's sha256."""
    golden = GoldenSet.from_dict(stored["golden"])
    reused = {"zip_sha256": str(stored["zip_sha256"]), "built": str(stored["built"]),
              "how": str(stored["how"]),
              "why": "no file the proof's run read (opened, imported or mapped) has changed, nor the "
                     "golden requests, the model, the dependencies or the function's settings"}
    log(f"reusing the proof of the build of {reused['zip_sha256'][:12]} ({reused['built']}): no file "
        "its run read has changed")
    return Proof(False, str(stored["how"]), GoldenSet(golden.requests, result.sha256, golden.tolerance),
                 str(stored["source"]), list(stored["notes"]), reused=reused)


def prove_image(config: Config, build: ImageBuild, *, data: str | None = None,
                log: Callable[[str], None] = lambda _m: None) -> Proof:
    """Run the image (its own root filesystem, ENTRYPOINT and Python) in the container sandbox
    and ask it the golden requests; BuildError (image set aside) when it cannot serve."""
    bodies, source = given_bodies(config, data)
    try:  # exports the image with its base's layers (downloaded once), unpacks it with umoci
        spec = serve_artifact.container_spec(config, build.out_dir, concurrency=1, log=log)
        package = _Package(config, spec)
    except LambdaServeError as exc:  # not root, no umoci, the base's registry unreachable
        return Proof(False, "", notes=[f"the image was not run here ({exc.message}"
                                       + (f"; {exc.hint}" if exc.hint else "") + "): nothing proves it "
                                       "loads the model; deploy's smoke test is the first check"])
    assert package.spec.container is not None
    command = " ".join(package.spec.container.command)
    how = (f"{build.manifest_digest[:19]} on base {build.base_ref} ({build.base_manifest_digest[:19]}), "
           f"run by its own command `{command}` with the image's own python3, in the container sandbox: "
           "the image's root read-only, no /dev/shm")
    log(f"proving the image: {how}")
    try:
        with package.function:
            return _ask(config, build.manifest_digest, package, bodies, source, how)
    except BuildError:
        set_aside_image(build)
        raise


def _ask(config: Config, digest: str, package: _Package, bodies: list[tuple[str, Any]],
         source: str, how: str) -> Proof:
    reqs = config.function.requirements
    status, body, cold_s = package.cold_start()
    if status != 200:
        raise package_failure(package.log(body), reqs, what="load the model")
    notes = []
    waits = package.settings.wait_s
    if cold_s > waits:
        notes.append(f"the cold start (init + GET /health) took {cold_s:.0f} s here, longer than API Gateway "
                     f"waits ({waits:.0f} s): after each cold start the first request would get its 504 "
                     "(the function finishes starting and answers the next). On Lambda it is faster with "
                     "more memory (CPU); convert --to onnx, provisioned concurrency or keep_warm avoid it")
    status, body = package.ask("GET", "/health")  # warm now: through API Gateway, as clients come
    if status != 200:
        raise package_failure(package.log(body), reqs, what="answer /health")
    status, meta = package.ask("GET", "/metadata")
    made, has_proba = _signature_bodies(meta) if status == 200 else ([], False)
    if not bodies:
        bodies, source = made, "the signature"
    if not bodies:
        notes.append(f"no golden requests, so no prediction was checked: the project has no {GOLDEN_FILE} "
                     "and its signature does not give every input's shape. Add one: write request bodies in "
                     f"{GOLDEN_FILE} (e.g. [{{\"data\": [[...]]}}]), pass --data, or run `lambdaserve init "
                     "--sample rows.csv` (a custom predictor's sample rows become golden.json)")
    answered = []
    for request in requests_from_bodies(bodies, config.api.path, probabilities=has_proba):
        status, answer = package.ask("POST", request.path, request.query, request.data())
        if status != 200:
            raise package_failure(package.log(answer), reqs, what=f"answer {request.name} ({status})")
        answered.append(request.with_answer(status, json.loads(answer)))
    golden = GoldenSet(tuple(answered), digest)
    return Proof(True, how, golden, source, notes)


def compare_dev(config: Config, proof: Proof, packages: list[tuple[str, str]],
                dev: DevRun | None = None) -> list[str]:
    """Where the dev venv (this process) and the package disagree: versions, then answers.
    ``dev``: the dev venv's run, started early (dev_compare.py); stopped here when not needed."""
    found = []
    for name, version in packages:
        try:
            here = metadata.version(name)
        except metadata.PackageNotFoundError:
            continue
        if here != version:
            found.append(f"the package ships {name} {version}; this venv has {here}: answers can differ")
    if not proof.golden.requests:
        return found
    # The dev run's notes are kept while no file it read (by size and time) has changed.
    store = proof_reuse.DevStore.for_run(config, proof.golden, sys.executable)
    kept = store.lookup()
    if kept is not None:
        if dev is not None:
            dev.stop()
        return found + kept
    try:
        answers, read = (dev or DevRun.start(config)).answer(config, proof.golden.requests)
    except (LambdaServeError, ValueError, TypeError) as exc:  # ValueError: unreadable output
        return [*found, f"this venv cannot answer the golden requests ({exc}); only the package was "
                        "checked"]
    notes = []
    for request, (status, body) in zip(proof.golden.requests, answers, strict=True):
        if status != request.status:
            notes.append(f"{request.name}: this venv answered {status}, the package {request.status}")
            continue
        problems = compare(request.answer, body, proof.golden.tolerance)
        if problems:
            notes.append(f"{request.name}: this venv and the package answer differently: "
                         + "; ".join(problems[:3]))
    store.save(read, notes)
    return found + notes


def prove_and_record(config: Config, result: ZipBuildResult, *, data: str | None = None,
                     log: Callable[[str], None] = lambda _m: None, reuse: bool = True,
                     dev: DevRun | None = None) -> Proof:
    """The proof, the dev venv's comparison, then build.json: the build is good from here on.
    ``dev``: the dev venv's run if already started (it loads the model while the build works)."""
    proof = prove_zip(config, result, data=data, log=log, reuse=reuse)
    if proof.ran or proof.reused is not None:
        log("comparing with the answers of this venv's model")
        proof.notes += compare_dev(config, proof, result.packages, dev)
    proof.notes += libraries_lambda_lacks(config, result.dependency_root)  # what no run here can show
    record_build(result, proof=proof.to_dict(), golden=proof.golden.to_dict())
    return proof


def prove_and_record_image(config: Config, build: ImageBuild, *, data: str | None = None,
                           log: Callable[[str], None] = lambda _m: None) -> Proof:
    """The image's proof, the dev venv's comparison of answers, then build.json in the image's
    build folder. The image runs its own OS's libraries, so no library note is needed."""
    proof = prove_image(config, build, data=data, log=log)
    if proof.ran:
        proof.notes += compare_dev(config, proof, [])
    record_image_build(build, proof=proof.to_dict(), golden=proof.golden.to_dict())
    return proof


def libraries_lambda_lacks(config: Config, dependency_root: str) -> list[str]:
    """Runs here use this machine's system libraries: name those Lambda's OS does not have."""
    from lambdaserve.doctor import KNOWN_MISSING, missing_libraries

    if not dependency_root or not Path(dependency_root).is_dir():
        return []
    return [f"{', '.join(users[:3])} needs {name} ({KNOWN_MISSING[name]}): runs here use this "
            f"machine's copy, but the package does not carry it and Lambda's python{config.function.python} "
            f"OS does not have it, so on Lambda the model fails to load ('{name}: cannot open shared "
            "object file'). `lambdaserve doctor` says more; see its shared-libraries check for the fix."
            for name, users in sorted(missing_libraries(Path(dependency_root)).items())
            if name in KNOWN_MISSING]


def log_cause(text: str) -> str:
    """The most telling line of a failed run's log, with the runtime's hint when it gave one."""
    cause, hint = cause_of(text)
    return f"{cause} ({hint})" if hint else cause


def golden_for(config: Config, built: Path) -> tuple[GoldenSet | None, str]:
    """The golden requests for a built zip (or an image's build folder) and where they came from:
    build.json's when it records this very package (same sha256 or manifest digest), else a zero
    row from the declared signature with no answer to compare (the function must answer 2xx),
    else none."""
    if built.is_dir():
        from lambdaserve.package.image import load_build

        digest, name = load_build(built).manifest_digest, f"the image in {built}"
        record = built / BUILD_RECORD
    else:
        digest, name = file_sha256(built), built.name
        record = built.with_name(BUILD_RECORD)
    try:
        raw = json.loads(record.read_text(encoding="utf-8"))
        golden = GoldenSet.from_dict(raw["golden"])
        if golden.sha256 == digest and golden.requests:
            return golden, f"{len(golden.requests)} golden requests recorded by `lambdaserve build`"
    except (OSError, ValueError, KeyError, TypeError):
        pass
    body = zero_row_body(config.signature) if config.signature is not None else None
    if body is None:
        return None, f"no golden requests: {name} was not proved by `lambdaserve build`"
    requests = requests_from_bodies([("signature zero row", body)], config.api.path)
    return GoldenSet(tuple(requests), digest), (f"{name} was not proved by `lambdaserve build`: "
                                                "a zero row must answer 2xx, no answers to compare")
