"""hypothesis throws arbitrary bodies at Runtime.handle: never a 500, always a parseable answer."""

from __future__ import annotations

import json

from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from tests.runtime.support import (
    Context,
    FreeForm,
    ImageMean,
    SumClassifier,
    TableScore,
    TwoInputs,
    http_event,
    load_event,
    runtime,
)

scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=8),
)
values = st.recursive(
    scalars,
    lambda inner: st.one_of(
        st.lists(inner, max_size=5), st.dictionaries(st.text(max_size=6), inner, max_size=4)
    ),
    max_leaves=30,
)
keys = st.sampled_from(["data", "instances", "inputs", "parameters", "id", "x"])
tensor = st.fixed_dictionaries(
    {},
    optional={
        "name": st.one_of(st.sampled_from(["input", "image", "x", "k"]), values),
        "shape": st.one_of(st.lists(st.integers(min_value=-1, max_value=5), max_size=4), values),
        "datatype": st.one_of(st.sampled_from(["FP32", "INT64", "BOOL", "BYTES", "FP16"]), values),
        "data": values,
    },
)
bodies = st.one_of(
    values,
    st.dictionaries(keys, values, max_size=3),
    st.fixed_dictionaries(
        {"inputs": st.lists(tensor, max_size=3)},
        optional={"parameters": st.dictionaries(st.just("probabilities"), values)},
    ),
    st.fixed_dictionaries(
        {"data": st.lists(st.lists(scalars, min_size=3, max_size=5), min_size=1, max_size=4)}
    ),
)
MODELS = [SumClassifier(), ImageMean(), TwoInputs(), FreeForm()]


def _json(body):
    # json.dumps writes NaN/Infinity as the bare tokens clients sometimes send.
    return json.dumps(body)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(body=bodies, which=st.integers(min_value=0, max_value=len(MODELS) - 1))
# Found by this test once: a model without a declared signature (FreeForm) got the OIP input
# under the client's name ("x"), not the free-form input's, and the predictor raised: a 500.
@example(body={"inputs": [{"name": "x", "shape": [1], "datatype": "FP32", "data": [1]}]}, which=3)
def test_http_bodies_never_500(body, which):
    rt, _ = runtime(MODELS[which])
    result = rt.handle(http_event(raw=_json(body)), Context())
    assert result["statusCode"] in (200, 400), result
    parsed = json.loads(result["body"])  # strict JSON: no NaN reaches a client
    if result["statusCode"] == 400:
        message = parsed["error"]["message"]
        assert message and "Error" not in message and "Traceback" not in message


@settings(max_examples=150, deadline=None)
@given(body=bodies)
def test_direct_invoke_never_500(body):
    rt, _ = runtime(SumClassifier())
    result = rt.handle(body, Context())
    assert isinstance(result, dict)
    assert "predictions" in result or result.get("error", {}).get("status") == 400 or "outputs" in result


@settings(max_examples=150, deadline=None)
@given(raw=st.text(max_size=60))
def test_any_text_never_500(raw):
    rt, _ = runtime(SumClassifier())
    assert rt.handle(http_event(raw=raw), Context())["statusCode"] in (200, 400)


EVENT_FILES = [
    "apigw-rest-proxy.json",
    "apigw-http-v2.json",
    "function-url.json",
    "alb.json",
    "alb-multi-value.json",
]


@settings(max_examples=200, deadline=None)
@given(
    name=st.sampled_from(EVENT_FILES),
    changes=st.dictionaries(
        st.sampled_from(
            [
                "headers",
                "multiValueHeaders",
                "queryStringParameters",
                "multiValueQueryStringParameters",
                "rawQueryString",
                "rawPath",
                "path",
                "httpMethod",
                "body",
                "isBase64Encoded",
                "cookies",
                "requestContext",
            ]
        ),
        values,
        max_size=3,
    ),
)
def test_mangled_events_never_raise_or_500(name, changes):
    event = load_event(name)
    event.update(changes)
    rt, _ = runtime(SumClassifier())
    result = rt.handle(event, Context())
    status = result["statusCode"] if "statusCode" in result else result.get("error", {}).get("status", 200)
    assert status in (200, 204, 400, 404, 405, 413, 415), result


numbers = st.one_of(st.integers(min_value=-(2**64), max_value=2**64), st.floats(), st.booleans(), st.none())
regular = st.integers(min_value=1, max_value=4).flatmap(
    lambda w: st.lists(st.lists(numbers, min_size=w, max_size=w), min_size=1, max_size=5)
)
irregular = st.lists(st.lists(st.one_of(numbers, st.lists(numbers, max_size=3)), max_size=5), max_size=5)
grids = st.one_of(regular, irregular)


@settings(max_examples=300, deadline=None)
@given(
    rows=grids,
    dims=st.sampled_from([(4,), (None,), (2, 3), (None, None), (1,)]),
    dtype=st.sampled_from(["float32", "int64", "uint8"]),
)
def test_fast_path_agrees_with_the_slow_path(rows, dims, dtype):
    from lambdaserve.runtime.signature import TensorSpec
    from lambdaserve.runtime.validation import RowChecker

    spec = TensorSpec("x", dtype, (None, *dims))
    fast = RowChecker(spec)
    if rows and fast._fast_ok(rows):
        slow = RowChecker(spec)
        assert [slow.check_row(i, row) for i, row in enumerate(rows)] == rows


def test_fast_path_takes_ordinary_rows():
    from lambdaserve.runtime.signature import TensorSpec
    from lambdaserve.runtime.validation import RowChecker

    pair = TensorSpec("x", "float32", (None, 2))
    assert RowChecker(pair).check_rows([[1, 2.5], [3, 4]]) == [[1, 2.5], [3, 4]]
    assert RowChecker(pair)._fast_ok([[1, 2.5], [3, 4]])
    assert not RowChecker(pair)._fast_ok([[1, float("nan")]])
    assert not RowChecker(TensorSpec("x", "int64", (None, 2)))._fast_ok([[1, 2.0]])


columns = st.sampled_from(["age", "income", "city", "member", "town", ""])
cell = st.one_of(scalars, st.sampled_from(["Lyon", "Paris", "Nice", 3, 2.5, 1e39, True, 0]))
VALID = {"age": 30, "income": 1.5, "city": "Paris", "member": True}
# A valid record with at most one cell changed (or dropped, or added): one mistake at a time.
MISTAKES = [(None, None), ("city", "Nice"), ("city", 3), ("city", None), ("member", 3), ("member", "true"),
            ("age", 30.5), ("age", "30"), ("age", True), ("income", None), ("income", 1e39), ("town", 1)]


def _changed(change: tuple[str | None, object, bool]) -> dict[str, object]:
    """VALID with one cell replaced (kept=True) or dropped (kept=False); None changes nothing."""
    column, value, kept = change
    out = {**VALID, **({column: value} if column else {})}
    return {k: v for k, v in out.items() if kept or k != column}


changes = st.tuples(st.sampled_from(MISTAKES), st.booleans()).map(lambda t: (*t[0], t[1])) | st.tuples(
    st.sampled_from([None, "age", "income", "city", "member", "town"]), cell, st.booleans())
near_miss = changes.map(_changed)
record = st.one_of(near_miss, st.dictionaries(columns, cell, max_size=5))
column_tensor = st.fixed_dictionaries(
    {"name": st.one_of(columns, values)},
    optional={
        "shape": st.one_of(st.lists(st.integers(min_value=-1, max_value=10**30), max_size=3), values),
        "datatype": st.one_of(st.sampled_from(["FP32", "INT64", "BOOL", "BYTES"]), values),
        "data": st.one_of(st.lists(st.one_of(scalars, st.sampled_from(["Lyon", "Paris"])), max_size=3),
                          values),
    },
)
table_bodies = st.one_of(
    st.fixed_dictionaries({"data": st.one_of(
        st.lists(record, max_size=3), st.lists(st.lists(scalars), max_size=3),
        st.dictionaries(columns, st.lists(scalars, max_size=3)), values)}),
    st.fixed_dictionaries({"inputs": st.lists(column_tensor, max_size=5)}),
    bodies,
)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(body=table_bodies | st.fixed_dictionaries({"data": st.lists(near_miss, min_size=1, max_size=3)}))
def test_table_bodies_are_a_200_with_typed_columns_or_a_400(body):
    rt, _ = runtime(TableScore())
    result = rt.handle(http_event(raw=_json(body)), Context())
    assert result["statusCode"] in (200, 400), result  # TableScore answers 500 to a wrongly typed value
    if result["statusCode"] == 400:
        message = json.loads(result["body"])["error"]["message"]
        assert message and "Error" not in message and "Traceback" not in message
