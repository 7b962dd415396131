"""Real HTTP exchanges recorded against api.replicate.com (tests/data/recorded), read into one shape.

The recordings come in the two cassette layouts of vcrpy (`content`/`status_code` and `body.string`/
`status.code`), and some bodies are gzip-compressed bytes; `exchanges()` hides those differences.
"""

from __future__ import annotations

import gzip
import json
import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import yaml

RECORDED = Path(__file__).parent / "data" / "recorded"
SPEC = Path(__file__).resolve().parent.parent / "openapi.yaml"
API = "https://api.replicate.com/v1"


@dataclass(frozen=True)
class Exchange:
    cassette: str
    index: int
    method: str
    url: str
    request_body: bytes
    status: int
    headers: dict[str, str]
    body: bytes

    @property
    def name(self) -> str:
        return f"{self.cassette}#{self.index}"

    def json(self) -> Any:
        return json.loads(self.body)


def _bytes(value: Any) -> bytes:
    if value is None:
        return b""
    if isinstance(value, dict):  # vcrpy: {"string": ...}
        value = value.get("string", b"")
    data = value.encode("utf-8") if isinstance(value, str) else bytes(value)
    return gzip.decompress(data) if data[:2] == b"\x1f\x8b" else data


@cache
def exchanges() -> tuple[Exchange, ...]:
    found = []
    for path in sorted(RECORDED.glob("*.yaml")):
        cassette = yaml.load(path.read_text(encoding="utf-8"), Loader=yaml.CSafeLoader)
        for index, interaction in enumerate(cassette["interactions"]):
            request, response = interaction["request"], interaction["response"]
            status = response["status_code"] if "status_code" in response else response["status"]["code"]
            body = response["content"] if "content" in response else response["body"]
            headers = {key.lower(): values[0] for key, values in response["headers"].items()}
            found.append(
                Exchange(
                    cassette=path.stem,
                    index=index,
                    method=request["method"],
                    url=request["uri"],
                    request_body=_bytes(request.get("body")),
                    status=int(status),
                    headers=headers,
                    body=_bytes(body),
                )
            )
    return tuple(found)


@cache
def routes() -> tuple[tuple[str, re.Pattern[str], str], ...]:
    """(method, path regex with named groups, operationId) for every operation in openapi.yaml."""
    spec = yaml.load(SPEC.read_text(encoding="utf-8"), Loader=yaml.CSafeLoader)
    found = []
    for container in (spec["paths"], spec.get("x-query-operations", {})):
        for path, item in container.items():
            pattern = re.compile("^" + re.sub(r"\{(\w+)\}", r"(?P<\1>[^/]+)", path) + "$")
            for method, op in item.items():
                found.append((method.upper(), pattern, op["operationId"]))
    return tuple(found)


def operation_of(exchange: Exchange) -> tuple[str, dict[str, str]] | None:
    """The operationId an API exchange belongs to, with its path parameters; None for other hosts."""
    if not exchange.url.startswith(API):
        return None
    path = exchange.url[len(API) :].split("?")[0]
    for method, pattern, operation_id in routes():
        match = pattern.match(path)
        if method == exchange.method and match:
            return operation_id, match.groupdict()
    raise LookupError(f"{exchange.name}: {exchange.method} {exchange.url} matches no operation")


@cache
def version_schemas() -> dict[str, dict[str, Any]]:
    """Every model version's `openapi_schema` found in the recorded answers (models, collections, predictions),
    by version id."""
    found: dict[str, dict[str, Any]] = {}

    def walk(value: Any) -> None:
        if isinstance(value, dict):
            schema = value.get("openapi_schema")
            if isinstance(schema, dict) and isinstance(value.get("id"), str):
                found[value["id"]] = schema
            for item in value.values():
                walk(item)
        elif isinstance(value, list):
            for item in value:
                walk(item)

    for exchange in exchanges():
        if exchange.headers.get("content-type", "").startswith("application/json"):
            walk(exchange.json())
    return found
