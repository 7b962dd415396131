"""Finding a lost create's prediction compares inputs as JSON: `true` is not `1`."""

from __future__ import annotations

import datetime
from typing import Any

import pytest

from replicate_ext import Prediction
from replicate_ext._claims import Claims
from replicate_ext._json import same_json
from replicate_ext._predictions import Target, _same_request


@pytest.mark.parametrize(
    ("a", "b", "same"),
    [
        (1, 1.0, True),
        (True, 1, False),
        (False, 0, False),
        ({"x": True}, {"x": 1}, False),
        ({"x": [1, {"y": False}]}, {"x": [1.0, {"y": False}]}, True),
        ({"x": [True]}, {"x": [1]}, False),
        ({"a": 1, "b": 2}, {"b": 2, "a": 1}, True),
        ({"a": 1}, {"a": 1, "b": None}, False),
        ([1, 2], [1, 2, 3], False),
        ("1", 1, False),
        (None, None, True),
    ],
)
def test_json_equality(a: Any, b: Any, same: bool) -> None:
    assert same_json(a, b) is same and same_json(b, a) is same


def test_a_prediction_of_another_input_is_not_a_candidate() -> None:
    target = Target("model", "acme", "m")
    prediction = Prediction(None, id="p1", model="acme/m", input={"flag": 1})
    assert not _same_request(prediction, target, {"flag": True})
    assert _same_request(prediction, target, {"flag": 1.0})


def test_creates_in_flight_and_recoveries_group_by_json_input() -> None:
    claims, target = Claims(), Target("model", "acme", "m")
    sent = datetime.datetime(2026, 12, 3, tzinfo=datetime.UTC)
    flag = claims.sending(target, {"flag": True})
    one = claims.sending(target, {"flag": 1})
    assert claims.in_flight(target, {"flag": True}) == {flag}
    claims.start_recovery(target, {"flag": 1}, sent)
    later = sent + datetime.timedelta(seconds=5)
    assert claims.earliest_recovery(target, {"flag": True}, later) == later
    assert claims.earliest_recovery(target, {"flag": 1.0}, later) == sent
    assert one not in claims.in_flight(target, {"flag": True})
