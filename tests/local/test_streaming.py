"""Server-Sent Events on the delivery origin: Replicate's event format, order, resume, errors, drops."""

from __future__ import annotations

import json

import httpx
import pytest

from replicate_ext.local import ConcatenateIterator, LocalReplicate

from .helpers import create, parse_sse, wait_for_status


def read_stream(url: str, last_event_id: str | None = None) -> list[dict[str, str]]:
    headers = {"Accept": "text/event-stream", "Cache-Control": "no-store"}
    if last_event_id is not None:
        headers["Last-Event-ID"] = last_event_id
    with httpx.Client(timeout=30) as client:
        response = client.get(url, headers=headers)
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/event-stream")
    return parse_sse(response.text)


def test_the_stream_sends_output_and_logs_events_in_order_then_done(api: httpx.Client) -> None:
    created = create(api, "demo/stream-text", {"prompt": "one two", "max_tokens": 5, "delay": 0.01})
    events = read_stream(created["urls"]["stream"])
    assert [e["event"] for e in events] == ["logs", "output", "output", "output", "output", "output", "logs", "done"]
    assert [int(e["id"]) for e in events] == list(range(1, 9))
    assert "".join(e["data"] for e in events if e["event"] == "output") == "one two — This text"
    assert events[0]["data"] == "Generating up to 5 tokens"
    assert json.loads(events[-1]["data"]) == {}
    done = api.get(f"/predictions/{created['id']}").json()
    assert "".join(done["output"]) == "one two — This text"


def test_a_stream_resumes_after_the_last_event_id(api: httpx.Client) -> None:
    created = create(api, "demo/stream-text", {"prompt": "a b c", "max_tokens": 6, "delay": 0}, prefer="wait")
    everything = read_stream(created["urls"]["stream"])
    resumed = read_stream(created["urls"]["stream"], last_event_id="4")
    assert resumed == everything[4:]
    assert read_stream(created["urls"]["stream"], last_event_id="999")[-1:] == []


def test_a_stream_opened_early_receives_events_live(api: httpx.Client) -> None:
    created = create(api, "demo/stream-text", {"prompt": "live", "max_tokens": 20, "delay": 0.02})
    seen = []
    with httpx.stream("GET", created["urls"]["stream"], headers={"Accept": "text/event-stream"}, timeout=30) as r:
        for line in r.iter_lines():
            if line.startswith("event: "):
                seen.append(line[7:])
    assert seen[-1] == "done" and seen.count("output") == 20


def broken_stream(n: int = 3) -> ConcatenateIterator[str]:
    """Streams n tokens, then fails."""
    for i in range(n):
        yield f"t{i} "
    raise ValueError("the stream broke")


@pytest.mark.replicate_local(models={"test/broken": broken_stream})
def test_a_failure_ends_the_stream_with_an_error_and_done_reason_error(api: httpx.Client) -> None:
    created = create(api, "test/broken", {"n": 2}, prefer="wait")
    assert created["status"] == "failed" and created["output"] == ["t0 ", "t1 "]
    events = read_stream(created["urls"]["stream"])
    assert [e["event"] for e in events] == ["output", "output", "error", "done"]
    assert json.loads(events[2]["data"]) == {"detail": "the stream broke"}
    assert json.loads(events[3]["data"]) == {"reason": "error"}


def test_canceling_ends_the_stream_with_done_reason_canceled(api: httpx.Client) -> None:
    created = create(api, "demo/stream-text", {"max_tokens": 1000, "delay": 0.05})
    wait_for_status(api, f"/predictions/{created['id']}", {"processing"})
    api.post(f"/predictions/{created['id']}/cancel")
    events = read_stream(created["urls"]["stream"])
    assert json.loads(events[-1]["data"]) == {"reason": "canceled"}
    assert events[-1]["event"] == "done"


def test_models_whose_output_does_not_stream_have_no_stream_url(api: httpx.Client) -> None:
    created = create(api, "demo/sleep", {"seconds": 0}, prefer="wait")
    assert "stream" not in created["urls"]


def test_unknown_streams_are_404_problems(server: LocalReplicate, delivery: httpx.Client) -> None:
    response = delivery.get(f"{server.delivery_url}/v1/streams/nothing")
    assert response.status_code == 404
    assert response.headers["content-type"].startswith("application/problem+json")


@pytest.mark.replicate_local(faults={"stream_drop_rate": 0.5, "seed": 3})
def test_a_dropped_stream_can_be_resumed_with_last_event_id_until_done(
    server: LocalReplicate, api: httpx.Client
) -> None:
    created = create(api, "demo/stream-text", {"prompt": "x", "max_tokens": 30, "delay": 0}, prefer="wait")
    collected: list[dict[str, str]] = []
    drops = 0
    for _ in range(200):
        last = collected[-1]["id"] if collected else None
        headers = {"Accept": "text/event-stream"}
        if last:
            headers["Last-Event-ID"] = last
        try:
            with httpx.stream("GET", created["urls"]["stream"], headers=headers, timeout=30) as response:
                block: list[str] = []
                for line in response.iter_lines():  # keep each event as soon as its blank line arrives
                    if line:
                        block.append(line)
                    elif block:
                        collected += parse_sse("\n".join(block) + "\n\n")
                        block = []
        except (httpx.RemoteProtocolError, httpx.ReadError):
            drops += 1
        if collected and collected[-1]["event"] == "done":
            break
    assert drops > 0
    assert server.stats()["faults"]["stream_drops"] == drops
    assert [int(e["id"]) for e in collected] == list(range(1, len(collected) + 1))
    assert "".join(e["data"] for e in collected if e["event"] == "output") == "".join(
        api.get(f"/predictions/{created['id']}").json()["output"]
    )
