"""Cog models served by the local server on Cog's own runtime, through replicate_ext and raw HTTP.

One server for the module serves the test models in `models/`; every response of its API is checked against
openapi.yaml (raw HTTP through `validating_client`, replicate_ext through validating transports).
"""

from __future__ import annotations

import base64
import os
import signal
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import anyio
import httpx
import pytest

import replicate_ext
from replicate_ext import FileOutput, ModelError
from replicate_ext.local import LocalReplicate

from ..local.conftest import TEST_DEFAULTS, validate_response
from ..local.helpers import create, parse_sse, wait_for_status, wait_until
from .support import MODELS, requires_cog

pytestmark = requires_cog

SERVED = {name: str(MODELS / name) for name in ("text", "stream", "files", "parallel", "broken")}


@pytest.fixture(scope="module")
def server() -> Iterator[LocalReplicate]:
    with LocalReplicate({f"cog/{name}": path for name, path in SERVED.items()}, **TEST_DEFAULTS) as running:
        yield running


def test_a_failed_setup_is_reported_at_startup_and_its_predictions_fail_with_its_logs(
    server: LocalReplicate, api: httpx.Client
) -> None:
    assert server.setup_errors == {"cog/broken": "setup() failed: RuntimeError: weights missing"}
    failed = create(api, "cog/broken", {"text": "x"}, Prefer="wait")
    assert failed["status"] == "failed"
    assert failed["error"] == "setup() of this version failed: RuntimeError: weights missing"
    assert failed["logs"] == "loading weights from /nowhere"


def test_the_version_carries_the_schema_cog_build_writes(api: httpx.Client) -> None:
    model = api.get("/models/cog/text").json()
    assert model["description"] == "Repeats text, with the prefix a training taught it."
    version = model["latest_version"]
    assert version["cog_version"] == "0.23.1"
    assert api.get(f"/models/cog/text/versions/{version['id']}").json() == version
    schemas = version["openapi_schema"]["components"]["schemas"]
    assert schemas["Input"] == {
        "title": "Input",
        "type": "object",
        "properties": {
            "text": {"x-order": 0, "title": "Text", "type": "string", "description": "What to repeat",
                     "minLength": 1, "maxLength": 100},
            "times": {"x-order": 1, "title": "Times", "type": "integer", "default": 1,
                      "description": "How many times", "minimum": 1, "maximum": 5},
            "style": {"x-order": 2, "allOf": [{"$ref": "#/components/schemas/style"}], "default": "plain",
                      "description": "How to say it"},
            "mode": {"x-order": 3, "allOf": [{"$ref": "#/components/schemas/mode"}], "default": "ok",
                     "description": "ok, fail (raise) or crash (the worker exits)"},
        },
        "required": ["text"],
    }  # fmt: skip
    assert schemas["style"] == {
        "title": "style", "description": "An enumeration.", "enum": ["plain", "shout"], "type": "string"
    }  # fmt: skip
    assert schemas["Output"] == {"title": "Output", "type": "string"}
    assert schemas["TrainingInput"]["required"] == ["prefix"]
    assert schemas["TrainingOutput"] == {"title": "Output", "type": "string", "format": "uri"}  # as cog build titles it
    paths = version["openapi_schema"]["paths"]
    assert set(paths) == {
        "/", "/health-check", "/predictions", "/predictions/{prediction_id}/cancel", "/trainings",
        "/trainings/{training_id}/cancel",
    }  # fmt: skip
    stream = api.get("/models/cog/stream").json()["latest_version"]["openapi_schema"]["components"]["schemas"]
    assert stream["Output"] == {
        "title": "Output", "type": "array", "items": {"type": "string"}, "x-cog-array-type": "iterator",
        "x-cog-array-display": "concatenate",
    }  # fmt: skip
    files = api.get("/models/cog/files").json()["latest_version"]["openapi_schema"]["components"]["schemas"]
    assert files["Input"]["properties"]["document"] == {
        "x-order": 0, "title": "Document", "type": "string", "format": "uri", "description": "A text file"
    }  # fmt: skip
    assert files["Output"] == {"title": "Output", "type": "string", "format": "uri"}


@pytest.mark.parametrize(
    ("model", "inputs", "detail"),
    [
        ("cog/text", {}, "input.text: Field required"),
        ("cog/text", {"text": ""}, "input.text fails constraint len() >= 1"),
        ("cog/text", {"text": "hi", "times": 9}, "input.times fails constraint <= 5"),
        ("cog/text", {"text": "hi", "times": "2"}, "input.times: expected an integer, got a string."),
        ("cog/text", {"text": "hi", "style": "whisper"}, "input.style does not match choices ['plain', 'shout']"),
        ("cog/stream", {"words": "a", "delay": 2}, "input.delay fails constraint <= 1"),
        ("cog/files", {"document": "notes.txt"},
         "input.document: expected a file URL (http, https or data), got 'notes.txt'."),
    ],
)  # fmt: skip
def test_inputs_are_checked_by_cog_and_refused_with_422_naming_the_input(
    api: httpx.Client, model: str, inputs: dict[str, Any], detail: str
) -> None:
    response = api.post(f"/models/{model}/predictions", json={"input": inputs})
    assert response.status_code == 422
    assert response.json()["detail"] == detail


def test_text_in_and_out_with_logs_and_metrics(client: replicate_ext.Client) -> None:
    assert client.run("cog/text", input={"text": "hi", "times": 2, "style": "shout"}) == "HI HI"
    prediction = client.predictions.create(model="cog/text", input={"text": "hey", "unknown": 1})
    prediction.wait()
    assert prediction.status == "succeeded" and prediction.output == "hey"
    assert prediction.logs is not None
    assert prediction.logs.splitlines() == ["repeating 'hey' 1 times", "a warning from logging"]
    assert prediction.metrics is not None and 0 < prediction.metrics["predict_time"] < 5


@pytest.mark.anyio
async def test_text_in_and_out_async(aclient: replicate_ext.Client) -> None:
    assert await aclient.async_run("cog/text", input={"text": "ho", "times": 3}) == "ho ho ho"
    with pytest.raises(ModelError) as caught:
        await aclient.async_run("cog/text", input={"text": "x", "mode": "fail"})
    assert caught.value.prediction.error == "ValueError: asked to fail"


def test_a_failing_predict_fails_the_prediction_with_its_error_and_logs(
    client: replicate_ext.Client, api: httpx.Client
) -> None:
    with pytest.raises(ModelError) as caught:
        client.run("cog/text", input={"text": "x", "mode": "fail"})
    prediction = caught.value.prediction
    assert prediction.status == "failed"
    assert prediction.error == "ValueError: asked to fail"
    assert prediction.logs is not None and "repeating 'x' 1 times" in prediction.logs
    body = api.get(f"/predictions/{prediction.id}").json()
    assert body["error"] == "ValueError: asked to fail" and body["metrics"]["predict_time"] > 0


def test_an_iterator_streams_its_items_as_output_events(client: replicate_ext.Client, api: httpx.Client) -> None:
    events = list(client.stream("cog/stream", input={"words": "one two three"}))
    assert "".join(str(event) for event in events) == "one two three "
    assert events[-1].event == "done"
    assert "".join(client.run("cog/stream", input={"words": "four five"})) == "four five "
    created = create(api, "cog/stream", {"words": "six seven"})
    assert created["output"] == [] and created["urls"]["stream"].startswith("http")
    sse = parse_sse(httpx.get(created["urls"]["stream"], headers={"Accept": "text/event-stream"}, timeout=30).text)
    assert [e["data"] for e in sse if e["event"] == "output"] == ["six ", "seven "]
    assert [e["data"] for e in sse if e["event"] == "logs"] == ["word six", "word seven"]
    assert sse[-1]["event"] == "done"
    assert wait_for_status(api, f"/predictions/{created['id']}")["output"] == ["six ", "seven "]


@pytest.mark.anyio
async def test_an_iterator_streams_async(aclient: replicate_ext.Client) -> None:
    events = [event async for event in aclient.async_stream("cog/stream", input={"words": "a b c d"})]
    assert "".join(str(event) for event in events) == "a b c d "


@pytest.mark.anyio
async def test_raw_http_async_create_wait_stream_and_cancel(server: LocalReplicate) -> None:
    async def check(response: httpx.Response) -> None:
        if str(response.request.url).startswith(server.url + "/v1/"):
            await response.aread()
            validate_response(response)

    headers = {"Authorization": f"Bearer {server.token}"}
    async with httpx.AsyncClient(base_url=server.url + "/v1", headers=headers, timeout=30,
                                 event_hooks={"response": [check]}) as http:  # fmt: skip
        done = await http.post(
            "/models/cog/text/predictions", json={"input": {"text": "a"}}, headers={"Prefer": "wait"}
        )
        assert done.status_code == 201 and done.json()["output"] == "a"
        created = (await http.post("/models/cog/stream/predictions", json={"input": {"words": "x y"}})).json()
        async with http.stream("GET", created["urls"]["stream"], headers={"Accept": "text/event-stream"}) as events:
            text = "".join([chunk async for chunk in events.aiter_text()])
        assert [e["data"] for e in parse_sse(text) if e["event"] == "output"] == ["x ", "y "]
        slow = await http.post("/models/cog/stream/predictions", json={"input": {"words": "z " * 40, "delay": 0.1}})
        canceled = await http.post(f"/predictions/{slow.json()['id']}/cancel")
        assert canceled.json()["status"] in ("starting", "processing", "canceled")
        body = await http.get(f"/predictions/{slow.json()['id']}")
        while body.json()["status"] not in ("canceled", "succeeded", "failed"):
            await anyio.sleep(0.05)
            body = await http.get(f"/predictions/{slow.json()['id']}")
        assert body.json()["status"] == "canceled"


def test_a_running_prediction_is_canceled(client: replicate_ext.Client, api: httpx.Client) -> None:
    prediction = client.predictions.create(model="cog/stream", input={"words": "w " * 40, "delay": 0.1})
    wait_until(lambda: api.get(f"/predictions/{prediction.id}").json()["output"])
    started = time.monotonic()
    prediction.cancel()
    body = wait_for_status(api, f"/predictions/{prediction.id}")
    assert body["status"] == "canceled"
    assert time.monotonic() - started < 5
    assert 1 <= len(body["output"]) < 40
    assert body["logs"].startswith("word w")


def test_a_waiting_prediction_is_canceled_before_it_runs(api: httpx.Client) -> None:
    slow = [create(api, "cog/parallel", {"label": str(n), "seconds": 1}) for n in range(2)]
    waiting = create(api, "cog/parallel", {"label": "never", "seconds": 0})
    canceled = api.post(f"/predictions/{waiting['id']}/cancel").json()
    assert canceled["status"] == "canceled" and canceled["started_at"] is None and canceled["output"] is None
    for prediction in slow:
        assert wait_for_status(api, f"/predictions/{prediction['id']}")["status"] == "succeeded"


def test_file_inputs_and_outputs(client: replicate_ext.Client, api: httpx.Client, tmp_path: Any) -> None:
    notes = tmp_path / "notes.txt"
    notes.write_text("hello file")
    output = client.run("cog/files", input={"document": notes, "suffix": "?"})  # sent as a data URI
    assert isinstance(output, FileOutput)
    assert output.read() == b"HELLO FILE?"
    assert output.filename == "shouted.txt"
    uploaded = client.files.create(notes)  # a file of this server, by its API URL
    from_upload = client.run("cog/files", input={"document": uploaded.urls["get"]})
    assert from_upload.read() == b"HELLO FILE!"
    from_output = client.run("cog/files", input={"document": output.url})  # a delivery URL of this server
    assert from_output.read() == b"HELLO FILE?!"
    data_uri = "data:text/plain;base64," + base64.b64encode(b"inline").decode()
    body = create(api, "cog/files", {"document": data_uri}, Prefer="wait")
    assert body["logs"] == "read 6 characters" and body["output"].startswith("http")


def test_concurrency_max_from_cog_yaml_runs_two_at_a_time(api: httpx.Client) -> None:
    api.get("/models/cog/parallel")  # the first response checked loads openapi.yaml: not between the creates
    created = [create(api, "cog/parallel", {"label": str(n), "seconds": 1.0}) for n in range(3)]
    done = [wait_for_status(api, f"/predictions/{p['id']}") for p in created]
    assert [d["output"] for d in done] == ["0", "1", "2"]
    first, second, third = ((d["started_at"], d["completed_at"]) for d in done)
    assert second[0] < first[1] and first[0] < second[1]  # the first two overlap
    assert third[0] >= min(first[1], second[1])  # the third waited for a slot


def test_a_worker_that_dies_fails_its_prediction_and_the_next_one_runs(api: httpx.Client) -> None:
    crashed = create(api, "cog/text", {"text": "x", "mode": "crash"}, Prefer="wait")
    assert crashed["status"] == "failed"
    assert crashed["error"].startswith("The model's worker process died while running this prediction")
    after = create(api, "cog/text", {"text": "again"}, Prefer="wait")
    assert after["status"] == "succeeded" and after["output"] == "again"


def _coglet_of(version_id: str) -> int:
    """The pid of the coglet serving a version: the process running `cog.server.http` in the version's folder."""
    for entry in Path("/proc").iterdir():
        try:
            if entry.name.isdigit() and b"cog.server.http" in (entry / "cmdline").read_bytes():
                if (entry / "cwd").resolve().name == version_id[:24]:
                    return int(entry.name)
        except OSError:
            continue
    raise AssertionError(f"no coglet runs version {version_id}")


@pytest.mark.skipif(not Path("/proc/self/cwd").exists(), reason="finding Cog's server process needs /proc")
def test_when_cogs_server_dies_its_prediction_fails_and_the_next_one_starts_a_new_one(api: httpx.Client) -> None:
    version = api.get("/models/cog/stream").json()["latest_version"]["id"]
    running = create(api, "cog/stream", {"words": "w " * 40, "delay": 0.1})
    wait_until(lambda: api.get(f"/predictions/{running['id']}").json()["output"])
    os.killpg(_coglet_of(version), signal.SIGKILL)
    failed = wait_for_status(api, f"/predictions/{running['id']}")
    assert failed["status"] == "failed"
    assert failed["error"].startswith("Cog's server for ") and "stopped (exit status -9)" in failed["error"]
    after = create(api, "cog/stream", {"words": "back again"}, Prefer="wait")
    assert after["status"] == "succeeded" and after["output"] == ["back ", "again "]
