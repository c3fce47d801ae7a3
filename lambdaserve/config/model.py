"""The validated config as typed, frozen dataclasses: each field of lambdaserve.toml is declared here,
once, with its type, default, comment and limits; ``schema`` and ``load`` read these declarations."""

from __future__ import annotations

import functools
from dataclasses import MISSING, dataclass, field
from pathlib import Path
from typing import Any, Literal

from lambdaserve.runtime.digest import file_sha256
from lambdaserve.runtime.s3_model import parse_s3_uri
from lambdaserve.runtime.signature import Signature

CONFIG_FILE = "lambdaserve.toml"
STATE_DIR = ".lambdaserve"  # beside it: the project's builds and caches (hidden: never shipped as code)
BUILD_RECORD = "build.json"  # in the build folder, written only once the CLI proved the package serves
LAMBDA_PYTHON_BASE = "public.ecr.aws/lambda/python:"  # + the version: Lambda's own base images

Python = Literal["3.11", "3.12", "3.13", "3.14"]  # Lambda runtimes python3.11 … python3.14
Architecture = Literal["x86_64", "arm64"]
PackageKind = Literal["zip", "image"]
ApiType = Literal["rest", "http"]
AuthType = Literal["none", "api_key", "iam"]
# CodeDeploy's predefined Lambda deployment configurations, as SAM's DeploymentPreference names them
# (without the CodeDeployDefault.Lambda prefix); "" deploys without CodeDeploy.
TrafficShift = Literal["", "AllAtOnce", "Canary10Percent5Minutes", "Canary10Percent10Minutes",
                       "Canary10Percent15Minutes", "Canary10Percent30Minutes",
                       "Linear10PercentEvery1Minute", "Linear10PercentEvery2Minutes",
                       "Linear10PercentEvery3Minutes", "Linear10PercentEvery10Minutes"]
FRAMEWORKS = ("auto", "sklearn", "onnx", "torchscript", "xgboost", "lightgbm", "catboost", "custom")
LOG_RETENTION_DAYS = (1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192,
                      2557, 2922, 3288, 3653)


@dataclass(frozen=True)
class Setting:
    """What lambdaserve.toml says of a field beyond its Python type and default."""

    comment: str
    choices: tuple[Any, ...] = ()  # empty: a Literal annotation's values, if any
    minimum: int | None = None
    maximum: int | None = None
    unit: str = ""
    toml_default: Any = None  # when the file's default differs from the dataclass's (model.path)
    toml_kind: type | None = None  # when the file's type differs from the dataclass's


def setting(default: Any = MISSING, comment: str = "", **meta: Any) -> Any:
    """A dataclass field that is also a lambdaserve.toml key."""
    info = {"setting": Setting(comment, **meta)}
    if isinstance(default, (list, dict)):
        return field(default_factory=lambda: type(default)(default), metadata=info)
    return field(default=default, metadata=info)


@dataclass(frozen=True)
class ModelConfig:
    path: Path = setting(comment="The model file or folder, relative to this file and inside its folder.",
                         toml_default="", toml_kind=str)  # absolute once loaded
    # resolved: never "auto" once loaded
    framework: str = setting("auto", "Which loader reads the model.", choices=FRAMEWORKS)
    predictor: str | None = setting(
        None, "For framework = custom: 'module:attr' with load(model_dir) and predict(inputs).",
        toml_default="", toml_kind=str)
    warmup: bool = setting(True, "Run one prediction at init so the first request is warm.")
    probabilities: bool = setting(False, "Classifiers answer class probabilities instead of labels by "
                                         "default.")
    # fetched at init by runtime.s3_model
    s3_uri: str = setting(
        "", "Keep a model file too big for a zip in S3, e.g. 's3://my-bucket/models/model.onnx': the zip "
            "leaves it out, deploy uploads model.path there, and the function downloads it into /tmp at "
            "init (checked against the build's SHA-256; its role may read that one object). Zip only.")
    s3_kms_key: str = setting(
        "", "With model.s3_uri in a bucket encrypted by a customer KMS key: that key's ARN, which the "
            "function may then use to decrypt (and deploy to encrypt) the model.")

    @property
    def model_dir(self) -> Path:
        """The folder the runtime gets as LAMBDASERVE_MODEL_DIR."""
        return self.path if self.path.is_dir() else self.path.parent

    @property
    def model_file(self) -> str | None:
        return None if self.path.is_dir() else self.path.name

    @property
    def s3_location(self) -> tuple[str, str] | None:
        """(bucket, key) of model.s3_uri, or None when the model ships in the package."""
        return parse_s3_uri(self.s3_uri) if self.s3_uri else None

    @property
    def sha256(self) -> str:
        """The model file's SHA-256 (a model in S3 is one file); hashed once per file state."""
        stat = self.path.stat()
        return _file_sha256(self.path, stat.st_size, stat.st_mtime_ns)


@functools.lru_cache(maxsize=8)
def _file_sha256(path: Path, size: int, mtime_ns: int) -> str:
    return file_sha256(path)


def lock_path(config_file: Path) -> Path:
    """The lock of function.requirements' dependencies: lambdaserve.toml -> lambdaserve.lock
    (lambdaserve.onnx.toml -> lambdaserve.onnx.lock), written by `lambdaserve lock` and `init`."""
    return config_file.with_suffix(".lock")


@dataclass(frozen=True)
class FunctionConfig:
    python: Python = setting("3.12", "Lambda Python runtime. 3.12+ runs on Amazon Linux 2023; 3.11 on "
                                     "Amazon Linux 2 (glibc 2.26).")
    architecture: Architecture = setting("x86_64", "CPU architecture (arm64 costs 20% less).")
    package: PackageKind = setting("zip", "zip (250 MB unzipped limit) or image (10 GB limit).")
    memory: int = setting(1024, "Memory in MB; CPU grows with it (1769 MB = 1 vCPU).",
                          minimum=128, maximum=10240, unit="MB")
    timeout: int = setting(30, "Seconds per request; API Gateway itself gives up at 29 s.",
                           minimum=1, maximum=900, unit="s")
    ephemeral_storage: int = setting(512, "Size of /tmp in MB.", minimum=512, maximum=10240, unit="MB")
    requirements: tuple[str, ...] = setting(
        (), "Pinned pip requirements installed into the package, e.g. 'scikit-learn==1.9.1'.")
    reserved_concurrency: int = setting(0, "Reserved concurrency; 0 leaves it unreserved.",
                                        minimum=0, maximum=10000)
    provisioned_concurrency: int = setting(
        0, "Pre-initialised environments on an alias (no cold starts, billed while idle).",
        minimum=0, maximum=10000)
    snapstart: bool = setting(False, "SnapStart: python >= 3.12, a zip or an image on Lambda's own base, no "
                                     "provisioned concurrency, /tmp of 512 MB (see the README's SnapStart "
                                     "section).")
    keep_warm: str = setting("", "A schedule that pings the function, e.g. 'rate(5 minutes)'.")
    environment: dict[str, str] = setting(
        {}, "Extra environment variables (a table of strings; Lambda allows 4 KB in all).")


@dataclass(frozen=True)
class ApiConfig:
    path: str = setting("/predict", "POST here to predict (e.g. /model_x_inference).")
    type: ApiType = setting("rest", "rest (API Gateway REST API, v1 events) or http (HTTP API, v2).")
    stage: str = setting("prod", "Stage name in the URL.")
    cors_origins: tuple[str, ...] = setting(
        (), "Origins allowed by CORS, e.g. ['https://example.com'].")
    auth: AuthType = setting("none", "none, api_key (with a usage plan) or iam.")
    function_url: bool = setting(False, "Also expose a Lambda Function URL.")
    throttling_rate: int = setting(0, "Steady requests per second; 0 keeps the account default.",
                                   minimum=0, maximum=100000)
    throttling_burst: int = setting(0, "Burst requests; 0 keeps the account default.",
                                    minimum=0, maximum=100000)
    docs: bool = setting(
        False, "Serve a try-it page (Swagger UI, about 1.9 MB more in the package) at GET / and /docs.")


@dataclass(frozen=True)
class DeployConfig:
    region: str = setting("", "AWS region; empty uses your profile's region.")
    stack_name: str = setting("", "CloudFormation stack; empty means lambdaserve-<name>.")
    log_retention_days: int = setting(14, "Days to keep the function's and the API's logs.",
                                      choices=LOG_RETENTION_DAYS)
    traffic_shift: TrafficShift = setting(
        "", "How a new version takes traffic through CodeDeploy, after a pre-traffic hook replays the "
            "build's golden requests; alarms below roll it back. Empty: the alias moves at once, "
            "without CodeDeploy.")
    alarm_errors: int = setting(
        1, "During a traffic shift: function errors of the new version in one minute that roll it back.",
        minimum=1, maximum=100000)
    alarm_5xx: int = setting(1, "During a traffic shift: API 5xx answers in one minute that roll it back.",
                             minimum=1, maximum=100000)
    alarm_p99_ms: int = setting(
        5000, "During a traffic shift: p99 duration of the new version (ms, over one minute) that rolls "
              "it back.", minimum=1, maximum=900000, unit="ms")


@dataclass(frozen=True)
class BuildConfig:
    base_image: str = setting("", "Image base; empty means public.ecr.aws/lambda/python:<python>.")
    trim_unimported: bool = setting(
        True, "Zip: drop dependency subpackages a smoke run (load, zero-row predict) never imports; kept "
              "only if a fresh run answers the same. Set false if your predictor imports more of a "
              "dependency for some inputs only.")
    sourceless_dependencies: bool = setting(
        True, "Zip: ship third-party dependencies as .pyc only (no .py), kept only if the smoke run "
              "answers the same. Set false for source lines in their tracebacks, or for code that reads "
              "its own source (inspect.getsource, torch.jit.script).")


# The tables of lambdaserve.toml whose keys are declared by these classes, in the file's order.
SECTION_CLASSES: dict[str, type] = {
    "model": ModelConfig, "function": FunctionConfig, "api": ApiConfig, "deploy": DeployConfig,
    "build": BuildConfig,
}


@dataclass(frozen=True)
class Config:
    name: str
    model: ModelConfig
    function: FunctionConfig
    api: ApiConfig
    deploy: DeployConfig
    build: BuildConfig
    signature: Signature | None  # declared in [signature], else None
    source: Path  # the lambdaserve.toml this came from

    @property
    def project_dir(self) -> Path:
        return self.source.parent

    @property
    def lock_file(self) -> Path:
        return lock_path(self.source)

    @property
    def state_dir(self) -> Path:
        """Where lambdaserve keeps this project's builds and caches."""
        return self.project_dir / STATE_DIR

    @property
    def build_dir(self) -> Path:
        """Where build puts the zip, image/ and build.json (BUILD_RECORD)."""
        return self.state_dir / "build"

    @property
    def stack_name(self) -> str:
        return self.deploy.stack_name or f"lambdaserve-{self.name}"

    @property
    def base_image(self) -> str:
        return self.build.base_image or f"{LAMBDA_PYTHON_BASE}{self.function.python}"

    @property
    def runtime_id(self) -> str:
        """Lambda's runtime identifier, e.g. python3.12."""
        return "python" + self.function.python
