"""The runtime's settings, read from environment variables.

The config layer turns lambdaserve.toml into these variables (``config.runtime_env``);
the emulator, the image config and the CloudFormation template all pass them on, so
a deployed function's settings are visible in its configuration.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path

from lambdaserve.errors import ConfigError
from lambdaserve.runtime.record import frozen_record
from lambdaserve.runtime.signature import Signature

DEFAULT_MODEL_DIR = "/opt/ml/model"  # as in the classic Lambda image recipe
DEFAULT_API_PATH = "/predict"
SNAP_START = "snap-start"  # AWS_LAMBDA_INITIALIZATION_TYPE in a SnapStart function

ENV_MODEL_DIR = "LAMBDASERVE_MODEL_DIR"
ENV_MODEL_FILE = "LAMBDASERVE_MODEL_FILE"
ENV_FRAMEWORK = "LAMBDASERVE_FRAMEWORK"
ENV_PREDICTOR = "LAMBDASERVE_PREDICTOR"
ENV_NAME = "LAMBDASERVE_NAME"
ENV_API_PATH = "LAMBDASERVE_API_PATH"
ENV_WARMUP = "LAMBDASERVE_WARMUP"
ENV_PROBABILITIES = "LAMBDASERVE_PROBABILITIES"
ENV_SIGNATURE = "LAMBDASERVE_SIGNATURE"
ENV_CORS_ORIGINS = "LAMBDASERVE_CORS_ORIGINS"
ENV_DOCS = "LAMBDASERVE_DOCS"  # "1": serve the try-it page (api.docs)
ENV_AUTH = "LAMBDASERVE_AUTH"  # "api_key" (api.auth): the OpenAPI document declares the key
ENV_MODEL_S3_URI = "LAMBDASERVE_MODEL_S3_URI"  # model.s3_uri: fetched into /tmp at init
ENV_MODEL_SHA256 = "LAMBDASERVE_MODEL_SHA256"  # the S3 model's hash when it was built


def _flag(value: str | None, default: bool) -> bool:
    if value is None or value == "":
        return default
    return value.strip().lower() in ("1", "true", "yes", "on")


def snapstart_init() -> bool:
    """True when this environment is being initialised for a snapshot. Here, not in snapstart.py:
    every init asks, and only a SnapStart one needs that module."""
    return os.environ.get("AWS_LAMBDA_INITIALIZATION_TYPE") == SNAP_START


@frozen_record
class RuntimeSettings:
    """The settings of one function (a docstring: else dataclass builds one with inspect at init)."""

    model_dir: Path
    model_file: str | None
    framework: str
    predictor: str | None
    name: str
    api_path: str
    warmup: bool
    probabilities: bool
    signature: Signature | None
    cors_origins: tuple[str, ...]
    docs: bool = False
    auth: str = "none"
    model_s3_uri: str = ""
    model_sha256: str = ""

    @property
    def model_path(self) -> Path:
        """The model file if one is named, else the model folder."""
        return self.model_dir / self.model_file if self.model_file else self.model_dir

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> RuntimeSettings:
        env = os.environ if environ is None else environ
        raw_sig = env.get(ENV_SIGNATURE)
        try:
            signature = Signature.from_json(raw_sig) if raw_sig else None
        except (ValueError, KeyError, TypeError) as exc:
            raise ConfigError(
                f"{ENV_SIGNATURE} is not a valid signature: {exc}",
                hint="Set [signature] in lambdaserve.toml and rebuild; don't edit the variable by hand.",
            ) from exc
        api_path = env.get(ENV_API_PATH) or DEFAULT_API_PATH
        cors = tuple(o.strip() for o in env.get(ENV_CORS_ORIGINS, "").split(",") if o.strip())
        return cls(
            model_dir=Path(env.get(ENV_MODEL_DIR) or DEFAULT_MODEL_DIR),
            model_file=env.get(ENV_MODEL_FILE) or None,
            framework=env.get(ENV_FRAMEWORK) or "auto",
            predictor=env.get(ENV_PREDICTOR) or None,
            name=env.get(ENV_NAME) or env.get("AWS_LAMBDA_FUNCTION_NAME") or "model",
            api_path=api_path if api_path.startswith("/") else "/" + api_path,
            warmup=_flag(env.get(ENV_WARMUP), True),
            probabilities=_flag(env.get(ENV_PROBABILITIES), False),
            signature=signature,
            cors_origins=cors,
            docs=_flag(env.get(ENV_DOCS), False),
            auth=env.get(ENV_AUTH) or "none",
            model_s3_uri=env.get(ENV_MODEL_S3_URI, ""),
            model_sha256=env.get(ENV_MODEL_SHA256, ""),
        )
