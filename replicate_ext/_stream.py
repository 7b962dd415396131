"""Server-sent events: reading a prediction's `urls.stream`, reconnecting where it left off.

Replicate's stream sends `output` events (text chunks), `logs`, `error` (JSON with `detail`) and `done` (`{}`, or
`{"reason": "canceled"}` / `{"reason": "error"}`). Frames are parsed by httpx-sse, which follows the WHATWG rules
(events without an id, multi-line data, comments, `retry:`). What to do with each event is decided by
`StreamState`, which does no I/O; two small drivers read the stream, sync and async. When the connection drops,
they reconnect with `Last-Event-ID`, so no chunk is lost or repeated.
"""

from __future__ import annotations

import enum
import json
import time
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import httpx

from ._config import within
from ._exceptions import (
    InvalidArgumentError,
    PredictionCanceledError,
    PredictionTimeoutError,
    ReplicateException,
    StreamError,
)

if TYPE_CHECKING:
    import httpx_sse

    from ._client import Client
    from ._predictions import Prediction

__all__ = [
    "EventType",
    "ServerSentEvent",
    "StreamState",
    "astream_prediction",
    "await_stream_end",
    "stream_prediction",
    "wait_for_stream_end",
]

# Give up after this many reconnections in a row that brought no new event.
MAX_RECONNECTS_WITHOUT_PROGRESS = 5
DEFAULT_RETRY_SECONDS = 0.5
# The longest reconnection delay a `retry:` field can set: it is the server's number, and a huge one must neither
# overflow a float nor stall the reader for days.
MAX_RETRY_SECONDS = 60.0


class EventType(enum.StrEnum):
    """The event types Replicate's stream sends."""

    OUTPUT = "output"
    LOGS = "logs"
    ERROR = "error"
    DONE = "done"


@dataclass(frozen=True)
class ServerSentEvent:
    """One event of a prediction's stream. `str(event)` is the text of an `output` event ("" for the others)."""

    event: str
    data: str
    id: str = ""
    retry: int | None = None

    def __str__(self) -> str:
        return self.data if self.event == EventType.OUTPUT else ""

    def json(self) -> Any:
        """The event's data decoded as JSON (for `error` and `done` events)."""
        return json.loads(self.data)


class StreamState:
    """What a stream reader has seen so far, and what each new event means. No I/O."""

    def __init__(self, prediction_id: str, use_file_output: bool = False, client: Client | None = None) -> None:
        self.prediction_id = prediction_id
        self.use_file_output = use_file_output
        self.client = client
        self.last_event_id = ""
        self.retry_seconds = DEFAULT_RETRY_SECONDS
        self.done = False
        self.reason: str | None = None
        self._seen_ids: set[str] = set()

    def headers(self) -> dict[str, str]:
        headers = {"Accept": "text/event-stream", "Cache-Control": "no-store"}
        if self.last_event_id:
            headers["Last-Event-ID"] = self.last_event_id
        return headers

    def feed(self, sse: httpx_sse.ServerSentEvent) -> ServerSentEvent | None:
        """The event to hand to the caller for a received frame, or None to skip it. Raises on `error`."""
        if sse.retry is not None and sse.retry >= 0:
            self.retry_seconds = min(sse.retry, int(MAX_RETRY_SECONDS * 1000)) / 1000.0
        if sse.id:
            if sse.id in self._seen_ids:
                return None  # a server that replays on reconnect: each event once
            self._seen_ids.add(sse.id)
            self.last_event_id = sse.id
        name = sse.event or "message"
        if name == EventType.ERROR:
            raise StreamError(_error_detail(sse.data), self.prediction_id)
        if name == EventType.DONE:
            self.done = True
            try:
                reason = json.loads(sse.data or "{}").get("reason")
            except (ValueError, AttributeError, RecursionError):
                reason = None
            self.reason = reason if isinstance(reason, str) else None
            return ServerSentEvent(name, sse.data, sse.id, sse.retry)
        if name not in (EventType.OUTPUT, EventType.LOGS):
            return None  # unknown event types are for newer clients; not an error
        data: str = sse.data
        if name == EventType.OUTPUT and self.use_file_output:
            from ._files import transform_output

            data = transform_output(data, self.client)
        return ServerSentEvent(name, data, sse.id, sse.retry)


def _error_detail(data: str) -> str:
    try:
        decoded = json.loads(data)
    except (ValueError, RecursionError):  # RecursionError: JSON nested deeper than the decoder goes
        return data or "unknown error"
    if isinstance(decoded, dict) and isinstance(decoded.get("detail"), str):
        return str(decoded["detail"])
    return data


def _stream_url(prediction: Prediction) -> httpx.URL:
    url = prediction.urls.get("stream")
    if not url:
        raise InvalidArgumentError(
            f"Prediction {prediction.id} has no stream URL: its model does not stream output. "
            "Use prediction.wait() and prediction.output instead."
        )
    return httpx.URL(url)


def _request(client: Client, url: httpx.URL, state: StreamState, deadline: float | None) -> httpx.Request:
    requester = client._requester
    headers = state.headers()
    headers["User-Agent"] = requester.headers.get("User-Agent", "")
    if requester.is_api_url(url):  # only the API's own host ever gets the token
        headers["Authorization"] = requester.authorization()
    return httpx.Request("GET", url, headers=headers, extensions={"timeout": within(requester.timeout, deadline)})


def _reconnect(
    state: StreamState,
    prediction: Prediction,
    deadline: float | None,
    failures: int,
    progressed: bool,
    error: Exception,
) -> tuple[int, float]:
    """After a connection that ended before the done event: the count of attempts in a row that brought nothing,
    and the seconds to wait before the next one. Raises when the deadline has passed or attempts keep failing."""
    _check_deadline(prediction, deadline)
    failures = 0 if progressed else failures + 1
    if failures > MAX_RECONNECTS_WITHOUT_PROGRESS:
        raise StreamError(f"the stream kept failing ({error}); gave up reconnecting", prediction.id)
    if deadline is None:
        return failures, state.retry_seconds
    return failures, max(0.0, min(state.retry_seconds, deadline - time.monotonic()))


def _check_deadline(prediction: Prediction, deadline: float | None) -> None:
    if deadline is not None and time.monotonic() >= deadline:
        raise PredictionTimeoutError(
            f"Prediction {prediction.id}'s stream had not ended when the timeout expired.", prediction
        )


def _check(response: httpx.Response) -> None:
    if response.status_code >= 400:
        from ._http import error_from_response

        raise error_from_response(response, {}, "stream")


def _finish(client: Client, prediction: Prediction, state: StreamState) -> None:
    if state.reason == "canceled":
        raise PredictionCanceledError(prediction)


def stream_prediction(
    client: Client, prediction: Prediction, *, use_file_output: bool = False, deadline: float | None = None
) -> Iterator[ServerSentEvent]:
    """Yield a prediction's `output` and `logs` events, then its `done` event, reconnecting as needed.

    At `deadline` (a `time.monotonic()` value) it stops with `PredictionTimeoutError`.
    """
    from httpx_sse import EventSource

    url = _stream_url(prediction)
    state = StreamState(prediction.id, use_file_output, client)
    http = client._download_http() if not client._requester.is_api_url(url) else client._http()
    failures = 0
    while not state.done:
        progressed = False
        try:
            response = http.send(_request(client, url, state, deadline), stream=True)
            try:
                _check(response)
                for sse in EventSource(response).iter_sse():
                    event = state.feed(sse)
                    if event is not None:
                        progressed = True
                        yield event
                    if state.done:
                        break
                    _check_deadline(prediction, deadline)
            finally:
                response.close()
        except httpx.TransportError as exc:
            last_error: Exception = exc
        else:
            last_error = ReplicateException("the stream ended before its done event")
        if state.done:
            break
        failures, pause = _reconnect(state, prediction, deadline, failures, progressed, last_error)
        time.sleep(pause)
    _finish(client, prediction, state)


async def astream_prediction(
    client: Client, prediction: Prediction, *, use_file_output: bool = False, deadline: float | None = None
) -> AsyncIterator[ServerSentEvent]:
    """Like `stream_prediction`, for async code."""
    import anyio
    from httpx_sse import EventSource

    url = _stream_url(prediction)
    state = StreamState(prediction.id, use_file_output, client)
    http = client._download_ahttp() if not client._requester.is_api_url(url) else client._ahttp()
    failures = 0
    while not state.done:
        progressed = False
        try:
            response = await http.send(_request(client, url, state, deadline), stream=True)
            try:
                _check(response)
                async for sse in EventSource(response).aiter_sse():
                    event = state.feed(sse)
                    if event is not None:
                        progressed = True
                        yield event
                    if state.done:
                        break
                    _check_deadline(prediction, deadline)
            finally:
                await response.aclose()
        except httpx.TransportError as exc:
            last_error: Exception = exc
        else:
            last_error = ReplicateException("the stream ended before its done event")
        if state.done:
            break
        failures, pause = _reconnect(state, prediction, deadline, failures, progressed, last_error)
        await anyio.sleep(pause)
    _finish(client, prediction, state)


def wait_for_stream_end(client: Client, prediction: Prediction) -> str | None:
    """Read a prediction's event stream until its `done` event; return the done reason (None when plain).

    Waiting on the stream learns of the end as it happens, where polling learns of it up to a poll interval
    late. An `error` event or a cancellation ends the wait too (the caller fetches the final state).
    """
    try:
        for event in stream_prediction(client, prediction):
            if event.event == EventType.DONE:
                break
    except (StreamError, PredictionCanceledError):
        pass
    return None


async def await_stream_end(client: Client, prediction: Prediction) -> str | None:
    """Like `wait_for_stream_end`, for async code."""
    try:
        async for event in astream_prediction(client, prediction):
            if event.event == EventType.DONE:
                break
    except (StreamError, PredictionCanceledError):
        pass
    return None
