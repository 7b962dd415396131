"""Server-sent events (`_stream.StreamState`): any frames, and any bytes read by httpx-sse, are handled.

Only an `error` event raises, and only `StreamError`; an id is handed on once; unknown event types are skipped;
`done` ends the stream; the reconnection delay stays a finite, non-negative number of seconds.
"""

from __future__ import annotations

import math
from collections.abc import Iterator

import httpx
import httpx_sse
from hypothesis import example, given
from hypothesis import strategies as st

from replicate_ext import FileOutput, StreamError
from replicate_ext._stream import MAX_RETRY_SECONDS, ServerSentEvent, StreamState

EVENT_NAMES = ["output", "logs", "error", "done", "message", "", "OUTPUT", "start", "error "]
DATA = ['{"detail": "boom"}', '{"reason": "canceled"}', "{}", "[]", "1", "null", "https://x/y.png", "[" * 5000]
retries = st.one_of(st.none(), st.integers(), st.sampled_from([10**400, -(10**400), 2**63]))
frames = st.builds(
    httpx_sse.ServerSentEvent,
    event=st.one_of(st.sampled_from(EVENT_NAMES), st.text(max_size=8)),
    data=st.one_of(st.sampled_from(DATA), st.text(max_size=30)),
    id=st.one_of(st.sampled_from(["", "1", "2", "3"]), st.text(max_size=4)),
    retry=retries,
)


class Expectation:
    """What `StreamState.feed` should do, worked out independently of it."""

    def __init__(self) -> None:
        self.seen: set[str] = set()

    def outcome(self, sse: httpx_sse.ServerSentEvent) -> str:
        if sse.id:
            if sse.id in self.seen:
                return "skip"
            self.seen.add(sse.id)
        name = sse.event or "message"
        if name in ("error", "done"):
            return name
        return "event" if name in ("output", "logs") else "skip"


def check_feed(state: StreamState, sse: httpx_sse.ServerSentEvent, expected: str) -> ServerSentEvent | None:
    try:
        event = state.feed(sse)
    except StreamError as exc:
        assert expected == "error", f"StreamError for a {sse.event!r} event"
        assert exc.prediction_id == state.prediction_id and isinstance(exc.detail, str)
        return None
    assert expected != "error", "an error event did not raise"
    assert math.isfinite(state.retry_seconds) and 0 <= state.retry_seconds <= MAX_RETRY_SECONDS
    if expected == "skip":
        assert event is None
    else:
        assert event is not None and event.event == (sse.event or "message") and event.id == sse.id
        if expected == "done":
            assert state.done and (state.reason is None or isinstance(state.reason, str))
    return event


@given(st.lists(frames, max_size=12), st.booleans())
@example([httpx_sse.ServerSentEvent(event="output", data="x", retry=10**400)], False)  # too large for a float
@example([httpx_sse.ServerSentEvent(event="error", data="[" * 5000)], False)  # too deep for json
@example([httpx_sse.ServerSentEvent(event="done", data="[" * 5000)], False)
@example([httpx_sse.ServerSentEvent(event="output", data="data:,x")], True)
def test_any_frames_are_handled_and_only_error_events_raise(
    frames: list[httpx_sse.ServerSentEvent], files: bool
) -> None:
    state = StreamState("p1", use_file_output=files)
    expectation = Expectation()
    for sse in frames:
        event = check_feed(state, sse, expectation.outcome(sse))
        if event is not None and files and event.event == "output" and sse.data.startswith(("https://", "data:")):
            assert isinstance(event.data, FileOutput)
        if state.done:
            break
    if state.last_event_id:
        assert state.headers()["Last-Event-ID"] == state.last_event_id


@given(st.lists(st.sampled_from(["1", "2", "3", "a", "b"]), max_size=20))
def test_each_id_is_handed_on_once(ids: list[str]) -> None:
    state = StreamState("p1")
    handed = [event.id for i in ids if (event := state.feed(httpx_sse.ServerSentEvent("output", i, i))) is not None]
    assert handed == list(dict.fromkeys(ids))
    assert state.last_event_id == (handed[-1] if handed else "")


# Raw event-stream bytes: pieces of valid frames, line endings of every kind, invalid UTF-8, and noise.
RAW_PIECES = [
    b"event: output\n", b"event: logs\n", b"event: error\n", b"event: done\n", b"event: other\n", b"event:\n",
    b"data: hello\n", b"data:\n", b'data: {"detail": "x"}\n', b'data: {"reason": "canceled"}\n', b"data: [[[[[\n",
    b"id: 1\n", b"id: 2\n", b"id: a\x00b\n", b"id\n", b"retry: 10\n", b"retry: -5\n", b"retry: 1_000\n",
    b"retry: " + b"9" * 400 + b"\n", b"retry: x\n", b": comment\n", b"\n", b"\r\n", b"\r", b"\xff\xfe", b"\xe2\x82",
    b"\xef\xbb\xbf", b"data: \xc3\xa9\n",
]  # fmt: skip
raw_streams = st.lists(st.one_of(st.sampled_from(RAW_PIECES), st.binary(max_size=12)), max_size=40).map(b"".join)


class Chunks(httpx.SyncByteStream):
    def __init__(self, data: bytes, size: int) -> None:
        self.data = data
        self.size = size

    def __iter__(self) -> Iterator[bytes]:
        for start in range(0, len(self.data), self.size):
            yield self.data[start : start + self.size]


@given(raw_streams, st.integers(1, 64), st.booleans())
@example(b"event: output\nretry: " + b"9" * 400 + b"\ndata: x\n\n", 7, False)
@example(b"event: error\ndata: " + b"[" * 5000 + b"\n\n", 3, False)
@example(b"data: a\r\rdata: b\r\n\r\nevent: done\ndata: {}\n\n", 1, False)
def test_any_bytes_read_by_httpx_sse_are_handled(raw: bytes, chunk: int, files: bool) -> None:
    response = httpx.Response(200, headers={"content-type": "text/event-stream"}, stream=Chunks(raw, chunk))
    state = StreamState("p1", use_file_output=files)
    expectation = Expectation()
    for sse in httpx_sse.EventSource(response).iter_sse():
        check_feed(state, sse, expectation.outcome(sse))
        if state.done:
            break


@given(raw_streams, st.integers(1, 64))
def test_chunking_does_not_change_what_is_handed_on(raw: bytes, chunk: int) -> None:
    def handed(size: int) -> list[tuple[str, str, str]]:
        response = httpx.Response(200, headers={"content-type": "text/event-stream"}, stream=Chunks(raw, size))
        state = StreamState("p1")
        events: list[tuple[str, str, str]] = []
        try:
            for sse in httpx_sse.EventSource(response).iter_sse():
                event = state.feed(sse)
                if event is not None:
                    events.append((event.event, event.data, event.id))
                if state.done:
                    break
        except StreamError as exc:
            events.append(("raised", exc.detail, ""))
        return events

    assert handed(chunk) == handed(max(len(raw), 1))
