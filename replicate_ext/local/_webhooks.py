"""Webhook deliveries, signed the Standard Webhooks way.

Each delivery is a POST of the prediction (or training) JSON with `content-type: application/json` and:

- `webhook-id`: a unique `msg_...` id per delivery,
- `webhook-timestamp`: Unix seconds,
- `webhook-signature`: `v1,` + base64(HMAC-SHA256(key, f"{id}.{timestamp}.{body}")), where the key is the
  base64-decoded part of the secret after `whsec_` (the secret `GET /v1/webhooks/default/secret` returns).

Events: `start` (the prediction starts processing), `output` and `logs` (at most one delivery per throttle
interval, 500 ms by default, carrying the latest state), `completed` (always sent when in the filter).
Deliveries of one prediction go out in order; a failed one (non-2xx or connection error) is retried a few
times with exponential backoff. One shared `httpx.AsyncClient` makes every delivery.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import json
import os
import secrets
import time
from collections.abc import Callable
from typing import TYPE_CHECKING

from ._state import Job

if TYPE_CHECKING:
    import httpx

    from ._stats import Stats

__all__ = ["WEBHOOK_EVENTS", "WebhookDispatcher", "new_secret", "sign"]

WEBHOOK_EVENTS = ("start", "output", "logs", "completed")


def new_secret() -> str:
    """A fresh signing secret: `whsec_` and base64 of 32 random bytes."""
    return "whsec_" + base64.b64encode(os.urandom(32)).decode()


def sign(secret: str, message_id: str, timestamp: int, body: bytes) -> str:
    """The `webhook-signature` header value for one delivery."""
    key = base64.b64decode(secret.removeprefix("whsec_"))
    signed = f"{message_id}.{timestamp}.".encode() + body
    return "v1," + base64.b64encode(hmac.new(key, signed, hashlib.sha256).digest()).decode()


class _JobState:
    __slots__ = ("last_sent", "tail", "timer")

    def __init__(self) -> None:
        self.last_sent = float("-inf")
        self.timer: asyncio.TimerHandle | None = None
        self.tail: asyncio.Task[None] | None = None


class WebhookDispatcher:
    """Sends the webhooks of every prediction and training of one server."""

    def __init__(
        self,
        *,
        http_client: Callable[[], httpx.AsyncClient],
        secret: str,
        stats: Stats,
        throttle: float,
        retries: int,
        backoff: float,
    ) -> None:
        self.http_client = http_client
        self.secret = secret
        self.stats = stats
        self.throttle = throttle
        self.retries = retries
        self.backoff = backoff
        self._states: dict[str, _JobState] = {}
        self._tasks: set[asyncio.Task[None]] = set()
        self._closed = False

    async def close(self) -> None:
        """Stop: cancel pending deliveries (the owner closes the HTTP client)."""
        self._closed = True
        for state in self._states.values():
            if state.timer is not None:
                state.timer.cancel()
        for task in list(self._tasks):
            task.cancel()
        if self._tasks:
            await asyncio.gather(*self._tasks, return_exceptions=True)

    def attach(self, job: Job) -> None:
        """Follow `job` if it has a webhook."""
        if job.webhook:
            self._states[job.id] = _JobState()
            job.listeners.append(self._on_change)

    def _on_change(self, job: Job, what: str) -> None:
        if self._closed:
            return
        state = self._states.get(job.id)
        if state is None:
            return
        if what == "completed":
            pending = state.timer is not None
            if state.timer is not None:
                state.timer.cancel()
                state.timer = None
            # The completed delivery carries the final state; without it, flush a throttled output/logs one.
            if "completed" in job.webhook_events or pending:
                self._enqueue(job, state)
            return
        if what not in job.webhook_events:
            return
        if what == "start":
            self._enqueue(job, state)
            return
        # output and logs: throttled; a timer sends the latest state at the end of the interval.
        elapsed = time.monotonic() - state.last_sent
        if elapsed >= self.throttle:
            self._enqueue(job, state)
        elif state.timer is None:
            loop = asyncio.get_running_loop()
            state.timer = loop.call_later(self.throttle - elapsed, self._fire, job, state)

    def _fire(self, job: Job, state: _JobState) -> None:
        state.timer = None
        if not job.terminal and not self._closed:
            self._enqueue(job, state)

    def _enqueue(self, job: Job, state: _JobState) -> None:
        if job.webhook is None:
            return
        state.last_sent = time.monotonic()
        body = json.dumps(job.as_dict()).encode()
        task = asyncio.get_running_loop().create_task(self._deliver(state.tail, job.webhook, body))
        state.tail = task
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        if job.terminal:
            task.add_done_callback(lambda _: self._forget(job.id, task))

    def _forget(self, job_id: str, task: asyncio.Task[None]) -> None:
        state = self._states.get(job_id)
        if state is not None and state.tail is task:
            del self._states[job_id]

    async def _deliver(self, previous: asyncio.Task[None] | None, url: str, body: bytes) -> None:
        if previous is not None:
            await asyncio.gather(previous, return_exceptions=True)
        client = self.http_client()
        message_id = "msg_" + secrets.token_hex(16)
        for attempt in range(self.retries + 1):
            timestamp = int(time.time())
            headers = {
                "content-type": "application/json",
                "user-agent": "replicate-ext-local-webhooks",
                "webhook-id": message_id,
                "webhook-timestamp": str(timestamp),
                "webhook-signature": sign(self.secret, message_id, timestamp, body),
            }
            self.stats.webhook_attempted += 1
            try:
                response = await client.post(url, content=body, headers=headers, timeout=10.0)
            except Exception:
                ok = False
            else:
                ok = 200 <= response.status_code < 300
            if ok:
                self.stats.webhook_succeeded += 1
                return
            self.stats.webhook_failed += 1
            if attempt < self.retries:
                await asyncio.sleep(self.backoff * (2**attempt))
        self.stats.webhook_gave_up += 1
