"""Fault injection end to end: every knob, its timing, its route classes, the seed, and runtime changes."""

from __future__ import annotations

import time

import httpx
import pytest

from replicate_ext.local import Faults, LocalReplicate

from .conftest import api_hook


def client(server: LocalReplicate, **kwargs: object) -> httpx.Client:
    return httpx.Client(
        base_url=server.url + "/v1",
        headers={"Authorization": "Bearer t"},
        event_hooks={"response": [api_hook(server)]},
        **kwargs,  # type: ignore[arg-type]
    )


def sleep0(api: httpx.Client) -> httpx.Response:
    return api.post("/models/demo/sleep/predictions", json={"input": {"seconds": 0}})


@pytest.mark.replicate_local(faults={"error_rate": 1.0})
def test_errors_after_handling_lose_the_answer_but_the_create_happened(server: LocalReplicate) -> None:
    with client(server) as api:
        response = sleep0(api)
        assert response.status_code in (500, 502, 503)
        assert response.json()["title"] == "Injected fault"
        server.set_faults()
        assert len(api.get("/predictions").json()["results"]) == 1
    stats = server.stats()
    assert stats["predictions_created"] == 1 and stats["faults"]["errors"] == 1
    assert stats["requests"]["POST /v1/models/{model_owner}/{model_name}/predictions"] == 1


@pytest.mark.replicate_local(faults={"error_rate": 1.0, "fault_timing": "before", "error_statuses": [502]})
def test_errors_before_handling_never_reach_the_api(server: LocalReplicate) -> None:
    with client(server) as api:
        response = sleep0(api)
        assert response.status_code == 502
    assert server.stats()["predictions_created"] == 0


@pytest.mark.replicate_local(faults={"reset_rate": 1.0})
def test_resets_drop_the_connection_without_a_response(server: LocalReplicate) -> None:
    with client(server) as api:
        with pytest.raises((httpx.RemoteProtocolError, httpx.ReadError)):
            sleep0(api)
    stats = server.stats()
    assert stats["faults"]["resets"] == 1
    assert stats["predictions_created"] == 1  # "after" by default: the create happened
    assert stats["responses_by_status"] == {"dropped": 1}


@pytest.mark.replicate_local(faults={"reset_rate": 1.0, "fault_timing": "before"})
def test_resets_before_handling_create_nothing(server: LocalReplicate) -> None:
    with client(server) as api, pytest.raises((httpx.RemoteProtocolError, httpx.ReadError)):
        sleep0(api)
    assert server.stats()["predictions_created"] == 0


@pytest.mark.replicate_local(faults={"stall_rate": 1.0})
def test_stalls_send_headers_and_then_nothing_until_the_client_gives_up(server: LocalReplicate) -> None:
    # No validating hook here: it would read the body that never comes.
    with httpx.Client(base_url=server.url + "/v1", headers={"Authorization": "Bearer t"}, timeout=0.5) as api:
        with api.stream("GET", "/account") as response:
            assert response.status_code == 200
            with pytest.raises(httpx.ReadTimeout):
                response.read()
    assert server.stats()["faults"]["stalls"] == 1


@pytest.mark.replicate_local(faults={"latency_ms": 200})
def test_latency_delays_every_request(server: LocalReplicate) -> None:
    with client(server) as api:
        started = time.monotonic()
        assert api.get("/account").status_code == 200
        assert time.monotonic() - started >= 0.2


@pytest.mark.replicate_local(faults={"rate_limit": {"create": 2}})
def test_rate_limits_answer_429_with_retry_after_per_route_class(server: LocalReplicate) -> None:
    with client(server) as api:
        first = sleep0(api)
        assert first.status_code == 201
        assert first.headers["ratelimit-remaining"] == "1" and "ratelimit-reset" in first.headers
        assert sleep0(api).status_code == 201  # the bucket starts full: two tokens
        responses = [sleep0(api) for _ in range(5)]  # faster than 2/s: at least one is limited
        limited = next(r for r in responses if r.status_code == 429)
        assert int(limited.headers["retry-after"]) >= 1
        assert 0 < limited.json()["retry_after"] <= 0.5
        assert limited.json()["status"] == 429
        for _ in range(5):  # reads are another class, not limited
            assert api.get("/account").status_code == 200
        assert "ratelimit-remaining" not in api.get("/account").headers
        time.sleep(limited.json()["retry_after"])
        assert sleep0(api).status_code == 201
    stats = server.stats()
    assert stats["faults"]["rate_limited"] == sum(r.status_code == 429 for r in responses)
    assert stats["predictions_created"] == 3 + sum(r.status_code == 201 for r in responses)


@pytest.mark.replicate_local(faults={"error_rate": 1.0, "fault_routes": ["read"]})
def test_fault_routes_choose_the_route_classes(server: LocalReplicate) -> None:
    with client(server) as api:
        assert sleep0(api).status_code == 201
        assert api.get("/account").status_code >= 500
        assert api.post("/predictions/x/cancel").status_code == 404  # a write: untouched


def statuses(server: LocalReplicate, n: int) -> list[int]:
    with client(server) as api:
        return [api.get("/account").status_code for _ in range(n)]


@pytest.mark.replicate_local(faults={"error_rate": 0.5, "seed": 7})
def test_a_seed_makes_the_decisions_reproducible(server: LocalReplicate) -> None:
    first = statuses(server, 30)
    assert 200 in first and any(s >= 500 for s in first)
    server.set_faults(error_rate=0.5, seed=7)
    assert statuses(server, 30) == first
    server.set_faults(error_rate=0.5, seed=8)
    assert statuses(server, 30) != first


def test_faults_can_be_replaced_at_runtime_over_http(server: LocalReplicate) -> None:
    with httpx.Client(base_url=server.url) as admin:
        assert admin.get("/_local/faults").json()["error_rate"] == 0.0
        updated = admin.put("/_local/faults", json={"error_rate": 1.0, "rate_limit": "5/s"})
        assert updated.status_code == 200
        assert updated.json()["rate_limit"] == {"create": 5.0, "read": 5.0, "write": 5.0}
        assert server.faults.error_rate == 1.0 or admin.get("/_local/faults").json()["error_rate"] == 1.0
        with client(server) as api:
            assert api.get("/account").status_code >= 500
        # /_local is never faulted
        assert admin.get("/_local/stats").status_code == 200
        bad = admin.put("/_local/faults", json={"error_rate": 2})
        assert bad.status_code == 422 and "error_rate" in bad.json()["detail"]
        assert admin.put("/_local/faults", json={"bogus": 1}).status_code == 422
        assert admin.put("/_local/faults", content=b"{").status_code == 400
        assert admin.put("/_local/faults", json={}).json()["error_rate"] == 0.0
        with client(server) as api:
            assert api.get("/account").status_code == 200


def test_set_faults_from_python_accepts_a_faults_object(server: LocalReplicate) -> None:
    applied = server.set_faults(Faults(error_rate=1.0, error_statuses=(503,), fault_routes=frozenset({"read"})))
    assert applied.error_statuses == (503,)
    with client(server) as api:
        assert api.get("/account").status_code == 503
    with pytest.raises(TypeError):
        server.set_faults(Faults(), error_rate=1.0)
