"""Every field of lambdaserve.toml: its type, default, allowed values and a comment.

This table is the single source for validation (``load``) and for the commented
file that ``lambdaserve init`` writes (``render``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

FRAMEWORKS = ("auto", "sklearn", "onnx", "torchscript", "xgboost", "lightgbm", "catboost", "custom")
PYTHONS = ("3.11", "3.12", "3.13", "3.14")  # Lambda runtimes python3.11 … python3.14
ARCHITECTURES = ("x86_64", "arm64")
PACKAGES = ("zip", "image")
API_TYPES = ("rest", "http")
AUTH_TYPES = ("none", "api_key", "iam")
# CodeDeploy's predefined Lambda deployment configurations, as SAM's DeploymentPreference names them
# (without the CodeDeployDefault.Lambda prefix); "" deploys without CodeDeploy.
TRAFFIC_SHIFTS = ("", "AllAtOnce",
                  "Canary10Percent5Minutes", "Canary10Percent10Minutes", "Canary10Percent15Minutes",
                  "Canary10Percent30Minutes", "Linear10PercentEvery1Minute",
                  "Linear10PercentEvery2Minutes", "Linear10PercentEvery3Minutes",
                  "Linear10PercentEvery10Minutes")


@dataclass(frozen=True)
class Field:
    section: str  # "" for top level
    key: str
    kind: type
    default: Any
    comment: str
    choices: tuple[Any, ...] = ()
    minimum: int | None = None
    maximum: int | None = None
    unit: str = ""

    @property
    def dotted(self) -> str:
        return f"{self.section}.{self.key}" if self.section else self.key

    def allowed(self) -> str:
        if self.choices:
            return " | ".join(str(c) for c in self.choices)
        if self.minimum is not None and self.maximum is not None:
            return f"{self.minimum}–{self.maximum}" + (f" {self.unit}" if self.unit else "")
        if self.minimum is not None:
            return f">= {self.minimum}" + (f" {self.unit}" if self.unit else "")
        return {str: "a string", bool: "true or false", int: "an integer", list: "a list",
                dict: "a table"}.get(self.kind, self.kind.__name__)


SECTIONS: dict[str, str] = {
    "": "",
    "model": "The model and how it is served.",
    "function": "The Lambda function.",
    "function.environment": "Extra environment variables for the function.",
    "api": "The HTTPS API in front of the function.",
    "signature": "Declare inputs/outputs when the model cannot tell (TorchScript, custom), "
                 "or a table's columns.",
    "deploy": "Where and how `lambdaserve deploy` puts the stack.",
    "build": "How `lambdaserve build` makes the package.",
}

FIELDS: tuple[Field, ...] = (
    Field("", "name", str, "", "Name of the function, the stack and the API (letters, digits, -)."),
    Field("model", "path", str, "", "The model file or folder, relative to this file and inside its folder."),
    Field("model", "framework", str, "auto", "Which loader reads the model.", choices=FRAMEWORKS),
    Field("model", "predictor", str, "",
          "For framework = custom: 'module:attr' with load(model_dir) and predict(inputs)."),
    Field("model", "warmup", bool, True, "Run one prediction at init so the first request is warm."),
    Field("model", "probabilities", bool, False,
          "Classifiers answer class probabilities instead of labels by default."),
    Field("function", "python", str, "3.12",
          "Lambda Python runtime. 3.12+ runs on Amazon Linux 2023; 3.11 on Amazon Linux 2 (glibc 2.26).",
          choices=PYTHONS),
    Field("function", "architecture", str, "x86_64", "CPU architecture (arm64 costs 20% less).",
          choices=ARCHITECTURES),
    Field("function", "package", str, "zip", "zip (250 MB unzipped limit) or image (10 GB limit).",
          choices=PACKAGES),
    Field("function", "memory", int, 1024, "Memory in MB; CPU grows with it (1769 MB = 1 vCPU).",
          minimum=128, maximum=10240, unit="MB"),
    Field("function", "timeout", int, 30, "Seconds per request; API Gateway itself gives up at 29 s.",
          minimum=1, maximum=900, unit="s"),
    Field("function", "ephemeral_storage", int, 512, "Size of /tmp in MB.",
          minimum=512, maximum=10240, unit="MB"),
    Field("function", "requirements", list, [],
          "Pinned pip requirements installed into the package, e.g. 'scikit-learn==1.9.1'."),
    Field("function", "reserved_concurrency", int, 0, "Reserved concurrency; 0 leaves it unreserved.",
          minimum=0, maximum=10000),
    Field("function", "provisioned_concurrency", int, 0,
          "Pre-initialised environments on an alias (no cold starts, billed while idle).",
          minimum=0, maximum=10000),
    Field("function", "snapstart", bool, False, "SnapStart (zip package and python >= 3.12 only)."),
    Field("function", "keep_warm", str, "", "A schedule that pings the function, e.g. 'rate(5 minutes)'."),
    Field("function", "environment", dict, {},
          "Extra environment variables (a table of strings; Lambda allows 4 KB in all)."),
    Field("api", "path", str, "/predict", "POST here to predict (e.g. /model_x_inference)."),
    Field("api", "type", str, "rest", "rest (API Gateway REST API, v1 events) or http (HTTP API, v2).",
          choices=API_TYPES),
    Field("api", "stage", str, "prod", "Stage name in the URL."),
    Field("api", "cors_origins", list, [], "Origins allowed by CORS, e.g. ['https://example.com']."),
    Field("api", "auth", str, "none", "none, api_key (with a usage plan) or iam.", choices=AUTH_TYPES),
    Field("api", "function_url", bool, False, "Also expose a Lambda Function URL."),
    Field("api", "throttling_rate", int, 0, "Steady requests per second; 0 keeps the account default.",
          minimum=0, maximum=100000),
    Field("api", "throttling_burst", int, 0, "Burst requests; 0 keeps the account default.",
          minimum=0, maximum=100000),
    Field("api", "docs", bool, False,
          "Serve a try-it page (Swagger UI, about 1.9 MB more in the package) at GET / and /docs."),
    Field("signature", "inputs", list, [],
          "e.g. [{ name = 'input', dtype = 'float32', shape = [-1, 4] }]; -1 is the batch."),
    Field("signature", "outputs", list, [], "Same form as inputs."),
    Field("signature", "columns", list, [],
          "A table of named columns instead of inputs, e.g. [{ name = 'city', dtype = 'string', "
          "categories = ['Lyon', 'Paris'] }, { name = 'age', dtype = 'int64', nullable = true }]: "
          "requests send records, rows in this order, or one OIP tensor per column."),
    Field("deploy", "region", str, "", "AWS region; empty uses your profile's region."),
    Field("deploy", "stack_name", str, "", "CloudFormation stack; empty means lambdaserve-<name>."),
    Field("deploy", "log_retention_days", int, 14, "Days to keep the function's and the API's logs.",
          choices=(1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192,
                   2557, 2922, 3288, 3653)),
    Field("deploy", "traffic_shift", str, "",
          "How a new version takes traffic through CodeDeploy, after a pre-traffic hook replays the "
          "build's golden requests; alarms below roll it back. Empty: the alias moves at once, "
          "without CodeDeploy.", choices=TRAFFIC_SHIFTS),
    Field("deploy", "alarm_errors", int, 1,
          "During a traffic shift: function errors of the new version in one minute that roll it back.",
          minimum=1, maximum=100000),
    Field("deploy", "alarm_5xx", int, 1,
          "During a traffic shift: API 5xx answers in one minute that roll it back.",
          minimum=1, maximum=100000),
    Field("deploy", "alarm_p99_ms", int, 5000,
          "During a traffic shift: p99 duration of the new version (ms, over one minute) that rolls it back.",
          minimum=1, maximum=900000, unit="ms"),
    Field("build", "base_image", str, "",
          "Image base; empty means public.ecr.aws/lambda/python:<python>."),
    Field("build", "trim_unimported", bool, True,
          "Zip: drop dependency subpackages a smoke run (load, zero-row predict) never imports; kept "
          "only if a fresh run answers the same. Set false if your predictor imports more of a "
          "dependency for some inputs only."),
    Field("build", "sourceless_dependencies", bool, True,
          "Zip: ship third-party dependencies as .pyc only (no .py), kept only if the smoke run answers "
          "the same. Set false for source lines in their tracebacks, or for code that reads its own "
          "source (inspect.getsource, torch.jit.script)."),
)

BY_NAME: dict[str, Field] = {f.dotted: f for f in FIELDS}
