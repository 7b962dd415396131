from __future__ import annotations

import email.utils
import random
import time

import httpx
import pytest

from replicate_ext import RetryPolicy
from replicate_ext._retry import RateLimitGate, decide_after_error, decide_after_status, retry_after_seconds

POLICY = RetryPolicy(max_retries=3, backoff_initial=1.0, backoff_max=4.0, retry_after_max=30.0)
REQUEST = httpx.Request("POST", "https://api.example/v1/predictions")


def response(status: int, **headers: str) -> httpx.Response:
    return httpx.Response(status, headers=headers, request=REQUEST)


def test_backoff_is_full_jitter_under_a_growing_capped_bound() -> None:
    rng = random.Random(1)
    for attempt, bound in [(0, 1.0), (1, 2.0), (2, 4.0), (5, 4.0)]:
        samples = [POLICY.backoff(attempt, rng) for _ in range(500)]
        assert all(0 <= s <= bound for s in samples)
        assert max(samples) > bound * 0.9  # full jitter reaches the bound
        assert min(samples) < bound * 0.1  # and starts near zero


@pytest.mark.parametrize("status", [408, 429, 500, 502, 503, 504])
def test_reads_retry_transient_statuses(status: int) -> None:
    assert decide_after_status(POLICY, True, 0, response(status), {}).retry


@pytest.mark.parametrize("status", [400, 401, 403, 404, 409, 422, 501])
def test_reads_do_not_retry_other_statuses(status: int) -> None:
    assert not decide_after_status(POLICY, True, 0, response(status), {}).retry


@pytest.mark.parametrize("status", [408, 500, 502, 503, 504])
def test_creates_do_not_retry_what_may_have_been_done(status: int) -> None:
    assert not decide_after_status(POLICY, False, 0, response(status), {}).retry


def test_creates_retry_429_after_the_wait_asked_for() -> None:
    decision = decide_after_status(POLICY, False, 0, response(429, **{"Retry-After": "7"}), {})
    assert decision.retry and decision.delay == 7.0


def test_retry_after_is_capped() -> None:
    decision = decide_after_status(POLICY, True, 0, response(503, **{"Retry-After": "3600"}), {})
    assert decision.delay == 30.0


def test_retries_stop_at_the_limit() -> None:
    assert decide_after_status(POLICY, True, 2, response(503), {}).retry
    assert not decide_after_status(POLICY, True, 3, response(503), {}).retry


def test_retry_after_forms() -> None:
    assert retry_after_seconds({"retry-after": "2.5"}) == 2.5
    future = email.utils.formatdate(time.time() + 20, usegmt=True)
    assert 18 <= (retry_after_seconds({"retry-after": future}) or 0) <= 21
    past = email.utils.formatdate(time.time() - 20, usegmt=True)
    assert retry_after_seconds({"retry-after": past}) == 0.0
    assert retry_after_seconds({}, {"retry_after": 4}) == 4.0
    assert retry_after_seconds({"retry-after": "soon"}, {"retry_after": "x"}) is None
    assert retry_after_seconds({"retry-after": "nan"}) is None


def test_errors_before_sending_are_retried_even_for_creates() -> None:
    for error in (httpx.ConnectError("refused"), httpx.ConnectTimeout("slow"), httpx.PoolTimeout("busy")):
        assert decide_after_error(POLICY, False, 0, error).retry


def test_errors_after_sending_are_retried_only_when_safe() -> None:
    for error in (httpx.ReadTimeout("slow"), httpx.RemoteProtocolError("reset"), httpx.ReadError("reset")):
        assert decide_after_error(POLICY, True, 0, error).retry
        assert not decide_after_error(POLICY, False, 0, error).retry


def test_policy_validation() -> None:
    with pytest.raises(ValueError):
        RetryPolicy(max_retries=-1)
    with pytest.raises(ValueError):
        RetryPolicy(backoff_max=float("nan"))


def test_the_gate_pauses_everyone_after_a_429_then_paces_them() -> None:
    now = [100.0]
    gate = RateLimitGate(clock=lambda: now[0])
    assert gate.take("create")[1] == 0 and gate.take("create")[1] == 0  # no limit known: no waiting
    gate.observe(response(429, **{"Retry-After": "1"}), {"retry_after": 0.05}, cap=60, kind="create")
    # The burst waits for the first free slot, then goes one every 50 ms: the rate the API allows.
    waits = [gate.take("create")[1] for _ in range(4)]
    assert waits == pytest.approx([0.055, 0.11, 0.165, 0.22])  # the asked wait plus a 10% margin
    assert gate.take("other")[1] == 0  # other requests are limited separately
    gate.observe(response(429), {"retry_after": 0.05}, cap=60, kind="create")  # same burst: same interval
    now[0] += 1.0
    gate.observe(response(429), {"retry_after": 0.05}, cap=60, kind="create")  # still too fast: wider
    first = gate.take("create")[1]
    assert gate.take("create")[1] - first == pytest.approx(0.0825)


def test_the_gate_relaxes_when_the_limits_stop() -> None:
    now = [0.0]
    gate = RateLimitGate(clock=lambda: now[0], relax_after=10.0)
    gate.observe(response(429), {"retry_after": 0.1}, cap=60, kind="create")
    now[0] += 5.0
    first = gate.take("create")[1]
    assert gate.take("create")[1] - first == pytest.approx(0.11 * 0.97**5)  # the rate creeps up
    now[0] += 10.5
    # After 10 quiet seconds (no 429, and nobody held back by the pace since the last reservation), no pace.
    assert gate.take("create")[1] == 0 and gate.take("create")[1] == 0


def test_the_gate_keeps_pacing_a_steady_stream_it_holds_back() -> None:
    now = [0.0]
    gate = RateLimitGate(clock=lambda: now[0], relax_after=10.0)
    gate.observe(response(429), {"retry_after": 0.1}, cap=60, kind="create")
    waits = []
    for _ in range(30):  # 30 s of requests queued faster than the pace allows, and no 429
        now[0] += 1.0
        waits.append(gate.take("create")[1] + gate.take("create")[1])
    # Still paced (the rate creeping up 3% a second), not let loose after 10 s.
    assert all(wait > 0 for wait in waits)
    assert waits[-1] == pytest.approx(0.11 * 0.97**30, rel=0.05)


def test_a_request_that_slept_through_a_change_of_pace_takes_a_new_start_time() -> None:
    from replicate_ext._http import Call, Requester, Send, Sleep

    now = [100.0]
    requester = Requester(
        base_url=lambda: httpx.URL("https://api.example/v1/"),
        token=lambda: "r8_x",
        headers={},
        timeout=httpx.Timeout(5.0),
        retry=POLICY,
    )
    requester.gate = RateLimitGate(clock=lambda: now[0])
    requester.gate.observe(response(429), {"retry_after": 0.1}, cap=60, kind="create")
    call = Call("predictions.create", {"method": "post", "url": "/predictions", "json": {}}, lambda r: r, False)
    flow = requester.call(call)
    assert isinstance(next(flow), Sleep)  # waits for its turn at the pace the first 429 set
    now[0] += 1.0
    requester.gate.observe(response(429), {"retry_after": 0.1}, cap=60, kind="create")  # meanwhile: slower
    step = flow.send(None)
    assert isinstance(step, Send) and step.recheck is not None
    assert step.recheck() > 0  # its start time is stale: it waits for a new one before it is written


def test_only_a_429_at_the_current_pace_widens_it() -> None:
    now = [100.0]
    gate = RateLimitGate(clock=lambda: now[0])

    def pace() -> float:
        first = gate.take("create")[1]
        return gate.take("create")[1] - first

    burst = [gate.take("create")[0] for _ in range(3)]  # sent together, unpaced
    gate.observe(response(429), {"retry_after": 0.05}, cap=60, kind="create", turn=burst[0])
    assert pace() == pytest.approx(0.055)
    for turn in burst[1:]:  # the rest of the burst met a pace that is gone: no wider
        gate.observe(response(429), {"retry_after": 0.05}, cap=60, kind="create", turn=turn)
    assert pace() == pytest.approx(0.055)
    paced, _ = gate.take("create")
    gate.observe(response(429), {"retry_after": 0.05}, cap=60, kind="create", turn=paced)
    assert pace() == pytest.approx(0.0825)  # refused at the current pace: wider at once, not a second later


def test_the_gate_honours_an_exhausted_budget() -> None:
    now = [100.0]
    gate = RateLimitGate(clock=lambda: now[0])
    gate.observe(response(200, **{"ratelimit-remaining": "0", "ratelimit-reset": "10"}), {}, cap=60)
    assert gate.take()[1] == 10.0
    gate.pause(1)  # a shorter pause does not shorten a longer one
    assert gate.delay() == 10.0
    gate.observe(response(200, **{"ratelimit-remaining": "5", "ratelimit-reset": "1"}), {}, cap=60)
    now[0] += 10.0
    assert gate.take()[1] == 0


def test_retry_after_in_a_plain_mapping_is_found_whatever_its_case() -> None:
    assert retry_after_seconds({"Retry-After": "3"}) == 3.0
    assert retry_after_seconds({"RETRY-AFTER": "4"}) == 4.0
