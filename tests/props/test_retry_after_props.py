"""Retry-After (`_retry`): any header and body values give a finite wait >= 0 or None, and no wait passes its cap."""

from __future__ import annotations

import datetime
import email.utils
import math
from typing import Any

import httpx
from hypothesis import example, given
from hypothesis import strategies as st

from replicate_ext import RetryPolicy
from replicate_ext._retry import RateLimitGate, decide_after_status, retry_after_seconds

zones = st.integers(-(24 * 60 - 1), 24 * 60 - 1).map(lambda m: datetime.timezone(datetime.timedelta(minutes=m)))
http_dates = st.builds(
    lambda when, zone: email.utils.format_datetime(when.replace(tzinfo=zone)),
    st.datetimes(min_value=datetime.datetime(1, 1, 2), max_value=datetime.datetime(9999, 12, 30)),
    zones,
)
SPECIAL = ["nan", "-nan", "inf", "-inf", "1e400", "-1", "0", " 3 ", "1_000", "٣", "0x10", "", "9" * 5000]
header_values = st.one_of(
    st.sampled_from(SPECIAL),
    st.integers().map(str),
    st.floats().map(str),
    http_dates,
    http_dates.map(lambda d: d.replace("+", "-")),
    st.from_regex(r"\A[A-Za-z]{3}, \d{1,2} [A-Za-z]{3} \d{1,5} \d{1,2}:\d{1,2}:\d{1,2} [+-]?\d{0,5}\Z"),
    st.text(max_size=30),
)
members = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.sampled_from([10**400, -(10**400), 2**1023 * 3]),
    st.floats(),
    st.text(max_size=10),
    st.lists(st.integers(), max_size=2),
)
bodies = st.one_of(st.none(), st.fixed_dictionaries({}, optional={"retry_after": members, "detail": st.text()}))
statuses = st.one_of(st.sampled_from([408, 429, 500, 502, 503, 504]), st.integers(400, 599))
policies = st.builds(
    RetryPolicy,
    max_retries=st.integers(0, 8),
    backoff_initial=st.floats(0, 10),
    backoff_max=st.floats(0, 100),
    retry_after_max=st.floats(0, 3600),
)


def response(status: int, headers: dict[str, str]) -> httpx.Response:
    # Raw bytes, as they come off the wire: any text, encoded as httpx would decode it back.
    raw = [(name.encode(), value.encode("utf-8", "surrogateescape")) for name, value in headers.items()]
    return httpx.Response(status, headers=raw)


def finite_wait(value: float | None) -> bool:
    return value is None or (isinstance(value, float) and math.isfinite(value) and value >= 0)


@given(st.one_of(st.none(), header_values), bodies)
@example(None, {"retry_after": 10**400})  # a JSON integer too large for a float
@example("1e400", {"retry_after": float("inf")})
@example("Fri, 31 Dec 9999 23:59:59 -2359", None)
@example("Mon, 01 Jan 0001 00:00:00 +2359", None)
def test_any_retry_after_gives_a_finite_wait_or_none(header: str | None, body: dict[str, Any] | None) -> None:
    headers = {} if header is None else {"retry-after": header}
    assert finite_wait(retry_after_seconds(headers, body))
    assert finite_wait(retry_after_seconds(response(429, headers).headers, body))


@given(st.integers(0, 10**6), st.floats(0, 10**6))
def test_plain_seconds_are_taken_as_given(seconds: int, fraction: float) -> None:
    assert retry_after_seconds({"retry-after": str(seconds)}) == float(seconds)
    assert retry_after_seconds({}, {"retry_after": fraction}) == fraction


@given(policies, st.booleans(), st.integers(0, 10), statuses, st.one_of(st.none(), header_values), bodies)
@example(RetryPolicy(), False, 0, 429, None, {"retry_after": 10**400})
@example(RetryPolicy(retry_after_max=5), True, 0, 503, "1e400", None)
def test_a_retry_never_waits_longer_than_the_policy_allows(
    policy: RetryPolicy,
    idempotent: bool,
    attempt: int,
    status: int,
    header: str | None,
    body: dict[str, Any] | None,
) -> None:
    answer = response(status, {} if header is None else {"retry-after": header})
    decision = decide_after_status(policy, idempotent, attempt, answer, body or {})
    assert math.isfinite(decision.delay) and decision.delay >= 0
    if not decision.retry:
        return
    assert attempt < policy.max_retries and status in policy.statuses and (idempotent or status == 429)
    asked = retry_after_seconds(answer.headers, body or {})
    if asked is None:
        assert decision.delay <= min(policy.backoff_max, policy.backoff_initial * 2**attempt)
    else:
        assert decision.delay == min(asked, policy.retry_after_max)


ROUNDING = 1e-9  # (now + wait) - now is the wait give or take a few units in the last place


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


signals = st.tuples(
    statuses,
    st.one_of(st.none(), header_values),
    st.one_of(st.none(), st.sampled_from(["0", " 0 ", "1", "x"])),
    st.one_of(st.none(), header_values),
    bodies,
    st.floats(0, 5),
)


@given(st.lists(signals, min_size=1, max_size=6), st.floats(0, 3600), st.booleans())
@example([(429, None, None, None, {"retry_after": 10**400}, 0.0)], 60.0, True)
@example([(200, None, "0", "nan", None, 0.0)], 60.0, True)
@example([(200, None, "0", "1e400", None, 0.0)], 60.0, False)
def test_the_rate_limit_gate_never_holds_requests_longer_than_the_cap(
    observed: list[tuple[int, str | None, str | None, str | None, dict[str, Any] | None, float]],
    cap: float,
    idempotent: bool,
) -> None:
    clock = Clock()
    gate = RateLimitGate(clock=clock)
    kind = gate.kind(idempotent)
    for status, retry_after, remaining, reset, body, elapsed in observed:
        headers = {"retry-after": retry_after, "ratelimit-remaining": remaining, "ratelimit-reset": reset}
        gate.observe(response(status, {k: v for k, v in headers.items() if v is not None}), body, cap, kind)
        clock.now += elapsed
        delay = gate.delay(kind)
        assert math.isfinite(delay) and 0 <= delay <= cap + ROUNDING
    first = gate.take(kind)[1]
    assert math.isfinite(first) and 0 <= first <= cap + ROUNDING
