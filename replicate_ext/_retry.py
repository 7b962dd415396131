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

__all__ = ["NO_RETRIES", "RateLimitGate", "RetryDecision", "RetryPolicy", "retry_after_seconds"]

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
    raw = headers.get("retry-after") if headers is not None else None
    if raw is not None:
        raw = raw.strip()
        seconds: float | None
        try:
            seconds = float(raw)
        except ValueError:
            seconds = _seconds_until_http_date(raw)
        if seconds is not None and math.isfinite(seconds):
            return max(0.0, seconds)
    member = (body or {}).get("retry_after")
    if isinstance(member, int | float) and not isinstance(member, bool) and math.isfinite(member):
        return max(0.0, float(member))
    return None


def _seconds_until_http_date(value: str) -> float | None:
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:
        return None
    return when.timestamp() - time.time()


class RateLimitGate:
    """Rate-limit state shared by every request of one client (threads and tasks alike).

    When one request is told to slow down (a 429, or `ratelimit-remaining: 0` with a `ratelimit-reset`), the
    others hold back until that moment instead of each finding out for themselves.
    """

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._lock = threading.Lock()
        self._resume_at = 0.0

    def delay(self) -> float:
        """Seconds to wait before sending a request now (0 when there is no pause)."""
        return max(0.0, self._resume_at - self._clock())

    def pause(self, seconds: float) -> None:
        """Hold every request back for `seconds` from now (extending, never shortening, a pause)."""
        with self._lock:
            self._resume_at = max(self._resume_at, self._clock() + seconds)

    def observe(self, response: httpx.Response, body: Mapping[str, Any] | None, cap: float) -> None:
        """Learn from a response's rate-limit signals."""
        if response.status_code == 429:
            asked = retry_after_seconds(response.headers, body)
            if asked is not None:
                self.pause(min(asked, cap))
            return
        remaining = response.headers.get("ratelimit-remaining")
        reset = response.headers.get("ratelimit-reset")
        if remaining is not None and reset is not None and remaining.strip() == "0":
            try:
                self.pause(min(max(0.0, float(reset)), cap))
            except ValueError:
                pass
