"""The bad-input corpus against a real `lambdaserve serve` (both API kinds) and its Invoke API.

Each client mistake must get a 4xx JSON answer (for the Invoke API: Lambda's 400/404/413, or a
200 whose answer is the function's 4xx), and the good request after it must be served right:
no 5xx, no dropped connection, no broken worker. One server per API kind serves every case.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.reliability import corpus
from tests.reliability.wire import Answer, check_served, exchange, make_project, serving

pytestmark = pytest.mark.slow
APIS = ("rest", "http")


CASES = {api: corpus.cases(api) for api in APIS}
IDS = [c.id for c in CASES["rest"]]
assert [c.id for c in CASES["http"]] == IDS  # one list of ids; each API kind its own bytes


@pytest.fixture(scope="module", params=APIS)
def served(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory):
    api = request.param
    project = make_project(tmp_path_factory.mktemp(f"corpus-{api}"), api)
    with serving(project, read_timeout_s=1.0) as port:
        yield api, port
        # no fault while serving: no traceback, no 5xx from the function or the server itself
        log = (project / "serve.log").read_text(errors="replace")
        assert "Traceback" not in log and '"status":5' not in log, log[-3000:]
        assert "internal error answering" not in log, log[-3000:]
        assert "runs the function (" in log  # the banner names the Python that runs it


def test_the_corpus_is_big_enough():
    for api in APIS:
        assert len(CASES[api]) >= 500


def _check(case: corpus.Case, answer: Answer) -> None:
    if case.direct:
        # for parity: Lambda answers 200; the function's own answer carries the 4xx
        assert answer.status == 200, answer
        assert "x-amz-function-error" not in answer.headers, answer
        body = answer.json()
        assert 400 <= body["error"]["status"] < 500 and body["error"]["message"], body
        return
    if case.statuses is None:
        assert 400 <= answer.status < 500, answer
    else:
        assert answer.status in case.statuses, answer
    if case.json_body:
        body = answer.json()
        assert isinstance(body, dict) and (body.get("message") or body.get("error", {}).get("message")), body
    if case.message:
        assert case.message in answer.body.decode("utf-8", "replace"), answer


@pytest.mark.parametrize("index", range(len(IDS)), ids=IDS)
def test_a_client_mistake_is_a_4xx_and_the_server_serves_on(served, index: int):
    api, port = served
    case = CASES[api][index]
    answer = exchange(port, case.wire, stall=case.stall)
    _check(case, answer)
    check_served(port, api)


def test_case_bodies_are_what_they_claim(tmp_path: Path):
    # the generators are code too: spot-check that "valid JSON" cases are JSON and the rest not
    for name, body in corpus.malformed_json():
        with pytest.raises(ValueError):
            json.loads(body)
        assert name
