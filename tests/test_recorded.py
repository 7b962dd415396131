"""Every recorded api.replicate.com response of a generated operation parses with the generated models.

"Parses" means more than "does not raise": each JSON member comes back as a typed attribute with the same value
(datetimes as aware datetimes, nulls as None, nested objects as model instances) or, when the schema does not
declare it, in `additional_properties` unchanged. Nothing the API sent is dropped.
"""

from __future__ import annotations

import datetime
import importlib
from types import ModuleType
from typing import Any

import attrs
import httpx
import pytest
from replicate_api import Client
from replicate_api.models import Model, Prediction, Problem, Training, Version
from replicate_api.types import Unset

from .recorded import API, Exchange, exchanges, operation_of


def endpoint_module(operation_id: str) -> ModuleType:
    tag = operation_id.split(".")[0]
    return importlib.import_module(f"replicate_api.api.{tag}.{operation_id.replace('.', '_')}")


def generated_exchanges() -> list[Exchange]:
    return [e for e in exchanges() if (op := operation_of(e)) is not None and op[0] != "models.search"]


def parse(exchange: Exchange) -> Any:
    op = operation_of(exchange)
    assert op is not None
    response = httpx.Response(
        exchange.status,
        headers={"content-type": exchange.headers.get("content-type", "application/json")},
        content=exchange.body,
    )
    built = endpoint_module(op[0])._build_response(client=Client(base_url="https://x"), response=response)
    return built.parsed


def assert_faithful(value: Any, raw: Any, where: str) -> None:
    if attrs.has(type(value)):
        assert isinstance(raw, dict), f"{where}: a model for a non-object {raw!r}"
        names = {f.name for f in attrs.fields(type(value))} - {"additional_properties"}
        seen = set()
        for key, member in raw.items():
            name = key if key in names else f"{key}_"
            if name in names:
                seen.add(name)
                assert_faithful(getattr(value, name), member, f"{where}.{key}")
            else:
                assert value.additional_properties.get(key, object()) == member, f"{where}.{key} was dropped"
        for name in names - seen:
            assert isinstance(getattr(value, name), Unset), f"{where}.{name} is set but absent from the body"
    elif isinstance(value, datetime.datetime):
        assert isinstance(raw, str)
        assert value.tzinfo is not None, f"{where}: naive datetime"
        assert value == datetime.datetime.fromisoformat(raw), f"{where}: {value} != {raw}"
    elif value is None:
        assert raw is None, f"{where}: None for {raw!r}"
    elif isinstance(value, list):
        assert isinstance(raw, list) and len(value) == len(raw), f"{where}: list length"
        for index, (item, raw_item) in enumerate(zip(value, raw, strict=True)):
            assert_faithful(item, raw_item, f"{where}[{index}]")
    elif isinstance(value, float) and isinstance(raw, int) and not isinstance(raw, bool):
        assert value == raw
    else:
        assert value == raw and type(value) is type(raw), f"{where}: {value!r} for {raw!r}"


@pytest.mark.parametrize("exchange", generated_exchanges(), ids=lambda e: e.name)
def test_recorded_response_parses_faithfully(exchange: Exchange) -> None:
    parsed = parse(exchange)
    if exchange.status == 204 or not exchange.body:
        return
    raw = exchange.json()
    if exchange.status >= 400:
        assert isinstance(parsed, Problem)
        assert parsed.detail == raw["detail"]
        assert parsed.status == exchange.status
    else:
        assert not isinstance(parsed, Problem)
    assert_faithful(parsed, raw, exchange.name)


def test_the_recordings_cover_these_operations() -> None:
    covered = {op[0] for e in exchanges() if (op := operation_of(e)) is not None}
    assert covered == {
        "collections.get", "collections.list", "files.create", "files.delete", "files.get", "files.list",
        "hardware.list", "models.create", "models.get", "models.list", "models.predictions.create",
        "models.search", "models.versions.get", "predictions.cancel", "predictions.create", "predictions.get",
        "trainings.cancel", "trainings.create", "trainings.get",
    }  # fmt: skip


def first(cassette: str, index: int = 0) -> Exchange:
    return next(e for e in exchanges() if e.cassette == cassette and e.index == index)


def test_prediction_fields_have_their_types() -> None:
    exchange = next(
        e for e in generated_exchanges() if e.url.startswith(f"{API}/predictions/") and b"webhook_completed" in e.body
    )
    prediction = parse(exchange)
    assert isinstance(prediction, Prediction)
    assert isinstance(prediction.created_at, datetime.datetime)
    assert prediction.created_at.utcoffset() == datetime.timedelta(0)
    assert prediction.status in ("starting", "processing", "succeeded", "failed", "canceled")
    assert isinstance(prediction.urls.get, str) and prediction.urls.get.startswith("https://api.replicate.com/v1/")
    assert "webhook_completed" in prediction.additional_properties  # sent by the API, not in the schema


def test_a_model_carries_its_latest_version_and_default_example_as_models() -> None:
    model = parse(first("models-get"))
    assert isinstance(model, Model)
    assert isinstance(model.latest_version, Version)
    assert isinstance(model.latest_version.openapi_schema, dict)
    assert isinstance(model.default_example, Prediction)


def test_null_timestamps_of_a_running_training_are_none() -> None:
    trainings = [parse(e) for e in exchanges() if e.cassette.startswith("trainings-") and e.status == 200]
    assert any(isinstance(t, Training) and t.completed_at is None for t in trainings)


def test_an_unknown_status_does_not_break_parsing() -> None:
    exchange = first("predictions-get")
    body = exchange.json() | {"status": "aborted", "some_future_field": {"x": 1}}
    response = httpx.Response(200, json=body)
    module = endpoint_module("predictions.get")
    prediction = module._build_response(client=Client(base_url="https://x"), response=response).parsed
    assert prediction.status == "aborted"
    assert prediction.additional_properties["some_future_field"] == {"x": 1}
