"""Predictions end to end over HTTP: lifecycle, Prefer: wait, cancel, Cancel-After, validation, listing."""

from __future__ import annotations

import base64
import threading
import time
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest

from replicate_ext.local import BasePredictor, LocalReplicate

from .conftest import validating_client
from .helpers import create, wait_for_status, wait_until

FRACTAL_VERSION_KEYS = {"id", "created_at", "cog_version", "openapi_schema"}


def test_a_prediction_goes_from_starting_to_succeeded_with_logs_metrics_and_urls(
    server: LocalReplicate, api: httpx.Client
) -> None:
    created = create(api, "demo/sleep", {"seconds": 0.3})
    assert created["status"] in ("starting", "processing")
    assert len(created["id"]) == 26 and created["id"].isalnum() and created["id"].islower()
    assert created["urls"]["get"] == f"{server.url}/v1/predictions/{created['id']}"
    assert created["urls"]["cancel"] == f"{server.url}/v1/predictions/{created['id']}/cancel"
    assert created["urls"]["web"].startswith(server.url + "/")
    assert created["model"] == "demo/sleep" and len(created["version"]) == 64
    done = wait_for_status(api, f"/predictions/{created['id']}")
    assert done["status"] == "succeeded"
    assert done["output"] == 0.3
    assert done["error"] is None
    assert done["logs"].splitlines()[0] == "Sleeping for 0.3 seconds"
    assert done["logs"].splitlines()[-1].startswith("100%|██████████| 5/5 [")
    assert done["metrics"]["predict_time"] > 0 and done["metrics"]["total_time"] >= done["metrics"]["predict_time"]
    created_at, started_at, completed_at = (
        datetime.fromisoformat(done[k].replace("Z", "+00:00")) for k in ("created_at", "started_at", "completed_at")
    )
    assert created_at <= started_at <= completed_at


def test_the_processing_status_shows_the_logs_so_far(api: httpx.Client) -> None:
    created = create(api, "demo/sleep", {"seconds": 5})
    wait_for_status(api, f"/predictions/{created['id']}", {"processing"})
    running = wait_until(lambda: (body := api.get(f"/predictions/{created['id']}").json())["logs"] and body)
    assert running["status"] == "processing"
    assert running["started_at"] is not None and running["completed_at"] is None
    assert running["logs"].startswith("Sleeping for 5 seconds")
    api.post(f"/predictions/{created['id']}/cancel")


def test_create_by_version_accepts_the_id_and_owner_name_colon_id(api: httpx.Client) -> None:
    version = api.get("/models/demo/sleep").json()["latest_version"]["id"]
    for reference in (version, f"demo/sleep:{version}"):
        response = api.post(
            "/predictions", json={"version": reference, "input": {"seconds": 0}}, headers={"Prefer": "wait"}
        )
        assert response.status_code == 201
        assert response.json()["status"] == "succeeded"
        assert response.json()["version"] == version


def test_prefer_wait_returns_the_finished_prediction(api: httpx.Client) -> None:
    created = create(api, "demo/fractal", {"prompt": "wait", "width": 32, "height": 32}, prefer="wait=30")
    assert created["status"] == "succeeded"
    assert created["output"].endswith("/fractal.png")
    assert "100%|██████████| 10/10" in created["logs"]


def test_prefer_wait_gives_up_after_n_seconds_and_returns_the_current_state(api: httpx.Client) -> None:
    started = time.monotonic()
    created = create(api, "demo/sleep", {"seconds": 30}, prefer="wait=1")
    assert time.monotonic() - started >= 1.0
    assert created["status"] in ("starting", "processing")
    api.post(f"/predictions/{created['id']}/cancel")


@pytest.mark.parametrize("value", ["wait=0", "wait=61", "wait=600", "respond-async", "wait=abc", ""])
def test_a_prefer_header_outside_wait_1_to_60_is_a_400_problem(api: httpx.Client, value: str) -> None:
    response = api.post("/models/demo/sleep/predictions", json={"input": {"seconds": 0}}, headers={"Prefer": value})
    assert response.status_code == 400
    assert "Prefer" in response.json()["detail"]


def test_cancel_stops_a_running_async_predictor(api: httpx.Client) -> None:
    created = create(api, "demo/sleep", {"seconds": 60})
    wait_for_status(api, f"/predictions/{created['id']}", {"processing"})
    canceled = api.post(f"/predictions/{created['id']}/cancel")
    assert canceled.status_code == 200
    assert canceled.json()["status"] == "canceled"
    assert canceled.json()["completed_at"] is not None
    assert canceled.json()["logs"].startswith("Sleeping for 60 seconds")


def busy_loop(steps: int = 10_000_000) -> str:
    """A sync predictor that runs Python code (so a cancellation can interrupt it)."""
    print("spinning")
    total = 0
    for i in range(steps):
        total += i
    return str(total)


@pytest.mark.replicate_local(models={"test/busy": busy_loop})
def test_cancel_interrupts_a_running_sync_predictor_in_its_thread(api: httpx.Client) -> None:
    created = create(api, "test/busy", {"steps": 10**12})
    wait_for_status(api, f"/predictions/{created['id']}", {"processing"})
    canceled = api.post(f"/predictions/{created['id']}/cancel").json()
    done = wait_for_status(api, f"/predictions/{created['id']}")
    assert done["status"] == "canceled", canceled
    assert done["logs"] == "spinning"


def test_cancel_before_start_cancels_a_queued_prediction() -> None:
    with (
        LocalReplicate(workers=1) as server,
        validating_client(server) as api,
    ):
        first = create(api, "demo/sleep", {"seconds": 60})
        second = create(api, "demo/sleep", {"seconds": 60})
        wait_for_status(api, f"/predictions/{first['id']}", {"processing"})
        assert api.get(f"/predictions/{second['id']}").json()["status"] == "starting"
        canceled = api.post(f"/predictions/{second['id']}/cancel").json()
        assert canceled["status"] == "canceled"
        assert canceled["started_at"] is None
        api.post(f"/predictions/{first['id']}/cancel")


def test_predictions_beyond_the_worker_limit_wait_in_starting() -> None:
    with (
        LocalReplicate(workers=2) as server,
        validating_client(server) as api,
    ):
        jobs = [create(api, "demo/sleep", {"seconds": 60}) for _ in range(3)]
        wait_for_status(api, f"/predictions/{jobs[1]['id']}", {"processing"})
        wait_for_status(api, f"/predictions/{jobs[0]['id']}", {"processing"})
        assert api.get(f"/predictions/{jobs[2]['id']}").json()["status"] == "starting"
        api.post(f"/predictions/{jobs[0]['id']}/cancel")
        wait_for_status(api, f"/predictions/{jobs[2]['id']}", {"processing"})
        for job in jobs:
            api.post(f"/predictions/{job['id']}/cancel")


def test_cancel_after_cancels_a_prediction_that_runs_too_long_and_sets_the_deadline(api: httpx.Client) -> None:
    created = create(api, "demo/sleep", {"seconds": 60}, cancel_after="300ms")
    assert created["deadline"] is not None
    deadline = datetime.fromisoformat(created["deadline"].replace("Z", "+00:00"))
    created_at = datetime.fromisoformat(created["created_at"].replace("Z", "+00:00"))
    assert deadline - created_at == pytest.approx(timedelta(milliseconds=300), abs=timedelta(milliseconds=1))
    done = wait_for_status(api, f"/predictions/{created['id']}")
    assert done["status"] == "canceled"


def test_cancel_after_does_not_touch_a_prediction_that_finishes_in_time(api: httpx.Client) -> None:
    created = create(api, "demo/sleep", {"seconds": 0}, cancel_after="30s", prefer="wait")
    assert created["status"] == "succeeded"


@pytest.mark.parametrize("value", ["0.1", "abc", "5x", "-3s"])
def test_a_bad_or_too_short_cancel_after_is_a_400_problem(api: httpx.Client, value: str) -> None:
    response = api.post(
        "/models/demo/sleep/predictions", json={"input": {"seconds": 0}}, headers={"Cancel-After": value}
    )
    assert response.status_code == 400
    assert "Cancel-After" in response.json()["detail"]


@pytest.mark.replicate_local(min_cancel_after=5.0)
def test_the_default_minimum_cancel_after_is_five_seconds(api: httpx.Client) -> None:
    response = api.post("/models/demo/sleep/predictions", json={"input": {}}, headers={"Cancel-After": "4s"})
    assert response.status_code == 400
    ok = api.post("/models/demo/sleep/predictions", json={"input": {"seconds": 0}}, headers={"Cancel-After": "1m"})
    assert ok.status_code == 201


def test_a_failing_predictor_fails_the_prediction_with_its_message_and_keeps_its_logs(api: httpx.Client) -> None:
    created = create(api, "demo/fail", {"message": "the reactor melted"}, prefer="wait")
    assert created["status"] == "failed"
    assert created["error"] == "the reactor melted"
    assert created["logs"] == "About to fail, as asked"
    assert created["output"] is None


@pytest.mark.parametrize(
    ("inputs", "field"),
    [
        ({"width": "wide"}, "width"),
        ({"width": 2000}, "width"),
        ({"width": 8}, "width"),
        ({"width": 1.5}, "width"),
        ({"seed": True}, "seed"),
        ({"prompt": 3}, "prompt"),
    ],
)
def test_invalid_inputs_are_a_422_problem_naming_the_field(
    api: httpx.Client, inputs: dict[str, Any], field: str
) -> None:
    response = api.post("/models/demo/fractal/predictions", json={"input": inputs})
    assert response.status_code == 422
    assert field in response.json()["detail"]


def test_a_missing_required_input_is_a_422_problem() -> None:
    def echo(text: str) -> str:
        return text

    with (
        LocalReplicate({"test/echo": echo}, demo_models=False) as server,
        validating_client(server) as api,
    ):
        response = api.post("/models/test/echo/predictions", json={"input": {}})
        assert response.status_code == 422
        assert "text" in response.json()["detail"]
        ok = api.post("/models/test/echo/predictions", json={"input": {"text": "hi"}}, headers={"Prefer": "wait"})
        assert ok.json()["output"] == "hi"


def test_an_input_the_model_does_not_have_is_refused_by_name(api: httpx.Client) -> None:
    response = api.post("/models/demo/sleep/predictions", json={"input": {"seconds": 0, "colour": "red"}})
    assert response.status_code == 422
    assert "colour" in response.json()["detail"] and "seconds" in response.json()["detail"]


@pytest.mark.parametrize(
    ("body", "status"),
    [
        (b"{not json", 400),
        (b"", 400),
        (b"[1, 2]", 422),
        (b'{"input": {}, "extra": 1}', 422),
        (b'{"version": "x"}', 422),
        (b'{"input": "text"}', 422),
        (b'{"input": {}, "webhook": "ftp://x"}', 422),
        (b'{"input": {}, "webhook_events_filter": ["everything"]}', 422),
        (b'{"input": {}, "stream": "yes"}', 422),
    ],
)
def test_bad_request_bodies_get_a_4xx_problem(api: httpx.Client, body: bytes, status: int) -> None:
    response = api.post("/models/demo/sleep/predictions", content=body, headers={"content-type": "application/json"})
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/problem+json")


def test_unknown_models_versions_and_predictions_are_4xx_problems(api: httpx.Client) -> None:
    assert api.post("/models/nobody/nothing/predictions", json={"input": {}}).status_code == 404
    response = api.post("/predictions", json={"version": "0" * 64, "input": {}})
    assert response.status_code == 422
    assert "version" in response.json()["detail"]
    assert api.get("/predictions/doesnotexist").status_code == 404
    assert api.post("/predictions/doesnotexist/cancel").status_code == 404


def test_a_model_without_versions_cannot_run(api: httpx.Client) -> None:
    api.post("/models", json={"owner": "local", "name": "empty", "visibility": "private", "hardware": "cpu"})
    response = api.post("/models/local/empty/predictions", json={"input": {}})
    assert response.status_code == 422


@pytest.mark.replicate_local(page_size=100)
def test_listing_paginates_over_250_predictions_newest_first_with_filters(
    server: LocalReplicate, api: httpx.Client
) -> None:
    ids = [create(api, "demo/sleep", {"seconds": 0})["id"] for _ in range(255)]
    seen: list[str] = []
    url: str | None = "/predictions"
    pages = 0
    first_page: dict[str, Any] | None = None
    while url:
        page = api.get(url).json()
        first_page = first_page or page
        pages += 1
        seen += [p["id"] for p in page["results"]]
        url = page["next"]
        if url:
            assert url.startswith(server.url + "/v1/predictions?")
    assert pages == 3
    assert seen == list(reversed(ids))
    # previous goes back
    second = api.get(first_page["next"] if first_page else "").json()
    assert second["previous"] is not None
    assert [p["id"] for p in api.get(second["previous"]).json()["results"]] == list(reversed(ids))[:100]
    # created_after / created_before are kept in the next link
    times = {p["id"]: p["created_at"] for p in api.get("/predictions").json()["results"]}
    middle = times[ids[-50]]
    after = api.get("/predictions", params={"created_after": middle}).json()
    assert [p["id"] for p in after["results"]] == list(reversed(ids[-49:]))
    before = api.get("/predictions", params={"created_before": middle}).json()
    assert before["results"][0]["id"] == ids[-51]
    assert "created_before=" in before["next"]
    collected = [p["id"] for p in before["results"]]
    link = before["next"]
    while link:
        page = api.get(link).json()
        collected += [p["id"] for p in page["results"]]
        link = page["next"]
    assert collected == list(reversed(ids[:-50]))


def test_listing_rejects_bad_timestamps_and_cursors(api: httpx.Client) -> None:
    assert api.get("/predictions", params={"created_after": "yesterday"}).status_code == 400
    assert api.get("/predictions", params={"cursor": "!!"}).status_code == 400
    assert api.get("/predictions", params={"source": "web"}).json()["results"] == []


def test_sync_generator_outputs_stream_into_the_output_list(api: httpx.Client) -> None:
    created = create(api, "demo/stream-text", {"prompt": "a b", "max_tokens": 4, "delay": 0}, prefer="wait")
    assert created["output"] == ["a", " b", " —", " This"]
    assert created["urls"]["stream"].endswith(f"/v1/streams/{created['id']}")


def test_file_outputs_are_urls_on_the_delivery_origin_and_keep_their_name(
    server: LocalReplicate, api: httpx.Client, delivery: httpx.Client
) -> None:
    created = create(api, "demo/fractal", {"width": 20, "height": 16}, prefer="wait")
    url = created["output"]
    assert url.startswith(server.delivery_url + "/pbxt/") and url.endswith("/fractal.png")
    image = delivery.get(url)
    assert image.status_code == 200
    assert image.headers["content-type"] == "image/png"
    assert image.content.startswith(b"\x89PNG\r\n\x1a\n")
    assert int.from_bytes(image.content[16:20], "big") == 20 and int.from_bytes(image.content[20:24], "big") == 16
    # Deterministic: the same inputs give the same bytes.
    again = create(api, "demo/fractal", {"width": 20, "height": 16}, prefer="wait")
    assert delivery.get(again["output"]).content == image.content
    stats = server.stats()
    assert stats["delivery_requests"] == 2
    assert stats["delivery_requests_with_authorization"] == 0
    delivery.get(url, headers={"Authorization": "Bearer leaked"})
    assert server.stats()["delivery_requests_with_authorization"] == 1
    assert delivery.get(server.delivery_url + "/pbxt/" + "a" * 32 + "/missing.png").status_code == 404


@pytest.mark.replicate_local(data_uri_outputs=100_000)
def test_small_file_outputs_can_be_data_uris(api: httpx.Client) -> None:
    created = create(api, "demo/fractal", {"width": 16, "height": 16}, prefer="wait")
    assert created["output"].startswith("data:image/png;base64,")
    assert base64.b64decode(created["output"].split(",", 1)[1]).startswith(b"\x89PNG")


def describe(image: Path, label: str = "x") -> dict[str, Any]:
    """Reads an input file."""
    data = image.read_bytes()
    return {"name": image.name, "size": len(data), "head": data[:5].decode("latin-1"), "label": label}


@pytest.mark.replicate_local(models={"test/describe": describe})
def test_file_inputs_accept_data_uris_uploads_delivery_urls_and_http_urls(
    server: LocalReplicate, api: httpx.Client, receiver: Any
) -> None:
    schema = api.get("/models/test/describe").json()["latest_version"]["openapi_schema"]
    assert schema["components"]["schemas"]["Input"]["properties"]["image"]["format"] == "uri"
    data_uri = "data:text/plain;base64," + base64.b64encode(b"hello world").decode()
    out = create(api, "test/describe", {"image": data_uri}, prefer="wait")["output"]
    assert out["size"] == 11 and out["head"] == "hello" and out["name"].endswith(".txt")
    upload = api.post("/files", files={"content": ("notes.md", b"# notes", "text/markdown")}).json()
    out = create(api, "test/describe", {"image": upload["urls"]["get"]}, prefer="wait")["output"]
    assert out == {"name": "notes.md", "size": 7, "head": "# not", "label": "x"}
    fractal = create(api, "demo/fractal", {"width": 16, "height": 16}, prefer="wait")["output"]
    out = create(api, "test/describe", {"image": fractal}, prefer="wait")["output"]
    assert out["name"] == "fractal.png" and out["head"].startswith("\x89PNG")
    receiver.files["/remote/data.bin"] = b"\x00\x01remote"
    out = create(api, "test/describe", {"image": receiver.url + "/remote/data.bin"}, prefer="wait")["output"]
    assert out["name"] == "data.bin" and out["size"] == 8
    missing = create(api, "test/describe", {"image": receiver.url + "/remote/missing"}, prefer="wait")
    assert missing["status"] == "failed" and "404" in missing["error"]
    bad = api.post("/models/test/describe/predictions", json={"input": {"image": "/etc/passwd"}})
    assert bad.status_code == 422 and "image" in bad.json()["detail"]
    assert server.stats()["delivery_requests"] == 0  # own URLs are resolved without HTTP


def test_many_concurrent_async_predictions_run_without_threads() -> None:
    # Other servers of the test session may have worker threads of their own: only new ones count.
    before = {t for t in threading.enumerate() if t.name.startswith("replicate-local-worker")}
    with (
        LocalReplicate(workers=200) as server,
        validating_client(server) as api,
    ):
        ids = [create(api, "demo/sleep", {"seconds": 0.5})["id"] for _ in range(200)]
        for prediction_id in ids:
            assert wait_for_status(api, f"/predictions/{prediction_id}")["status"] == "succeeded"
        workers = {t for t in threading.enumerate() if t.name.startswith("replicate-local-worker")} - before
        assert workers == set()
        assert server.stats()["predictions_created"] == 200


def test_stop_leaves_no_threads_running_and_frees_the_port() -> None:
    before = set(threading.enumerate())
    server = LocalReplicate(models={"test/busy": busy_loop}).start()
    with validating_client(server) as api:
        create(api, "test/busy", {"steps": 10**12})
        create(api, "demo/sleep", {"seconds": 60})
        wait_until(lambda: server.stats()["predictions_created"] == 2)
    url = server.url
    server.stop()
    assert set(threading.enumerate()) <= before
    with pytest.raises(httpx.ConnectError):
        httpx.get(url + "/v1/account")


def chatty(steps: int = 3) -> str:
    """Logs through print, stderr, logging and a tqdm-style progress bar."""
    import logging
    import sys

    logger = logging.getLogger("tests.chatty")
    logger.setLevel(logging.INFO)
    print("from print")
    sys.stderr.write("from stderr\n")
    logger.info("from logging at %s", "info")
    for step in range(steps + 1):
        sys.stderr.write(f"\r{step * 100 // steps:3d}%|{'#' * step:<{steps}}| {step}/{steps}")
    sys.stderr.write("\n")
    return "done"


@pytest.mark.replicate_local(models={"test/chatty": chatty})
def test_print_stderr_logging_and_progress_bars_become_the_logs(api: httpx.Client) -> None:
    created = create(api, "test/chatty", {"steps": 2}, prefer="wait")
    assert created["logs"].splitlines() == [
        "from print",
        "from stderr",
        "from logging at info",
        "  0%|  | 0/2",
        " 50%|# | 1/2",
        "100%|##| 2/2",
    ]


class FlakySetup(BasePredictor):
    """Its first setup fails; a later one works and is kept."""

    setups = 0

    def setup(self) -> None:
        type(self).setups += 1
        print(f"setup {type(self).setups}")
        if type(self).setups == 1:
            raise RuntimeError("weights missing")

    def predict(self) -> int:
        return type(self).setups


@pytest.mark.replicate_local(models={"test/flaky": FlakySetup})
def test_setup_runs_once_logs_into_the_prediction_and_is_retried_after_a_failure(api: httpx.Client) -> None:
    first = create(api, "test/flaky", {}, prefer="wait")
    assert first["status"] == "failed" and first["error"] == "Setup failed: weights missing"
    assert first["logs"] == "setup 1"
    second = create(api, "test/flaky", {}, prefer="wait")
    assert second["status"] == "succeeded" and second["output"] == 2 and second["logs"] == "setup 2"
    third = create(api, "test/flaky", {}, prefer="wait")
    assert third["output"] == 2 and third["logs"] == ""


def not_a_number() -> float:
    """Returns NaN, which JSON cannot carry."""
    return float("nan")


def an_object() -> Any:
    """Returns something that is not JSON."""
    return object()


@pytest.mark.replicate_local(models={"test/nan": not_a_number, "test/object": an_object})
def test_outputs_json_cannot_carry_fail_the_prediction_with_a_clear_error(api: httpx.Client) -> None:
    nan = create(api, "test/nan", {}, prefer="wait")
    assert nan["status"] == "failed" and "JSON cannot represent" in nan["error"]
    obj = create(api, "test/object", {}, prefer="wait")
    assert obj["status"] == "failed" and "cannot be sent as JSON" in obj["error"]
