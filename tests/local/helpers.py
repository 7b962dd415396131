"""Small helpers shared by the local server's tests."""

from __future__ import annotations

import time
from typing import Any

import httpx

TERMINAL = {"succeeded", "failed", "canceled"}


def wait_until(check: Any, timeout: float = 20.0, interval: float = 0.02) -> Any:
    """Call `check()` until it returns something truthy; return it (fail after `timeout` seconds)."""
    deadline = time.monotonic() + timeout
    while True:
        result = check()
        if result:
            return result
        if time.monotonic() > deadline:
            raise AssertionError(f"condition not met within {timeout} s")
        time.sleep(interval)


def wait_for_status(api: httpx.Client, path: str, statuses: set[str] = TERMINAL) -> dict[str, Any]:
    """Poll `GET path` until the job's status is one of `statuses`; return the job."""

    def check() -> dict[str, Any] | None:
        body: dict[str, Any] = api.get(path).json()
        return body if body["status"] in statuses else None

    result: dict[str, Any] = wait_until(check)
    return result


def create(api: httpx.Client, model: str, inputs: dict[str, Any], **headers: str) -> dict[str, Any]:
    """Create a prediction of `model` (owner/name) and return it (201 expected)."""
    response = api.post(
        f"/models/{model}/predictions",
        json={"input": inputs},
        headers={k.replace("_", "-"): v for k, v in headers.items()},
    )
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    return body


def parse_sse(text: str) -> list[dict[str, str]]:
    """Parse an SSE body into events ({"id", "event", "data"}), following the WHATWG rules we need."""
    events = []
    current: dict[str, Any] = {}
    data: list[str] = []
    for line in text.splitlines():
        if not line:
            if data or current:
                current["data"] = "\n".join(data)
                events.append(current)
            current, data = {}, []
            continue
        if line.startswith(":"):
            continue
        name, _, value = line.partition(":")
        value = value[1:] if value.startswith(" ") else value
        if name == "data":
            data.append(value)
        elif name in ("id", "event"):
            current[name] = value
    return [e for e in events if "event" in e or e.get("data")]
