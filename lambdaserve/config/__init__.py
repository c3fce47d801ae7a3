"""lambdaserve.toml: schema, loading with precise errors, and the runtime's environment."""

from lambdaserve.config.env import IMAGE_MODEL_DIR, ZIP_MODEL_DIR, artifact_env, runtime_env, with_local_model
from lambdaserve.config.load import find_config, load_config, parse_config, project_config
from lambdaserve.config.model import (
    BUILD_RECORD,
    CONFIG_FILE,
    ApiConfig,
    Architecture,
    BuildConfig,
    Config,
    DeployConfig,
    FunctionConfig,
    ModelConfig,
    lock_path,
)

__all__ = [
    "BUILD_RECORD", "CONFIG_FILE", "ApiConfig", "Architecture", "BuildConfig", "Config", "DeployConfig",
    "FunctionConfig",
    "IMAGE_MODEL_DIR", "ModelConfig", "ZIP_MODEL_DIR", "artifact_env", "find_config", "load_config",
    "lock_path", "parse_config", "project_config", "runtime_env", "with_local_model",
]
