"""Predictions: the `Prediction` object, the `predictions` namespace, and creating and waiting for them."""

from __future__ import annotations

import datetime
import json
import math
import re
import time
from collections.abc import AsyncIterator, Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal, Protocol, Self, TypedDict, TypeVar, Unpack, overload

import httpx

from ._config import deadline_after, wait_timeout
from ._exceptions import (
    InvalidArgumentError,
    ModelError,
    PredictionCanceledError,
    PredictionTimeoutError,
    ReplicateException,
)
from ._http import Call, Flow, Perform, Sleep
from ._identifier import ModelRef, parse_ref
from ._pagination import Page, page_call
from ._resource import ApiObject

if TYPE_CHECKING:
    from ._client import Client
    from ._models import Model
    from ._stream import ServerSentEvent
    from ._versions import Version

__all__ = [
    "TERMINAL_STATUSES",
    "CreateOptions",
    "Prediction",
    "Predictions",
    "Progress",
    "Target",
]


class _Waitable(Protocol):
    @property
    def id(self) -> str: ...
    @property
    def status(self) -> str: ...
    @property
    def done(self) -> bool: ...


W = TypeVar("W", bound=_Waitable)

# Statuses after which a prediction never changes again. `aborted` is newer than the others.
TERMINAL_STATUSES = frozenset({"succeeded", "failed", "canceled", "aborted"})
WEBHOOK_EVENTS = ("start", "output", "logs", "completed")
FileEncodingStrategy = Literal["auto", "url", "base64"]


class RunParams(TypedDict, total=False):
    """Options of `run()`, `stream()` and every create; see `Predictions.create` for what each does."""

    stream: bool | None
    webhook: str | None
    webhook_completed: str | None
    webhook_events_filter: Iterable[str] | None
    cancel_after: str | float | datetime.timedelta | None
    file_encoding_strategy: FileEncodingStrategy | None


class CreateParams(RunParams, total=False):
    """Options of the prediction creates (`predictions.create`, `models.predictions.create`, ...)."""

    wait: bool | int


# A tqdm progress bar line, such as ` 45%|████▌     | 45/100 [00:01<00:02, 28.1it/s]`.
_PROGRESS_LINE = re.compile(r"^\s*(?P<percentage>\d+)%\s*\|.+?\|\s*(?P<current>\d+)/(?P<total>\d+)")


@dataclass(frozen=True)
class Progress:
    """How far a prediction has got, read from the last tqdm-style progress line in its logs."""

    percentage: float
    """From 0.0 to 1.0."""
    current: int
    total: int

    @classmethod
    def parse(cls, logs: str | None) -> Progress | None:
        """The progress of the last progress line in `logs`, or None when there is none."""
        if not logs:
            return None
        for line in reversed(logs.replace("\r", "\n").split("\n")):
            match = _PROGRESS_LINE.match(line)
            if match:
                try:
                    return cls(int(match["percentage"]) / 100.0, int(match["current"]), int(match["total"]))
                except (ValueError, OverflowError):
                    continue  # more digits than int() reads, or a percentage no float holds: not a tqdm line
        return None


def _iso(value: Any) -> str | None:
    if not isinstance(value, datetime.datetime):
        return None
    text = value.isoformat()
    return text[:-6] + "Z" if text.endswith("+00:00") else text


def _given(value: Any) -> Any:
    from replicate_api.types import Unset

    return None if isinstance(value, Unset) else value


class Job(ApiObject):
    """What predictions and trainings share: fetching their state, waiting for the end, canceling them.

    Subclasses say where their calls are (`_namespace`) and how to take over a fresher state (`_replace_with`).
    """

    id: str
    status: str
    _client: Client | None
    _fetched_at: float
    _kind = "prediction"

    @property
    def done(self) -> bool:
        """Whether it has finished (succeeded, failed, or canceled)."""
        return self.status in TERMINAL_STATUSES

    def _namespace(self, client: Client) -> Any:
        raise NotImplementedError

    def _replace_with(self, other: Self) -> Self:
        raise NotImplementedError

    def _bound(self) -> Client:
        if self._client is None:
            raise InvalidArgumentError(f"This {self._kind} is not attached to a client; get it through a Client.")
        return self._client

    def reload(self) -> Self:
        """Fetch the current state into this object, and return it."""
        client = self._bound()
        return self._replace_with(client._request(self._namespace(client)._get_call(self.id)))

    async def async_reload(self) -> Self:
        """Like `reload`, for async code."""
        client = self._bound()
        return self._replace_with(await client._arequest(self._namespace(client)._get_call(self.id)))

    def wait(self, timeout: float | None = None, *, poll_interval: float | None = None) -> Self:
        """Wait until it has finished (whatever the outcome), and return it, updated in place.

        When a prediction has an event stream (`urls["stream"]`) and no `timeout` is given, the end is learned
        from the stream's `done` event as it happens. Otherwise, or if the stream cannot be read, it polls: the
        first time one `poll_interval` (the client's, 0.2 s by default) after this object's state was fetched,
        at once if that was longer ago, then every `poll_interval`. It does not raise when the prediction failed
        or was canceled: check `status`.

        Args:
            timeout: Give up after this many seconds with `PredictionTimeoutError` (it keeps running).
            poll_interval: Seconds between polls, instead of the client's.
        """
        client = self._bound()
        return self._replace_with(client._drive(self._wait_flow(client, timeout, poll_interval)))

    async def async_wait(self, timeout: float | None = None, *, poll_interval: float | None = None) -> Self:
        """Like `wait`, for async code."""
        client = self._bound()
        return self._replace_with(await client._adrive(self._wait_flow(client, timeout, poll_interval)))

    def _wait_flow(self, client: Client, timeout: float | None, poll_interval: float | None) -> Flow[Self]:
        deadline = deadline_after(timeout, zero_ok=True)
        return wait_flow(client, self, deadline, poll_interval, self._namespace(client)._get_call)

    def cancel(self) -> Self:
        """Ask the API to cancel it; this object takes the state the API answers with."""
        client = self._bound()
        return self._replace_with(client._request(self._namespace(client)._cancel_call(self.id)))

    async def async_cancel(self) -> Self:
        """Like `cancel`, for async code."""
        client = self._bound()
        return self._replace_with(await client._arequest(self._namespace(client)._cancel_call(self.id)))


class Prediction(Job):
    """A prediction: one run of a model, and its state when last fetched.

    `output` has file URLs turned into `FileOutput`s (strings that can also `read()` and `save()` the file);
    `raw_output` is the output exactly as the API sent it.
    """

    id: str
    model: str
    """The model, as `owner/name`."""
    version: str
    """The version id (or "hidden" for models that do not show it)."""
    status: str
    """starting, processing, succeeded, failed, canceled (or a status added to the API later)."""
    input: dict[str, Any] | None
    logs: str | None
    error: str | None
    metrics: dict[str, Any] | None
    created_at: str | None
    started_at: str | None
    completed_at: str | None
    urls: dict[str, str]
    """`get`, `cancel`, and when available `stream` and `web`."""
    deadline: str | None
    source: str | None
    data_removed: bool
    deployment: str | None
    raw_output: Any

    def __init__(self, client: Client | None = None, /, **fields: Any) -> None:
        self._client = client
        self._fetched_at = time.monotonic()
        self._output_cache: Any = _NOTHING
        self.id = fields.pop("id")
        self.model = fields.pop("model", "")
        self.version = fields.pop("version", "")
        self.status = fields.pop("status", "starting")
        self.input = fields.pop("input", None)
        self.raw_output = fields.pop("output", None)
        self.logs = fields.pop("logs", None)
        self.error = fields.pop("error", None)
        self.metrics = fields.pop("metrics", None)
        self.created_at = fields.pop("created_at", None)
        self.started_at = fields.pop("started_at", None)
        self.completed_at = fields.pop("completed_at", None)
        self.urls = dict(fields.pop("urls", None) or {})
        self.deadline = fields.pop("deadline", None)
        self.source = fields.pop("source", None)
        self.data_removed = bool(fields.pop("data_removed", False))
        self.deployment = fields.pop("deployment", None)
        self.extra: dict[str, Any] = fields
        """Members the API sent that this class does not know."""

    @classmethod
    def _from_json(cls, data: Any, client: Client | None) -> Prediction:
        """A prediction from the API's JSON, checked as the schema says (required members, their types).

        Predictions are on every hot path (create, get, poll), so they are read from the decoded JSON directly
        rather than through the generated model, whose datetimes would only be turned back into strings; the
        checks are those the generated model makes.
        """
        if not isinstance(data, dict):
            raise TypeError(f"a prediction must be a JSON object, got {type(data).__name__}")
        for key in ("id", "status"):
            if not isinstance(data.get(key), str):
                raise TypeError(f"the prediction's {key!r} must be a string, got {data.get(key)!r}")
        urls = data.get("urls")
        if not isinstance(urls, dict) or not all(isinstance(v, str) for v in urls.values()):
            raise TypeError(f"the prediction's 'urls' must be an object of URLs, got {urls!r}")
        for key in _OPTIONAL_STRINGS:
            value = data.get(key)
            if value is not None and not isinstance(value, str):
                raise TypeError(f"the prediction's {key!r} must be a string or null, got {value!r}")
        for key in ("input", "metrics"):
            value = data.get(key)
            if value is not None and not isinstance(value, dict):
                raise TypeError(f"the prediction's {key!r} must be an object or null, got {value!r}")
        return cls(client, **data)

    def _replace_with(self, other: Prediction) -> Prediction:
        """Take over the state of a fresher copy of this prediction (reload, wait)."""
        for name in _FIELDS:
            setattr(self, name, getattr(other, name))
        self.extra = other.extra
        self._fetched_at = other._fetched_at
        self._output_cache = _NOTHING
        return self

    # -- derived ----------------------------------------------------------------------------------------------

    @property
    def output(self) -> Any:
        """The output, with file URLs (https:, http:, data:) as `FileOutput`s. See `raw_output`."""
        if self._output_cache is _NOTHING:
            from ._files import transform_output

            self._output_cache = transform_output(self.raw_output, self._client)
        return self._output_cache

    @property
    def progress(self) -> Progress | None:
        """The progress reported by the model's last tqdm-style log line, if any."""
        return Progress.parse(self.logs)

    def to_dict(self) -> dict[str, Any]:
        """The prediction as the API describes it (with the raw output)."""
        data = {name: getattr(self, name) for name in _FIELDS}
        data["output"] = data.pop("raw_output")
        data.update(self.extra)
        return data

    def __repr__(self) -> str:
        return f"Prediction(id={self.id!r}, model={self.model!r}, status={self.status!r})"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Prediction) and self.to_dict() == other.to_dict()

    __hash__ = None  # type: ignore[assignment]  # mutable, like the 1.x object

    Progress = Progress  # 1.x's name for the class of `progress`

    def _namespace(self, client: Client) -> Predictions:
        return client.predictions

    def stream(self, use_file_output: bool = False, *, timeout: float | None = None) -> Iterator[ServerSentEvent]:
        """Yield the prediction's server-sent events (`output`, `logs`, then `done`) as they come.

        Needs a prediction with a stream URL (`urls["stream"]`). A dropped connection is resumed where it
        stopped (`Last-Event-ID`). An `error` event raises `StreamError`; a `done` event for a canceled
        prediction raises `PredictionCanceledError`; after `timeout` seconds, `PredictionTimeoutError`.
        With `use_file_output`, output chunks that are URLs become `FileOutput`s.
        """
        from ._stream import stream_prediction

        return stream_prediction(self._bound(), self, use_file_output=use_file_output, deadline=deadline_after(timeout))

    def async_stream(
        self, use_file_output: bool = False, *, timeout: float | None = None
    ) -> AsyncIterator[ServerSentEvent]:
        """Like `stream`, for async code."""
        from ._stream import astream_prediction

        deadline = deadline_after(timeout)
        return astream_prediction(self._bound(), self, use_file_output=use_file_output, deadline=deadline)

    def output_iterator(self) -> Iterator[Any]:
        """Yield the output's items as the model produces them (new list items, each once).

        For an output that is not a list, the whole output is yielded once the prediction succeeds.
        Raises `ModelError` if the prediction fails, `PredictionCanceledError` if it is canceled.
        """
        client = self._bound()
        from ._files import transform_output

        seen = 0
        while True:
            output = self.raw_output
            if isinstance(output, list):
                for item in output[seen:]:
                    yield transform_output(item, client)
                seen = len(output)
            if self.done:
                break
            time.sleep(client.poll_interval)
            self.reload()
        raise_for_status(self)
        if not isinstance(self.raw_output, list) and self.raw_output is not None:
            yield self.output

    async def async_output_iterator(self) -> AsyncIterator[Any]:
        """Like `output_iterator`, for async code."""
        import anyio

        client = self._bound()
        from ._files import transform_output

        seen = 0
        while True:
            output = self.raw_output
            if isinstance(output, list):
                for item in output[seen:]:
                    yield transform_output(item, client)
                seen = len(output)
            if self.done:
                break
            await anyio.sleep(client.poll_interval)
            await self.async_reload()
        raise_for_status(self)
        if not isinstance(self.raw_output, list) and self.raw_output is not None:
            yield self.output


_NOTHING: Any = object()
_OPTIONAL_STRINGS = (
    "model", "version", "logs", "error", "created_at", "started_at", "completed_at", "deadline", "source", "deployment"
)  # fmt: skip


def prediction_parser(client: Client | None) -> Callable[[httpx.Response], Prediction]:
    """Parse an answer holding one prediction."""

    def parse(response: httpx.Response) -> Prediction:
        return Prediction._from_json(json.loads(response.content), client)

    return parse


_FIELDS = (
    "id", "model", "version", "status", "input", "raw_output", "logs", "error", "metrics", "created_at",
    "started_at", "completed_at", "urls", "deadline", "source", "data_removed", "deployment",
)  # fmt: skip


def raise_for_status(prediction: Prediction) -> None:
    """Raise `ModelError` for a failed prediction and `PredictionCanceledError` for a canceled one."""
    if prediction.status == "failed":
        raise ModelError(prediction)
    if prediction.status in ("canceled", "aborted"):
        raise PredictionCanceledError(prediction)


def wait_flow(
    client: Client,
    current: W,
    deadline: float | None,
    poll_interval: float | None = None,
    get_call: Callable[[str], Call[W]] | None = None,
) -> Flow[W]:
    """Poll until `current` (a prediction or training) is done: at once, then every poll interval.

    Raises `PredictionTimeoutError` when `deadline` (a `time.monotonic()` value) passes first.
    """
    interval = client.poll_interval if poll_interval is None else poll_interval
    fetch: Callable[[str], Call[Any]] = get_call or client.predictions._get_call
    stream_url = getattr(current, "urls", {}).get("stream") if deadline is None else None
    if stream_url and not current.done and isinstance(current, Prediction):
        # Learn of the end from the event stream's `done` as it happens; polling below then fetches the final
        # state (and takes over entirely if the stream cannot be read).
        from ._stream import await_stream_end, wait_for_stream_end

        streamed = current
        try:
            yield Perform(lambda: wait_for_stream_end(client, streamed), lambda: await_stream_end(client, streamed))
        except (httpx.HTTPError, ReplicateException):
            pass
    # The first poll comes one interval after the state in hand was fetched (at once if that is longer ago),
    # then one every interval: never more than one request per interval.
    due = getattr(current, "_fetched_at", -math.inf) + interval
    while not current.done:
        now = time.monotonic()
        pause = max(0.0, due - now)
        if deadline is not None:
            pause = min(pause, max(0.0, deadline - now))
        if pause > 0:
            yield Sleep(pause)
        if deadline is not None and time.monotonic() >= deadline:
            raise PredictionTimeoutError(
                f"{type(current).__name__} {current.id} was still {current.status} when the timeout expired.",
                current,  # type: ignore[arg-type]
            )
        current = yield from client._requester.call(fetch(current.id))
        due = time.monotonic() + interval
    return current


# -- creating -----------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Target:
    """What a prediction runs: a version (by id), a model (its latest or official version), or a deployment."""

    kind: Literal["version", "model", "deployment"]
    owner: str | None = None
    name: str | None = None
    version: str | None = None

    @classmethod
    def from_ref(cls, ref: ModelRef) -> Target:
        if ref.version is not None:
            return cls("version", ref.owner, ref.name, ref.version)
        return cls("model", ref.owner, ref.name)


@dataclass(frozen=True)
class CreateOptions:
    """The options of a prediction create, checked."""

    wait: float | None = None  # seconds to hold the request (Prefer: wait=N); None sends no Prefer
    stream: bool | None = None
    webhook: str | None = None
    webhook_events_filter: tuple[str, ...] | None = None
    cancel_after: str | None = None
    file_encoding_strategy: FileEncodingStrategy = "auto"

    @classmethod
    def build(
        cls,
        *,
        wait: bool | int | float | None = None,
        stream: bool | None = None,
        webhook: str | None = None,
        webhook_completed: str | None = None,
        webhook_events_filter: Iterable[str] | None = None,
        cancel_after: str | int | float | datetime.timedelta | None = None,
        file_encoding_strategy: str | None = None,
    ) -> CreateOptions:
        hold: float | None
        if wait is None or wait is False:
            hold = None
        elif wait is True:
            hold = 60
        elif isinstance(wait, int | float) and 1 <= wait <= 60:
            hold = math.ceil(wait)
        else:
            raise InvalidArgumentError(
                f"wait must be True, False, or a number of seconds from 1 to 60 (the API holds a request at most "
                f"60 s), got {wait!r}."
            )
        if webhook_completed is not None:
            # replicate 1.x's `webhook_completed=url` is a webhook for the completed event only.
            if webhook is not None and webhook != webhook_completed:
                raise InvalidArgumentError("Pass either webhook= or webhook_completed=, not two different URLs.")
            if webhook_events_filter is not None and set(webhook_events_filter) != {"completed"}:
                raise InvalidArgumentError("webhook_completed= means webhook_events_filter=['completed'].")
            webhook, webhook_events_filter = webhook_completed, ["completed"]
        events: tuple[str, ...] | None = None
        if webhook_events_filter is not None:
            if isinstance(webhook_events_filter, str):
                raise InvalidArgumentError("webhook_events_filter must be a list of events, such as ['completed'].")
            events = tuple(webhook_events_filter)
            unknown = [event for event in events if event not in WEBHOOK_EVENTS]
            if unknown:
                raise InvalidArgumentError(
                    f"Unknown webhook events {unknown}; the events are {', '.join(WEBHOOK_EVENTS)}."
                )
            if webhook is None:
                raise InvalidArgumentError("webhook_events_filter needs a webhook= URL to send the events to.")
        if webhook is not None and not (isinstance(webhook, str) and webhook.startswith(("https://", "http://"))):
            raise InvalidArgumentError(f"webhook must be an http(s) URL, got {webhook!r}.")
        strategy = file_encoding_strategy or "auto"
        if strategy not in ("auto", "url", "base64"):
            raise InvalidArgumentError(
                "file_encoding_strategy must be 'auto', 'url' (upload files) or 'base64' (data URIs), "
                f"got {strategy!r}."
            )
        if stream is not None and not isinstance(stream, bool):
            raise InvalidArgumentError(f"stream must be True or False, got {stream!r}.")
        return cls(hold, stream, webhook, events, format_cancel_after(cancel_after), strategy)  # type: ignore[arg-type]


_DURATION = re.compile(r"^(?:(\d+)h)?(?:(\d+)m)?(?:(\d+(?:\.\d+)?)s)?$")


def format_cancel_after(value: str | int | float | datetime.timedelta | None) -> str | None:
    """A `Cancel-After` header value from seconds, a timedelta, or a duration string (`30s`, `5m`, `1h30m`)."""
    if value is None:
        return None
    if isinstance(value, datetime.timedelta):
        value = value.total_seconds()
    if isinstance(value, bool):
        raise InvalidArgumentError(f"cancel_after must be a duration, got {value!r}.")
    if isinstance(value, int | float):
        if not math.isfinite(value) or value <= 0:
            raise InvalidArgumentError(f"cancel_after must be a positive duration, got {value!r}.")
        return f"{value:g}s"
    if isinstance(value, str):
        text = value.strip()
        if re.fullmatch(r"\d+(\.\d+)?", text):
            return f"{text}s"
        if text and _DURATION.match(text):
            return text
    raise InvalidArgumentError(
        f"cancel_after must be seconds, a timedelta, or a duration such as '30s', '5m' or '1h30m'; got {value!r}."
    )


def resolve_target(
    *,
    args: Sequence[Any],
    model: str | Model | None,
    version: str | Version | None,
    deployment: str | None,
    input: Mapping[str, Any] | None,
) -> tuple[Target, Mapping[str, Any] | None, dict[str, Any] | None]:
    """Work out what `predictions.create(...)` was asked to run, from its many accepted forms.

    Returns the target, the input, and the version's schema when a `Version` object supplied it.
    """
    if len(args) > 2:
        raise InvalidArgumentError("predictions.create takes at most two positional arguments: (version, input).")
    if args:
        if version is not None or model is not None or deployment is not None:
            raise InvalidArgumentError("Pass the version (or model) either positionally or by keyword, not both.")
        version = args[0]
        if len(args) == 2:
            if input is not None:
                raise InvalidArgumentError("Pass input either positionally or by keyword, not both.")
            input = args[1]
    given = [name for name, value in (("model", model), ("version", version), ("deployment", deployment)) if value]
    if len(given) != 1:
        raise InvalidArgumentError(
            "Say what to run with exactly one of model='owner/name', version='<version id>' (or a Version), or "
            f"deployment='owner/name'; got {', '.join(given) or 'none'}."
        )
    if deployment is not None:
        ref = parse_ref(deployment) if isinstance(deployment, str) else None
        if ref is None or ref.owner is None or ref.version is not None:
            raise InvalidArgumentError(f"deployment must be 'owner/name', got {deployment!r}.")
        target, schema = Target("deployment", ref.owner, ref.name), None
    else:
        # version="owner/name" runs the model, as model="owner/name:<id>" runs that version.
        target, schema = target_of(version if version is not None else model)
    return target, input, schema


def target_of(ref: Any) -> tuple[Target, dict[str, Any] | None]:
    """What to run for a reference (`owner/name[:version]`, a version id, a `Model` or a `Version`), and the
    version's schema when it is already known."""
    from ._models import Model
    from ._versions import Version

    if isinstance(ref, Version):
        owner, _, name = (ref.model or "").partition("/")
        return Target("version", owner or None, name or None, ref.id), ref.openapi_schema
    if isinstance(ref, Model):
        return Target("model", ref.owner, ref.name), None
    return Target.from_ref(parse_ref(ref)), None


def create_call(target: Target, input: Any, options: CreateOptions, client: Client) -> Call[Prediction]:
    """The API call that creates a prediction for `target`, with already-encoded `input`."""
    from replicate_api.models import PredictionRequest, VersionPredictionRequest
    from replicate_api.types import UNSET

    prefer = f"wait={int(options.wait)}" if options.wait is not None else UNSET
    cancel_after = options.cancel_after if options.cancel_after is not None else UNSET
    common: dict[str, Any] = {"input_": input}
    if options.webhook is not None:
        common["webhook"] = options.webhook
    if options.webhook_events_filter is not None:
        common["webhook_events_filter"] = list(options.webhook_events_filter)
    if options.stream is not None:
        common["stream"] = options.stream
    if target.kind == "version":
        from replicate_api.api.predictions import predictions_create

        body = VersionPredictionRequest(version=target.version or "", **common)
        kwargs = predictions_create._get_kwargs(body=body, prefer=prefer, cancel_after=cancel_after)
        operation = "predictions.create"
    elif target.kind == "model":
        from replicate_api.api.models import models_predictions_create

        kwargs = models_predictions_create._get_kwargs(
            target.owner or "", target.name or "", body=PredictionRequest(**common), prefer=prefer,
            cancel_after=cancel_after,
        )  # fmt: skip
        operation = "models.predictions.create"
    else:
        from replicate_api.api.deployments import deployments_predictions_create

        kwargs = deployments_predictions_create._get_kwargs(
            target.owner or "", target.name or "", body=PredictionRequest(**common), prefer=prefer,
            cancel_after=cancel_after,
        )  # fmt: skip
        operation = "deployments.predictions.create"
    timeout = wait_timeout(client.timeout, options.wait) if options.wait is not None else None
    return Call(operation, kwargs, prediction_parser(client), idempotent=False, timeout=timeout)


def create_flow(
    client: Client, target: Target, input: Mapping[str, Any] | None, options: CreateOptions
) -> Flow[Prediction]:
    """Encode the input's files, then create the prediction."""
    from ._files import encode_input_flow

    encoded = yield from encode_input_flow(client, input, options.file_encoding_strategy)
    return (yield from send_create_flow(client, target, encoded, options))


def send_create_flow(client: Client, target: Target, encoded_input: Any, options: CreateOptions) -> Flow[Prediction]:
    """Create the prediction (input already encoded), keeping the client's account of which creates are in
    flight and which predictions they made (see `_claims.py`)."""
    ticket = client._claims.sending(target, encoded_input)
    prediction: Prediction | None = None
    try:
        prediction = yield from client._requester.call(create_call(target, encoded_input, options, client))
    finally:
        client._claims.settled(target, ticket, prediction.id if prediction is not None else None)
    return prediction


def recover_created_flow(
    client: Client, target: Target, encoded_input: Any, sent_at: datetime.datetime, max_pages: int = 10
) -> Flow[Prediction | None]:
    """After a create whose answer was lost: a prediction it may have made, now owned by the caller.

    A candidate runs the same target with the same input, was created since the first create of that target
    and input that is being looked for was sent (less a margin for clock skew), and is owned by no other create
    of this client, nor can become the answer of one still in flight: creates of the same target and input are
    interchangeable (`_claims.py` has the rules). None when there is no candidate: then nothing can be told.
    """
    claims = client._claims
    recovery = claims.start_recovery(target, encoded_input, sent_at)
    try:
        while True:  # each new look follows another recovery's success: there are only so many
            seen = claims.recoveries
            since = claims.earliest_recovery(target, encoded_input, sent_at) - datetime.timedelta(seconds=30)
            candidates = yield from _candidates_flow(client, target, encoded_input, since, max_pages)
            # Any create of this input sent before the listing came back may own a candidate.
            in_flight = claims.in_flight(target, encoded_input)
            while claims.any_in_flight(target, in_flight):
                yield Sleep(0.02)
            taken = claims.take(p.id for p in candidates)
            if taken is not None:
                return next(p for p in candidates if p.id == taken)
            if claims.recoveries == seen:
                return None
    finally:
        claims.end_recovery(target, recovery)


def _candidates_flow(
    client: Client, target: Target, encoded_input: Any, since: datetime.datetime, max_pages: int
) -> Flow[list[Prediction]]:
    """The predictions of `target` with `encoded_input` created since `since`, oldest first."""
    call = client.predictions._list_call(None, since, None)
    candidates: list[Prediction] = []
    for _ in range(max_pages):
        page = yield from client._requester.call(call)
        candidates.extend(p for p in page.results if _same_request(p, target, encoded_input))
        if page.next is None:
            break
        call = client.predictions._list_call(page.next, None, None)
    candidates.reverse()  # the API lists the newest first
    return candidates


def _same_request(prediction: Prediction, target: Target, encoded_input: Any) -> bool:
    from ._json import same_json

    if not same_json(prediction.input, encoded_input):
        return False
    if target.kind == "version":
        return prediction.version == target.version
    if target.kind == "model":
        return prediction.model == f"{target.owner}/{target.name}"
    return prediction.deployment == f"{target.owner}/{target.name}"


class Predictions:
    """The `predictions` namespace: `create`, `get`, `list`, `cancel` (and their `async_` forms)."""

    CreatePredictionParams = CreateParams  # 1.x's name of the TypedDict

    def __init__(self, client: Client) -> None:
        self._client = client

    def _get_call(self, id: str) -> Call[Prediction]:
        from replicate_api.api.predictions import predictions_get

        _check_id(id, "prediction")
        return Call("predictions.get", predictions_get._get_kwargs(id), prediction_parser(self._client))

    def _cancel_call(self, id: str) -> Call[Prediction]:
        from replicate_api.api.predictions import predictions_cancel

        _check_id(id, "prediction")
        return Call(
            "predictions.cancel",
            predictions_cancel._get_kwargs(id),
            prediction_parser(self._client),
            idempotent=True,  # canceling twice is harmless
        )

    def _list_call(
        self,
        cursor: str | None,
        created_after: datetime.datetime | str | None,
        created_before: datetime.datetime | str | None,
    ) -> Call[Page[Prediction]]:
        from replicate_api.api.predictions import predictions_list
        from replicate_api.types import UNSET

        client = self._client

        if cursor is not None:
            if created_after is not None or created_before is not None:
                raise InvalidArgumentError("A cursor already carries its filters; pass either a cursor or filters.")
            kwargs: dict[str, Any] = {"method": "get", "url": cursor}
        else:
            kwargs = predictions_list._get_kwargs(
                created_after=_to_datetime(created_after, "created_after") or UNSET,
                created_before=_to_datetime(created_before, "created_before") or UNSET,
            )
        return page_call("predictions.list", kwargs, lambda data: Prediction._from_json(data, client), client)

    # -- create -----------------------------------------------------------------------------------------------

    @overload
    def create(
        self, version: str | Version, input: Mapping[str, Any] | None = None, **params: Unpack[CreateParams]
    ) -> Prediction: ...
    @overload
    def create(
        self,
        *,
        model: str | Model | None = None,
        version: str | Version | None = None,
        deployment: str | None = None,
        input: Mapping[str, Any] | None = None,
        **params: Unpack[CreateParams],
    ) -> Prediction: ...
    def create(
        self,
        *args: Any,
        model: str | Model | None = None,
        version: str | Version | None = None,
        deployment: str | None = None,
        input: Mapping[str, Any] | None = None,
        **params: Unpack[CreateParams],
    ) -> Prediction:
        """Create a prediction and return it (usually still `starting`; see `wait`).

        Say what to run with one of:

        - `version`: a version id, `owner/name:version`, or a `Version` (also the first positional argument);
        - `model`: `owner/name` or a `Model`, to run its latest version (or an official model);
        - `deployment`: `owner/name` of a deployment.

        Args:
            input: The model's inputs. Local files (`pathlib.Path`, open binary files, bytes) anywhere in it are
                uploaded, or sent inline as data URIs (see `file_encoding_strategy`).
            wait: Hold the request until the prediction finishes, up to 60 s (True) or this many seconds.
            stream: Ask for a stream URL (models that stream get one anyway).
            webhook: A URL to POST the prediction to as it changes; `webhook_events_filter` picks the events
                ("start", "output", "logs", "completed"). `webhook_completed=url` is the 1.x shorthand for
                "completed" only.
            cancel_after: Cancel the prediction if it runs longer than this (seconds, a timedelta, or "5m").
            file_encoding_strategy: "auto" (default: files up to 256 KiB inline as data URIs, larger ones
                uploaded), "url" (always upload) or "base64" (always inline).

        Example::

            prediction = replicate.predictions.create(model="owner/name", input={"prompt": "hello"})
            prediction.wait()
        """
        target, inputs, _ = resolve_target(args=args, model=model, version=version, deployment=deployment, input=input)
        options = CreateOptions.build(**params)
        return self._client._drive(create_flow(self._client, target, inputs, options))

    @overload
    async def async_create(
        self, version: str | Version, input: Mapping[str, Any] | None = None, **params: Unpack[CreateParams]
    ) -> Prediction: ...
    @overload
    async def async_create(
        self,
        *,
        model: str | Model | None = None,
        version: str | Version | None = None,
        deployment: str | None = None,
        input: Mapping[str, Any] | None = None,
        **params: Unpack[CreateParams],
    ) -> Prediction: ...
    async def async_create(
        self,
        *args: Any,
        model: str | Model | None = None,
        version: str | Version | None = None,
        deployment: str | None = None,
        input: Mapping[str, Any] | None = None,
        **params: Unpack[CreateParams],
    ) -> Prediction:
        """Like `create`, for async code."""
        target, inputs, _ = resolve_target(args=args, model=model, version=version, deployment=deployment, input=input)
        options = CreateOptions.build(**params)
        return await self._client._adrive(create_flow(self._client, target, inputs, options))

    # -- read -------------------------------------------------------------------------------------------------

    def get(self, id: str) -> Prediction:
        """Get a prediction by id."""
        return self._client._request(self._get_call(id))

    async def async_get(self, id: str) -> Prediction:
        """Like `get`, for async code."""
        return await self._client._arequest(self._get_call(id))

    def list(
        self,
        cursor: str | None = None,
        *,
        created_after: datetime.datetime | str | None = None,
        created_before: datetime.datetime | str | None = None,
    ) -> Page[Prediction]:
        """List predictions, newest first, one page at a time.

        Args:
            cursor: The `next` (or `previous`) URL of a page, to get that page.
            created_after, created_before: Only predictions created in this window (datetimes or ISO 8601).

        Use `replicate_ext.paginate(client.predictions.list)` to walk every page.
        """
        return self._client._request(self._list_call(cursor, created_after, created_before))

    async def async_list(
        self,
        cursor: str | None = None,
        *,
        created_after: datetime.datetime | str | None = None,
        created_before: datetime.datetime | str | None = None,
    ) -> Page[Prediction]:
        """Like `list`, for async code."""
        return await self._client._arequest(self._list_call(cursor, created_after, created_before))

    def cancel(self, id: str) -> Prediction:
        """Cancel a prediction by id; returns its state after the request."""
        return self._client._request(self._cancel_call(id))

    async def async_cancel(self, id: str) -> Prediction:
        """Like `cancel`, for async code."""
        return await self._client._arequest(self._cancel_call(id))


def _check_id(value: Any, what: str) -> None:
    if not isinstance(value, str) or not value or "/" in value:
        raise InvalidArgumentError(f"A {what} id must be a non-empty string without '/', got {value!r}.")


def _to_datetime(value: datetime.datetime | str | None, name: str) -> datetime.datetime | None:
    if value is None:
        return None
    if isinstance(value, str):
        try:
            value = datetime.datetime.fromisoformat(value)
        except ValueError:
            raise InvalidArgumentError(f"{name} must be a datetime or an ISO 8601 string, got {value!r}.") from None
    if not isinstance(value, datetime.datetime):
        raise InvalidArgumentError(f"{name} must be a datetime or an ISO 8601 string, got {value!r}.")
    if value.tzinfo is None:
        raise InvalidArgumentError(f"{name} must say its time zone (for example datetime.now(timezone.utc)).")
    return value
