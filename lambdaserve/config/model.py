"""The validated config as typed, frozen dataclasses."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from lambdaserve.runtime.signature import Signature

CONFIG_FILE = "lambdaserve.toml"


@dataclass(frozen=True)
class ModelConfig:
    path: Path  # absolute
    framework: str  # resolved: never "auto" once loaded
    predictor: str | None = None
    warmup: bool = True
    probabilities: bool = False

    @property
    def model_dir(self) -> Path:
        """The folder the runtime gets as LAMBDASERVE_MODEL_DIR."""
        return self.path if self.path.is_dir() else self.path.parent

    @property
    def model_file(self) -> str | None:
        return None if self.path.is_dir() else self.path.name


@dataclass(frozen=True)
class FunctionConfig:
    python: str = "3.12"
    architecture: str = "x86_64"
    package: str = "zip"
    memory: int = 1024
    timeout: int = 30
    ephemeral_storage: int = 512
    requirements: tuple[str, ...] = ()
    reserved_concurrency: int = 0
    provisioned_concurrency: int = 0
    snapstart: bool = False
    keep_warm: str = ""
    environment: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class ApiConfig:
    path: str = "/predict"
    type: str = "rest"
    stage: str = "prod"
    cors_origins: tuple[str, ...] = ()
    auth: str = "none"
    function_url: bool = False
    throttling_rate: int = 0
    throttling_burst: int = 0
    docs: bool = False


@dataclass(frozen=True)
class DeployConfig:
    region: str = ""
    stack_name: str = ""
    log_retention_days: int = 14
    traffic_shift: str = ""  # one of schema.TRAFFIC_SHIFTS; "" means no CodeDeploy
    alarm_errors: int = 1
    alarm_5xx: int = 1
    alarm_p99_ms: int = 5000


@dataclass(frozen=True)
class BuildConfig:
    base_image: str = ""
    trim_unimported: bool = True  # verified by a smoke run; false opts out
    sourceless_dependencies: bool = True


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
    def stack_name(self) -> str:
        return self.deploy.stack_name or f"lambdaserve-{self.name}"

    @property
    def base_image(self) -> str:
        return self.build.base_image or f"public.ecr.aws/lambda/python:{self.function.python}"

    @property
    def runtime_id(self) -> str:
        """Lambda's runtime identifier, e.g. python3.12."""
        return "python" + self.function.python
