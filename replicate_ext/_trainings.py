"""Trainings: the `Training` object and the `trainings` namespace."""

from __future__ import annotations

import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, TypedDict, Unpack, overload

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


class _MoreTrainingParams(TypedDict, total=False):
    webhook_completed: str | None
    file_encoding_strategy: FileEncodingStrategy | None


class TrainingParams(_MoreTrainingParams, total=False):
    """Options of `trainings.create` (as for predictions: see `Predictions.create`)."""

    webhook: str | None
    webhook_events_filter: Iterable[str] | None


_TRAINING_FIELDS = (
    "id", "model", "version", "status", "input", "output", "logs", "error", "metrics", "created_at", "started_at",
    "completed_at", "urls", "source", "destination",
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
    destination: str | None
    """The model the new version goes to (`owner/name`): as the API says, or as the create asked."""

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
            **data.additional_properties,  # "destination" among them, where the API sends it
        )

    _kind = "training"

    def _replace_with(self, other: Training) -> Training:
        destination = self.destination
        for name in _TRAINING_FIELDS:
            setattr(self, name, getattr(other, name))
        self.destination = self.destination or destination  # the API may not repeat what the create said
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

    CreateTrainingParams = TrainingParams  # 1.x's name of the TypedDict

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

    def _create_flow(self, trainer: _Trainer, options: CreateOptions) -> Flow[Training]:
        from replicate_api.api.trainings import trainings_create
        from replicate_api.models import TrainingRequest

        from ._files import encode_input_flow

        encoded = yield from encode_input_flow(self._client, trainer.input, options.file_encoding_strategy)
        body: dict[str, Any] = {"destination": trainer.destination, "input_": encoded}
        if options.webhook is not None:
            body["webhook"] = options.webhook
        if options.webhook_events_filter is not None:
            body["webhook_events_filter"] = list(options.webhook_events_filter)
        kwargs = trainings_create._get_kwargs(
            trainer.owner, trainer.name, trainer.version, body=TrainingRequest(**body)
        )
        training = yield from self._client._requester.call(self._training_call("trainings.create", kwargs, False))
        if training.destination is None:
            training.destination = trainer.destination
        return training

    @overload
    def create(
        self,
        version: str | Version,
        input: Mapping[str, Any] | None = None,
        destination: str | Model | None = None,
        webhook: str | None = None,
        webhook_events_filter: Iterable[str] | None = None,
        **params: Unpack[_MoreTrainingParams],
    ) -> Training: ...
    @overload
    def create(
        self,
        model: str | tuple[str, str] | Model,
        version: str | Version,
        input: Mapping[str, Any] | None = None,
        *,
        destination: str | Model | None = None,
        **params: Unpack[TrainingParams],
    ) -> Training: ...
    def create(self, *args: Any, **kwargs: Any) -> Training:
        """Start a training of a trainer version; the result is pushed as a new version of `destination`.

        Name the trainer as 1.x does: `create("owner/name:version", input, destination)`,
        `create(version="owner/name:version", ...)`, `create(model="owner/name", version="<id>", ...)` (the version
        may also be `owner/name:<id>` or a `Version`), or `create(model, version, input, destination=...)`.
        `destination` is the `owner/name` of an existing model. Files in `input` are uploaded or inlined as for
        predictions; `webhook`, `webhook_completed`, `webhook_events_filter` and `file_encoding_strategy` as for
        predictions.
        """
        trainer, params = _trainer(args, kwargs)
        return self._client._drive(self._create_flow(trainer, CreateOptions.build(**params)))

    @overload
    async def async_create(
        self,
        version: str | Version,
        input: Mapping[str, Any] | None = None,
        destination: str | Model | None = None,
        webhook: str | None = None,
        webhook_events_filter: Iterable[str] | None = None,
        **params: Unpack[_MoreTrainingParams],
    ) -> Training: ...
    @overload
    async def async_create(
        self,
        model: str | tuple[str, str] | Model,
        version: str | Version,
        input: Mapping[str, Any] | None = None,
        *,
        destination: str | Model | None = None,
        **params: Unpack[TrainingParams],
    ) -> Training: ...
    async def async_create(self, *args: Any, **kwargs: Any) -> Training:
        """Like `create`, for async code."""
        trainer, params = _trainer(args, kwargs)
        return await self._client._adrive(self._create_flow(trainer, CreateOptions.build(**params)))

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


@dataclass(frozen=True)
class _Trainer:
    """What a training create names: the trainer version, its input, and the destination model."""

    owner: str
    name: str
    version: str
    input: Mapping[str, Any] | None
    destination: str


_SHORTHAND_POSITIONS = ("version", "input", "destination", "webhook", "webhook_events_filter")
_MODEL_POSITIONS = ("model", "version", "input")


def _trainer(args: tuple[Any, ...], kwargs: dict[str, Any]) -> tuple[_Trainer, TrainingParams]:
    """Read the forms of `trainings.create(...)` (the 1.x ones included) into the trainer and the options."""
    from ._models import Model, model_name
    from ._versions import Version

    named = dict(kwargs)
    if args:
        first = args[0]
        shorthand = isinstance(first, Version) or (isinstance(first, str) and ":" in first)
        positions = _SHORTHAND_POSITIONS if shorthand else _MODEL_POSITIONS
        if len(args) > len(positions):
            raise InvalidArgumentError(
                f"trainings.create takes at most {len(positions)} positional arguments here: {', '.join(positions)}."
            )
        for position, value in zip(positions, args, strict=False):
            if position in named:
                raise InvalidArgumentError(f"trainings.create got {position} both positionally and by keyword.")
            named[position] = value
    model, version = named.pop("model", None), named.pop("version", None)
    input, destination = named.pop("input", None), named.pop("destination", None)
    unknown = sorted(set(named) - TrainingParams.__optional_keys__)
    if unknown:
        raise TypeError(f"trainings.create got unexpected arguments {unknown}.")

    version_model: tuple[str, str] | None = None
    if isinstance(version, Version):
        version_id = version.id
        if version.model:
            version_model = parse_model_name(version.model)
    elif isinstance(version, str) and version:
        ref = parse_ref(version)
        if ref.owner is not None and ref.version is None:
            raise InvalidArgumentError(f"version={version!r} names a model; give its version: 'owner/name:<id>'.")
        version_id = ref.version or version
        version_model = (ref.owner, ref.name or "") if ref.owner is not None else None
    else:
        raise InvalidArgumentError(
            "Name the trainer's version: 'owner/name:<version id>', or model='owner/name' and version='<id>'."
        )
    if model is not None:
        owner, name = model_name(model.split(":", 1)[0] if isinstance(model, str) else model)
        if version_model is not None and version_model != (owner, name):
            raise InvalidArgumentError(f"version {version!r} belongs to another model than {owner}/{name}.")
    elif version_model is not None:
        owner, name = version_model
    else:
        raise InvalidArgumentError(f"Which model is version {version_id!r} of? Pass model='owner/name' too.")

    if isinstance(destination, Model):
        destination = destination.id
    if not isinstance(destination, str):
        raise InvalidArgumentError("destination must be the 'owner/name' of the model to push the new version to.")
    parse_model_name(destination, "destination model")
    params: TrainingParams = named  # type: ignore[assignment]  # its keys were checked above
    return _Trainer(owner, name, version_id, input, destination), params


def _training_id(value: Any) -> str:
    if isinstance(value, Training):
        return value.id
    if not isinstance(value, str) or not value or "/" in value:
        raise InvalidArgumentError(f"A training id is a non-empty string without '/', got {value!r}.")
    return value
