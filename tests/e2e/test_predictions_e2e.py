"""Predictions, models, versions, pages and streams end to end, sync and async."""

from __future__ import annotations

import datetime
import math
import time
from typing import Any

import pytest

import replicate_ext
from replicate_ext import NotFoundError, Page, Prediction, UnprocessableEntityError
from replicate_ext.local import LocalReplicate

from .conftest import Api

pytestmark = pytest.mark.anyio


async def test_create_wait_reload(api: Api, client: replicate_ext.Client) -> None:
    prediction = await api(client.predictions, "create", model="demo/sleep", input={"seconds": 0.3})
    assert isinstance(prediction, Prediction) and prediction.status in ("starting", "processing")
    assert await api(prediction, "wait") is prediction
    assert prediction.status == "succeeded" and prediction.completed_at is not None
    assert prediction.progress is not None and prediction.progress.percentage == 1.0
    assert prediction.metrics and prediction.metrics["predict_time"] > 0
    again = await api(client.predictions, "get", prediction.id)
    assert again.to_dict() == prediction.to_dict()
    await api(prediction, "reload")
    assert prediction.status == "succeeded"


async def test_create_by_version_positionally_and_with_objects(api: Api, client: replicate_ext.Client) -> None:
    model = await api(client.models, "get", "test/echo")
    version = model.latest_version
    for args, kwargs in (
        ((version.id, {"text": "a"}), {}),
        ((), {"version": version, "input": {"text": "a"}}),
        ((), {"version": f"test/echo:{version.id}", "input": {"text": "a"}}),
        ((), {"model": model, "input": {"text": "a"}}),
    ):
        prediction = await api(client.predictions, "create", *args, **kwargs, wait=True)
        assert prediction.status == "succeeded" and prediction.output == {"text": "a", "number": 0}
        assert prediction.version == version.id and prediction.model == "test/echo"


async def test_wait_honours_a_timeout(api: Api, client: replicate_ext.Client) -> None:
    prediction = await api(client.predictions, "create", model="demo/sleep", input={"seconds": 10})
    with pytest.raises(replicate_ext.PredictionTimeoutError):
        await api(prediction, "wait", timeout=0.3)
    canceled = await api(prediction, "cancel")
    assert canceled.status in ("canceled", "processing", "starting")
    await api(prediction, "wait")
    assert prediction.status == "canceled"


@pytest.mark.parametrize("timeout", [math.nan, -0.5, "1", True])
async def test_wait_refuses_a_bad_timeout_and_takes_zero_as_one_look(
    api: Api, client: replicate_ext.Client, timeout: Any
) -> None:
    prediction = await api(client.predictions, "create", model="demo/sleep", input={"seconds": 10})
    with pytest.raises(replicate_ext.InvalidArgumentError, match="timeout must be zero or more seconds"):
        await api(prediction, "wait", timeout=timeout)
    with pytest.raises(replicate_ext.PredictionTimeoutError):
        await api(prediction, "wait", timeout=0)
    await api(prediction, "cancel")


async def test_cancel_by_id(api: Api, client: replicate_ext.Client) -> None:
    prediction = await api(client.predictions, "create", model="demo/sleep", input={"seconds": 10})
    await api(client.predictions, "cancel", prediction.id)
    assert (await api(prediction, "wait")).status == "canceled"


async def test_waiting_on_a_streaming_prediction_uses_its_stream(
    api: Api, client: replicate_ext.Client, server: LocalReplicate
) -> None:
    prediction = await api(
        client.predictions, "create", model="demo/stream-text", input={"prompt": "x y z", "max_tokens": 20}
    )
    assert "stream" in prediction.urls
    server.reset_stats()
    await api(prediction, "wait")
    assert prediction.status == "succeeded"
    stats = server.stats()
    assert stats["requests"].get("GET /v1/predictions/{prediction_id}", 0) <= 2  # no polling loop
    assert stats["delivery_requests"] >= 1


async def test_streaming_text(api: Api, client: replicate_ext.Client) -> None:
    prediction = await api(client.predictions, "create", model="demo/stream-text", input={"prompt": "hello there"})
    if api.mode == "async":
        events = [event async for event in prediction.async_stream()]
    else:
        events = list(prediction.stream())
    text = "".join(str(event) for event in events)
    assert events[-1].event == "done"
    await api(prediction, "wait")
    assert text == "".join(prediction.output)


async def test_module_stream_and_output_iterator(api: Api, client: replicate_ext.Client) -> None:
    if api.mode == "async":
        events = [e async for e in client.async_stream("demo/stream-text", input={"prompt": "abc", "max_tokens": 5})]
    else:
        events = list(client.stream("demo/stream-text", input={"prompt": "abc", "max_tokens": 5}))
    assert [e.event for e in events if e.event == "output"]
    prediction = client.predictions.create(model="test/words", input={"count": 3})
    if api.mode == "async":
        items = [item async for item in prediction.async_output_iterator()]
    else:
        items = list(prediction.output_iterator())
    assert items == ["word0", "word1", "word2"]


async def test_a_prediction_without_a_stream_says_so(client: replicate_ext.Client) -> None:
    prediction = client.predictions.create(model="test/echo", input={}, wait=True)
    with pytest.raises(ValueError, match="no stream URL"):
        list(prediction.stream())


async def test_list_filters_and_pagination(api: Api, client: replicate_ext.Client) -> None:
    start = datetime.datetime.now(datetime.UTC)
    created = [client.predictions.create(model="test/echo", input={"number": n}) for n in range(25)]
    time.sleep(0.01)
    end = datetime.datetime.now(datetime.UTC)
    page = await api(client.predictions, "list", created_after=start, created_before=end)
    assert isinstance(page, Page) and len(page) == 20 and page.next is not None
    second = await api(client.predictions, "list", page.next)
    ids = [p.id for p in page] + [p.id for p in second]
    assert sorted(ids) == sorted(p.id for p in created) and second.next is None
    walked = [p.id for page in replicate_ext.paginate(client.predictions.list, created_after=start) for p in page]
    assert sorted(walked) == sorted(ids)
    pages = [page async for page in replicate_ext.async_paginate(client.predictions.async_list, created_after=start)]
    assert sum(len(p) for p in pages) == 25


async def test_models_and_versions(api: Api, client: replicate_ext.Client) -> None:
    model = await api(client.models, "get", "demo/fractal")
    assert model.id == "demo/fractal" and model.owner == "demo" and model.visibility == "public"
    assert model.latest_version is not None and len(model.latest_version.id) == 64
    schema = model.latest_version.openapi_schema
    assert schema["components"]["schemas"]["Input"]["properties"]["width"]["maximum"] == 1024
    assert (await api(client.models, "get", "demo", "fractal")).id == "demo/fractal"
    versions = await api(model.versions, "list")
    assert versions.next is None and model.latest_version.id in [v.id for v in versions]
    version = await api(model.versions, "get", model.latest_version.id)
    assert version == model.latest_version
    page = await api(client.models, "list")
    assert "demo/fractal" in [m.id for m in page]
    found = await api(client.models, "search", "fractal")
    assert "demo/fractal" in [m.id for m in found]
    assert "fractal" in (await api(client.models.readme, "get", "demo/fractal")).lower()


async def test_model_lifecycle(api: Api, client: replicate_ext.Client) -> None:
    name = f"made-{api.mode}-{time.monotonic_ns()}"
    model = await api(client.models, "create", "local", name, visibility="private", hardware="cpu",
                      description="first")  # fmt: skip
    assert model.id == f"local/{name}" and model.description == "first"
    updated = await api(client.models, "update", model.id, description="second", readme="# Hi")
    assert updated.description == "second"
    await api(client.models, "delete", model.id)
    with pytest.raises(NotFoundError):
        await api(client.models, "get", model.id)


async def test_input_validation_errors_name_the_field(api: Api, client: replicate_ext.Client) -> None:
    with pytest.raises(UnprocessableEntityError, match="width"):
        await api(client.predictions, "create", model="demo/fractal", input={"width": 5000})
    with pytest.raises(NotFoundError):
        await api(client.predictions, "create", model="nobody/nothing", input={})
    with pytest.raises(NotFoundError):
        await api(client.predictions, "get", "doesnotexist")
