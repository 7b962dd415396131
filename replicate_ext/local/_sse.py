"""A prediction's Server-Sent Events stream, in Replicate's format, served by the delivery origin.

Events: `output` (a text chunk, or JSON for other items), `logs` (one log line), `error` (JSON with
`detail`) and `done` (`{}`, or `{"reason": "canceled"}` / `{"reason": "error"}`), each with an `id` that
counts from 1. A client that reconnects with `Last-Event-ID: N` gets the events after N (WHATWG SSE). The
stream ends after `done`. With a `stream_drop_rate` fault the connection is dropped right after an event.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

from sse_starlette import EventSourceResponse, ServerSentEvent
from starlette.requests import Request

from ._faults import ABORT_EXTENSION, FaultInjector, drop_connection
from ._state import Job
from ._stats import Stats

__all__ = ["stream_response"]


def _last_event_id(request: Request) -> int:
    value = request.headers.get("last-event-id", "").strip()
    return int(value) if value.isdigit() else 0


def stream_response(request: Request, job: Job, injector: FaultInjector, stats: Stats) -> EventSourceResponse:
    """The SSE response for `job`, starting after the client's `Last-Event-ID`."""
    start = _last_event_id(request)
    abort = request.scope.get("extensions", {}).get(ABORT_EXTENSION)

    async def events() -> AsyncIterator[ServerSentEvent]:
        index = min(start, len(job.events))
        while True:
            while index < len(job.events):
                event = job.events[index]
                index += 1
                yield ServerSentEvent(data=event.data, event=event.event, id=str(event.id))
                if event.event == "done":
                    return
                if abort is not None and injector.drop_stream():
                    stats.faults["stream_drops"] += 1
                    await drop_connection(request.scope, None)
                    return
            if job.terminal and index >= len(job.events):
                return
            await job.wakeup.wait()

    headers: dict[str, Any] = {"cache-control": "no-store"}
    return EventSourceResponse(events(), headers=headers, ping=15, send_timeout=30)
