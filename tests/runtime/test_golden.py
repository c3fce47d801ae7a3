"""The golden-request record and its comparison: labels exactly, scores within the tolerance."""

from __future__ import annotations

import json

import pytest

from lambdaserve.runtime.golden import (
    GoldenRequest,
    GoldenSet,
    Tolerance,
    check,
    compare,
    requests_from_bodies,
)

TOL = Tolerance(atol=1e-5, rtol=1e-4)


def test_the_same_answer_agrees():
    answer = {"predictions": [{"label": 1, "probabilities": [0.25, 0.75]}]}
    assert compare(answer, json.loads(json.dumps(answer)), TOL) == []


def test_a_different_integer_label_is_a_difference_however_close():
    problems = compare({"predictions": [0, 1]}, {"predictions": [0, 2]}, TOL)
    assert problems == ["predictions[1]: 2 instead of 1 (labels must match exactly)"]


def test_string_and_boolean_labels_match_exactly():
    assert compare(["setosa"], ["versicolor"], TOL)
    assert compare([True], [False], TOL)
    assert compare([True], [1], TOL), "a boolean is not the integer 1"
    assert compare([None], [0.0], TOL), "null is not zero"


def test_scores_within_the_tolerance_agree_and_beyond_it_differ():
    assert compare([0.5], [0.5 + 4e-5], TOL) == []  # atol 1e-5 + rtol 1e-4 * 0.5 = 6e-5
    problems = compare([0.5], [0.5 + 8e-5], TOL)
    assert len(problems) == 1 and "beyond atol 1e-05, rtol 0.0001" in problems[0]
    assert compare([1000.0], [1000.09], TOL) == []  # relative: 1e-5 + 0.1
    assert compare([1000.0], [1000.2], TOL)


def test_an_integer_against_a_float_is_a_score_and_compares_within_the_tolerance():
    assert compare([1.0], [1], TOL) == []
    assert compare([3], [3.000001], TOL) == []


def test_shapes_and_keys_must_match():
    assert compare({"predictions": [1, 2]}, {"predictions": [1]}, TOL) == [
        "predictions: 1 items instead of 2"]
    assert compare({"a": 1}, {"b": 1}, TOL) == ["the answer: keys ['b'] instead of ['a']"]
    assert compare([[0.1, 0.2]], [0.1], TOL) == ["[0]: float instead of a list of 2"]


def test_many_differences_are_capped_and_counted():
    problems = compare(list(range(20)), [x + 1 for x in range(20)], TOL)
    assert len(problems) == 6 and problems[-1] == "... and 15 more differences"


def test_check_wants_the_recorded_status_and_answer():
    request = GoldenRequest("zero row", {"data": [[0.0]]}, "/predict", status=200,
                            answer={"predictions": [1]})
    assert check(request, 200, b'{"predictions": [1]}') is None
    differs = check(request, 200, b'{"predictions":[0]}')
    assert differs == "answered differently: predictions[0]: 0 instead of 1 (labels must match exactly)"
    assert "answered 502 instead of 200" in str(check(request, 502, b'{"message":"Internal server error"}'))
    assert "not JSON" in str(check(request, 200, b"<html>"))


def test_an_unrecorded_request_passes_on_any_2xx_only():
    request = GoldenRequest("zero row", {"data": [[0.0]]}, "/predict")
    assert check(request, 200, b"anything") is None
    assert check(request, 500, b'{"error": {}}') is not None


def test_bodies_become_posts_and_classifiers_also_ask_for_probabilities():
    requests = requests_from_bodies([("--data", [[1.0, 2.0]]), ("golden.json #1", {"data": [[3.0, 4.0]]})],
                                    "/predict", probabilities=True)
    assert [(r.name, r.query, r.body) for r in requests] == [
        ("--data", "", {"data": [[1.0, 2.0]]}),
        ("--data, probabilities", "probabilities=true", {"data": [[1.0, 2.0]]}),
        ("golden.json #1", "", {"data": [[3.0, 4.0]]}),
        ("golden.json #1, probabilities", "probabilities=true", {"data": [[3.0, 4.0]]}),
    ]
    assert requests[1].url("https://x.example/prod/") == "https://x.example/prod/predict?probabilities=true"


def test_the_record_survives_json_and_refuses_other_shapes():
    golden = GoldenSet((GoldenRequest("a", {"data": [[1]]}, "/predict", answer={"predictions": [2]}),),
                       sha256="ab" * 32, tolerance=Tolerance(1e-3, 1e-2))
    again = GoldenSet.from_dict(json.loads(json.dumps(golden.to_dict())))
    assert again == golden and again.recorded
    with pytest.raises(ValueError, match="format"):
        GoldenSet.from_dict({"requests": []})
    with pytest.raises(ValueError, match="body and a path"):
        GoldenSet.from_dict({"format": 1, "requests": [{"name": "no body"}]})
