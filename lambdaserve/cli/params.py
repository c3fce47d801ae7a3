"""Option types shared by several commands, checked by click so a bad value exits 2 with a message."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

import click


class EndpointUrl(click.ParamType[str]):
    """An AWS endpoint such as http://127.0.0.1:5000 (moto) or https://lambda.eu-west-1.amazonaws.com.

    botocore raises a bare ValueError deep in client creation for anything else."""

    name = "URL"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> str:
        text = str(value)
        try:
            parts = urlsplit(text)
            port_ok = parts.port is None or 0 < parts.port < 65536
        except ValueError:  # a port that is not a number
            port_ok = False
            parts = urlsplit("")
        if parts.scheme not in ("http", "https") or not parts.hostname or not port_ok or " " in text:
            self.fail(f"{text!r} is not an http(s) URL such as http://127.0.0.1:5000", param, ctx)
        return text


ENDPOINT_URL = EndpointUrl()
