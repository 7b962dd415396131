"""When to retry a request, and for how long to wait first. No I/O here: the request drivers ask, and act.

Which failures are retried depends on whether repeating the request is safe:

- Reads and idempotent writes (GET, HEAD, PUT, DELETE, PATCH, and cancels) are retried on 408, 429, 5xx and
  on connection errors and timeouts.
- Creates (POST) are retried only when the API provably did not act on them: a 429 (the request was turned
  away), or a connection that failed before the request was sent (connect errors, pool timeouts). Anything
  else (a reset after sending, a read timeout) leaves open whether the resource was created; repeating the
  request could create it twice, so it is not repeated (see `AmbiguousCreateError`).

Waits grow exponentially with full jitter (a random wait between 0 and the exponential bound), capped at
`backoff_max`. When the API says how long to wait (`Retry-After` in seconds or as an HTTP date, or a
`retry_after` member in the problem body), that wait is used instead, capped at `retry_after_max`.
"""

from __future__ import annotations

import email.utils
import math
import random
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import httpx

__all__ = ["NO_RETRIES", "RateLimitGate", "RetryDecision", "RetryPolicy", "Turn", "retry_after_seconds"]

_RETRYABLE_STATUSES = frozenset({408, 429, 500, 502, 503, 504})


@dataclass(frozen=True)
class RetryPolicy:
    """How a client retries failed requests. Pass one as `Client(retry=...)` or per call as `retry=...`.

    Args:
        max_retries: Retries after the first attempt (0 turns retrying off).
        backoff_initial: The bound of the first random wait, in seconds.
        backoff_max: The largest bound a wait can grow to, in seconds.
        retry_after_max: The longest wait the client accepts from `Retry-After`; a longer one is cut to this.
        statuses: The HTTP statuses that are worth retrying (for creates, only 429 ever is).
    """

    max_retries: int = 5
    backoff_initial: float = 0.25
    backoff_max: float = 8.0
    retry_after_max: float = 60.0
    statuses: frozenset[int] = field(default=_RETRYABLE_STATUSES)

    def __post_init__(self) -> None:
        if not isinstance(self.max_retries, int) or self.max_retries < 0:
            raise ValueError(f"max_retries must be a whole number of retries, zero or more; got {self.max_retries!r}.")
        for name in ("backoff_initial", "backoff_max", "retry_after_max"):
            value = getattr(self, name)
            if not isinstance(value, int | float) or value < 0 or math.isnan(value):
                raise ValueError(f"{name} must be zero or more seconds; got {value!r}.")
        object.__setattr__(self, "statuses", frozenset(self.statuses))

    def backoff(self, attempt: int, rng: random.Random | None = None) -> float:
        """A random wait before retry number `attempt + 1` (attempt counts from 0)."""
        bound = min(self.backoff_max, self.backoff_initial * (2**attempt))
        return (rng or random).uniform(0.0, bound)


NO_RETRIES = RetryPolicy(max_retries=0)


@dataclass(frozen=True)
class RetryDecision:
    retry: bool
    delay: float = 0.0
    reason: str = ""


# Failures after which the request cannot have reached the API: no connection was made, or the client gave up
# waiting for a free connection before sending anything.
_NEVER_SENT = (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout, httpx.UnsupportedProtocol)


def decide_after_error(policy: RetryPolicy, idempotent: bool, attempt: int, error: Exception) -> RetryDecision:
    """Retry after a transport error? `attempt` is the number of retries already made."""
    if attempt >= policy.max_retries or isinstance(error, httpx.UnsupportedProtocol):
        return RetryDecision(False)
    reason = f"{type(error).__name__}: {error}" if str(error) else type(error).__name__
    if isinstance(error, _NEVER_SENT) or (idempotent and isinstance(error, httpx.TransportError)):
        return RetryDecision(True, policy.backoff(attempt), reason)
    return RetryDecision(False)


def decide_after_status(
    policy: RetryPolicy, idempotent: bool, attempt: int, response: httpx.Response, body: Mapping[str, Any]
) -> RetryDecision:
    """Retry after an error status? `body` is the decoded problem details (or empty)."""
    status = response.status_code
    if attempt >= policy.max_retries or status not in policy.statuses:
        return RetryDecision(False)
    if not idempotent and status != 429:
        return RetryDecision(False)
    asked = retry_after_seconds(response.headers, body)
    delay = policy.backoff(attempt) if asked is None else min(asked, policy.retry_after_max)
    return RetryDecision(True, delay, f"HTTP {status}")


def retry_after_seconds(
    headers: Mapping[str, str] | httpx.Headers, body: Mapping[str, Any] | None = None
) -> float | None:
    """How long the API asked to wait: `Retry-After` (RFC 9110: seconds or an HTTP date), else `retry_after`."""
    raw = _header(headers, "retry-after")
    if raw is not None:
        raw = raw.strip()
        seconds: float | None
        try:
            seconds = float(raw)
        except ValueError:
            seconds = _seconds_until_http_date(raw)
        if seconds is not None and math.isfinite(seconds):
            return max(0.0, seconds)
    return _json_seconds((body or {}).get("retry_after"))


def _json_seconds(value: Any) -> float | None:
    """A JSON number of seconds as a float >= 0; None for anything else, or for a number no float holds."""
    if not isinstance(value, int | float) or isinstance(value, bool):
        return None
    try:
        seconds = float(value)
    except OverflowError:  # JSON integers have no size limit; 10**400 is no float
        return None
    return max(0.0, seconds) if math.isfinite(seconds) else None


def _header(headers: Mapping[str, str] | httpx.Headers | None, name: str) -> str | None:
    if headers is None:
        return None
    if isinstance(headers, httpx.Headers):
        found: str | None = headers.get(name)
        return found
    for key, value in headers.items():  # a plain mapping: header names are case-insensitive all the same
        if isinstance(key, str) and key.lower() == name:
            return value
    return None


def _seconds_until_http_date(value: str) -> float | None:
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:
        return None
    return when.timestamp() - time.time()


class _Lane:
    """Rate-limit state of one kind of request."""

    __slots__ = (
        "epoch", "interval", "last_escalated", "last_held", "last_limited", "last_relaxed", "next_slot", "resume_at"
    )  # fmt: skip

    def __init__(self) -> None:
        self.resume_at = 0.0  # no request of this kind starts before this time
        self.interval = 0.0  # when pacing, the time between two request starts
        self.next_slot = 0.0  # when pacing, the earliest start of the next request
        self.last_limited = -math.inf
        self.last_escalated = -math.inf
        self.last_relaxed = -math.inf
        self.last_held = -math.inf  # when a request last had to wait for its start time
        self.epoch = 0  # counts the 429s that changed the pace: a start time taken earlier may be stale


class Turn:
    """A request's start time, taken from a `RateLimitGate`: its kind, and the pace it was taken at (`epoch`
    counts the 429s that changed the lane's pace; `interval` is the pace's interval, 0 when unpaced)."""

    __slots__ = ("epoch", "interval", "kind")

    def __init__(self, kind: str, epoch: int, interval: float = 0.0) -> None:
        self.kind = kind
        self.epoch = epoch
        self.interval = interval


class RateLimitGate:
    """Rate-limit state shared by every request of one client (threads and tasks alike). No I/O.

    Creates and other requests are limited separately (as the API limits them). When a request is told to
    slow down, the others hold back instead of each finding out for themselves:

    - a 429 pauses every request of its kind until the wait it asked for, and from then on paces them, one
      start every interval, where the interval is the wait the API gave for a single request (with a token
      bucket, the time one token takes) plus a 10% margin; a 429 for a request sent at a pace no faster than
      the current one (its `Turn` says) widens the pace by half (up to `MAX_INTERVAL`), while 429s for
      requests sent at a faster pace only make sure it is no faster than they asked (without a turn: a 429 a
      second or more after the pace was last widened widens it);
    - requests that took their start time before a 429 changed the pace take a new one when they are about
      to be written to a connection (`recheck`), so a queue of waiting requests does not go out unpaced;
    - without 429s the pacing relaxes slowly (the interval shrinks by 3% a second, so the rate creeps up to
      the limit and finds it again with a rare 429) and stops after `relax_after` quiet seconds: seconds with
      no 429 in which no request had to wait for its turn (a steady stream of requests that the pace holds
      back would otherwise be let loose on the limit it has just found, and meet it with a burst of 429s);
    - `ratelimit-remaining: 0` with `ratelimit-reset: N` pauses requests of that kind for N seconds.
    """

    def __init__(self, clock: Callable[[], float] = time.monotonic, relax_after: float = 10.0) -> None:
        self._clock = clock
        self._relax_after = relax_after
        self._lock = threading.Lock()
        self._lanes = {"create": _Lane(), "other": _Lane()}

    @staticmethod
    def kind(idempotent: bool) -> str:
        return "other" if idempotent else "create"

    MAX_INTERVAL = 10.0
    MARGIN = 1.1

    def take(self, kind: str = "other") -> tuple[Turn, float]:
        """Take a start time for a request of this kind: its `Turn`, and how many seconds to wait for it."""
        with self._lock:
            lane = self._lanes[kind]
            wait = self._reserve(lane)
            return Turn(kind, lane.epoch, lane.interval), wait

    def recheck(self, turn: Turn) -> float:
        """For a request about to be sent: the wait before it may go (0, unless a 429 changed the pace since
        its start time was taken; then it takes a new one, at the current pace)."""
        with self._lock:
            lane = self._lanes[turn.kind]
            if lane.epoch == turn.epoch:
                return 0.0
            wait = self._reserve(lane)
            turn.epoch, turn.interval = lane.epoch, lane.interval
            return wait

    def _reserve(self, lane: _Lane) -> float:
        now = self._clock()
        if lane.interval:
            if now - max(lane.last_limited, lane.last_held) > self._relax_after:
                lane.interval = 0.0
            else:
                since = now - max(lane.last_limited, lane.last_relaxed)
                if since > 0.1:
                    lane.interval *= 0.97**since
                    lane.last_relaxed = now
        start = max(now, lane.resume_at)
        if lane.interval:
            start = max(start, lane.next_slot)
            lane.next_slot = start + lane.interval
        if start > now:
            lane.last_held = now
        return start - now

    def delay(self, kind: str = "other") -> float:
        """Seconds a request of this kind would wait now, without taking a start time."""
        with self._lock:
            lane = self._lanes[kind]
            now = self._clock()
            start = max(now, lane.resume_at)
            if lane.interval:
                start = max(start, lane.next_slot)
            return start - now

    def pause(self, seconds: float, kind: str = "other") -> None:
        """Hold requests of this kind back for `seconds` from now (never shortening a longer pause)."""
        with self._lock:
            lane = self._lanes[kind]
            lane.resume_at = max(lane.resume_at, self._clock() + seconds)

    def observe(
        self,
        response: httpx.Response,
        body: Mapping[str, Any] | None,
        cap: float,
        kind: str = "other",
        turn: Turn | None = None,
    ) -> None:
        """Learn from a response's rate-limit signals (`turn`: the start time the request was sent at)."""
        if response.status_code == 429:
            precise = _json_seconds((body or {}).get("retry_after"))
            if precise is not None:
                one = precise
            else:
                one = retry_after_seconds(response.headers, body) or 1.0
            # Pace a little slower than the rate the wait implies, so that jitter does not cause the next 429.
            one = min(one * self.MARGIN, cap)
            with self._lock:
                lane = self._lanes[kind]
                now = self._clock()
                previous = lane.interval
                if turn.interval >= lane.interval if turn is not None else now - lane.last_escalated >= 1.0:
                    # Refused at a pace no faster than the current one: too fast. 429s of requests sent at a faster
                    # pace (a burst that went out together) do not count again: that pace is already gone.
                    lane.interval = min(max(lane.interval * 1.5, one), self.MAX_INTERVAL)
                    lane.last_escalated = now
                else:
                    lane.interval = min(max(lane.interval, one), self.MAX_INTERVAL)
                if lane.interval != previous or now >= lane.resume_at:
                    lane.epoch += 1
                lane.last_limited = now
                lane.resume_at = max(lane.resume_at, now + one)
                lane.next_slot = max(lane.next_slot, lane.resume_at)
            return
        remaining = response.headers.get("ratelimit-remaining")
        reset = response.headers.get("ratelimit-reset")
        if remaining is not None and reset is not None and remaining.strip() == "0":
            try:
                self.pause(min(max(0.0, float(reset)), cap), kind)
            except ValueError:
                pass
