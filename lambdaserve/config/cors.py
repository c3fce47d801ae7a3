"""What a browser's CORS preflight may ask of a lambdaserve API: the templates deploy it
(cloud/cfn), the local API Gateway answers it (emulator/fronts/apigw.py); one place, so what
serve answers locally is what the deployed API answers."""

from __future__ import annotations

from lambdaserve.config.model import ApiType

CORS_METHODS = ("GET", "POST", "OPTIONS")
CORS_MAX_AGE_S = 600
# A REST API also lets a browser send its API key; HTTP APIs have no API keys.
CORS_HEADERS: dict[ApiType, tuple[str, ...]] = {
    "rest": ("content-type", "authorization", "x-api-key", "x-amz-date", "x-amz-security-token"),
    "http": ("content-type", "authorization", "x-amz-date", "x-amz-security-token"),
}
