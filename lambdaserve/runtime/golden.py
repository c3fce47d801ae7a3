"""Golden requests: a few requests and the answers the built package gave them.

``lambdaserve build`` sends them to the package itself (the zip as Lambda's /var/task, the
target Python, no /dev/shm) and records them in build.json under ``"golden"``; ``deploy``'s
smoke test sends them to the deployed API and compares; a pre-traffic hook can do the same.
Stdlib only, so anything that ships the runtime can read and check them.

The record (JSON)::

    {"format": 1,
     "sha256": "<the zip's sha256: the answers are this package's>",
     "tolerance": {"atol": 1e-05, "rtol": 0.0001},
     "requests": [
       {"name": "signature zero row",      # where it came from: --data, golden.json #1, ...
        "method": "POST",
        "path": "/predict",                # under the API's base URL (stage included)
        "query": "probabilities=true",     # "" for none
        "body": {"data": [[0.0, 0.0]]},    # the JSON body sent
        "status": 200,                     # what the package answered ...
        "answer": {"predictions": [0]}}    # ... and its JSON body; null: any 2xx will do
     ]}

``answer`` is null for requests made without a package to answer them (a zip built without
the CLI's proof): they check that the function answers at all, not what.

How answers compare (``compare``): dict keys and list lengths must be equal; strings,
booleans, null and integers (labels) exactly; a float on either side within
``|got - want| <= atol + rtol * |want|`` (numpy.isclose's rule, ``want`` being the recorded
answer). Small float differences across CPUs are expected; different labels never are.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

FORMAT = 1
GOLDEN_FILE = "golden.json"  # in the project folder: a list of request bodies (or of rows lists)
MAX_PROBLEMS = 5  # differences listed per answer; the rest are counted


@dataclass(frozen=True)
class Tolerance:
    atol: float = 1e-5
    rtol: float = 1e-4

    def __str__(self) -> str:
        return f"atol {self.atol:g}, rtol {self.rtol:g}"


@dataclass(frozen=True)
class GoldenRequest:
    name: str
    body: Any
    path: str
    query: str = ""
    method: str = "POST"
    status: int = 200
    answer: Any = None  # None: not recorded, any 2xx answer passes

    def with_answer(self, status: int, answer: Any) -> GoldenRequest:
        return GoldenRequest(self.name, self.body, self.path, self.query, self.method, status, answer)

    def url(self, base: str) -> str:
        return base.rstrip("/") + self.path + (f"?{self.query}" if self.query else "")

    def data(self) -> bytes:
        return json.dumps(self.body).encode("utf-8")

    def to_dict(self) -> dict[str, Any]:
        return {"name": self.name, "method": self.method, "path": self.path, "query": self.query,
                "body": self.body, "status": self.status, "answer": self.answer}


@dataclass(frozen=True)
class GoldenSet:
    requests: tuple[GoldenRequest, ...]
    sha256: str = ""
    tolerance: Tolerance = field(default_factory=Tolerance)

    @property
    def recorded(self) -> bool:
        return any(r.answer is not None for r in self.requests)

    def to_dict(self) -> dict[str, Any]:
        return {"format": FORMAT, "sha256": self.sha256,
                "tolerance": {"atol": self.tolerance.atol, "rtol": self.tolerance.rtol},
                "requests": [r.to_dict() for r in self.requests]}

    @classmethod
    def from_dict(cls, raw: Mapping[str, Any]) -> GoldenSet:
        """A record as written by ``to_dict``; ValueError (saying what) for anything else."""
        if not isinstance(raw, Mapping) or raw.get("format") != FORMAT:
            raise ValueError(f"not a golden-request record of format {FORMAT}")
        tol = raw.get("tolerance") or {}
        requests = []
        for item in raw.get("requests") or []:
            if not isinstance(item, Mapping) or "body" not in item or "path" not in item:
                raise ValueError(f"a golden request needs a body and a path: {str(item)[:200]}")
            requests.append(GoldenRequest(str(item.get("name", "")), item["body"], str(item["path"]),
                                          str(item.get("query") or ""), str(item.get("method", "POST")),
                                          int(item.get("status", 200)), item.get("answer")))
        return cls(tuple(requests), str(raw.get("sha256", "")),
                   Tolerance(float(tol.get("atol", 1e-5)), float(tol.get("rtol", 1e-4))))


def requests_from_bodies(bodies: Iterable[tuple[str, Any]], api_path: str,
                         probabilities: bool = False) -> list[GoldenRequest]:
    """(name, body) pairs as POSTs to ``api_path``; a bare list of rows becomes {"data": rows}.

    With ``probabilities`` (a classifier that has them), each body is also sent with
    ?probabilities=true, so the scores are checked and not only the labels.
    """
    out = []
    for name, body in bodies:
        payload = body if isinstance(body, dict) else {"data": body}
        out.append(GoldenRequest(name, payload, api_path))
        if probabilities:
            out.append(GoldenRequest(f"{name}, probabilities", payload, api_path, "probabilities=true"))
    return out


def _is_float(value: Any) -> bool:
    return isinstance(value, float) and not isinstance(value, bool)


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _diff(want: Any, got: Any, where: str, tol: Tolerance, out: list[str]) -> None:
    if isinstance(want, Mapping):
        if not isinstance(got, Mapping):
            out.append(f"{where or 'the answer'}: {type(got).__name__} instead of an object")
            return
        if set(want) != set(got):
            out.append(f"{where or 'the answer'}: keys {sorted(got)} instead of {sorted(want)}")
            return
        for key in want:
            _diff(want[key], got[key], f"{where}.{key}" if where else str(key), tol, out)
    elif isinstance(want, list):
        if not isinstance(got, list):
            out.append(f"{where or 'the answer'}: {type(got).__name__} instead of a list of {len(want)}")
            return
        if len(got) != len(want):
            out.append(f"{where or 'the answer'}: {len(got)} items instead of {len(want)}")
            return
        for i, (w, g) in enumerate(zip(want, got, strict=True)):
            _diff(w, g, f"{where}[{i}]", tol, out)
    elif _is_number(want) and _is_number(got) and (_is_float(want) or _is_float(got)):
        if not math.isclose(got, want, rel_tol=0, abs_tol=tol.atol + tol.rtol * abs(want)):
            out.append(f"{where}: {got!r} instead of {want!r} (beyond {tol})")
    elif type(want) is not type(got) or want != got:  # labels, strings, booleans, null: exactly
        out.append(f"{where}: {got!r} instead of {want!r} (labels must match exactly)")


def compare(want: Any, got: Any, tolerance: Tolerance = Tolerance()) -> list[str]:
    """What differs between a recorded answer and a new one, one line each (empty: they agree)."""
    found: list[str] = []
    _diff(want, got, "", tolerance, found)
    if len(found) > MAX_PROBLEMS:
        found = [*found[:MAX_PROBLEMS], f"... and {len(found) - MAX_PROBLEMS} more differences"]
    return found


def check(request: GoldenRequest, status: int, body: bytes, tolerance: Tolerance = Tolerance()) -> str | None:
    """Why an answer (HTTP status and body) fails ``request``, or None when it passes."""
    text = body[:300].decode("utf-8", "replace")
    if status != request.status and not (request.answer is None and 200 <= status < 300):
        return f"answered {status} instead of {request.status}: {text}"
    if request.answer is None:
        return None
    try:
        got = json.loads(body)
    except ValueError:
        return f"answered something that is not JSON: {text}"
    problems = compare(request.answer, got, tolerance)
    return "answered differently: " + "; ".join(problems) if problems else None
