"""Batch fixtures: one local server for the directory, clients pointed at it, and helpers to check results."""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import pytest

import replicate_ext
from replicate_ext.local import LocalReplicate

from .models import MODELS


@pytest.fixture(scope="package")
def server() -> Iterator[LocalReplicate]:
    with LocalReplicate(models=MODELS, demo_models=False, workers=32, min_cancel_after=0.1) as running:
        yield running


@pytest.fixture
async def client(server: LocalReplicate) -> AsyncIterator[replicate_ext.Client]:
    client = replicate_ext.Client(api_token=server.token, base_url=server.url)
    yield client
    await client.aclose()


def results(directory: Path) -> list[dict[str, Any]]:
    with open(directory / "results.jsonl", encoding="utf-8") as file:
        return [json.loads(line) for line in file]


def predictions_by_input(server: LocalReplicate, model: str) -> Counter[str]:
    """How many predictions the server holds for each input of `model` (as canonical JSON)."""
    with replicate_ext.Client(api_token=server.token, base_url=server.url) as client:
        return Counter(
            json.dumps(prediction.input, sort_keys=True)
            for page in replicate_ext.paginate(client.predictions.list)
            for prediction in page
            if prediction.model == model
        )
