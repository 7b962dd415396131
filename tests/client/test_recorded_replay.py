"""Real api.replicate.com exchanges replayed through the ergonomic layer (respx serves the recorded answers).

Each recorded exchange that maps to one of our methods is reproduced: the method is called with what the
recorded request asked for, the request it sends must be the recorded one (method, path, JSON body), and the
object it returns is checked field by field against the recorded body.
"""

from __future__ import annotations

import dataclasses
import datetime
import json
from collections.abc import Callable
from typing import Any

import pytest
import respx

import replicate_ext
from replicate_ext import Client, ReplicateError
from replicate_ext._versions import Versions

from ..recorded import Exchange, exchanges, operation_of

Call = Callable[[Client, dict[str, str], Any, Exchange], Any]


def _json(exchange: Exchange) -> Any:
    return json.loads(exchange.request_body) if exchange.request_body else None


def _cursor(exchange: Exchange) -> str | None:
    return exchange.url if "?" in exchange.url else None


def _filename(exchange: Exchange) -> str:
    marker = b'filename="'
    start = exchange.request_body.index(marker) + len(marker)
    return exchange.request_body[start : exchange.request_body.index(b'"', start)].decode()


def _training(client: Client, p: dict[str, str], body: Any, e: Exchange) -> Any:
    destination = body.get("destination", "")
    if "/" not in destination:
        destination = "test/no-such-model"  # the recording sent "<invalid>", which the client refuses locally
    return client.trainings.create(
        model=f"{p['model_owner']}/{p['model_name']}", version=p["version_id"], input=body["input"],
        destination=destination,
    )  # fmt: skip


def _create_options(body: dict[str, Any]) -> dict[str, Any]:
    return {key: body[key] for key in ("stream", "webhook", "webhook_events_filter") if key in body}


CALLS: dict[str, Call] = {
    "collections.get": lambda c, p, b, e: c.collections.get(p["collection_slug"]),
    "collections.list": lambda c, p, b, e: c.collections.list(_cursor(e)),
    "files.create": lambda c, p, b, e: c.files.create(b"", filename=_filename(e), content_type="text/plain"),
    "files.delete": lambda c, p, b, e: c.files.delete(p["file_id"]),
    "files.get": lambda c, p, b, e: c.files.get(p["file_id"]),
    "files.list": lambda c, p, b, e: c.files.list(_cursor(e)),
    "hardware.list": lambda c, p, b, e: c.hardware.list(),
    "models.create": lambda c, p, b, e: c.models.create(
        b["owner"], b["name"], visibility=b["visibility"], hardware=b["hardware"], description=b.get("description")
    ),
    "models.get": lambda c, p, b, e: c.models.get(f"{p['model_owner']}/{p['model_name']}"),
    "models.list": lambda c, p, b, e: c.models.list(_cursor(e)),
    "models.predictions.create": lambda c, p, b, e: c.models.predictions.create(
        f"{p['model_owner']}/{p['model_name']}", b["input"], **_create_options(b)
    ),
    "models.search": lambda c, p, b, e: c.models.search(e.request_body.decode()),
    "models.versions.get": lambda c, p, b, e: Versions(c, p["model_owner"], p["model_name"]).get(p["version_id"]),
    "predictions.cancel": lambda c, p, b, e: c.predictions.cancel(p["prediction_id"]),
    "predictions.create": lambda c, p, b, e: c.predictions.create(
        version=b["version"], input=b["input"], **_create_options(b)
    ),
    "predictions.get": lambda c, p, b, e: c.predictions.get(p["prediction_id"]),
    "trainings.cancel": lambda c, p, b, e: c.trainings.cancel(p["training_id"]),
    "trainings.create": _training,
    "trainings.get": lambda c, p, b, e: c.trainings.get(p["training_id"]),
}


def replayable() -> list[Exchange]:
    return [e for e in exchanges() if (op := operation_of(e)) is not None and op[0] in CALLS]


def as_plain(value: Any) -> Any:
    """Our objects as plain JSON-like data, to compare with the recorded body."""
    if hasattr(value, "to_dict") and not isinstance(value, type):
        return as_plain(value.to_dict())
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        data = {f.name: as_plain(getattr(value, f.name)) for f in dataclasses.fields(value) if f.name != "extra"}
        return data | as_plain(getattr(value, "extra", {}))
    if isinstance(value, replicate_ext.Page):
        return {"results": as_plain(value.results), "next": value.next, "previous": value.previous}
    if isinstance(value, replicate_ext.Collection):
        fields = {"slug": value.slug, "name": value.name, "description": value.description}
        if value.models is not None:
            fields |= {"models": as_plain(value.models), "full_description": value.full_description}
        return fields | as_plain(value.extra)
    if isinstance(value, dict):
        return {k: as_plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [as_plain(v) for v in value]
    return value


def _same_time(a: Any, b: Any) -> bool:
    try:
        return datetime.datetime.fromisoformat(a) == datetime.datetime.fromisoformat(b)
    except (TypeError, ValueError):
        return False


def assert_same(ours: Any, recorded: Any, where: str) -> None:
    if isinstance(recorded, dict):
        assert isinstance(ours, dict), f"{where}: {ours!r}"
        for key, value in recorded.items():
            assert key in ours, f"{where}.{key} is missing from the result"
            assert_same(ours[key], value, f"{where}.{key}")
    elif isinstance(recorded, list):
        assert isinstance(ours, list) and len(ours) == len(recorded), f"{where}: list differs"
        for index, (a, b) in enumerate(zip(ours, recorded, strict=True)):
            assert_same(a, b, f"{where}[{index}]")
    elif isinstance(recorded, str) and isinstance(ours, str) and ours != recorded:
        assert _same_time(ours, recorded), f"{where}: {ours!r} != {recorded!r}"
    else:
        assert ours == recorded, f"{where}: {ours!r} != {recorded!r}"


@pytest.mark.parametrize("exchange", replayable(), ids=lambda e: e.name)
def test_recorded_exchange_through_the_ergonomic_layer(exchange: Exchange) -> None:
    op = operation_of(exchange)
    assert op is not None
    operation, params = op
    content_type = exchange.headers.get("content-type", "application/json")
    with respx.mock(assert_all_called=True) as mock:
        route = mock.route(method=exchange.method, url=exchange.url).respond(
            exchange.status, content=exchange.body, headers={"content-type": content_type}
        )
        client = Client(api_token="r8_recorded", base_url="https://api.replicate.com")
        call = CALLS[operation]
        body = _json(exchange) if exchange.method in ("POST", "PATCH") and operation != "files.create" else None
        if exchange.status >= 400:
            with pytest.raises(ReplicateError) as caught:
                call(client, params, body, exchange)
            recorded = exchange.json()
            assert caught.value.status == exchange.status
            assert caught.value.detail == recorded["detail"]
            assert caught.value.operation == operation
            return
        result = call(client, params, body, exchange)
    sent = route.calls.last.request
    assert sent.headers["authorization"] == "Bearer r8_recorded"
    if body is not None:
        assert json.loads(sent.content) == body, "the request differs from the recorded one"
    if exchange.status == 204:
        assert result is (True if operation.endswith(".delete") else None)  # deletes say True, as in 1.x
        return
    assert_same(as_plain(result), exchange.json(), exchange.name)


def test_every_recorded_operation_is_replayed() -> None:
    replayed = {operation_of(e)[0] for e in replayable()}  # type: ignore[index]
    recorded = {op[0] for e in exchanges() if (op := operation_of(e)) is not None}
    assert replayed == recorded


def test_a_recorded_prediction_parses_into_the_1x_shape() -> None:
    exchange = next(e for e in replayable() if operation_of(e)[0] == "predictions.get")  # type: ignore[index]
    with respx.mock() as mock:
        mock.get(exchange.url).respond(200, content=exchange.body, headers={"content-type": "application/json"})
        prediction = Client(api_token="r8_x", base_url="https://api.replicate.com").predictions.get(
            exchange.url.rsplit("/", 1)[1]
        )
    raw = exchange.json()
    assert prediction.id == raw["id"] and prediction.status == raw["status"] and prediction.input == raw["input"]
    assert isinstance(prediction.created_at, str)
    assert prediction.urls["get"] == raw["urls"]["get"]
