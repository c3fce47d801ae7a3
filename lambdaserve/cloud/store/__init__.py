"""Where the deployed code lives: artifact references, the bucket and the ECR repository."""

from __future__ import annotations

from typing import TYPE_CHECKING

from lambdaserve.facade import lazy_exports

if TYPE_CHECKING:
    from lambdaserve.cloud.store.artifact_ref import (
        PARAM_BUCKET,
        PARAM_IMAGE_URI,
        PARAM_KEY,
        Artifact,
        ImageArtifact,
        ZipArtifact,
        hook_parameter_values,
        parameter_values,
        placeholder,
    )
    from lambdaserve.cloud.store.buckets import (
        bucket_name,
        ecr_credentials,
        ensure_bucket,
        ensure_repository,
        repository_name,
        upload_zip,
        zip_key,
    )

_EXPORTS = {
    "Artifact": "lambdaserve.cloud.store.artifact_ref",
    "ImageArtifact": "lambdaserve.cloud.store.artifact_ref",
    "PARAM_BUCKET": "lambdaserve.cloud.store.artifact_ref",
    "PARAM_IMAGE_URI": "lambdaserve.cloud.store.artifact_ref",
    "PARAM_KEY": "lambdaserve.cloud.store.artifact_ref",
    "ZipArtifact": "lambdaserve.cloud.store.artifact_ref",
    "bucket_name": "lambdaserve.cloud.store.buckets",
    "ecr_credentials": "lambdaserve.cloud.store.buckets",
    "ensure_bucket": "lambdaserve.cloud.store.buckets",
    "ensure_repository": "lambdaserve.cloud.store.buckets",
    "hook_parameter_values": "lambdaserve.cloud.store.artifact_ref",
    "parameter_values": "lambdaserve.cloud.store.artifact_ref",
    "placeholder": "lambdaserve.cloud.store.artifact_ref",
    "repository_name": "lambdaserve.cloud.store.buckets",
    "upload_zip": "lambdaserve.cloud.store.buckets",
    "zip_key": "lambdaserve.cloud.store.buckets",
}
__all__ = [
    "Artifact",
    "ImageArtifact",
    "PARAM_BUCKET",
    "PARAM_IMAGE_URI",
    "PARAM_KEY",
    "ZipArtifact",
    "bucket_name",
    "ecr_credentials",
    "ensure_bucket",
    "ensure_repository",
    "hook_parameter_values",
    "parameter_values",
    "placeholder",
    "repository_name",
    "upload_zip",
    "zip_key",
]
__getattr__ = lazy_exports(__name__, _EXPORTS)
