"""The Runtime: one loaded model answering every event source on four routes.

    POST <api_path>     predict ({"data"}, {"instances"} or Open Inference Protocol v2)
    GET  /health        liveness
    GET  /metadata      signature, framework, versions
    GET  /openapi.json  OpenAPI 3.1 from the signature
    GET  / and /docs    the try-it page, only with api.docs (runtime/docs.py)

``Runtime.handle`` never raises: client mistakes become 4xx with a precise message; anything
else becomes a 500 that carries only the request id, with the traceback in the log.
"""

from __future__ import annotations

import json
import os
import sys
import time
from collections.abc import Callable
from typing import Any

from lambdaserve import __version__
from lambdaserve.errors import LambdaServeError, RequestError
from lambdaserve.runtime.encode import Plain
from lambdaserve.runtime.events import SOURCE_DIRECT, HttpRequest, HttpResponse, format_response, parse_event
from lambdaserve.runtime.formats import FORMAT_OIP, oip_answer, read_request, rows_answer, zero_inputs
from lambdaserve.runtime.limits import SYNC_REQUEST_BYTES as MAX_BODY_BYTES
from lambdaserve.runtime.loaders.base import Model
from lambdaserve.runtime.settings import RuntimeSettings, snapstart_init
from lambdaserve.runtime.telemetry import Telemetry
from lambdaserve.runtime.threads import configure_threads

_INTERNAL = "internal error; quote the request id when you report it"


def _new_id() -> str:
    import uuid  # only for events that carry no request id; not worth its import at every cold start

    return str(uuid.uuid4())


def _error(status: int, message: str, request_id: str, hint: str = "") -> HttpResponse:
    detail: dict[str, Any] = {"status": status, "message": message}
    if hint:
        detail["hint"] = hint
    detail["request_id"] = request_id
    return HttpResponse(status, {"error": detail})


def _text(raw: bytes) -> str:
    """``raw.decode("utf-8-sig")`` (one leading BOM dropped) without looking up that codec: its
    module is ~1 M instructions of a cold start's first request (benchmarks/import_cost.py)."""
    return (raw[3:] if raw.startswith(b"\xef\xbb\xbf") else raw).decode("utf-8")


def _is_json(content_type: str | None) -> bool:
    if content_type is None or not content_type.strip():
        return True  # no Content-Type: assume JSON, as curl users often forget it
    mime = content_type.split(";", 1)[0].strip().lower()
    return mime == "application/json" or (mime.startswith("application/") and mime.endswith("+json"))


class Runtime:
    def __init__(
        self,
        model: Model,
        settings: RuntimeSettings,
        telemetry: Telemetry | None = None,
        clock: Callable[[], float] = time.perf_counter,
    ) -> None:
        self.model = model
        self.settings = settings
        self.telemetry = telemetry or Telemetry(settings.name)
        self._clock = clock
        self._openapi: dict[str, Any] | None = None
        self.routes: dict[str, tuple[str, ...]] = {
            "/health": ("GET",),
            "/metadata": ("GET",),
            "/openapi.json": ("GET",),
            settings.api_path: ("POST",),
        }
        if settings.docs:
            from lambdaserve.runtime import docs  # only functions with the page pay for it

            self.routes.update({route: ("GET",) for route in docs.ROUTES if route != settings.api_path})

    @classmethod
    def from_settings(cls, settings: RuntimeSettings, telemetry: Telemetry | None = None,
                      framework: str | None = None, threads: int | None = None) -> Runtime:
        """Load the model (threads sized first), warm it up, and log how long each step took.

        ``framework``: the settings' framework, already resolved (``import_framework``); None
        resolves it while loading. ``threads``: what ``configure_threads`` returned, if it ran
        already (the handler's did); None sizes them here.
        """
        clock = time.perf_counter
        start = clock()
        if threads is None:  # the handler sized them before any import (~0.25 M instructions a sizing)
            threads = configure_threads()
        from lambdaserve.runtime.loaders import load_model  # imports the framework

        telemetry = telemetry or Telemetry(settings.name)
        model: Model | None = None
        # SnapStart: reseed after each restore, registered first so it runs before any after-restore
        # hook the predictor's modules register (Lambda runs those in the order of registration).
        hooked = False
        if snapstart_init():  # only a SnapStart init imports snapstart.py
            from lambdaserve.runtime import snapstart

            hooked = snapstart.register_after_restore(
                telemetry.log, lambda: getattr(model, "predictor", None))
        loaded = clock()
        try:
            if settings.model_s3_uri:  # s3_model imports urllib, ssl, hmac: a packaged model never needs them
                from lambdaserve.runtime.s3_model import fetched

                settings = fetched(settings)  # a model kept in S3 lands in /tmp first
            model = load_model(settings, framework)
        except LambdaServeError as exc:  # Lambda reports only str(exc): the fix goes to the log
            telemetry.log(
                "ERROR", "the model did not load", error_type=type(exc).__name__, error=exc.message,
                hint=exc.hint)
            raise
        load_ms = (clock() - loaded) * 1000
        runtime = cls(model, settings, telemetry)
        if settings.docs:
            from lambdaserve.runtime.docs import missing_assets

            if missing := missing_assets():
                runtime.telemetry.log("WARNING", "api.docs is on but the page's files are missing; "
                                      "rebuild the package with api.docs = true", missing=missing)
        if hooked:  # the warm-up runs right before the snapshot, so the snapshot holds a warm model
            from lambdaserve.runtime import snapstart

            snapstart.register_before_snapshot(runtime.telemetry.log, runtime.warm_up,
                                               getattr(model, "predictor", None))
            warmup_ms = None
        else:
            warmup_ms = runtime.warm_up()
        runtime.telemetry.log(
            "INFO",
            "init",
            framework=model.framework,
            threads=threads,
            model_load_ms=round(load_ms, 3),
            warmup_ms=None if warmup_ms is None else round(warmup_ms, 3),
            init_ms=round((clock() - start) * 1000, 3),
            initialization_type=os.environ.get("AWS_LAMBDA_INITIALIZATION_TYPE", "on-demand"),
            snapstart_hooks=hooked,
        )
        return runtime

    def warm_up(self) -> float | None:
        """One prediction on an all-zero row so the first request pays no first-call costs; its ms."""
        if not self.settings.warmup:
            self.telemetry.log("INFO", "warm-up skipped: turned off in the settings")
            return None
        inputs = zero_inputs(self.model.signature)
        if inputs is None:
            self.telemetry.log("INFO", "warm-up skipped: the signature does not give every input's shape")
            return None
        start = self._clock()
        try:
            self.model.predict(
                inputs, probabilities=self.settings.probabilities and self.model.signature.has_proba
            )
        except Exception as exc:  # a model that rejects zeros still serves real rows
            self.telemetry.log(
                "WARNING",
                "warm-up prediction failed; continuing without it",
                error_type=type(exc).__name__,
                error=str(exc)[:500],
            )
            return None
        return (self._clock() - start) * 1000

    def handle(self, event: Any, context: Any) -> Any:
        start = self._clock()
        cold = self.telemetry.next_is_cold()
        # parse_event reads any JSON value (tests/runtime/test_fuzz.py mangles real events to prove it).
        request = parse_event(event, self.settings.api_path)
        request_id = str(getattr(context, "aws_request_id", None) or request.request_id or _new_id())
        rows = 0
        try:
            response, rows = self._route(request, request_id)
        except RequestError as exc:
            response = _error(exc.status, exc.message, request_id, exc.hint)
        except Exception as exc:  # the traceback goes to the log only
            self.telemetry.exception(request_id, exc)
            if request.source == SOURCE_DIRECT:
                # A direct invoke has no HTTP status to carry the failure: raise, so the Invoke API
                # answers FunctionError Unhandled with the errorType, as Lambda does.
                raise
            response = _error(500, _INTERNAL, request_id)
        response.headers.setdefault("Content-Type", "application/json")
        response.headers["X-Request-Id"] = request_id
        self._cors(request, response)
        result = format_response(request, response)
        note = response.body["error"]["message"] if 400 <= response.status < 500 else None
        self.telemetry.request(
            request_id=request_id,
            cold_start=cold,
            duration_ms=(self._clock() - start) * 1000,
            rows=rows,
            status=response.status,
            route=request.path[:200],
            source=request.source,
            method=request.method[:20],
            **({"error": note} if note else {}),
        )
        return result

    def _route(self, request: HttpRequest, request_id: str) -> tuple[HttpResponse, int]:
        path = request.path.rstrip("/") or "/"
        methods = self.routes.get(path)
        if methods is None:
            listed = ", ".join(f"{m[0]} {p}" for p, m in self.routes.items())
            return _error(
                404, f"no route for {request.method[:20]} {path[:200]}", request_id, f"Routes: {listed}."
            ), 0
        allow = ", ".join((*methods, "OPTIONS"))
        if request.method == "OPTIONS":
            return HttpResponse(204, None, {"Allow": allow}), 0
        if request.method not in methods:
            response = _error(
                405, f"{path} does not accept {request.method[:20]}", request_id, f"Use {methods[0]} {path}."
            )
            response.headers["Allow"] = allow
            return response, 0
        if path == "/health":
            return HttpResponse(200, {"status": "ok", "framework": self.model.framework}), 0
        if path == "/metadata":
            return HttpResponse(200, self.metadata()), 0
        if path == "/openapi.json":
            return HttpResponse(200, self.openapi()), 0
        if path != self.settings.api_path:  # the only other routes are the try-it page's
            from lambdaserve.runtime import docs

            return docs.answer(request, path, self.settings.name), 0
        return self._predict(request)

    def _predict(self, request: HttpRequest) -> tuple[HttpResponse, int]:
        body = request.direct_body if request.source == SOURCE_DIRECT else self._json_body(request)
        signature = self.model.signature
        predict = read_request(
            body,
            signature,
            query_probabilities=request.query_value("probabilities"),
            default_probabilities=self.settings.probabilities,
        )
        outputs = self.model.predict(predict.inputs, probabilities=predict.probabilities)
        plain = Plain()
        if predict.protocol == FORMAT_OIP:
            answer = oip_answer(outputs, predict.rows, plain, self.settings.name, predict.oip_id)
        else:
            answer = rows_answer(outputs, predict.rows, plain)
        if plain.non_finite:
            self.telemetry.log(
                "WARNING",
                "the model's outputs held NaN or Infinity; they were sent as null",
                count=plain.non_finite,
            )
        return HttpResponse(200, answer), predict.rows

    def _json_body(self, request: HttpRequest) -> Any:
        content_type = request.header("content-type")
        declared_json = _is_json(content_type)
        too_big = RequestError(
            f"the body is over {MAX_BODY_BYTES // (1024 * 1024)} MB, Lambda's payload limit",
            status=413,
            hint="Send fewer rows per request.",
        )
        if request.body_size_hint() > MAX_BODY_BYTES + 4:
            raise too_big
        raw = request.body_bytes()
        if len(raw) > MAX_BODY_BYTES:
            raise too_big
        if not raw.strip():
            raise RequestError("the body is empty", hint='Send JSON such as {"data": [[...]]}.')
        if not declared_json:
            # A body that parses as JSON is taken whatever its declared type: `curl -d` without
            # -H declares application/x-www-form-urlencoded. Anything else keeps the 415.
            try:
                return json.loads(_text(raw))
            except (UnicodeDecodeError, ValueError, RecursionError):
                raise RequestError(
                    f"the content type {str(content_type)[:100]!r} is not JSON and the body does not "
                    "parse as JSON",
                    status=415,
                    hint="Send a JSON body, ideally with the header Content-Type: application/json.",
                ) from None
        try:
            return json.loads(_text(raw))
        except UnicodeDecodeError:
            raise RequestError("the body is not UTF-8 text", hint="Encode the JSON body as UTF-8.") from None
        except json.JSONDecodeError as exc:
            raise RequestError(
                f"the body is not valid JSON: {exc.msg} at line {exc.lineno} column {exc.colno}",
                hint="Check the JSON with a linter, e.g. python -m json.tool.",
            ) from None
        except ValueError:  # Python refuses integers of more than 4,300 digits
            raise RequestError(
                "the body holds a number with too many digits",
                hint="Send numbers as JSON floats or integers of ordinary size.",
            ) from None
        except RecursionError:
            raise RequestError(
                "the body is nested too deeply",
                hint="Rows are lists of values; a model never needs hundreds of levels.",
            ) from None

    def metadata(self) -> dict[str, Any]:
        plain = Plain()
        return {
            "name": self.settings.name,
            "framework": self.model.framework,
            "api_path": self.settings.api_path,
            "signature": plain.convert(self.model.signature.to_dict()),
            "versions": plain.convert(self.model.versions()),
            "python": ".".join(map(str, sys.version_info[:3])),
            "lambdaserve": __version__,
            "formats": ["data", "instances", "open-inference-protocol-v2"],
        }

    def openapi(self) -> dict[str, Any]:
        if self._openapi is None:
            from lambdaserve.runtime.openapi import openapi_document  # asked for rarely: not at init

            self._openapi = openapi_document(
                self.model.signature,
                name=self.settings.name,
                api_path=self.settings.api_path,
                framework=self.model.framework,
                api_key=self.settings.auth == "api_key",
            )
        return self._openapi

    def _cors(self, request: HttpRequest, response: HttpResponse) -> None:
        origins = self.settings.cors_origins
        origin = request.header("origin")
        if not origins or request.source == SOURCE_DIRECT:
            return
        if "*" in origins:
            response.headers["Access-Control-Allow-Origin"] = "*"
        elif origin in origins:
            response.headers["Access-Control-Allow-Origin"] = str(origin)
            response.headers["Vary"] = "Origin"
        else:
            return
        if request.method == "OPTIONS":
            response.headers["Access-Control-Allow-Methods"] = response.headers.get(
                "Allow", "GET, POST, OPTIONS"
            )
            response.headers["Access-Control-Allow-Headers"] = (
                request.header("access-control-request-headers") or "Content-Type"
            )
            response.headers["Access-Control-Max-Age"] = "600"
