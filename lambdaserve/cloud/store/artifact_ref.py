"""Where the deployed code lives: a zip in S3 or an image in ECR, pinned by content hash.

The template takes the location as CloudFormation Parameters whose defaults are the
artifact given here, so ``lambdaserve template`` prints the very template deploy uses;
``parameter_values`` gives deploy the same values to pass explicitly.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from lambdaserve.errors import CloudError

_SHA256_RE = re.compile(r"^[0-9a-f]{64}$")
_DIGEST_RE = re.compile(r"^sha256:[0-9a-f]{64}$")
_REPO_URI_RE = re.compile(r"^[0-9]{12}\.dkr\.ecr\.[a-z0-9-]+\.amazonaws\.com(\.cn)?/[a-z0-9._/-]+$")

# Parameter names, shared by the template, the SAM export and deploy.
PARAM_BUCKET = "ArtifactBucket"
PARAM_KEY = "ArtifactKey"
PARAM_SHA256 = "ArtifactSha256"
PARAM_IMAGE_URI = "ImageUri"
# The pre-traffic hook's own zip (deploy.traffic_shift), in S3 whatever the function's package.
PARAM_HOOK_BUCKET = "HookBucket"
PARAM_HOOK_KEY = "HookKey"


@dataclass(frozen=True)
class ZipArtifact:
    """The zip as an S3 object; ``sha256`` is the zip's hex digest (it names the code version)."""

    bucket: str
    key: str
    sha256: str

    def __post_init__(self) -> None:
        if not re.match(r"^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$", self.bucket):
            raise CloudError(f"artifact bucket {self.bucket!r} is not a valid S3 bucket name",
                             hint="Use 3-63 lowercase letters, digits, dots or hyphens.")
        if not self.key or self.key.startswith("/"):
            raise CloudError(f"artifact key {self.key!r} is not a valid S3 key",
                             hint="Use a relative key such as 'myapp/<sha256>.zip'.")
        if not _SHA256_RE.match(self.sha256):
            raise CloudError(f"artifact sha256 {self.sha256!r} is not 64 lowercase hex digits",
                             hint="Pass hashlib.sha256(zip_bytes).hexdigest().")


@dataclass(frozen=True)
class ImageArtifact:
    """The image as an ECR repository URI and a manifest digest (never a mutable tag)."""

    repository_uri: str
    digest: str

    def __post_init__(self) -> None:
        if not _REPO_URI_RE.match(self.repository_uri):
            raise CloudError(f"image repository {self.repository_uri!r} is not an ECR repository URI",
                             hint="Lambda only runs images from ECR: "
                                  "<account>.dkr.ecr.<region>.amazonaws.com/<name>.")
        if not _DIGEST_RE.match(self.digest):
            raise CloudError(f"image digest {self.digest!r} is not sha256:<64 hex digits>",
                             hint="Pin the image by the digest the registry returned on push.")

    @property
    def image_uri(self) -> str:
        return f"{self.repository_uri}@{self.digest}"


Artifact = ZipArtifact | ImageArtifact

# Clearly fake locations for `lambdaserve template` before anything was built or pushed.
PLACEHOLDER_ZIP = ZipArtifact(bucket="replace-with-artifact-bucket",
                              key="replace-with-artifact-key.zip", sha256="0" * 64)
PLACEHOLDER_IMAGE = ImageArtifact(
    repository_uri="000000000000.dkr.ecr.us-east-1.amazonaws.com/replace-with-repository",
    digest="sha256:" + "0" * 64)


PLACEHOLDER_HOOK = ZipArtifact(bucket="replace-with-artifact-bucket",
                               key="replace-with-hook-key.zip", sha256="0" * 64)


def placeholder(package: str) -> Artifact:
    """A labelled stand-in artifact for ``package`` ('zip' or 'image')."""
    return PLACEHOLDER_IMAGE if package == "image" else PLACEHOLDER_ZIP


def is_placeholder(artifact: Artifact) -> bool:
    return artifact in (PLACEHOLDER_ZIP, PLACEHOLDER_IMAGE, PLACEHOLDER_HOOK)


def parameter_values(artifact: Artifact) -> dict[str, str]:
    """The template's artifact Parameters, as deploy passes them to the change set."""
    if isinstance(artifact, ImageArtifact):
        return {PARAM_IMAGE_URI: artifact.image_uri}
    return {PARAM_BUCKET: artifact.bucket, PARAM_KEY: artifact.key, PARAM_SHA256: artifact.sha256}


def hook_parameter_values(hook: ZipArtifact) -> dict[str, str]:
    """The hook zip's Parameters (a template with deploy.traffic_shift), as deploy passes them."""
    return {PARAM_HOOK_BUCKET: hook.bucket, PARAM_HOOK_KEY: hook.key}
