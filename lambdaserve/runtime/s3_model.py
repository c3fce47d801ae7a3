"""A model kept in S3 (model.s3_uri), fetched into /tmp at init and checked against its hash.

A zip holds 250 MB unzipped, so large models live in S3: the build leaves them out, deploy uploads
them, and the function downloads the object once per execution environment, in the init phase,
with its execution role's credentials (Lambda puts them in the environment). The hash recorded at
build (LAMBDASERVE_MODEL_SHA256) must match, so a replaced object never serves silently.
"""

from __future__ import annotations

import dataclasses
import errno
import hashlib
import http.client
import os
import shutil
import tempfile
import urllib.error
import urllib.request
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, Any
from urllib.parse import quote

from lambdaserve.errors import ModelLoadError
from lambdaserve.runtime.atomic import Replacing, sweep_partials
from lambdaserve.runtime.settings import RuntimeSettings
from lambdaserve.runtime.sigv4 import EMPTY_SHA256, Credentials, sign

CHUNK = 1 << 20
_DISK_FULL = (errno.ENOSPC, errno.EDQUOT, errno.EFBIG)
Opener = Callable[[urllib.request.Request], IO[bytes]]


def parse_s3_uri(uri: str) -> tuple[str, str]:
    """("bucket", "key") of "s3://bucket/key"; ValueError if it is not of that form."""
    if not uri.startswith("s3://"):
        raise ValueError(f"{uri!r} does not start with s3://")
    bucket, _, key = uri[len("s3://"):].partition("/")
    if not bucket or not key or key.endswith("/"):
        raise ValueError(f"{uri!r} needs a bucket and an object key, as s3://bucket/path/model.onnx")
    return bucket, key


def object_url(bucket: str, key: str, region: str, environ: Mapping[str, str]) -> str:
    """Where GetObject goes: the endpoint botocore would use (AWS_ENDPOINT_URL_S3, then
    AWS_ENDPOINT_URL), path-style there; else S3's regional endpoint."""
    path = "/" + quote(key, safe="/-_.~")
    endpoint = environ.get("AWS_ENDPOINT_URL_S3") or environ.get("AWS_ENDPOINT_URL")
    if endpoint:
        return f"{endpoint.rstrip('/')}/{bucket}{path}"
    suffix = "amazonaws.com.cn" if region.startswith("cn-") else "amazonaws.com"
    if "." in bucket:  # a dotted name does not match the virtual host's TLS certificate
        return f"https://s3.{region}.{suffix}/{bucket}{path}"
    return f"https://{bucket}.s3.{region}.{suffix}{path}"


def _credentials(environ: Mapping[str, str], where: str) -> tuple[Credentials, str]:
    access, secret = environ.get("AWS_ACCESS_KEY_ID", ""), environ.get("AWS_SECRET_ACCESS_KEY", "")
    region = environ.get("AWS_REGION") or environ.get("AWS_DEFAULT_REGION") or ""
    if not access or not secret or not region:
        raise ModelLoadError(
            f"cannot fetch the model {where}: AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY and AWS_REGION "
            "are not all set", hint="Lambda sets them from the execution role; to run locally, export "
            "credentials that can read the object, or set model.s3_uri = \"\" to ship the model in "
            "the package.")
    return Credentials(access, secret, environ.get("AWS_SESSION_TOKEN", "")), region


def _refusal(exc: urllib.error.HTTPError, where: str) -> ModelLoadError:
    body = exc.read(2048).decode("utf-8", "replace")
    code = body.split("<Code>", 1)[1].split("</Code>", 1)[0] if "<Code>" in body else exc.reason
    if exc.code == 404:
        return ModelLoadError(f"the model {where} does not exist (S3 answered 404 {code})",
                              hint="Run `lambdaserve deploy`, which uploads model.path to model.s3_uri; "
                                   "or put the object back where model.s3_uri says.")
    if exc.code == 403:
        return ModelLoadError(
            f"S3 refused to read the model {where} (403 {code})",
            hint="Either the object does not exist (the execution role may not list the bucket, so S3 "
                 "says 403 rather than 404: run `lambdaserve deploy`, which uploads it), or the role may "
                 "not read it: it may read exactly model.s3_uri, so deploy again after changing it; a "
                 "bucket policy that denies it, or a customer KMS key not named in model.s3_kms_key, also "
                 "gives 403.")
    return ModelLoadError(f"S3 answered {exc.code} {code} for the model {where}",
                          hint="Check model.s3_uri and the bucket's region (AWS_REGION of the function).")


def download(uri: str, sha256: str, dest: Path, environ: Mapping[str, str],
             opener: Opener | None = None, now: Callable[[], datetime] | None = None) -> Path:
    """Fetch ``uri`` into the file ``dest`` after checking its SHA-256; returns ``dest``."""
    bucket, key = parse_s3_uri(uri)
    where = f"s3://{bucket}/{key}"
    credentials, region = _credentials(environ, where)
    url = object_url(bucket, key, region, environ)
    headers = sign("GET", url, {"x-amz-content-sha256": EMPTY_SHA256}, credentials, region, "s3",
                   (now or (lambda: datetime.now(UTC)))())
    open_url: Opener = opener or (lambda req: urllib.request.urlopen(req, timeout=60))  # noqa: S310
    dest_dir = dest.parent
    dest_dir.mkdir(parents=True, exist_ok=True)
    sweep_partials(dest, own=True)  # a killed init's partial would take /tmp's room from this one
    digest = hashlib.sha256()
    try:  # the partial file is removed on any error, and renamed onto dest once its hash matches
        with open_url(urllib.request.Request(url, headers=headers)) as answer, Replacing(dest) as partial:
            _check_room(answer, dest_dir, where)
            with partial.open("wb") as out:
                while chunk := answer.read(CHUNK):
                    digest.update(chunk)
                    out.write(chunk)
            _check_hash(digest.hexdigest(), sha256, where)
    except urllib.error.HTTPError as exc:
        raise _refusal(exc, where) from None
    except urllib.error.URLError as exc:
        raise ModelLoadError(
            f"cannot reach S3 at {url} for the model {where}: {exc.reason}",
            hint="A function in a VPC needs an S3 gateway endpoint or a NAT to reach S3.") from None
    except (OSError, http.client.HTTPException) as exc:
        if isinstance(exc, OSError) and exc.errno in _DISK_FULL:  # mid-way, when no length was announced
            raise ModelLoadError(
                f"cannot write the model {where} to {dest_dir}: {exc}",
                hint="Raise function.ephemeral_storage (the size of /tmp) above the model's size.") from None
        # a reset, a timeout or a body cut short while reading: not the disk's fault
        raise ModelLoadError(
            f"the download of the model {where} from {url} broke off: {type(exc).__name__}: {exc}",
            hint="S3 or the network dropped the connection; the next init fetches it again. A function "
                 "in a VPC needs an S3 gateway endpoint or a NAT to reach S3.") from None
    return dest


def _check_hash(got: str, sha256: str, where: str) -> None:
    if got != sha256:
        raise ModelLoadError(
            f"the model {where} has sha256 {got}, but this version was built with {sha256}",
            hint="The object was replaced after this version was deployed: run `lambdaserve deploy` "
                 "again, or put back the model this version was built with.")


def _check_room(answer: Any, dest_dir: Path, where: str) -> None:
    size = int(answer.headers.get("Content-Length") or 0)
    free = shutil.disk_usage(dest_dir).free
    if size > free:
        raise ModelLoadError(
            f"the model {where} is {size / 1e6:.0f} MB, but {dest_dir} has {free / 1e6:.0f} MB free",
            hint="Raise function.ephemeral_storage (the size of /tmp, up to 10240 MB) above the model's "
                 "size.")


def fetched(settings: RuntimeSettings, environ: Mapping[str, str] | None = None,
            opener: Opener | None = None) -> RuntimeSettings:
    """``settings`` with the model fetched from model_s3_uri into the temp folder; as is without one."""
    if not settings.model_s3_uri:
        return settings
    env = os.environ if environ is None else environ
    # under model.path's own name, which a custom predictor may look for
    name = settings.model_file or parse_s3_uri(settings.model_s3_uri)[1].rsplit("/", 1)[-1]
    dest = download(settings.model_s3_uri, settings.model_sha256,
                    Path(tempfile.gettempdir()) / "lambdaserve-model" / name, env, opener)
    return dataclasses.replace(settings, model_dir=dest.parent, model_file=dest.name)
