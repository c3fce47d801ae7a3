"""The model kept in S3 (model.s3_uri): is it there with this build's hash, and uploading it.

The object carries its SHA-256 as user metadata, so deploy can tell "already uploaded" from a
head call without downloading it. The function checks the bytes themselves at init.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Literal

from boto3.exceptions import S3UploadFailedError
from botocore.exceptions import ClientError

from lambdaserve.cloud.aws import AwsClients, error_code
from lambdaserve.errors import CloudError

ModelObjectState = Literal["same", "different", "missing"]
SHA256_METADATA = "sha256"


def model_object_state(clients: AwsClients, bucket: str, key: str, sha256: str) -> ModelObjectState:
    """Whether s3://bucket/key holds this model: one HeadObject.

    A 403 is "missing" too: without s3:ListBucket (the deployer policy grants none on a bucket it
    does not own) S3 answers 403 for a key that does not exist; a real refusal fails the upload next.
    """
    try:
        head = clients.call("s3", "head_object", Bucket=bucket, Key=key)
    except ClientError as exc:
        code = error_code(exc)
        if code == "NoSuchBucket":
            raise _no_bucket(bucket) from exc
        if code in ("404", "NoSuchKey", "NotFound", "403", "AccessDenied", "Forbidden"):
            return "missing"
        raise
    return "same" if head.get("Metadata", {}).get(SHA256_METADATA) == sha256 else "different"


def put_model(clients: AwsClients, bucket: str, key: str, path: Path, sha256: str,
              info: Callable[[str], None] = lambda _m: None) -> None:
    """Upload the model with its hash as metadata; boto3's managed transfer streams it from disk
    and splits a large file into parts (a single PutObject stops at 5 GB)."""
    info(f"uploading the model {path.name} ({path.stat().st_size / 1e6:.1f} MB) to s3://{bucket}/{key}")
    try:
        clients.client("s3").upload_file(str(path), bucket, key,
                                         ExtraArgs={"Metadata": {SHA256_METADATA: sha256}})
    except (ClientError, S3UploadFailedError) as exc:  # the transfer wraps the client's error
        if "NoSuchBucket" in str(exc):
            raise _no_bucket(bucket) from exc
        raise CloudError(f"cannot upload the model to s3://{bucket}/{key}: {exc}",
                         hint="The deployer needs s3:PutObject on that object (see `lambdaserve policy`); "
                              "a bucket of another account must also allow it in its bucket policy.") from exc


def _no_bucket(bucket: str) -> CloudError:
    return CloudError(f"the bucket {bucket} of model.s3_uri does not exist",
                      hint=f"Create it in the stack's region (`aws s3 mb s3://{bucket}`), or point "
                           "model.s3_uri at a bucket you own: lambdaserve creates only its own buckets.")
