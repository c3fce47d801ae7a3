"""The artifact bucket and ECR repository: create them if missing, upload, and hand out ECR logins.

Uploads are content-addressed (``<app>/<sha256>.zip``), so an unchanged zip is never sent
twice and the template's code location changes exactly when the code does.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Callable
from datetime import datetime
from pathlib import Path

from botocore.exceptions import ClientError

from lambdaserve.cloud.aws import AwsClients, error_code, error_message
from lambdaserve.cloud.store.artifact_ref import ZipArtifact
from lambdaserve.errors import CloudError
from lambdaserve.runtime.digest import file_sha256

Info = Callable[[str], None]
KEEP_IMAGES = 10  # the ECR lifecycle policy keeps this many images, newest first


def bucket_name(account: str, region: str) -> str:
    """One artifact bucket per account and region, shared by every lambdaserve app."""
    return f"lambdaserve-artifacts-{account}-{region}"


def repository_name(app: str) -> str:
    return f"lambdaserve/{app}"


def zip_key(app: str, sha256: str) -> str:
    return f"{app}/{sha256}.zip"




def _missing(exc: ClientError) -> bool:
    status = exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode")
    return error_code(exc) in ("404", "NoSuchBucket", "NotFound", "NoSuchKey") or status == 404


def bucket_exists(clients: AwsClients, name: str) -> bool:
    """Whether the artifact bucket exists and is ours (HeadBucket: read only)."""
    try:
        clients.call("s3", "head_bucket", Bucket=name)
        return True
    except ClientError as exc:
        if error_code(exc) in ("403", "AccessDenied"):
            raise CloudError(f"artifact bucket {name} exists but this account cannot use it",
                             hint="Another account owns that name; check --profile and the region.") from exc
        if not _missing(exc):
            raise
    return False


def create_bucket(clients: AwsClients, name: str, info: Info = lambda _m: None) -> None:
    """Create the artifact bucket: private and versioned."""
    info(f"creating artifact bucket {name}")
    params: dict[str, object] = {"Bucket": name}
    if clients.region != "us-east-1":  # us-east-1 refuses an explicit LocationConstraint
        params["CreateBucketConfiguration"] = {"LocationConstraint": clients.region}
    clients.call("s3", "create_bucket", **params)
    clients.call("s3", "put_public_access_block", Bucket=name, PublicAccessBlockConfiguration={
        "BlockPublicAcls": True, "IgnorePublicAcls": True,
        "BlockPublicPolicy": True, "RestrictPublicBuckets": True})
    clients.call("s3", "put_bucket_versioning", Bucket=name,
                 VersioningConfiguration={"Status": "Enabled"})


def ensure_bucket(clients: AwsClients, name: str, info: Info = lambda _m: None) -> bool:
    """Create the private, versioned artifact bucket if it does not exist. True if created."""
    if bucket_exists(clients, name):
        return False
    create_bucket(clients, name, info)
    return True


def local_zip_artifact(bucket: str, app: str, path: Path) -> ZipArtifact:
    """Where ``path`` goes (its content address), computed locally: no AWS call."""
    sha256 = file_sha256(path)
    return ZipArtifact(bucket=bucket, key=zip_key(app, sha256), sha256=sha256)


def object_exists(clients: AwsClients, bucket: str, key: str) -> bool:
    """HeadObject: read only."""
    try:
        clients.call("s3", "head_object", Bucket=bucket, Key=key)
        return True
    except ClientError as exc:
        if not _missing(exc):
            raise
    return False


def put_zip(clients: AwsClients, artifact: ZipArtifact, path: Path, info: Info = lambda _m: None) -> None:
    info(f"uploading {path.name} ({path.stat().st_size / 1e6:.1f} MB) to s3://{artifact.bucket}/{artifact.key}")
    # bytes, not a file: a throttling retry must resend the whole body, not a drained stream
    clients.call("s3", "put_object", Bucket=artifact.bucket, Key=artifact.key, Body=path.read_bytes(),
                 Metadata={"sha256": artifact.sha256}, ServerSideEncryption="AES256")


def upload_zip(clients: AwsClients, bucket: str, app: str, path: Path,
               info: Info = lambda _m: None) -> ZipArtifact:
    """Put the zip at its content address unless it is already there."""
    artifact = local_zip_artifact(bucket, app, path)
    if object_exists(clients, bucket, artifact.key):
        info(f"code unchanged: s3://{bucket}/{artifact.key} already uploaded")
    else:
        put_zip(clients, artifact, path, info)
    return artifact


def lifecycle_policy(keep: int = KEEP_IMAGES) -> str:
    return json.dumps({"rules": [{
        "rulePriority": 1, "description": f"keep the last {keep} images",
        "selection": {"tagStatus": "any", "countType": "imageCountMoreThan", "countNumber": keep},
        "action": {"type": "expire"}}]})


def find_repository(clients: AwsClients, name: str) -> str | None:
    """The repository URI, or None if it does not exist (DescribeRepositories: read only)."""
    try:
        found = clients.call("ecr", "describe_repositories", repositoryNames=[name])
        return str(found["repositories"][0]["repositoryUri"])
    except ClientError as exc:
        if error_code(exc) != "RepositoryNotFoundException":
            raise
    return None


def create_repository(clients: AwsClients, name: str, info: Info = lambda _m: None) -> str:
    """Create the repository (scan on push, lifecycle policy); returns its URI."""
    info(f"creating ECR repository {name}")
    created = clients.call("ecr", "create_repository", repositoryName=name,
                           imageScanningConfiguration={"scanOnPush": True},
                           imageTagMutability="MUTABLE")
    clients.call("ecr", "put_lifecycle_policy", repositoryName=name, lifecyclePolicyText=lifecycle_policy())
    return str(created["repository"]["repositoryUri"])


def ensure_repository(clients: AwsClients, name: str, info: Info = lambda _m: None) -> str:
    """The repository URI, creating it (scan on push, lifecycle policy) if missing."""
    return find_repository(clients, name) or create_repository(clients, name, info)


def ecr_credentials(clients: AwsClients, registry: str = "") -> tuple[str, str, datetime]:
    """(username, password, expires) for a registry push; call it fresh for every push.

    ECR tokens last 12 hours, so a cached login is the "authorization token has expired" failure.
    """
    try:
        answer = clients.call("ecr", "get_authorization_token")
    except ClientError as exc:
        raise CloudError(f"cannot get an ECR login: {error_code(exc)}: {error_message(exc)}",
                         hint="The deployer needs ecr:GetAuthorizationToken; see `lambdaserve policy`."
                         ) from exc
    data = answer["authorizationData"]
    if registry:
        host = registry.split("/")[0]
        data = [d for d in data if d.get("proxyEndpoint", "").split("://")[-1].rstrip("/") == host] or data
    token = base64.b64decode(data[0]["authorizationToken"]).decode()
    username, _, password = token.partition(":")
    return username, password, data[0]["expiresAt"]


def delete_app_artifacts(clients: AwsClients, bucket: str | None, app: str, repository: str | None,
                         info: Info = lambda _m: None) -> int:
    """Remove every version of this app's zips and, if given, its ECR repository.

    The bucket is shared by every app of the account, so only this app's prefix goes.
    Returns the number of object versions removed.
    """
    objects = _app_versions(clients, bucket, app) if bucket else []
    for start in range(0, len(objects), 1000):  # DeleteObjects takes at most 1,000 keys
        clients.call("s3", "delete_objects", Bucket=bucket,
                     Delete={"Objects": objects[start:start + 1000], "Quiet": True})
    if objects:
        info(f"deleted {len(objects)} artifact object version(s) under s3://{bucket}/{app}/")
    if repository:
        try:
            clients.call("ecr", "delete_repository", repositoryName=repository, force=True)
            info(f"deleted ECR repository {repository}")
        except ClientError as exc:
            if error_code(exc) != "RepositoryNotFoundException":
                raise
    return len(objects)


def _app_versions(clients: AwsClients, bucket: str, app: str) -> list[dict[str, str]]:
    try:
        found = clients.paginate("s3", "list_object_versions", "Versions", "DeleteMarkers",
                                 Bucket=bucket, Prefix=f"{app}/")
        return [{"Key": v["Key"], "VersionId": v["VersionId"]} for v in found]
    except ClientError as exc:
        if not _missing(exc):
            raise
        return []
