"""The server's records (models, versions, predictions, trainings, deployments, files) and their JSON forms.

Everything here is touched only from the server's event loop thread, so there are no locks. Predictions and
trainings are kept in creation order with strictly increasing timestamps, which makes listing and cursor
pagination a pair of binary searches instead of a scan.
"""

from __future__ import annotations

import asyncio
import base64
import bisect
import json
import secrets
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any, TypeVar

if TYPE_CHECKING:
    from ._runtime import ModelSpec

__all__ = [
    "TERMINAL",
    "Clock",
    "Collection",
    "Deployment",
    "Job",
    "Model",
    "Release",
    "SSEEvent",
    "Store",
    "StoredFile",
    "Version",
    "decode_cursor",
    "encode_cursor",
    "format_time",
    "micros",
    "new_id",
    "paginate_by_time",
    "parse_time",
]

TERMINAL = frozenset({"succeeded", "failed", "canceled"})
_ALPHABET = "abcdefghijklmnopqrstuvwxyz234567"  # base32, lower case, as Replicate's ids
T = TypeVar("T")


def new_id(length: int = 26) -> str:
    """A random id of base32 characters, like Replicate's prediction ids (`ufawqhfynnddngldkgtslldrkq`)."""
    return "".join(secrets.choice(_ALPHABET) for _ in range(length))


def format_time(ts: float) -> str:
    """RFC 3339 in UTC with microseconds, as the API writes timestamps: `2024-04-22T11:15:15.504128Z`."""
    return datetime.fromtimestamp(ts, UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def parse_time(text: str) -> int:
    """Parse an RFC 3339 timestamp (`Z` or an offset; without an offset, UTC) into integer microseconds."""
    value = datetime.fromisoformat(text.strip().replace("z", "Z").replace("Z", "+00:00"))
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return (value - _EPOCH) // timedelta(microseconds=1)


def micros(ts: float) -> int:
    """A `Clock` timestamp as integer microseconds (exact: the clock ticks in whole microseconds)."""
    return round(ts * 1_000_000)


class Clock:
    """Wall-clock timestamps in whole microseconds that never repeat, so every record has a distinct time.

    Whole microseconds make a timestamp survive formatting and parsing (`created_before=<its created_at>`)
    exactly, so filters compare as the client expects.
    """

    def __init__(self) -> None:
        self._last = 0

    def now(self) -> float:
        """The current time, nudged forward by a microsecond if it equals or precedes the last one."""
        now = time.time_ns() // 1000
        if now <= self._last:
            now = self._last + 1
        self._last = now
        return now / 1_000_000


def encode_cursor(data: dict[str, Any]) -> str:
    """An opaque cursor: base64url of compact JSON."""
    raw = json.dumps(data, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str) -> dict[str, Any]:
    """The inverse of `encode_cursor`; raises `ValueError` for anything it did not make."""
    try:
        data = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
    except Exception as exc:
        raise ValueError("The cursor is not valid.") from exc
    if not isinstance(data, dict):
        raise ValueError("The cursor is not valid.")
    return data


def paginate_by_time(
    items: Sequence[T],
    times: Sequence[int],
    *,
    cursor: dict[str, Any] | None,
    page_size: int,
    after: int | None = None,
    before: int | None = None,
) -> tuple[list[T], dict[str, Any] | None, dict[str, Any] | None]:
    """One page, newest first, of `items` (oldest first, with their sorted creation times in microseconds).

    The cursor holds a timestamp bound (`b`: older than, `a`: newer than), so it stays valid when items are
    added or removed. Returns the page and the cursors of the next (older) and previous (newer) pages.
    """
    low = bisect.bisect_right(times, after) if after is not None else 0
    high = bisect.bisect_left(times, before) if before is not None else len(times)
    if cursor and isinstance(cursor.get("a"), int):
        start = max(low, bisect.bisect_right(times, cursor["a"]))
        end = min(high, start + page_size)
    else:
        end = high
        if cursor and isinstance(cursor.get("b"), int):
            end = min(high, bisect.bisect_left(times, cursor["b"]))
        start = max(low, end - page_size)
    if start >= end:
        return [], None, None
    page = list(items[start:end])
    page.reverse()
    next_cursor = {"b": times[start]} if start > low else None
    previous_cursor = {"a": times[end - 1]} if end < high else None
    return page, next_cursor, previous_cursor


@dataclass(eq=False)
class Version:
    """One version of a model: its code (a spec) and its schema; a trained version also has weights."""

    id: str
    created_at: float
    spec: ModelSpec
    openapi_schema: dict[str, Any]
    cog_version: str = "0.0.0+replicate-ext-local"
    weights: Any = None  # pathlib.Path of trained weights on this machine, handed to `setup(weights=...)`
    weights_url: str | None = None  # the weights as the training's output gave them (a URL or a data URI)

    def as_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "created_at": format_time(self.created_at),
            "cog_version": self.cog_version,
            "openapi_schema": self.openapi_schema,
        }


@dataclass(eq=False)
class Model:
    """A model: metadata and its versions (oldest first)."""

    owner: str
    name: str
    created_at: float
    visibility: str = "public"
    hardware: str = "cpu"
    description: str | None = None
    github_url: str | None = None
    paper_url: str | None = None
    license_url: str | None = None
    cover_image_url: str | None = None
    weights_url: str | None = None
    readme: str | None = None
    run_count: int = 0
    versions: list[Version] = field(default_factory=list)
    examples: list[Job] = field(default_factory=list)

    @property
    def full_name(self) -> str:
        return f"{self.owner}/{self.name}"

    @property
    def latest_version(self) -> Version | None:
        return self.versions[-1] if self.versions else None

    @property
    def sort_time(self) -> float:
        latest = self.latest_version
        return latest.created_at if latest else self.created_at

    def as_dict(self, web_base: str) -> dict[str, Any]:
        latest = self.latest_version
        return {
            "url": f"{web_base}/{self.owner}/{self.name}",
            "owner": self.owner,
            "name": self.name,
            "description": self.description,
            "visibility": self.visibility,
            "github_url": self.github_url,
            "paper_url": self.paper_url,
            "license_url": self.license_url,
            "run_count": self.run_count,
            "cover_image_url": self.cover_image_url,
            "default_example": self.examples[0].as_dict() if self.examples else None,
            "latest_version": latest.as_dict() if latest else None,
            "is_official": False,
        }


@dataclass(eq=False)
class Collection:
    """A curated list of models."""

    slug: str
    name: str
    description: str
    models: list[str]


@dataclass(eq=False)
class Release:
    """One release of a deployment: the version it runs and its configuration."""

    number: int
    model: str
    version: str
    created_at: float
    hardware: str
    min_instances: int
    max_instances: int


@dataclass(eq=False)
class Deployment:
    """A named endpoint that runs one model version; updating it makes a new release."""

    owner: str
    name: str
    releases: list[Release]

    @property
    def current(self) -> Release:
        return self.releases[-1]

    def as_dict(self, account: dict[str, Any]) -> dict[str, Any]:
        release = self.current
        return {
            "owner": self.owner,
            "name": self.name,
            "current_release": {
                "number": release.number,
                "model": release.model,
                "version": release.version,
                "created_at": format_time(release.created_at),
                "created_by": account,
                "configuration": {
                    "hardware": release.hardware,
                    "min_instances": release.min_instances,
                    "max_instances": release.max_instances,
                },
            },
        }


@dataclass(eq=False)
class StoredFile:
    """A file uploaded through `POST /v1/files`, kept on disk."""

    id: str
    name: str
    content_type: str
    size: int
    sha256: str
    md5: str
    metadata: Any
    created_at: float
    expires_at: float
    path: Any  # pathlib.Path; Any keeps this module free of file-system imports in its annotations


@dataclass(frozen=True)
class SSEEvent:
    """One server-sent event of a prediction's stream; `id` counts from 1."""

    id: int
    event: str
    data: str


class Job:
    """A prediction or a training: its request, its state, and the events clients follow.

    State changes go through the `set_*`/`add_*` methods, which also append the matching stream event and
    tell the listeners (webhooks) what changed.
    """

    def __init__(
        self,
        *,
        id: str,
        kind: str,
        model: Model,
        version: Version,
        input: Any,
        created_at: float,
        api_base: str,
        stream_url: str | None,
        deployment: str | None = None,
        webhook: str | None = None,
        webhook_events: frozenset[str] = frozenset(),
        destination: Model | None = None,
    ) -> None:
        self.id = id
        self.kind = kind
        self.model = model
        self.version = version
        self.input = input
        self.created_at = created_at
        self.api_base = api_base
        self.stream_url = stream_url
        self.deployment = deployment
        self.webhook = webhook
        self.webhook_events = webhook_events
        self.destination = destination
        self.status = "starting"
        self.started_at: float | None = None
        self.completed_at: float | None = None
        self.deadline: float | None = None
        self.error: str | None = None
        self.output: Any = [] if kind == "prediction" and version.spec.streams else None
        self.log_lines: list[str] = []
        self.runtime_metrics: dict[str, Any] = {}  # metrics the runtime measured (Cog's predict_time, ...)
        self.events: list[SSEEvent] = []
        self.done = asyncio.Event()
        self._wakeup = asyncio.Event()
        self.listeners: list[Callable[[Job, str], None]] = []
        # Runner bookkeeping.
        self.cancel_requested = False
        self.task: asyncio.Task[None] | None = None
        self.cancel_timer: asyncio.TimerHandle | None = None

    # -- reading -------------------------------------------------------------------------------------------

    @property
    def terminal(self) -> bool:
        return self.status in TERMINAL

    @property
    def logs(self) -> str:
        return "\n".join(self.log_lines)

    @property
    def wakeup(self) -> asyncio.Event:
        """An event set at the next state change (a new one after each change)."""
        return self._wakeup

    def metrics(self) -> dict[str, Any]:
        if self.completed_at is None:
            return {}
        metrics: dict[str, Any] = {"total_time": round(self.completed_at - self.created_at, 6)}
        if self.started_at is not None:
            metrics["predict_time"] = round(self.completed_at - self.started_at, 6)
        metrics.update((key, value) for key, value in self.runtime_metrics.items() if key != "total_time")
        return metrics

    def as_dict(self) -> dict[str, Any]:
        """The prediction or training object, as `GET /v1/predictions/{id}` (or trainings) returns it."""
        collection = "predictions" if self.kind == "prediction" else "trainings"
        get = f"{self.api_base}/v1/{collection}/{self.id}"
        urls: dict[str, str] = {"get": get, "cancel": f"{get}/cancel"}
        if self.kind == "prediction":
            urls["web"] = f"{self.api_base}/_local/web/predictions/{self.id}"
            if self.stream_url is not None:
                urls["stream"] = self.stream_url
        body: dict[str, Any] = {
            "id": self.id,
            "model": self.model.full_name,
            "version": self.version.id,
            "input": self.input,
            "logs": self.logs,
            "output": self.output,
            "data_removed": False,
            "error": self.error,
            "status": self.status,
            "source": "api",
            "created_at": format_time(self.created_at),
            "started_at": format_time(self.started_at) if self.started_at is not None else None,
            "completed_at": format_time(self.completed_at) if self.completed_at is not None else None,
            "urls": urls,
            "metrics": self.metrics(),
        }
        if self.kind == "prediction":
            body["deadline"] = format_time(self.deadline) if self.deadline is not None else None
            body["deployment"] = self.deployment
        return body

    # -- changing ------------------------------------------------------------------------------------------

    def _event(self, event: str, data: str) -> None:
        self.events.append(SSEEvent(len(self.events) + 1, event, data))

    def _changed(self, what: str) -> None:
        wakeup, self._wakeup = self._wakeup, asyncio.Event()
        wakeup.set()
        for listener in self.listeners:
            listener(self, what)

    def set_processing(self, now: float) -> None:
        self.status = "processing"
        self.started_at = now
        self._changed("start")

    def add_log_lines(self, lines: list[str]) -> None:
        if self.terminal:
            return
        self.log_lines.extend(lines)
        for line in lines:
            self._event("logs", line)
        self._changed("logs")

    def add_output_item(self, item: Any) -> None:
        """One item of an iterator output: appended to `output` and streamed as an `output` event."""
        if self.terminal:
            return
        self.output.append(item)
        self._event("output", item if isinstance(item, str) else json.dumps(item))
        self._changed("output")

    def set_output(self, output: Any) -> None:
        """The whole output of a non-streaming predictor (streamed as one `output` event)."""
        self.output = output
        self._event("output", output if isinstance(output, str) else json.dumps(output))
        self._changed("output")

    def finish(self, status: str, now: float, error: str | None = None) -> None:
        """Move to a terminal status and end the stream with `error` and `done` events."""
        if self.terminal:
            return
        self.status = status
        self.completed_at = now
        self.error = error
        if self.cancel_timer is not None:
            self.cancel_timer.cancel()
            self.cancel_timer = None
        if status == "failed":
            self._event("error", json.dumps({"detail": error or "Prediction failed"}))
            self._event("done", json.dumps({"reason": "error"}))
        elif status == "canceled":
            self._event("done", json.dumps({"reason": "canceled"}))
        else:
            self._event("done", "{}")
        self.done.set()
        self._changed("completed")


class _TimeOrdered:
    """Records with a creation time, kept oldest first, with an id index."""

    def __init__(self) -> None:
        self.items: list[Any] = []
        self.times: list[int] = []  # creation times in microseconds, ascending
        self.by_id: dict[str, Any] = {}

    def add(self, key: str, item: Any, created_at: float) -> None:
        self.items.append(item)
        self.times.append(micros(created_at))
        self.by_id[key] = item

    def remove(self, key: str) -> None:
        item = self.by_id.pop(key)
        index = self.items.index(item)
        del self.items[index]
        del self.times[index]


class Store:
    """All records of one server."""

    def __init__(self) -> None:
        self.clock = Clock()
        self.predictions = _TimeOrdered()
        self.trainings = _TimeOrdered()
        self.files = _TimeOrdered()
        self.models: dict[str, Model] = {}
        self.versions: dict[str, tuple[Model, Version]] = {}
        self.deployments: dict[str, Deployment] = {}
        self.collections: dict[str, Collection] = {}

    def model(self, owner: str, name: str) -> Model | None:
        return self.models.get(f"{owner}/{name}")

    def add_model(self, model: Model) -> None:
        self.models[model.full_name] = model

    def add_version(self, model: Model, version: Version) -> None:
        model.versions = [v for v in model.versions if v.id != version.id]
        model.versions.append(version)
        self.versions[version.id] = (model, version)

    def remove_model(self, model: Model) -> None:
        del self.models[model.full_name]
        for version in model.versions:
            if self.versions.get(version.id, (None,))[0] is model:
                del self.versions[version.id]
