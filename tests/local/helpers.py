"""Small helpers shared by the local server's tests."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
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


@contextmanager
def serve(
    *args: str, command: tuple[str, ...] = (sys.executable, "-m", "replicate_ext.local")
) -> Iterator[tuple[subprocess.Popen[str], list[str]]]:
    """Start the server process, read its first lines, and stop it (SIGINT) at the end."""
    process = subprocess.Popen(
        [*command, *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )
    try:
        assert process.stdout is not None
        first = process.stdout.readline().strip()
        lines = [first]
        if "--token" not in args and first.startswith("listening on"):
            lines.append(process.stdout.readline().strip())
        yield process, lines
    finally:
        if process.poll() is None:
            process.send_signal(signal.SIGINT)
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        for stream in (process.stdout, process.stderr):
            if stream is not None:
                stream.close()


SERVE = (sys.executable, "-m", "replicate_ext.local", "serve")


def refused(*args: str, cwd: Path | None = None, command: tuple[str, ...] = SERVE) -> str:
    """Run `replicate-ext serve --port 0 ARGS`; it must exit 2 with one line on stderr (returned), no traceback."""
    result = subprocess.run(
        [*command, "--port", "0", *args], capture_output=True, text=True, timeout=120, cwd=cwd, env={**os.environ}
    )
    assert result.returncode == 2, result
    assert result.stdout == ""
    assert result.stderr.startswith("replicate-ext: ") and result.stderr.count("\n") == 1, result.stderr
    assert "Traceback" not in result.stderr
    return result.stderr.strip()
