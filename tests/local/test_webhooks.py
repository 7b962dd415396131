"""Webhooks received by a local receiver: signatures, events, the filter, throttling and retries."""

from __future__ import annotations

import base64
import hashlib
import hmac
import time

import httpx
import pytest

from replicate_ext.local import LocalReplicate, sign_webhook

from ..receiver import Received, Receiver
from .helpers import wait_until


def verify(secret: str, received: Received) -> bool:
    """Check a delivery the way a Standard Webhooks consumer does (independently of the server's code)."""
    key = base64.b64decode(secret.removeprefix("whsec_"))
    signed = f"{received.headers['webhook-id']}.{received.headers['webhook-timestamp']}.".encode() + received.body
    expected = base64.b64encode(hmac.new(key, signed, hashlib.sha256).digest()).decode()
    candidates = [s.partition(",")[2] for s in received.headers["webhook-signature"].split() if s.startswith("v1,")]
    return any(hmac.compare_digest(expected, c) for c in candidates)


def test_the_secret_endpoint_returns_the_signing_secret(server: LocalReplicate, api: httpx.Client) -> None:
    key = api.get("/webhooks/default/secret").json()["key"]
    assert key == server.webhook_secret and key.startswith("whsec_")
    assert len(base64.b64decode(key.removeprefix("whsec_"))) == 32


def test_deliveries_are_signed_and_cover_start_output_logs_and_completed(
    server: LocalReplicate, api: httpx.Client, receiver: Receiver
) -> None:
    created = api.post(
        "/models/demo/stream-text/predictions",
        json={"input": {"max_tokens": 10, "delay": 0.03}, "webhook": receiver.url + "/hook?x=1"},
    ).json()
    received = receiver.wait_for(lambda r: any(x.json()["status"] == "succeeded" for x in r))
    secret = api.get("/webhooks/default/secret").json()["key"]
    assert all(verify(secret, r) for r in received)
    assert all(r.path == "/hook?x=1" for r in received)
    assert all(r.headers["content-type"] == "application/json" for r in received)
    assert len({r.headers["webhook-id"] for r in received}) == len(received)
    assert all(r.headers["webhook-id"].startswith("msg_") for r in received)
    assert all(abs(int(r.headers["webhook-timestamp"]) - time.time()) < 300 for r in received)
    bodies = [r.json() for r in received]
    assert all(b["id"] == created["id"] for b in bodies)
    assert bodies[0]["status"] == "processing"  # start
    assert bodies[-1]["status"] == "succeeded" and len(bodies[-1]["output"]) == 10
    assert len(bodies) >= 3  # start, some output/logs, completed
    wait_until(lambda: server.stats()["webhook_deliveries"]["succeeded"] == len(received))
    assert server.stats()["webhook_deliveries"]["failed"] == 0


def test_the_signature_helper_matches_an_independent_check(server: LocalReplicate) -> None:
    body = b'{"id": "x"}'
    header = sign_webhook(server.webhook_secret, "msg_1", 1700000000, body)
    received = Received(
        "/", {"webhook-id": "msg_1", "webhook-timestamp": "1700000000", "webhook-signature": header}, body
    )
    assert verify(server.webhook_secret, received)
    assert not verify("whsec_" + base64.b64encode(b"0" * 32).decode(), received)


def test_the_events_filter_limits_deliveries_to_completed(api: httpx.Client, receiver: Receiver) -> None:
    api.post(
        "/models/demo/stream-text/predictions",
        json={
            "input": {"max_tokens": 5, "delay": 0.01},
            "webhook": receiver.url + "/done",
            "webhook_events_filter": ["completed"],
        },
    )
    received = receiver.wait_for(lambda r: len(r) >= 1)
    time.sleep(0.3)
    assert len(receiver.received) == 1
    assert received[0].json()["status"] == "succeeded"


@pytest.mark.replicate_local(webhook_throttle=0.5)
def test_output_and_logs_deliveries_are_throttled(api: httpx.Client, receiver: Receiver) -> None:
    api.post(
        "/models/demo/stream-text/predictions",
        json={
            "input": {"max_tokens": 40, "delay": 0.01},
            "webhook": receiver.url + "/t",
            "webhook_events_filter": ["output", "logs", "completed"],
        },
    )
    received = receiver.wait_for(lambda r: any(x.json()["status"] == "succeeded" for x in r))
    # 42 changes (40 output items, 2 log lines) in about 0.4 s; at most one delivery per 500 ms, plus the
    # completed one. Even a slow machine that takes a few seconds to stream stays far below one per change.
    assert 2 <= len(received) < 10
    assert [r.json()["status"] for r in received[:-1]] == ["processing"] * (len(received) - 1)
    assert received[-1].json()["status"] == "succeeded"


def test_failed_deliveries_are_retried(server: LocalReplicate, api: httpx.Client, receiver: Receiver) -> None:
    receiver.statuses = [500, 503]
    api.post(
        "/models/demo/sleep/predictions",
        json={"input": {"seconds": 0}, "webhook": receiver.url + "/r", "webhook_events_filter": ["completed"]},
    )
    received = receiver.wait_for(lambda r: len(r) >= 3)
    assert [r.headers["webhook-id"] for r in received[:3]] == [received[0].headers["webhook-id"]] * 3
    wait_until(lambda: server.stats()["webhook_deliveries"]["succeeded"] == 1)
    assert server.stats()["webhook_deliveries"] == {"attempted": 3, "succeeded": 1, "failed": 2, "gave_up": 0}


@pytest.mark.replicate_local(webhook_retries=1)
def test_a_delivery_that_keeps_failing_is_given_up(
    server: LocalReplicate, api: httpx.Client, receiver: Receiver
) -> None:
    receiver.statuses = [500, 500, 500]
    api.post(
        "/models/demo/sleep/predictions",
        json={"input": {"seconds": 0}, "webhook": receiver.url + "/r", "webhook_events_filter": ["completed"]},
    )
    receiver.wait_for(lambda r: len(r) >= 2)
    wait_until(lambda: server.stats()["webhook_deliveries"]["gave_up"] == 1)
    assert server.stats()["webhook_deliveries"] == {"attempted": 2, "succeeded": 0, "failed": 2, "gave_up": 1}


@pytest.mark.replicate_local(webhook_throttle=5.0)
def test_a_throttled_update_is_flushed_when_the_prediction_ends_without_a_completed_event(
    api: httpx.Client, receiver: Receiver
) -> None:
    api.post(
        "/models/demo/stream-text/predictions",
        json={
            "input": {"max_tokens": 5, "delay": 0.01},
            "webhook": receiver.url + "/o",
            "webhook_events_filter": ["output"],
        },
    )
    received = receiver.wait_for(lambda r: len(r) >= 2)
    assert len(received[0].json()["output"]) == 1  # the first change goes out at once
    assert len(received[-1].json()["output"]) == 5  # the rest is flushed at the end, not lost
