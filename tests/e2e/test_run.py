"""`run()` end to end against the local server, sync and async."""

from __future__ import annotations

import hashlib
import math
from typing import Any

import pytest

import replicate_ext
from replicate_ext import (
    FileOutput,
    InvalidArgumentError,
    ModelError,
    PredictionCanceledError,
    PredictionTimeoutError,
)
from replicate_ext.local import LocalReplicate

from .conftest import Api

pytestmark = pytest.mark.anyio


async def test_run_returns_a_file_output(api: Api, client: replicate_ext.Client) -> None:
    output = await api(client, "run", "demo/fractal", input={"prompt": "sea", "width": 32, "height": 32})
    assert isinstance(output, FileOutput)
    data = await api(output, "read") if api.mode == "sync" else await output.aread()
    assert data.startswith(b"\x89PNG\r\n\x1a\n")
    assert output.filename == "fractal.png"


async def test_every_reference_form_runs(api: Api, client: replicate_ext.Client) -> None:
    model = client.models.get("test/echo")
    version = model.latest_version
    assert version is not None
    refs = ["test/echo", f"test/echo:{version.id}", version.id, model, version]
    for ref in refs:
        assert await api(client, "run", ref, input={"text": "hi", "number": 3}) == {"text": "hi", "number": 3}


async def test_iterator_outputs_come_back_as_iterators(api: Api, client: replicate_ext.Client) -> None:
    output = await api(client, "run", "test/words", input={"count": 4})
    assert not isinstance(output, list)
    assert list(output) == ["word0", "word1", "word2", "word3"]
    text = await api(client, "run", "demo/stream-text", input={"prompt": "a b c", "max_tokens": 5})
    assert "".join(text).strip()


async def test_a_failed_prediction_raises_model_error_with_it(api: Api, client: replicate_ext.Client) -> None:
    with pytest.raises(ModelError) as caught:
        await api(client, "run", "demo/fail", input={"message": "the model broke"})
    prediction = caught.value.prediction
    assert prediction.status == "failed" and prediction.error == "the model broke"
    assert "the model broke" in str(caught.value)


async def test_a_canceled_prediction_raises(api: Api, client: replicate_ext.Client) -> None:
    with pytest.raises(PredictionCanceledError) as caught:
        await api(client, "run", "demo/sleep", input={"seconds": 5}, cancel_after=0.3)
    assert caught.value.prediction.status == "canceled"


async def test_run_waits_past_the_hold_by_polling(api: Api, client: replicate_ext.Client) -> None:
    # A 1 s hold is shorter than the 1.5 s model: the create returns unfinished and run() keeps going.
    output = await api(client, "run", "demo/sleep", input={"seconds": 1.5}, wait=1)
    assert output is not None
    output = await api(client, "run", "demo/sleep", input={"seconds": 0.3}, wait=False)
    assert output is not None


async def test_a_timeout_cancels_the_prediction(api: Api, client: replicate_ext.Client, server: LocalReplicate) -> None:
    with pytest.raises(PredictionTimeoutError) as caught:
        await api(client, "run", "demo/sleep", input={"seconds": 30}, timeout=1)
    assert isinstance(caught.value, TimeoutError)
    prediction = client.predictions.get(caught.value.prediction.id)
    assert prediction.status == "canceled"


async def test_plain_urls_when_file_outputs_are_off(api: Api, client: replicate_ext.Client) -> None:
    output = await api(client, "run", "demo/fractal", input={"width": 16, "height": 16}, use_file_output=False)
    assert type(output) is str and output.startswith("http://")


async def test_files_in_inputs_reach_the_model_intact(
    api: Api, client: replicate_ext.Client, tmp_path: pytest.TempPathFactory, server: LocalReplicate
) -> None:
    small = bytes(range(256)) * 4
    large = bytes(reversed(range(256))) * 2048  # 512 KiB: above the inline limit, so it is uploaded
    path = tmp_path / "big.bin"  # type: ignore[operator]
    path.write_bytes(large)
    files_before = len(client.files.list())
    for value, expected in ((small, small), (path, large)):
        info = await api(client, "run", "test/file-info", input={"file": value})
        assert info["size"] == len(expected)
        assert info["sha256"] == hashlib.sha256(expected).hexdigest()
    assert len(client.files.list()) == files_before + 1  # only the large one was uploaded
    info = await api(client, "run", "test/file-info", input={"file": small}, file_encoding_strategy="url")
    assert info["sha256"] == hashlib.sha256(small).hexdigest()
    assert len(client.files.list()) == files_before + 2


async def test_an_async_run_that_is_cancelled_cancels_its_prediction(client: replicate_ext.Client) -> None:
    import anyio

    with anyio.move_on_after(1.0):
        await client.async_run("demo/sleep", input={"seconds": 30}, wait=False)
    recent = client.predictions.list().results[0]
    assert recent.model == "demo/sleep"
    deadline = anyio.current_time() + 5
    while recent.status not in ("canceled",) and anyio.current_time() < deadline:
        await anyio.sleep(0.05)
        recent = client.predictions.get(recent.id)
    assert recent.status == "canceled"


async def test_an_abandoned_run_can_leave_its_prediction_running(api: Api, client: replicate_ext.Client) -> None:
    with pytest.raises(PredictionTimeoutError) as caught:
        await api(client, "run", "demo/sleep", input={"seconds": 3}, timeout=0.5, cancel_if_abandoned=False)
    prediction = client.predictions.get(caught.value.prediction.id)
    assert prediction.status in ("starting", "processing")
    client.predictions.cancel(prediction.id)


@pytest.mark.parametrize("timeout", [math.nan, -1, 0, "5", True])
async def test_a_bad_timeout_is_refused_before_anything_is_created(
    api: Api, client: replicate_ext.Client, server: LocalReplicate, timeout: Any
) -> None:
    # A NaN deadline would never pass and a negative one would always have passed: both are refused up front.
    created = server.stats()["predictions_created"]
    refused = pytest.raises(InvalidArgumentError, match="timeout must be a positive number of seconds")
    with refused:
        await api(client, "run", "test/echo", input={"text": "a"}, timeout=timeout)
    with refused:
        if api.mode == "sync":
            client.stream("test/echo", input={"text": "a"}, timeout=timeout)
        else:
            async for _ in client.async_stream("test/echo", input={"text": "a"}, timeout=timeout):
                pass
    assert server.stats()["predictions_created"] == created


@pytest.mark.parametrize("input", [["text", "a"], "", 5, ()])
async def test_every_create_refuses_an_input_that_is_not_a_mapping(
    api: Api, client: replicate_ext.Client, server: LocalReplicate, input: Any
) -> None:
    # Falsy ones ("" and ()) included: they must not pass for "no inputs".
    version = (await api(client.models, "get", "test/echo")).latest_version
    created = server.stats()["predictions_created"], server.stats()["trainings_created"]
    creates = [
        (client, "run", ("test/echo", input)),
        (client.predictions, "create", (version.id, input)),
        (client.models.predictions, "create", ("test/echo", input)),
        (client.deployments.predictions, "create", ("acme/none", input)),
        (client.trainings, "create", (f"test/echo:{version.id}", input, "acme/trained")),
    ]
    for owner, method, args in creates:
        with pytest.raises(InvalidArgumentError, match="input must be a mapping of input names to values"):
            await api(owner, method, *args)
    with pytest.raises(InvalidArgumentError, match="input must be a mapping"):
        if api.mode == "sync":
            client.stream("test/echo", input)
        else:
            async for _ in client.async_stream("test/echo", input):
                pass
    assert (server.stats()["predictions_created"], server.stats()["trainings_created"]) == created
