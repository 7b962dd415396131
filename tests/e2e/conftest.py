"""End-to-end fixtures: one local server per session (with the test models), and clients pointed at it."""

from __future__ import annotations

import functools
from collections.abc import AsyncIterator, Iterator
from typing import Any

import anyio.to_thread
import pytest

import replicate_ext
from replicate_ext.local import LocalReplicate

from .models import MODELS


@pytest.fixture(scope="session")
def server() -> Iterator[LocalReplicate]:
    with LocalReplicate(
        models=MODELS, min_cancel_after=0.1, webhook_throttle=0.05, webhook_backoff=0.05, page_size=20
    ) as running:
        yield running


@pytest.fixture
async def client(server: LocalReplicate) -> AsyncIterator[replicate_ext.Client]:
    """A client of the session's server (function-scoped; closed after the test, sync and async)."""
    client = replicate_ext.Client(api_token=server.token, base_url=server.url)
    yield client
    await client.aclose()


@pytest.fixture(params=["sync", "async"])
def api(request: pytest.FixtureRequest) -> Api:
    """Calls a method in the sync form (in a worker thread) or the async form (`async_<name>`)."""
    return Api(request.param)


class Api:
    def __init__(self, mode: str) -> None:
        self.mode = mode

    async def __call__(self, owner: Any, method: str, /, *args: Any, **kwargs: Any) -> Any:
        if self.mode == "async":
            return await getattr(owner, f"async_{method}")(*args, **kwargs)
        return await anyio.to_thread.run_sync(functools.partial(getattr(owner, method), *args, **kwargs))


@pytest.fixture
def default_client(server: LocalReplicate, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Point the module-level API (`replicate_ext.run`, ...) at the server, as a user's environment would."""
    from replicate_ext import _default

    monkeypatch.setenv("REPLICATE_API_TOKEN", server.token)
    monkeypatch.setenv("REPLICATE_BASE_URL", server.url)
    monkeypatch.setattr(_default, "_client", None)
    yield
    if _default._client is not None:
        _default._client.close()
    monkeypatch.setattr(_default, "_client", None)
