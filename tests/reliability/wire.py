"""A real `lambdaserve serve` in a subprocess, and a raw-socket client that sends any bytes.

The client sends the request, half-closes (so a short body is a short body, not a wait) unless
asked to stall, and reads one answer framed by Content-Length. No answer at all is "dropped".
"""

from __future__ import annotations

import contextlib
import json
import os
import socket
import subprocess
import sys
import textwrap
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tests.helpers import stop_process

LAMBDASERVE = str(Path(sys.executable).with_name("lambdaserve"))
FEATURES = ("sepal_length", "sepal_width", "petal_length", "petal_width")
GOOD_ROW = [5.1, 3.5, 1.4, 0.2]

# A float32 classifier with feature names and probabilities: the dtype ranges, names and
# options of the corpus all have something to check against. numpy only, so it starts fast.
PREDICTOR = '''
    import numpy as np


    class Predictor:
        signature = {
            "inputs": [{"name": "input", "dtype": "float32", "shape": [-1, 4]}],
            "outputs": [{"name": "label", "dtype": "int64", "shape": [-1]}],
            "feature_names": ["sepal_length", "sepal_width", "petal_length", "petal_width"],
            "classes": [0, 1],
            "has_proba": True,
        }

        def load(self, model_dir):
            pass

        def predict(self, inputs, probabilities=False):
            x = np.asarray(inputs["input"], dtype=np.float32)
            if not np.isfinite(x).all():
                raise ValueError("a value overflowed float32")  # would be a 500: the corpus fails
            score = x.sum(axis=1) - 10.0
            answer = {"label": (score > 0).astype(np.int64)}
            if probabilities:
                p = 1 / (1 + np.exp(-score))
                answer["probabilities"] = np.stack([1 - p, p], axis=1)
            return answer
'''


def good_label(row: list[float]) -> int:
    return int(sum(row) - 10.0 > 0)


@dataclass
class Answer:
    status: int
    headers: dict[str, str]
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)


class Dropped(AssertionError):
    """The server closed the connection without answering."""


def exchange(port: int, wire: bytes, *, stall: bool = False, timeout: float = 30.0) -> Answer:
    """Send ``wire`` on a fresh connection and read one answer."""
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as sock:
        with contextlib.suppress(OSError):  # a refused body may be cut off mid-send
            sock.sendall(wire)
            if not stall:
                sock.shutdown(socket.SHUT_WR)
        return read_answer(sock, wire)


def read_answer(sock: socket.socket, wire: bytes = b"") -> Answer:
    data = b""
    try:
        while b"\r\n\r\n" not in data:
            more = sock.recv(65536)
            if not more:
                raise Dropped(f"no answer to {wire[:120]!r}... (got {data[:200]!r})")
            data += more
    except ConnectionResetError as exc:
        raise Dropped(f"connection reset, no answer to {wire[:120]!r}") from exc
    head, _, body = data.partition(b"\r\n\r\n")
    lines = head.decode("iso-8859-1").split("\r\n")
    headers = {}
    for line in lines[1:]:
        name, _, value = line.partition(":")
        headers[name.strip().lower()] = value.strip()
    length = int(headers.get("content-length", "0"))
    while len(body) < length:
        more = sock.recv(65536)
        if not more:
            raise Dropped(f"answer cut short: {body[:200]!r}")
        body += more
    return Answer(int(lines[0].split()[1]), headers, body[:length])


def request(method: str, target: str, body: bytes = b"", headers: tuple[tuple[str, str], ...] = (),
            *, content_type: str | None = "application/json") -> bytes:
    """A well-framed HTTP/1.1 request (its body may be anything)."""
    lines = [f"{method} {target} HTTP/1.1", "Host: 127.0.0.1"]
    if content_type is not None:
        lines.append(f"Content-Type: {content_type}")
    lines += [f"{k}: {v}" for k, v in headers]
    lines.append(f"Content-Length: {len(body)}")
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + body


def predict_wire(row: list[float] | None = None, api: str = "rest") -> bytes:
    path = "/prod/predict" if api == "rest" else "/predict"
    return request("POST", path, json.dumps({"data": [row or GOOD_ROW]}).encode())


def check_served(port: int, api: str = "rest") -> None:
    """The good request is answered correctly: the server survived the last case."""
    answer = exchange(port, predict_wire(api=api))
    assert answer.status == 200, answer
    assert answer.json() == {"predictions": [good_label(GOOD_ROW)]}


def make_project(folder: Path, api: str) -> Path:
    (folder / "model").mkdir(parents=True, exist_ok=True)
    (folder / "model" / "weights.json").write_text("{}")
    (folder / "corpus_predictor.py").write_text(textwrap.dedent(PREDICTOR))
    done = subprocess.run([LAMBDASERVE, "init", "--model", "model", "--predictor",
                           "corpus_predictor:Predictor"], cwd=folder, capture_output=True, text=True,
                          timeout=120)
    assert done.returncode == 0, done.stderr
    toml = folder / "lambdaserve.toml"
    if api == "http":
        text = toml.read_text()
        assert 'type = "rest"' in text
        toml.write_text(text.replace('type = "rest"', 'type = "http"', 1))
    return folder


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextlib.contextmanager
def serving(project: Path, *, read_timeout_s: float = 1.0) -> Iterator[int]:
    """`lambdaserve serve` on a free port until the block ends; yields the port."""
    port = _free_port()
    log = open(project / "serve.log", "w+b")  # noqa: SIM115 (closed below, after the process)
    proc = subprocess.Popen([LAMBDASERVE, "serve", "--port", str(port), "--config", str(project),
                             "--read-timeout", str(read_timeout_s)],
                            stdout=log, stderr=subprocess.STDOUT, cwd=project,
                            env={**os.environ, "PYTHONUNBUFFERED": "1"})
    try:
        deadline = time.monotonic() + 120
        while True:
            assert proc.poll() is None, (project / "serve.log").read_text(errors="replace")
            try:
                check_served(port, _api_of(project))
                break
            except (OSError, AssertionError):
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.2)
        yield port
    finally:
        stop_process(proc)  # serve stops as on Ctrl-C and kills its workers
        log.close()


def _api_of(project: Path) -> str:
    return "http" if 'type = "http"' in (project / "lambdaserve.toml").read_text() else "rest"
