"""SnapStart's documented incompatibilities, refused at load (exit 3) instead of at publish time.

From AWS's "Improving startup performance with Lambda SnapStart" and "Implementing SnapStart hooks
for container images" (Lambda developer guide; checked 2026-12-07):
- Python 3.12 and later managed runtimes only, on published versions (the `live` alias: always so);
- not with provisioned concurrency, Amazon EFS, or ephemeral storage over 512 MB (lambdaserve has
  no EFS setting, so there is nothing of it to refuse);
- container images: Lambda's own base images for Python 3.12+ coordinate the lifecycle; any other
  base needs its runtime to call the Runtime API's /restore/next, or the label
  com.amazonaws.lambda.feature.snapstart="Allow", or publishing the version fails. lambdaserve has
  no way to state that opt-in for a base it cannot inspect, so other bases are refused;
- every commercial Region except Asia Pacific (New Zealand) and Asia Pacific (Taipei).
x86_64 and arm64 are both supported, so the architecture is not checked.
"""

from __future__ import annotations

from lambdaserve.config.model import LAMBDA_PYTHON_BASE, FunctionConfig
from lambdaserve.errors import ConfigError

IMAGE_LABEL = 'com.amazonaws.lambda.feature.snapstart="Allow"'
# Region codes from botocore's endpoint data ("Asia Pacific (New Zealand)", "Asia Pacific (Taipei)").
NO_SNAPSTART_REGIONS = {"ap-southeast-6": "Asia Pacific (New Zealand)", "ap-east-2": "Asia Pacific (Taipei)"}
_HINT = ("SnapStart needs python >= 3.12, no provisioned concurrency, /tmp of 512 MB and a zip or an "
         "image on Lambda's own Python base; set function.snapstart = false to keep the others.")


def check_snapstart(fn: FunctionConfig, *, base_image: str, region: str, file: str) -> None:
    """Raise ConfigError naming the first setting AWS would refuse next to ``function.snapstart``."""
    if not fn.snapstart:
        return
    where = f"{file}: function.snapstart = true"
    if fn.python == "3.11":
        raise ConfigError(f"{where} needs python >= 3.12 (have {fn.python}); Lambda's SnapStart for "
                          "Python starts with python3.12", hint=_HINT)
    if fn.provisioned_concurrency:
        # AWS refuses the pair: SnapStart versions cannot have provisioned concurrency.
        raise ConfigError(f"{where} cannot be combined with function.provisioned_concurrency = "
                          f"{fn.provisioned_concurrency}; pick one", hint=_HINT)
    if fn.ephemeral_storage > 512:
        raise ConfigError(f"{where} needs function.ephemeral_storage = 512 (have {fn.ephemeral_storage}); "
                          "AWS refuses more", hint=_HINT)
    if fn.package == "image" and not base_image.startswith(LAMBDA_PYTHON_BASE):
        raise ConfigError(
            f"{where} on an image built from {base_image!r}: only Lambda's own Python base images "
            f"({LAMBDA_PYTHON_BASE}<version>) take snapshots as they are; any other base fails to publish "
            f"unless its runtime calls /restore/next or the image carries the label {IMAGE_LABEL}",
            hint="Leave build.base_image empty (Lambda's base), or use package = 'zip'. lambdaserve "
                 "cannot check a label on another base, so it does not offer that opt-in.")
    if region in NO_SNAPSTART_REGIONS:
        raise ConfigError(f"{where} in {region} ({NO_SNAPSTART_REGIONS[region]}): Lambda SnapStart is "
                          "not available in that Region", hint=_HINT)
