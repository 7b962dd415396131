"""Helpers for in-process tests with httpx.MockTransport (for answers the local server does not give)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import httpx

from replicate_ext import NO_RETRIES, Client, RetryPolicy

API = "https://api.example/v1"


def prediction(id: str = "p1", status: str = "starting", **fields: Any) -> dict[str, Any]:
    data = {
        "id": id,
        "model": "acme/model",
        "version": "v" * 64,
        "input": {"prompt": "hi"},
        "output": None,
        "logs": "",
        "error": None,
        "status": status,
        "created_at": "2026-01-01T00:00:00.000000Z",
        "urls": {"get": f"{API}/predictions/{id}", "cancel": f"{API}/predictions/{id}/cancel"},
    }
    data.update(fields)
    return data


def client_for(
    handler: Callable[[httpx.Request], httpx.Response], retry: RetryPolicy = NO_RETRIES, **kw: Any
) -> Client:
    return Client(api_token="r8_secret_token", base_url=API, transport=httpx.MockTransport(handler), retry=retry, **kw)


FAST_RETRIES = RetryPolicy(max_retries=3, backoff_initial=0.0, backoff_max=0.0)
