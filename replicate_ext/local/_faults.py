"""Fault injection for reliability tests: errors, dropped connections, stalls, latency and rate limits.

`Faults` is the configuration (all off by default); `FaultInjector` is the ASGI middleware that applies it
to the API origin, deciding per request and passing through what it does not touch. Every random decision
comes from one `random.Random(seed)`, so a run with a seed and a sequential client is reproducible.

Route classes: `create` (POSTs that create predictions or trainings), `read` (GET, HEAD and the QUERY
search) and `write` (every other POST, PATCH, PUT, DELETE).
"""

from __future__ import annotations

import asyncio
import json
import math
import random
import re
import time
from collections.abc import Iterable, Mapping, MutableMapping
from dataclasses import dataclass, field
from typing import Any

from ._errors import ProblemError

__all__ = [
    "ROUTE_CLASSES",
    "FaultInjector",
    "Faults",
    "TokenBucket",
    "drop_connection",
    "parse_rate",
    "parse_rate_limits",
]

ROUTE_CLASSES = ("create", "read", "write")
_TIMINGS = ("after", "before")
ABORT_EXTENSION = "replicate_ext.abort"

Scope = MutableMapping[str, Any]
Message = dict[str, Any]


def parse_rate(text: str) -> float:
    """`"20/s"`, `"600/m"`, `"3600/h"` or a bare number (per second) -> requests per second."""
    match = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*(?:/\s*(s|sec|second|m|min|minute|h|hour))?\s*", text)
    if not match:
        raise ValueError(f"Rate {text!r} is not valid; write it like '20/s', '600/m' or '5'.")
    per = {"m": 60.0, "min": 60.0, "minute": 60.0, "h": 3600.0, "hour": 3600.0}.get(match.group(2) or "s", 1.0)
    rate = float(match.group(1)) / per
    if rate <= 0:
        raise ValueError(f"Rate {text!r} must be more than zero.")
    return rate


def parse_rate_limits(values: Iterable[str]) -> dict[str, float]:
    """CLI `--rate-limit` values: `"20/s"` (every class) or `"create=20/s"` (one class), repeatable."""
    limits: dict[str, float] = {}
    for value in values:
        route_class, sep, rate = value.partition("=")
        if not sep:
            for name in ROUTE_CLASSES:
                limits[name] = parse_rate(value)
            continue
        route_class = route_class.strip()
        if route_class not in ROUTE_CLASSES:
            raise ValueError(f"Unknown route class {route_class!r}; use one of {', '.join(ROUTE_CLASSES)}.")
        limits[route_class] = parse_rate(rate)
    return limits


def _rate(name: str, value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not 0.0 <= value <= 1.0:
        raise ValueError(f"{name} must be a number from 0 to 1, not {value!r}.")
    return float(value)


@dataclass(frozen=True)
class Faults:
    """What the fault injector does; the default injects nothing.

    Parameters:
        error_rate: Fraction of requests answered with an injected 500, 502 or 503 problem.
        reset_rate: Fraction of requests whose connection is dropped with no response at all.
        stall_rate: Fraction of requests that get their response headers and then no body, until the
            client gives up.
        latency_ms: Delay added before every request is handled.
        rate_limit: Requests per second allowed per route class (`{"create": 20.0}`), as a token bucket
            holding one second's worth; over it a request gets 429 with `Retry-After` and `retry_after`.
        fault_timing: `"after"` (default): the API handles the request (state changes happen) and then
            the response is replaced or the connection dropped: "the create happened but the answer was
            lost". `"before"`: the request never reaches the API.
        fault_routes: The route classes errors, resets, stalls and latency apply to (default: all).
        stream_drop_rate: Probability, per event sent, that the delivery origin drops an SSE stream's
            connection right after that event.
        error_statuses: The statuses injected errors choose from.
        seed: Seed of the random decisions (None: unpredictable).
    """

    error_rate: float = 0.0
    reset_rate: float = 0.0
    stall_rate: float = 0.0
    latency_ms: float = 0.0
    rate_limit: Mapping[str, float] = field(default_factory=dict)
    fault_timing: str = "after"
    fault_routes: frozenset[str] = frozenset(ROUTE_CLASSES)
    stream_drop_rate: float = 0.0
    error_statuses: tuple[int, ...] = (500, 502, 503)
    seed: int | None = None

    def __post_init__(self) -> None:
        for name in ("error_rate", "reset_rate", "stall_rate", "stream_drop_rate"):
            _rate(name, getattr(self, name))
        if self.error_rate + self.reset_rate + self.stall_rate > 1.0 + 1e-9:
            raise ValueError("error_rate + reset_rate + stall_rate must not exceed 1.")
        if isinstance(self.latency_ms, bool) or not isinstance(self.latency_ms, int | float) or self.latency_ms < 0:
            raise ValueError(f"latency_ms must be a number of milliseconds >= 0, not {self.latency_ms!r}.")
        if self.fault_timing not in _TIMINGS:
            raise ValueError(f"fault_timing must be 'after' or 'before', not {self.fault_timing!r}.")
        routes = frozenset(self.fault_routes)
        unknown = routes - set(ROUTE_CLASSES)
        if unknown:
            raise ValueError(f"Unknown route classes in fault_routes: {sorted(unknown)}; use {ROUTE_CLASSES}.")
        object.__setattr__(self, "fault_routes", routes)
        limits: dict[str, float] = {}
        for route_class, rate in dict(self.rate_limit).items():
            if route_class not in ROUTE_CLASSES:
                raise ValueError(f"Unknown route class {route_class!r} in rate_limit; use {ROUTE_CLASSES}.")
            limits[route_class] = parse_rate(rate) if isinstance(rate, str) else float(rate)
            if limits[route_class] <= 0:
                raise ValueError(f"rate_limit[{route_class!r}] must be more than zero.")
        object.__setattr__(self, "rate_limit", limits)
        statuses = tuple(int(s) for s in self.error_statuses)
        if not statuses or any(not 500 <= s <= 599 for s in statuses):
            raise ValueError("error_statuses must be a non-empty list of 5xx statuses.")
        object.__setattr__(self, "error_statuses", statuses)
        if self.seed is not None and (isinstance(self.seed, bool) or not isinstance(self.seed, int)):
            raise ValueError(f"seed must be an integer or None, not {self.seed!r}.")

    @classmethod
    def from_mapping(cls, data: Mapping[str, Any]) -> Faults:
        """Build from JSON-like data (`PUT /_local/faults`); unknown keys raise `ValueError`.

        `rate_limit` may be a mapping of class to rate, or one rate (number or `"20/s"`) for every class.
        """
        if not isinstance(data, Mapping):
            raise ValueError("The fault configuration must be a JSON object.")
        known = set(cls.__dataclass_fields__)
        unknown = set(data) - known
        if unknown:
            raise ValueError(
                f"Unknown fault settings: {', '.join(sorted(unknown))}. Known: {', '.join(sorted(known))}."
            )
        values = dict(data)
        limit = values.get("rate_limit")
        if isinstance(limit, str | int | float) and not isinstance(limit, bool):
            rate = parse_rate(limit) if isinstance(limit, str) else float(limit)
            values["rate_limit"] = dict.fromkeys(ROUTE_CLASSES, rate)
        elif limit is None:
            values.pop("rate_limit", None)
        elif not isinstance(limit, Mapping):
            raise ValueError("rate_limit must be a rate or a mapping of route class to rate.")
        if "fault_routes" in values:
            routes = values["fault_routes"]
            if isinstance(routes, str) or not isinstance(routes, Iterable):
                raise ValueError("fault_routes must be a list of route classes.")
            values["fault_routes"] = frozenset(routes)
        if "error_statuses" in values:
            values["error_statuses"] = tuple(values["error_statuses"])
        try:
            return cls(**values)
        except TypeError as exc:
            raise ValueError(str(exc)) from exc

    def to_dict(self) -> dict[str, Any]:
        """The configuration as JSON-ready data (what `GET /_local/faults` shows)."""
        return {
            "error_rate": self.error_rate,
            "reset_rate": self.reset_rate,
            "stall_rate": self.stall_rate,
            "latency_ms": self.latency_ms,
            "rate_limit": dict(self.rate_limit),
            "fault_timing": self.fault_timing,
            "fault_routes": sorted(self.fault_routes),
            "stream_drop_rate": self.stream_drop_rate,
            "error_statuses": list(self.error_statuses),
            "seed": self.seed,
        }

    @property
    def any_request_faults(self) -> bool:
        return bool(self.error_rate or self.reset_rate or self.stall_rate or self.latency_ms or self.rate_limit)


class TokenBucket:
    """A token bucket: `rate` tokens a second, holding at most `max(1, rate)`."""

    def __init__(self, rate: float) -> None:
        self.rate = rate
        self.capacity = max(1.0, rate)
        self.tokens = self.capacity
        self.updated = time.monotonic()

    def _refill(self) -> None:
        now = time.monotonic()
        self.tokens = min(self.capacity, self.tokens + (now - self.updated) * self.rate)
        self.updated = now

    def take(self) -> float:
        """Take a token: 0.0 if one was there, else the seconds until one will be."""
        self._refill()
        if self.tokens >= 1.0:
            self.tokens -= 1.0
            return 0.0
        return (1.0 - self.tokens) / self.rate

    @property
    def remaining(self) -> int:
        return int(self.tokens)

    @property
    def reset_after(self) -> float:
        """Seconds until the bucket is full again."""
        return (self.capacity - self.tokens) / self.rate


class FaultInjector:
    """ASGI middleware that applies a `Faults` configuration to each request (see `Faults`).

    `scope["replicate_route"]` (set by the outer middleware) gives the route class. The abort hook that
    drops a connection comes from the server's protocol, in `scope["extensions"]`.
    """

    def __init__(self, app: Any, faults: Faults, stats: Any, closing: asyncio.Event) -> None:
        self.app = app
        self.stats = stats
        self.closing = closing
        self.configure(faults)

    def configure(self, faults: Faults) -> None:
        """Replace the configuration; resets the random generator and the token buckets."""
        self.faults = faults
        self.random = random.Random(faults.seed)
        self.buckets = {name: TokenBucket(rate) for name, rate in faults.rate_limit.items()}

    def drop_stream(self) -> bool:
        """Decide whether the delivery origin drops an SSE stream after the event just sent."""
        rate = self.faults.stream_drop_rate
        return bool(rate) and self.random.random() < rate

    async def __call__(self, scope: Scope, receive: Any, send: Any) -> None:
        faults = self.faults
        route = scope.get("replicate_route")
        if scope["type"] != "http" or route is None or not (faults.any_request_faults):
            await self.app(scope, receive, send)
            return
        route_class = route[1]
        in_scope = route_class in faults.fault_routes
        if in_scope and faults.latency_ms:
            await asyncio.sleep(faults.latency_ms / 1000.0)
        bucket = self.buckets.get(route_class)
        if bucket is not None:
            wait = bucket.take()
            headers = {
                "ratelimit-remaining": str(bucket.remaining),
                "ratelimit-reset": str(math.ceil(bucket.reset_after)),
            }
            if wait > 0:
                self.stats.faults["rate_limited"] += 1
                retry_after = max(1, math.ceil(wait))
                problem = ProblemError(
                    429,
                    "Too Many Requests",
                    f"Request was throttled. Expected available in {retry_after} second{'s' * (retry_after != 1)}.",
                    headers={"retry-after": str(retry_after), **headers},
                    extra={"retry_after": round(wait, 3)},
                )
                await send_problem(send, problem)
                return
            send = _add_headers(send, headers)
        if not in_scope:
            await self.app(scope, receive, send)
            return
        draw = self.random.random()
        if draw < faults.error_rate:
            status = self.random.choice(faults.error_statuses)
            await self._maybe_run(scope, receive, faults)
            self.stats.faults["errors"] += 1
            await send_problem(send, ProblemError(status, "Injected fault", "The local server injected this error."))
        elif draw < faults.error_rate + faults.reset_rate:
            await self._maybe_run(scope, receive, faults)
            self.stats.faults["resets"] += 1
            await drop_connection(scope, receive)
        elif draw < faults.error_rate + faults.reset_rate + faults.stall_rate:
            self.stats.faults["stalls"] += 1
            await self._stall(scope, receive, send, faults)
        else:
            await self.app(scope, receive, send)

    async def _maybe_run(self, scope: Scope, receive: Any, faults: Faults) -> list[Message]:
        """With `fault_timing="after"`, let the API handle the request fully and keep its response."""
        messages: list[Message] = []
        if faults.fault_timing == "after":

            async def capture(message: Message) -> None:
                messages.append(message)

            await self.app(scope, receive, capture)
        return messages

    async def _stall(self, scope: Scope, receive: Any, send: Any, faults: Faults) -> None:
        messages = await self._maybe_run(scope, receive, faults)
        start = next((m for m in messages if m["type"] == "http.response.start"), None)
        if start is None:
            start = {"type": "http.response.start", "status": 200, "headers": [(b"content-type", b"application/json")]}
        await send(start)
        # Hold the body back until the client gives up (a disconnect) or the server shuts down.
        closing = asyncio.ensure_future(self.closing.wait())
        try:
            while True:
                message_task = asyncio.ensure_future(receive())
                done, _ = await asyncio.wait({message_task, closing}, return_when=asyncio.FIRST_COMPLETED)
                if closing in done:
                    message_task.cancel()
                    break
                if message_task.result()["type"] == "http.disconnect":
                    break
        finally:
            closing.cancel()
        await drop_connection(scope, receive)


async def drop_connection(scope: Scope, receive: Any | None) -> None:
    """Abort the request's TCP connection (no response at all) and wait until the server has noticed.

    Waiting matters: returning first would make uvicorn report an app that "returned without starting
    response". Without `receive` (another task reads it), yielding to the loop lets the abort land.
    """
    abort = scope.get("extensions", {}).get(ABORT_EXTENSION)
    if abort is None:
        raise RuntimeError("The server protocol gives no way to drop a connection.")
    abort()
    if receive is None:
        for _ in range(3):
            await asyncio.sleep(0)
        return
    try:
        async with asyncio.timeout(1.0):
            while (await receive())["type"] != "http.disconnect":
                pass
    except TimeoutError:
        pass


def _add_headers(send: Any, headers: dict[str, str]) -> Any:
    extra = [(k.encode("latin-1"), v.encode("latin-1")) for k, v in headers.items()]

    async def wrapped(message: Message) -> None:
        if message["type"] == "http.response.start":
            message = {**message, "headers": [*message.get("headers", []), *extra]}
        await send(message)

    return wrapped


async def send_problem(send: Any, problem: ProblemError) -> None:
    """Answer with an RFC 7807 `application/problem+json` body."""
    body = json.dumps(problem.body()).encode()
    headers = [(b"content-type", b"application/problem+json"), (b"content-length", str(len(body)).encode())]
    headers += [(k.lower().encode("latin-1"), v.encode("latin-1")) for k, v in problem.headers.items()]
    await send({"type": "http.response.start", "status": problem.status, "headers": headers})
    await send({"type": "http.response.body", "body": body})
