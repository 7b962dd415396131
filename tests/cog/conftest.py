"""Clients of the Cog tests' servers; each test module defines the `server` fixture (one server per module)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator

import httpx
import pytest

import replicate_ext
from replicate_ext.local import LocalReplicate

from ..local.conftest import validating_client
from .support import validating_replicate_client


@pytest.fixture
def api(server: LocalReplicate) -> Iterator[httpx.Client]:
    """httpx for the server's API (base URL ending in /v1), every response checked against openapi.yaml."""
    with validating_client(server, token=server.token) as client:
        yield client


@pytest.fixture
def client(server: LocalReplicate) -> Iterator[replicate_ext.Client]:
    """A replicate_ext client of the server, for sync calls."""
    with validating_replicate_client(server) as client:
        yield client


@pytest.fixture
async def aclient(server: LocalReplicate) -> AsyncIterator[replicate_ext.Client]:
    """A replicate_ext client of the server, for async calls."""
    async with validating_replicate_client(server) as client:
        yield client
