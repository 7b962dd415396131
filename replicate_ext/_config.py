"""Configuration: defaults, environment variables, and turning user-supplied options into concrete objects.

Environment variables (read when first needed, never at import):

- `REPLICATE_API_TOKEN`: the API token.
- `REPLICATE_BASE_URL`: the API base URL, with or without the trailing `/v1`.
- `REPLICATE_POLL_INTERVAL`: seconds between polls while waiting for a prediction (default 0.2).
"""

from __future__ import annotations

import enum
import math
import os
import time
from typing import Final, Literal

import httpx

from ._exceptions import ConfigurationError, InvalidArgumentError

__all__ = [
    "DEFAULT_BASE_URL",
    "DEFAULT_POLL_INTERVAL",
    "DEFAULT_TIMEOUT",
    "NOT_GIVEN",
    "NotGiven",
    "deadline_after",
    "normalize_base_url",
    "poll_interval_from_env",
    "to_timeout",
    "token_from_env",
    "within",
]

DEFAULT_BASE_URL: Final = "https://api.replicate.com/v1"

# Connect quickly or fail; reads may take a while (the API can hold a request); writes are per chunk, so a
# large upload does not need a larger value. `Prefer: wait=N` raises the read timeout of that one request.
DEFAULT_TIMEOUT: Final = httpx.Timeout(connect=5.0, read=30.0, write=30.0, pool=30.0)

# 0.2 s keeps polling at 5 requests per second at most, and adds 0.1 s on average after a prediction ends.
DEFAULT_POLL_INTERVAL: Final = 0.2

# How much longer than the server's hold the client waits for a `Prefer: wait` answer.
WAIT_READ_MARGIN: Final = 5.0


class NotGiven(enum.Enum):
    """The type of `NOT_GIVEN`, which tells "argument not passed" apart from an explicit `None`."""

    NOT_GIVEN = enum.auto()

    def __repr__(self) -> str:
        return "NOT_GIVEN"

    def __bool__(self) -> Literal[False]:
        return False


NOT_GIVEN: Final = NotGiven.NOT_GIVEN


def token_from_env() -> str | None:
    token = os.environ.get("REPLICATE_API_TOKEN", "").strip()
    return token or None


def normalize_base_url(url: str | httpx.URL | None) -> httpx.URL:
    """Turn a base URL (argument, `REPLICATE_BASE_URL`, or the default) into one that ends with `/v1/`.

    Both `https://api.replicate.com` (as replicate 1.x wants it) and `https://api.replicate.com/v1` (as 2.x and
    the JavaScript client want it) are accepted.
    """
    if url is None:
        url = os.environ.get("REPLICATE_BASE_URL", "").strip() or DEFAULT_BASE_URL
    try:
        parsed = httpx.URL(str(url))
    except httpx.InvalidURL as exc:
        raise ConfigurationError(f"The base URL {str(url)!r} is not a valid URL: {exc}.") from exc
    if parsed.scheme not in ("http", "https") or not parsed.host:
        raise ConfigurationError(
            f"The base URL {str(url)!r} must be an absolute http(s) URL such as {DEFAULT_BASE_URL!r}."
        )
    if parsed.query or parsed.fragment:
        raise ConfigurationError(f"The base URL {str(url)!r} must not have a query or a fragment.")
    path = parsed.path.rstrip("/")
    if not path.endswith("/v1"):
        path += "/v1"
    return parsed.copy_with(path=path + "/")


def poll_interval_from_env() -> float:
    raw = os.environ.get("REPLICATE_POLL_INTERVAL", "").strip()
    if not raw:
        return DEFAULT_POLL_INTERVAL
    try:
        value = float(raw)
    except ValueError:
        raise ConfigurationError(f"REPLICATE_POLL_INTERVAL must be a number of seconds, got {raw!r}.") from None
    if value < 0 or value != value:
        raise ConfigurationError(f"REPLICATE_POLL_INTERVAL must be zero or more seconds, got {raw!r}.")
    return value


def to_timeout(value: float | httpx.Timeout | NotGiven | None) -> httpx.Timeout:
    """Accept seconds, an `httpx.Timeout`, `None` (no timeout at all) or NOT_GIVEN (the default)."""
    if isinstance(value, NotGiven):
        return DEFAULT_TIMEOUT
    if isinstance(value, httpx.Timeout):
        return value
    if value is None:
        return httpx.Timeout(None)
    if isinstance(value, bool) or not isinstance(value, int | float) or value <= 0:
        raise ConfigurationError(f"timeout must be a positive number of seconds or an httpx.Timeout, got {value!r}.")
    return httpx.Timeout(float(value))


def wait_timeout(base: httpx.Timeout, hold: float) -> httpx.Timeout:
    """The timeout of a create sent with `Prefer: wait=hold`: the read must outlast the server's hold."""
    read = base.read
    if read is not None and read < hold + WAIT_READ_MARGIN:
        read = hold + WAIT_READ_MARGIN
    return httpx.Timeout(connect=base.connect, read=read, write=base.write, pool=base.pool)


def deadline_after(timeout: float | None, *, zero_ok: bool = False) -> float | None:
    """The `time.monotonic()` value `timeout` seconds from now, or None for no timeout.

    A timeout that is not a number of seconds (or is negative, NaN, or zero unless `zero_ok`) is refused with
    `InvalidArgumentError` rather than turned into a deadline that never or always passes.
    """
    if timeout is None:
        return None
    if (
        isinstance(timeout, bool)
        or not isinstance(timeout, int | float)
        or math.isnan(timeout)
        or timeout < 0
        or (timeout == 0 and not zero_ok)
    ):
        wanted = "zero or more" if zero_ok else "a positive number of"
        raise InvalidArgumentError(f"timeout must be {wanted} seconds, got {timeout!r}.")
    return time.monotonic() + timeout


def within(timeout: httpx.Timeout, deadline: float | None) -> dict[str, float | None]:
    """httpx's per-operation timeouts, none of them reaching past `deadline` (a `time.monotonic()` value)."""
    values = timeout.as_dict()
    if deadline is None:
        return values
    left = max(0.001, deadline - time.monotonic())
    return {key: left if value is None else min(value, left) for key, value in values.items()}
