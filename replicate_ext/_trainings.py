"""Trainings: the `Training` object and the `trainings` namespace."""

from __future__ import annotations

import time
from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any, TypedDict, Unpack

from ._exceptions import InvalidArgumentError
from ._http import Call, Flow
from ._identifier import parse_model_name, parse_ref
from ._pagination import Page, page_call
from ._predictions import CreateOptions, FileEncodingStrategy, Job, _given, _iso

if TYPE_CHECKING:
    from replicate_api.models import Training as ApiTraining

    from ._client import Client
    from ._models import Model
    from ._versions import Version

__all__ = ["Training", "TrainingParams", "Trainings"]


class TrainingParams(TypedDict, total=False):
    """Options of `trainings.create` (as for predictions: see `Predictions.create`)."""

    webhook: str | None
    webhook_completed: str | None
    webhook_events_filter: Iterable[str] | None
    file_encoding_strategy: FileEncodingStrategy | None


_TRAINING_FIELDS = (
    "id", "model", "version", "status", "input", "output", "logs", "error", "metrics", "created_at", "started_at",
    "completed_at", "urls", "source",
)  # fmt: skip


class Training(Job):
    """A training: a run of a trainer that makes a new version of a destination model.

    When it succeeds, `output` is `{"version": "owner/name:<new version id>", "weights": <url or None>}`.
    """

    id: str
    model: str | None
    version: str | None
    status: str
    input: dict[str, Any] | None
    output: dict[str, Any] | None
    logs: str | None
    error: str | None
    metrics: dict[str, Any] | None
    created_at: str | None
    started_at: str | None
    completed_at: str | None
    urls: dict[str, str]
    source: str | None

    def __init__(self, client: Client | None = None, **fields: Any) -> None:
        self._client = client
        for name in _TRAINING_FIELDS:
            setattr(self, name, fields.pop(name, None))
        self.status = self.status or "starting"
        self.urls = dict(self.urls or {})
        self._fetched_at = time.monotonic()
        self.extra: dict[str, Any] = fields

    @classmethod
    def _from_api(cls, data: ApiTraining, client: Client | None) -> Training:
        urls_data = _given(data.urls)
        urls: dict[str, str] = {}
        if urls_data is not None:
            urls = {k: v for k, v in (("get", _given(urls_data.get)), ("cancel", _given(urls_data.cancel))) if v}
            urls.update({k: v for k, v in urls_data.additional_properties.items() if isinstance(v, str)})
        output = _given(data.output)
        return cls(
            client,
            id=_given(data.id) or "",
            model=_given(data.model),
            version=_given(data.version),
            status=_given(data.status) or "starting",
            input=_given(data.input_),
            output=output.to_dict() if output is not None else None,
            logs=_given(data.logs),
            error=_given(data.error),
            metrics=_given(data.metrics),
            created_at=_iso(_given(data.created_at)),
            started_at=_iso(_given(data.started_at)),
            completed_at=_iso(_given(data.completed_at)),
            urls=urls,
            source=_given(data.source),
            **data.additional_properties,
        )

    _kind = "training"

    def _replace_with(self, other: Training) -> Training:
        for name in _TRAINING_FIELDS:
            setattr(self, name, getattr(other, name))
        self.extra = other.extra
        self._fetched_at = other._fetched_at
        return self

    def _namespace(self, client: Client) -> Trainings:
        return client.trainings

    def to_dict(self) -> dict[str, Any]:
        return {name: getattr(self, name) for name in _TRAINING_FIELDS} | self.extra

    def __repr__(self) -> str:
        return f"Training(id={self.id!r}, model={self.model!r}, status={self.status!r})"


class Trainings:
    """The `trainings` namespace: `create`, `get`, `list`, `cancel` (and their `async_` forms)."""

    def __init__(self, client: Client) -> None:
        self._client = client

    def _training_call(self, operation: str, kwargs: Mapping[str, Any], idempotent: bool = True) -> Call[Training]:
        from replicate_api.models import Training as ApiTrainingModel

        from ._client import json_parser

        parse = json_parser(ApiTrainingModel.from_dict)
        client = self._client
        return Call(operation, kwargs, lambda r: Training._from_api(parse(r), client), idempotent=idempotent)

    def _get_call(self, id: str) -> Call[Training]:
        from replicate_api.api.trainings import trainings_get

        return self._training_call("trainings.get", trainings_get._get_kwargs(_training_id(id)))

    def _cancel_call(self, id: str) -> Call[Training]:
        from replicate_api.api.trainings import trainings_cancel

        return self._training_call("trainings.cancel", trainings_cancel._get_kwargs(_training_id(id)))

    def _list_call(self, cursor: str | None) -> Call[Page[Training]]:
        from replicate_api.api.trainings import trainings_list
        from replicate_api.models import Training as ApiTrainingModel

        client = self._client
        kwargs: Mapping[str, Any] = {"method": "get", "url": cursor} if cursor else trainings_list._get_kwargs()
        return page_call(
            "trainings.list", kwargs, lambda data: Training._from_api(ApiTrainingModel.from_dict(data), client), client
        )

    def _create_flow(
        self,
        args: tuple[Any, ...],
        model: str | tuple[str, str] | Model | None,
        version: str | Version | None,
        input: Mapping[str, Any] | None,
        destination: str | Model | None,
        options: CreateOptions,
    ) -> Flow[Training]:
        from replicate_api.api.trainings import trainings_create
        from replicate_api.models import TrainingRequest

        from ._files import encode_input_flow
        from ._models import Model, model_name
        from ._versions import Version

        if args:
            # 1.x shorthand: create("owner/name:version", input, destination)
            if model is not None or version is not None or len(args) > 3:
                raise InvalidArgumentError(
                    "Call trainings.create('owner/name:version', input, destination) or with model=, version=."
                )
            ref = parse_ref(args[0])
            if ref.owner is None or ref.version is None:
                raise InvalidArgumentError(f"{args[0]!r} must be 'owner/name:version' to name the trainer.")
            owner, name, version_id = ref.owner, ref.name or "", ref.version
            if len(args) > 1:
                input = args[1]
            if len(args) > 2:
                destination = args[2]
        else:
            if model is None or version is None:
                raise InvalidArgumentError("Name the trainer with model='owner/name' and version='<version id>'.")
            owner, name = model_name(model)
            version_id = version.id if isinstance(version, Version) else version
        if isinstance(destination, Model):
            destination = destination.id
        if not isinstance(destination, str):
            raise InvalidArgumentError("destination must be the 'owner/name' of the model to push the new version to.")
        parse_model_name(destination, "destination model")
        encoded = yield from encode_input_flow(self._client, input, options.file_encoding_strategy)
        body: dict[str, Any] = {"destination": destination, "input_": encoded}
        if options.webhook is not None:
            body["webhook"] = options.webhook
        if options.webhook_events_filter is not None:
            body["webhook_events_filter"] = list(options.webhook_events_filter)
        kwargs = trainings_create._get_kwargs(owner, name, version_id, body=TrainingRequest(**body))
        return (yield from self._client._requester.call(self._training_call("trainings.create", kwargs, False)))

    def create(
        self,
        *args: Any,
        model: str | tuple[str, str] | Model | None = None,
        version: str | Version | None = None,
        input: Mapping[str, Any] | None = None,
        destination: str | Model | None = None,
        **params: Unpack[TrainingParams],
    ) -> Training:
        """Start a training of a trainer version; the result is pushed as a new version of `destination`.

        Either `create("owner/name:version", input, destination)` or
        `create(model="owner/name", version="<id>", input={...}, destination="you/new-model")`.
        Files in `input` are uploaded or inlined as for predictions.
        """
        options = CreateOptions.build(**params)
        return self._client._drive(self._create_flow(args, model, version, input, destination, options))

    async def async_create(
        self,
        *args: Any,
        model: str | tuple[str, str] | Model | None = None,
        version: str | Version | None = None,
        input: Mapping[str, Any] | None = None,
        destination: str | Model | None = None,
        **params: Unpack[TrainingParams],
    ) -> Training:
        """Like `create`, for async code."""
        options = CreateOptions.build(**params)
        return await self._client._adrive(self._create_flow(args, model, version, input, destination, options))

    def get(self, id: str) -> Training:
        """Get a training by id."""
        return self._client._request(self._get_call(id))

    async def async_get(self, id: str) -> Training:
        """Like `get`, for async code."""
        return await self._client._arequest(self._get_call(id))

    def list(self, cursor: str | None = None) -> Page[Training]:
        """List trainings, one page at a time (pass `page.next` as `cursor`)."""
        return self._client._request(self._list_call(cursor))

    async def async_list(self, cursor: str | None = None) -> Page[Training]:
        """Like `list`, for async code."""
        return await self._client._arequest(self._list_call(cursor))

    def cancel(self, id: str) -> Training:
        """Cancel a training by id."""
        return self._client._request(self._cancel_call(id))

    async def async_cancel(self, id: str) -> Training:
        """Like `cancel`, for async code."""
        return await self._client._arequest(self._cancel_call(id))


def _training_id(value: Any) -> str:
    if isinstance(value, Training):
        return value.id
    if not isinstance(value, str) or not value or "/" in value:
        raise InvalidArgumentError(f"A training id is a non-empty string without '/', got {value!r}.")
    return value
