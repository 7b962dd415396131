"""Predictors the batch tests run on the local server."""

from __future__ import annotations

import tempfile
import threading
import time
from pathlib import Path

from replicate_ext.local import Input


def content(n: int, size: int) -> bytes:
    """What `make` writes for item `n`: checkable byte for byte."""
    return (f"{n}:".encode() * size)[:size]


def make(n: int = 0, size: int = Input(default=64, ge=0, le=1_000_000), fail: bool = False) -> Path:
    """Writes a file of `size` bytes that depends on `n`; fails on purpose when asked."""
    if fail:
        raise ValueError(f"item {n} fails on purpose")
    target = Path(tempfile.mkdtemp()) / f"out-{n}.txt"
    target.write_bytes(content(n, size))
    return target


def pair(n: int = 0) -> dict[str, object]:
    """Two files and a number: outputs with several files inside a structure."""
    folder = Path(tempfile.mkdtemp())
    first, second = folder / "a.txt", folder / "b.txt"
    first.write_bytes(content(n, 10))
    second.write_bytes(content(n + 1, 20))
    return {"files": [first, second], "n": n}


def slow(n: int = 0, seconds: float = Input(default=1.0, ge=0, le=30)) -> int:
    """Waits, then returns `n` (stops early when canceled)."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        time.sleep(0.02)
    return n


_attempts: dict[str, int] = {}
_lock = threading.Lock()


def flaky(key: str = "", failures: int = 1) -> str:
    """Fails the first `failures` times it runs for a `key`, then succeeds."""
    with _lock:
        seen = _attempts.get(key, 0)
        _attempts[key] = seen + 1
    if seen < failures:
        raise RuntimeError(f"attempt {seen + 1} for {key} fails")
    return f"{key} after {seen + 1} attempts"


def link(url: str) -> str:
    """Returns the URL it was given: an output file that lives elsewhere (and may not be there yet)."""
    return url


MODELS = {"test/make": make, "test/pair": pair, "test/slow": slow, "test/flaky": flaky, "test/link": link}
