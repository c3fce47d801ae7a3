"""`serve` with api.auth = api_key, and with the ALB front, as a user runs it (a real subprocess)."""

from __future__ import annotations

import gzip
import http.client
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from lambdaserve.cli.main import cli
from lambdaserve.runtime import docs
from tests.helpers import stop_process
from tests.models import sklearn_classifier


def _project(folder: Path, api: str) -> object:
    made = sklearn_classifier(folder)
    (folder / "lambdaserve.toml").write_text(
        f'name = "iris"\n[model]\npath = "{made.path.name}"\n[api]\n{api}\n')
    return made


def _serve(folder: Path, *args: str,
           env: dict[str, str] | None = None) -> tuple[subprocess.Popen[str], int, str]:
    proc = subprocess.Popen([sys.executable, "-m", "lambdaserve.cli.main", "serve", "--port", "0",
                             "--config", str(folder), *args], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, cwd=folder,
                            env={**os.environ, **(env or {})})
    assert proc.stdout is not None
    first = proc.stdout.readline()
    found = re.search(r"http://127\.0\.0\.1:(\d+)", first)
    if not found:
        proc.kill()
        raise AssertionError(first + proc.communicate()[1][-2000:])
    lines = [first]
    while lines[-1] and not lines[-1].startswith("Try:"):  # the banner, whatever lines it holds
        lines.append(proc.stdout.readline())
    return proc, int(found[1]), "".join(lines)


def _call(port: int, method: str, path: str, body: object = None,
          headers: dict[str, str] | None = None) -> tuple[int, dict[str, str], bytes]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    try:
        data = None if body is None else json.dumps(body)
        conn.request(method, path, body=data, headers={"Content-Type": "application/json", **(headers or {})})
        res = conn.getresponse()
        return res.status, {k.lower(): v for k, v in res.getheaders()}, res.read()
    finally:
        conn.close()


def _stop(proc: subprocess.Popen[str]) -> str:
    return stop_process(proc) or ""


@pytest.mark.slow
def test_api_key_is_required_locally_as_the_usage_plan_does(tmp_path):
    made = _project(tmp_path, 'auth = "api_key"\ndocs = true')
    proc, port, _ = _serve(tmp_path, env={"LAMBDASERVE_API_KEYS": "local-secret"})
    try:
        rows = {"data": made.rows}
        status, headers, body = _call(port, "POST", "/prod/predict", rows)
        # for parity: REST's answer to a missing key, before the function runs.
        assert (status, json.loads(body)) == (403, {"message": "Forbidden"})
        assert headers["x-amzn-errortype"] == "ForbiddenException"
        assert _call(port, "POST", "/prod/predict", rows, {"x-api-key": "nope"})[0] == 403
        assert _call(port, "GET", "/prod/metadata")[0] == 403
        status, _, body = _call(port, "POST", "/prod/predict", rows, {"x-api-key": "local-secret"})
        assert status == 200 and json.loads(body)["predictions"] == [int(v) for v in made.expected["label"]]
        # Open as in the template: health checks, and the page a browser loads without a key.
        assert _call(port, "GET", "/prod/health")[0] == 200
        assert _call(port, "GET", "/prod/docs")[0] == 200
    finally:
        err = _stop(proc)
    assert err.count('integrationError="no valid x-api-key"') == 3


@pytest.mark.slow
def test_without_configured_keys_serve_makes_one_and_prints_it(tmp_path):
    _project(tmp_path, 'auth = "api_key"')
    proc, port, out = _serve(tmp_path, env={"LAMBDASERVE_API_KEYS": ""})
    try:
        found = re.search(r"API key \(x-api-key[^)]*\): (\S+)", out)
        assert found, out
        assert _call(port, "GET", "/prod/metadata", headers={"x-api-key": found[1]})[0] == 200
    finally:
        _stop(proc)


@pytest.mark.slow
def test_alb_front_in_multi_value_mode_and_its_1_mb_limit(tmp_path):
    made = _project(tmp_path, "docs = true")
    proc, port, out = _serve(tmp_path, "--front", "alb", "--alb-multi-value")
    try:
        assert "ALB target group (multi-value headers on)" in out
        status, headers, body = _call(port, "POST", "/predict", {"data": made.rows})
        assert status == 200 and json.loads(body)["predictions"] == [int(v) for v in made.expected["label"]]
        assert headers["content-type"] == "application/json"
        assert _call(port, "GET", "/docs/5.35.0/swagger-ui.css")[0] == 200
        # for parity: ALB refuses a Lambda answer over 1 MB, and Swagger UI's bundle is 1.7 MB...
        status, headers, body = _call(port, "GET", "/docs/5.35.0/swagger-ui-bundle.js")
        assert status == 502 and b"502 Bad Gateway" in body and headers["server"] == "awselb/2.0"
        # ...so the runtime sends it gzipped (0.46 MB) to browsers, which all accept gzip.
        status, headers, body = _call(port, "GET", "/docs/5.35.0/swagger-ui-bundle.js",
                                      headers={"Accept-Encoding": "gzip"})
        assert status == 200 and headers["content-encoding"] == "gzip"
        assert gzip.decompress(body) == (docs.ASSET_DIR / "swagger-ui-bundle.js").read_bytes()
    finally:
        err = _stop(proc)
    assert "over ALB's 1 MB limit" in err


@pytest.mark.parametrize(("args", "message"), [
    (["--alb-multi-value"], "--alb-multi-value needs --front alb"),
    (["--front", "url", "--api", "http"], "it needs --front api"),
])
def test_front_option_mistakes_are_usage_errors(tmp_path, args, message):
    _project(tmp_path, "")
    result = CliRunner().invoke(cli, ["serve", "--port", "0", "--config", str(tmp_path), *args])
    assert result.exit_code == 2 and message in result.output
