"""The bad-input corpus against a real `lambdaserve serve` (both API kinds) and its Invoke API.

Each client mistake must get a 4xx JSON answer (for the Invoke API: Lambda's 400/404/413, or a
200 whose answer is the function's 4xx), and the good request after it must be served right:
no 5xx, no dropped connection, no broken worker. One server per API kind serves every case.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import ExitStack
from pathlib import Path

import pytest

from tests.reliability import corpus
from tests.reliability.wire import Answer, check_served, exchange, make_project, serving

pytestmark = pytest.mark.slow
APIS = ("rest", "http")


CASES = {api: corpus.cases(api) for api in APIS}
IDS = [c.id for c in CASES["rest"]]
assert [c.id for c in CASES["http"]] == IDS  # one list of ids; each API kind its own bytes
INVOKE = corpus.invoke_cases()  # the Invoke API's bytes do not depend on the API kind: run once


@pytest.fixture(scope="module")
def servers(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, int]]:
    """A serve per API kind, both up for the whole module: the port by API kind."""
    with ExitStack() as stack:
        ports, projects = {}, []
        for api in APIS:
            project = make_project(tmp_path_factory.mktemp(f"corpus-{api}"), api)
            ports[api] = stack.enter_context(serving(project, read_timeout_s=1.0))
            projects.append(project)
        yield ports
    for project in projects:  # after each serve stopped
        # no fault while serving: no traceback, no 5xx from the function or the server itself
        log = (project / "serve.log").read_text(errors="replace")
        assert "Traceback" not in log and '"status":5' not in log, log[-3000:]
        assert "internal error answering" not in log, log[-3000:]
        assert "runs the function (" in log  # the banner names the Python that runs it


def test_the_corpus_is_big_enough():
    for api in APIS:
        assert len(CASES[api]) + len(INVOKE) >= 600


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


@pytest.mark.parametrize("api", APIS)
@pytest.mark.parametrize("index", range(len(IDS)), ids=IDS)
def test_a_client_mistake_is_a_4xx_and_the_server_serves_on(servers, api: str, index: int):
    case = CASES[api][index]
    answer = exchange(servers[api], case.wire, stall=case.stall)
    _check(case, answer)
    check_served(servers[api], api)


@pytest.mark.parametrize("index", range(len(INVOKE)), ids=[c.id for c in INVOKE])
def test_an_invoke_api_mistake_is_lambdas_answer_and_the_server_serves_on(servers, index: int):
    case = INVOKE[index]
    answer = exchange(servers["rest"], case.wire, stall=case.stall)
    _check(case, answer)
    check_served(servers["rest"], "rest")


def test_case_bodies_are_what_they_claim(tmp_path: Path):
    # the generators are code too: spot-check that "valid JSON" cases are JSON and the rest not
    for name, body in corpus.malformed_json():
        with pytest.raises(ValueError):
            json.loads(body)
        assert name
