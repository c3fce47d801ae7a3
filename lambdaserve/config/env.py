"""Turn a Config into the environment variables the runtime reads (runtime.settings)."""

from __future__ import annotations

from lambdaserve.config.model import Config, PackageKind
from lambdaserve.runtime import settings as s


def runtime_env(config: Config, model_dir: str | None = None) -> dict[str, str]:
    """The LAMBDASERVE_* variables plus the user's own.

    ``model_dir`` is where the model sits inside the artifact (e.g. /opt/ml/model in an
    image); by default it is the model's folder on this machine, for local runs.
    """
    model = config.model
    env = dict(config.function.environment)
    env.update({
        s.ENV_MODEL_DIR: model_dir if model_dir is not None else str(model.model_dir),
        s.ENV_FRAMEWORK: model.framework,
        s.ENV_NAME: config.name,
        s.ENV_API_PATH: config.api.path,
        s.ENV_WARMUP: "1" if model.warmup else "0",
        s.ENV_PROBABILITIES: "1" if model.probabilities else "0",
    })
    if model.model_file:
        env[s.ENV_MODEL_FILE] = model.model_file
    if model.predictor:
        env[s.ENV_PREDICTOR] = model.predictor
    if config.signature is not None:
        env[s.ENV_SIGNATURE] = config.signature.to_json()
    if config.api.cors_origins:
        env[s.ENV_CORS_ORIGINS] = ",".join(config.api.cors_origins)
    if config.api.docs:
        env[s.ENV_DOCS] = "1"
    if config.api.auth == "api_key":  # the only auth the OpenAPI document can offer a key for
        env[s.ENV_AUTH] = config.api.auth
    return env


def _s3_model_env(config: Config, env: dict[str, str], hash_model: bool) -> dict[str, str]:
    """A model kept in S3: the function fetches it at init and checks the build's hash."""
    if config.model.s3_uri:
        env[s.ENV_MODEL_S3_URI] = config.model.s3_uri
        env[s.ENV_MODEL_SHA256] = config.model.sha256 if hash_model else "0" * 64
    return env


def with_local_model(config: Config, env: dict[str, str], model_dir: str | None = None) -> dict[str, str]:
    """``env`` of an artifact run on this machine (the build's smoke run and proof, `serve --built`):
    a model kept in S3 is read from ``model_dir`` (default: model.path's folder) instead, the same
    bytes the function checks by hash."""
    if not config.model.s3_uri:
        return env
    local = {k: v for k, v in env.items() if k not in (s.ENV_MODEL_S3_URI, s.ENV_MODEL_SHA256)}
    local[s.ENV_MODEL_DIR] = model_dir or str(config.model.model_dir)
    return local


# Where the model sits inside each kind of artifact.
ZIP_TASK_ROOT = "/var/task"
ZIP_MODEL_DIR = "/var/task/model"
IMAGE_MODEL_DIR = "/opt/ml/model"  # the classic Lambda image recipe's place


def artifact_env(config: Config, package: PackageKind | None = None, *,
                 hash_model: bool = True) -> dict[str, str]:
    """The runtime's variables inside a built artifact: ``package`` "zip" or "image" (default:
    function.package), since `build --package` can build the other kind. ``hash_model=False`` puts a
    same-length stand-in for an S3 model's hash (for sizing the variables without reading the model)."""
    kind = package or config.function.package
    return _s3_model_env(config, runtime_env(config, model_dir=IMAGE_MODEL_DIR if kind == "image"
                                             else ZIP_MODEL_DIR), hash_model)
