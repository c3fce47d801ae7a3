"""`lambdaserve serve` as a user runs it (a subprocess on a real project) and `generate-event`."""

from __future__ import annotations

import http.client
import json
import re
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import boto3
import pytest
from click.testing import CliRunner

from lambdaserve.cli.main import cli
from tests.models import sklearn_classifier

EVENTS = Path(__file__).resolve().parents[1] / "events"


def _descendants(pid: int) -> set[int]:
    found: set[int] = set()
    todo = [pid]
    while todo:
        parent = todo.pop()
        for task in Path(f"/proc/{parent}/task").glob("*"):
            try:
                children = (task / "children").read_text().split()
            except OSError:
                continue
            for child in map(int, children):
                if child not in found:
                    found.add(child)
                    todo.append(child)
    return found


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


@pytest.mark.slow
def test_serve_predicts_over_http_and_boto3_then_ctrl_c_leaves_no_workers(tmp_path):
    made = sklearn_classifier(tmp_path)
    (tmp_path / "lambdaserve.toml").write_text(f'name = "iris"\n[model]\npath = "{made.path.name}"\n')
    proc = subprocess.Popen([sys.executable, "-m", "lambdaserve.cli.main", "serve", "--port", "0",
                             "--config", str(tmp_path)], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True, cwd=tmp_path)
    try:
        assert proc.stdout is not None
        first = proc.stdout.readline()
        found = re.search(r"at (http://127\.0\.0\.1:(\d+))(/prod/predict)", first)
        assert found, first
        base, port = found[1], int(found[2])
        banner = [first]
        while not banner[-1].startswith("Try:"):
            banner.append(proc.stdout.readline())
        # the default process sandbox says that it does not make the disk read-only as Lambda does
        assert any("Sandbox: process. Unlike on Lambda, the function can write the project folder, /opt"
                   in line for line in banner), banner
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        conn.request("POST", "/prod/predict", body=json.dumps({"data": made.rows}),
                     headers={"Content-Type": "application/json"})
        res = conn.getresponse()
        answer = json.loads(res.read())
        conn.close()
        assert res.status == 200
        assert answer["predictions"] == [int(v) for v in made.expected["label"]]
        client = boto3.client("lambda", endpoint_url=base, region_name="us-east-1",
                              aws_access_key_id="testing", aws_secret_access_key="testing")
        invoked = client.invoke(FunctionName="iris", Payload=json.dumps({"data": made.rows[:1]}))
        assert invoked["StatusCode"] == 200 and "FunctionError" not in invoked
        workers = _descendants(proc.pid)
        assert workers, "serve should have started at least one worker"
        proc.send_signal(signal.SIGINT)
        _, err = proc.communicate(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate()
    assert proc.returncode == 130, err
    assert "REPORT RequestId:" in err and "Init Duration:" in err
    assert re.search(r'"POST /prod/predict HTTP/1.1" 200', err)
    deadline = time.monotonic() + 5
    while any(_alive(pid) for pid in workers) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not [pid for pid in workers if _alive(pid)], "orphan workers after Ctrl-C"


def test_serve_bad_port_is_a_clear_error(tmp_path):
    made = sklearn_classifier(tmp_path)
    (tmp_path / "lambdaserve.toml").write_text(f'name = "iris"\n[model]\npath = "{made.path.name}"\n')
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = CliRunner().invoke(cli, ["serve", "--port", str(port), "--config", str(tmp_path)])
    assert result.exit_code == 1
    assert f"cannot listen on 127.0.0.1:{port}" in result.output and "--port" in result.output


@pytest.mark.parametrize(("source", "sample"), [
    ("apigw", "apigw-rest-proxy.json"), ("http", "apigw-http-v2.json"), ("alb", "alb.json")])
def test_generate_event_prints_the_real_shape(source, sample):
    result = CliRunner().invoke(cli, ["generate-event", source, "--body", '{"data": [[1, 2]]}',
                                      "--path", "/predict?a=1"])
    assert result.exit_code == 0, result.output
    event = json.loads(result.output)
    real = json.loads((EVENTS / sample).read_text())
    # for parity: the same top-level keys as `sam local generate-event` (2.0 leaves out absent parts)
    assert set(event) <= set(real) and {"headers", "body", "isBase64Encoded"} <= set(event)
    assert json.loads(event["body"]) == {"data": [[1, 2]]}


def test_generate_event_url_and_direct():
    url = json.loads(CliRunner().invoke(cli, ["generate-event", "url", "--method", "get"]).output)
    assert url["requestContext"]["http"]["method"] == "GET" and url["routeKey"] == "$default"
    assert url["requestContext"]["domainName"].endswith(".lambda-url.us-east-1.on.aws")
    direct = CliRunner().invoke(cli, ["generate-event", "direct", "--body", '{"data": [[3]]}'])
    assert json.loads(direct.output) == {"data": [[3]]}


def test_generate_event_refuses_a_body_that_is_not_json():
    result = CliRunner().invoke(cli, ["generate-event", "apigw", "--body", "{nope"])
    assert result.exit_code == 2 and "--body is not valid JSON" in result.output  # a usage error


def test_serve_help_lists_the_options():
    result = CliRunner().invoke(cli, ["serve", "--help"])
    for option in ("--port", "--host", "--api", "--concurrency", "--sandbox", "--config"):
        assert option in result.output
