"""The module-level default client behind `replicate_ext.run`, `replicate_ext.models`, ... (as in replicate 1.x)."""

from __future__ import annotations

import threading
from collections.abc import AsyncIterator, Iterator, Mapping
from typing import TYPE_CHECKING, Any

from ._client import Client

if TYPE_CHECKING:
    from ._search import SearchResults
    from ._stream import ServerSentEvent

__all__ = ["async_run", "async_search", "async_stream", "default_client", "run", "search", "stream"]

_client: Client | None = None
_lock = threading.Lock()


def default_client() -> Client:
    """The shared client of the module-level functions, configured from the environment when first used."""
    global _client
    if _client is None:
        with _lock:
            if _client is None:
                _client = Client()
    return _client


def or_default(client: Client | None) -> Client:
    """`client`, or the default client for an object made without one (as 1.x objects use the module's client)."""
    return client if client is not None else default_client()


def run(ref: Any, input: Mapping[str, Any] | None = None, **params: Any) -> Any:
    """Run a model and return its output: `replicate_ext.run("owner/name", input={...})`.

    See `Client.run` (and `replicate_ext._run.run`) for every parameter.
    """
    return default_client().run(ref, input, **params)


async def async_run(ref: Any, input: Mapping[str, Any] | None = None, **params: Any) -> Any:
    """Like `run`, for async code."""
    return await default_client().async_run(ref, input, **params)


def stream(ref: Any, input: Mapping[str, Any] | None = None, **params: Any) -> Iterator[ServerSentEvent]:
    """Run a model and yield its output events as they are produced. See `Client.stream`."""
    return default_client().stream(ref, input, **params)


def async_stream(ref: Any, input: Mapping[str, Any] | None = None, **params: Any) -> AsyncIterator[ServerSentEvent]:
    """Like `stream`, for async code."""
    result: AsyncIterator[ServerSentEvent] = default_client().async_stream(ref, input, **params)
    return result


def search(query: str, limit: int | None = None) -> SearchResults:
    """Search models, collections and documentation. See `Client.search`."""
    return default_client().search(query, limit)


async def async_search(query: str, limit: int | None = None) -> SearchResults:
    """Like `search`, for async code."""
    return await default_client().async_search(query, limit)
