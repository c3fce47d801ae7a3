"""The local cloud: a moto server as the control plane for `lambdaserve deploy --target local`.

We reuse a running moto (LAMBDASERVE_LOCAL_ENDPOINT, or `moto_server` on its default port)
and otherwise start one in this process on 127.0.0.1. Its state lives as long as it does.
"""

from __future__ import annotations

import http.client
import logging
import os
import urllib.error
import urllib.request
import warnings
from collections.abc import Mapping
from types import TracebackType
from typing import Any

import boto3

from lambdaserve.cloud.aws import make_session
from lambdaserve.errors import CloudError, pip_install_extra

ENV_ENDPOINT = "LAMBDASERVE_LOCAL_ENDPOINT"
DEFAULT_MOTO_URL = "http://127.0.0.1:5000"  # where a user's own `moto_server` listens
LOCAL_REGION = "us-east-1"
# moto accepts any keys; fixed ones keep a user's real credentials out of the local cloud.
LOCAL_ENV = {"AWS_ACCESS_KEY_ID": "lambdaserve-local", "AWS_SECRET_ACCESS_KEY": "lambdaserve-local",
             "AWS_EC2_METADATA_DISABLED": "true"}


def is_moto(url: str, timeout: float = 0.5) -> bool:
    """True when ``url`` answers like a moto server (its /moto-api/ dashboard)."""
    try:
        with urllib.request.urlopen(url.rstrip("/") + "/moto-api/", timeout=timeout) as answer:  # noqa: S310
            return int(answer.status) == 200
    except (OSError, urllib.error.URLError, ValueError, http.client.HTTPException):
        return False  # HTTPException: InvalidURL, e.g. a port copied with a comma after it


class LocalCloud:
    """A moto endpoint; ``stop`` ends the server only if we started it."""

    def __init__(self, endpoint_url: str, server: Any = None) -> None:
        self.endpoint_url = endpoint_url
        self._server = server

    @property
    def started_here(self) -> bool:
        return self._server is not None

    def session(self) -> boto3.Session:
        return make_session(region=LOCAL_REGION, environ=LOCAL_ENV)

    def function_environment(self) -> dict[str, str]:
        """What Lambda gives a function to call AWS (its role's keys), here pointing at this cloud:
        a model kept in S3 is then fetched from moto's S3, signed as on AWS."""
        return {"AWS_ACCESS_KEY_ID": LOCAL_ENV["AWS_ACCESS_KEY_ID"],
                "AWS_SECRET_ACCESS_KEY": LOCAL_ENV["AWS_SECRET_ACCESS_KEY"],
                "AWS_SESSION_TOKEN": "local-session-token", "AWS_ENDPOINT_URL_S3": self.endpoint_url}

    def stop(self) -> None:
        if self._server is not None:
            self._server.stop()
            self._server = None

    def __enter__(self) -> LocalCloud:
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.stop()


def _not_unsupported_resource(record: logging.LogRecord) -> bool:
    return not str(record.msg).startswith("No Moto CloudFormation support for")


def start_local_cloud(environ: Mapping[str, str] | None = None, *, port: int = 0,
                      probe_default: bool = True) -> LocalCloud:
    """Reuse the configured or default moto server, or start one on 127.0.0.1:``port`` (0: any)."""
    env = os.environ if environ is None else environ
    configured = env.get(ENV_ENDPOINT)
    if configured:
        if not is_moto(configured, timeout=2.0):
            raise CloudError(f"{ENV_ENDPOINT}={configured} does not answer like a moto server",
                             hint=f"Start one with `moto_server -p PORT`, or unset {ENV_ENDPOINT}.")
        return LocalCloud(configured)
    if probe_default and is_moto(DEFAULT_MOTO_URL):
        return LocalCloud(DEFAULT_MOTO_URL)
    try:
        from moto.server import ThreadedMotoServer
    except ImportError as exc:
        # moto is the [local] extra: a deploy to AWS never needs it.
        raise CloudError("`deploy --target local` needs moto's server, which is not installed here "
                         f"({exc})",
                         hint=f"{pip_install_extra('local')} (it installs moto[server]), or start a "
                              f"moto server yourself and set {ENV_ENDPOINT} to its URL.") from exc
    logging.getLogger("werkzeug").setLevel(logging.WARNING)  # one log line per AWS call is noise
    # moto warns about each resource type it only pretends to create (Stage, Account): not ours to fix
    warnings.filterwarnings("ignore", message="Tried to parse", category=UserWarning)
    logging.getLogger("moto").addFilter(_not_unsupported_resource)  # the same, logged by newer motos
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    try:
        server.start()
    except OSError as exc:
        raise CloudError(f"cannot start the local cloud on 127.0.0.1:{port}: {exc}",
                         hint="Pick another port, or stop what is using it.") from exc
    host, bound = server.get_host_and_port()
    url = f"http://{host}:{bound}"
    # moto's state is global to the process: a cloud started here starts empty, as deploy says it does
    urllib.request.urlopen(urllib.request.Request(url + "/moto-api/reset", method="POST"),  # noqa: S310
                           timeout=10).close()
    return LocalCloud(url, server)
