"""AWS Signature Version 4 for one unsigned-body request, stdlib only.

The runtime ships without boto3 (it would add ~80 MB to a zip that is already short of room), so
the one signed call it makes, an S3 GetObject of the model at init, is signed here. The steps are
AWS's documented ones: canonical request, string to sign, derived key, signature
(docs.aws.amazon.com/IAM/latest/UserGuide/reference_sigv-create-signed-request.html). Tests check
it against AWS's published examples and against botocore's signer.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from urllib.parse import quote, urlsplit

ALGORITHM = "AWS4-HMAC-SHA256"
EMPTY_SHA256 = hashlib.sha256(b"").hexdigest()


@dataclass(frozen=True)
class Credentials:
    access_key: str
    secret_key: str
    token: str = ""  # Lambda's execution role always has one


def _hmac(key: bytes, message: str) -> bytes:
    return hmac.new(key, message.encode(), hashlib.sha256).digest()


def _canonical_query(query: str) -> str:
    pairs = []
    for part in query.split("&") if query else []:
        name, _, value = part.partition("=")
        pairs.append((quote(name, safe="-_.~"), quote(value, safe="-_.~")))
    return "&".join(f"{n}={v}" for n, v in sorted(pairs))


def _canonical_path(path: str, s3: bool) -> str:
    # S3 signs the path as sent (no dot-segment normalisation, encoded once); other services
    # encode each segment twice. The caller passes an already URI-encoded path.
    if not path:
        return "/"
    return path if s3 else quote(path, safe="/-_.~")


def sign(method: str, url: str, headers: Mapping[str, str], credentials: Credentials, region: str,
         service: str, now: datetime, payload_sha256: str = EMPTY_SHA256) -> dict[str, str]:
    """The headers to send: ``headers`` plus Host, X-Amz-Date, the token, and Authorization.

    ``now`` is in UTC. The body's hash goes into the canonical request; S3 also wants it sent as
    ``x-amz-content-sha256``, which the caller puts in ``headers``.
    """
    parts = urlsplit(url)
    amz_date = now.strftime("%Y%m%dT%H%M%SZ")
    day = amz_date[:8]
    out = dict(headers)
    out.setdefault("Host", parts.netloc)
    out["X-Amz-Date"] = amz_date
    if credentials.token:
        out["X-Amz-Security-Token"] = credentials.token
    canonical = {" ".join(k.lower().split()): " ".join(str(v).strip().split()) for k, v in out.items()}
    names = sorted(canonical)
    signed_headers = ";".join(names)
    request = "\n".join([
        method.upper(), _canonical_path(parts.path, service == "s3"), _canonical_query(parts.query),
        "".join(f"{n}:{canonical[n]}\n" for n in names), signed_headers, payload_sha256])
    scope = f"{day}/{region}/{service}/aws4_request"
    to_sign = "\n".join([ALGORITHM, amz_date, scope, hashlib.sha256(request.encode()).hexdigest()])
    key = _hmac(_hmac(_hmac(_hmac(("AWS4" + credentials.secret_key).encode(), day), region), service),
                "aws4_request")
    signature = hmac.new(key, to_sign.encode(), hashlib.sha256).hexdigest()
    out["Authorization"] = (f"{ALGORITHM} Credential={credentials.access_key}/{scope}, "
                            f"SignedHeaders={signed_headers}, Signature={signature}")
    return out
