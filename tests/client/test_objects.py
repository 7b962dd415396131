"""The ergonomic objects: progress, predictions, pages, stream events, and the public namespace."""

from __future__ import annotations

import httpx
import pytest

import replicate_ext
from replicate_ext import Page, Prediction, Progress
from replicate_ext._predictions import CreateOptions, format_cancel_after
from replicate_ext._stream import StreamState

from .mock import client_for, prediction


def test_progress_comes_from_the_last_tqdm_line() -> None:
    logs = "loading\n  0%|          | 0/50 [00:00<?, ?it/s]\n 44%|████▍     | 22/50 [00:01<00:01, 17.16it/s]\nmore"
    assert Progress.parse(logs) == Progress(0.44, 22, 50)
    assert Progress.parse("no bars here") is None
    assert Progress.parse(None) is None
    assert Progress.parse("\r 10%|█| 1/10 [00:00]\r 20%|██| 2/10 [00:00]") == Progress(0.2, 2, 10)


def test_a_prediction_from_the_api() -> None:
    client = client_for(lambda r: httpx.Response(200, json=prediction(status="succeeded", output=["https://x/a.png"],
                                                                       webhook_completed=None)))  # fmt: skip
    found = client.predictions.get("p1")
    assert isinstance(found, Prediction)
    assert found.created_at == "2026-01-01T00:00:00.000000Z"  # exactly as the API sent it
    assert found.done and found.status == "succeeded"
    assert found.raw_output == ["https://x/a.png"]
    assert isinstance(found.output[0], replicate_ext.FileOutput)
    assert found.extra == {"webhook_completed": None}
    assert found.to_dict()["output"] == ["https://x/a.png"]
    assert "p1" in repr(found)


def test_a_prediction_reads_the_same_whichever_route_brought_it() -> None:
    # The API writes 3 to 9 fractional digits (recorded answers have all of these); a datetime holds 6. Every
    # route must keep the API's string, so that a prediction from a list equals the same one from a get.
    sent = prediction(
        status="succeeded", created_at="2025-04-07T17:22:58.548Z", started_at="2025-04-07T17:22:58.612345678Z"
    )
    model = {"owner": "acme", "name": "model", "default_example": sent, "latest_version": None}
    answers = {
        "/v1/predictions/p1": sent,
        "/v1/predictions": {"results": [sent], "next": None, "previous": None},
        "/v1/models/acme/model": model,
        "/v1/models/acme/model/examples": {"results": [sent], "next": None, "previous": None},
        "/v1/collections/c": {"slug": "c", "name": "C", "description": "", "models": [model]},
        "/v1/search": {"query": "q", "models": [{"model": model, "metadata": {}}], "collections": [], "pages": []},
    }
    client = client_for(lambda request: httpx.Response(200, json=answers[request.url.path]))
    got = client.predictions.get("p1")
    found = [
        got,
        client.predictions.list()[0],
        client.models.get("acme/model").default_example,
        client.models.examples.list("acme/model")[0],
        next(iter(client.collections.get("c"))).default_example,
        client.search("q").models[0].model.default_example,
    ]
    for each in found:
        assert isinstance(each, Prediction)
        assert (each.created_at, each.started_at) == (sent["created_at"], sent["started_at"])
        assert each.to_dict() == got.to_dict()


def test_pages_iterate_over_their_results() -> None:
    page = Page([1, 2, 3], next="https://api.example/v1/x?cursor=2")
    assert list(page) == [1, 2, 3] and len(page) == 3 and page[1] == 2


@pytest.mark.parametrize(
    ("value", "header"), [(30, "30s"), (1.5, "1.5s"), ("5m", "5m"), ("1h30m", "1h30m"), ("45", "45s")]
)
def test_cancel_after_forms(value: object, header: str) -> None:
    assert format_cancel_after(value) == header  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "kwargs",
    [
        {"wait": 61},
        {"wait": 0},
        {"webhook_events_filter": ["completed"]},
        {"webhook": "https://h", "webhook_events_filter": ["finished"]},
        {"webhook": "ftp://h"},
        {"webhook": "https://a", "webhook_completed": "https://b"},
        {"cancel_after": "soon"},
        {"cancel_after": -5},
        {"file_encoding_strategy": "zip"},
    ],
)
def test_bad_create_options_fail_before_any_request(kwargs: dict[str, object]) -> None:
    with pytest.raises(ValueError):
        CreateOptions.build(**kwargs)  # type: ignore[arg-type]


def test_webhook_completed_is_the_completed_event_only() -> None:
    options = CreateOptions.build(webhook_completed="https://hooks.example/h")
    assert options.webhook == "https://hooks.example/h" and options.webhook_events_filter == ("completed",)


@pytest.mark.parametrize(
    "call",
    [
        lambda c: c.predictions.create(input={"a": 1}),
        lambda c: c.predictions.create(model="a/b", version="c" * 64),
        lambda c: c.predictions.create("a/b", {"x": 1}, input={"y": 2}),
        lambda c: c.predictions.create(model="a/b", input=["not", "a", "mapping"]),
        lambda c: c.run("not a ref"),
        lambda c: c.run("a/b", input={"bad": object()}),
        lambda c: c.models.get("a"),
        lambda c: c.predictions.get("a/b"),
    ],
)
def test_wrong_arguments_fail_before_any_request(call: object) -> None:
    sent: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        sent.append(request)
        return httpx.Response(500)

    client = client_for(handler)
    with pytest.raises(ValueError):
        call(client)  # type: ignore[operator]
    assert sent == []


class _Frame:
    def __init__(self, event: str = "", data: str = "", id: str = "", retry: int | None = None) -> None:
        self.event, self.data, self.id, self.retry = event, data, id, retry


def test_stream_state_follows_the_event_rules() -> None:
    state = StreamState("p1")
    out = state.feed(_Frame("output", "Hello", "1"))  # type: ignore[arg-type]
    assert out is not None and str(out) == "Hello" and state.last_event_id == "1"
    assert state.feed(_Frame("output", "Hello", "1")) is None  # type: ignore[arg-type]  # a replay
    assert state.feed(_Frame("metrics", "{}", "2")) is None  # type: ignore[arg-type]  # unknown: ignored
    logs = state.feed(_Frame("logs", "step 1", "3", retry=2500))  # type: ignore[arg-type]
    assert logs is not None and str(logs) == "" and state.retry_seconds == 2.5
    assert state.headers()["Last-Event-ID"] == "3"
    done = state.feed(_Frame("done", '{"reason": "canceled"}', "4"))  # type: ignore[arg-type]
    assert done is not None and state.done and state.reason == "canceled"
    with pytest.raises(replicate_ext.StreamError, match="out of memory"):
        StreamState("p2").feed(_Frame("error", '{"detail": "out of memory"}'))  # type: ignore[arg-type]


def test_every_public_name_is_exported_once_and_resolves() -> None:
    names = replicate_ext.__all__
    assert len(names) == len(set(names))
    assert names == sorted(names, key=str.lower)
    for name in names:
        assert getattr(replicate_ext, name) is not None
    assert set(dir(replicate_ext)) == set(names)


def test_the_seed_api_is_there() -> None:
    for name in ("run", "async_run", "stream", "async_stream", "paginate", "async_paginate", "models", "predictions",
                 "trainings", "deployments", "files", "collections", "hardware", "webhooks", "Client"):  # fmt: skip
        assert hasattr(replicate_ext, name), name
    assert replicate_ext.exceptions.ModelError is replicate_ext.ModelError
    client = replicate_ext.Client(api_token="r8_x")
    for namespace, methods in {
        "models": ["get", "list", "search", "create", "async_create"],
        "predictions": ["create", "get", "list", "cancel", "async_create"],
    }.items():
        for method in methods:
            assert callable(getattr(getattr(client, namespace), method)), (namespace, method)


def test_importing_the_package_stays_light() -> None:
    import json
    import subprocess
    import sys

    code = "import json, sys, replicate_ext; print(json.dumps(sorted(sys.modules)))"
    loaded = set(json.loads(subprocess.run([sys.executable, "-c", code], capture_output=True, check=True).stdout))
    assert not any(name.startswith(("httpx", "replicate_api", "replicate_ext._c")) for name in loaded)
    assert not {"asyncio", "h11", "ssl", "replicate_ext._transport", "replicate_ext._tls"} & loaded


def test_stream_outputs_become_file_outputs_only_when_asked() -> None:
    url = "https://files.example/out.png"
    plain = StreamState("p1").feed(_Frame("output", url, "1"))  # type: ignore[arg-type]
    assert plain is not None and type(plain.data) is str
    files = StreamState("p1", use_file_output=True).feed(_Frame("output", url, "1"))  # type: ignore[arg-type]
    assert files is not None and isinstance(files.data, replicate_ext.FileOutput) and files.data == url
