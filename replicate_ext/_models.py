"""Models: the `Model` object and the `models` namespace (with `versions`, `predictions`, `examples`, `readme`)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any, Literal, Self, TypedDict, Unpack, overload

from ._exceptions import InvalidArgumentError, ReplicateException
from ._http import Call, Flow
from ._identifier import parse_model_name
from ._pagination import Page, page_call
from ._predictions import CreateOptions, CreateParams, Prediction, Target, _given, create_flow
from ._resource import ApiObject
from ._versions import Version, Versions

if TYPE_CHECKING:
    from ._client import Client
    from ._schema import ModelSchema

__all__ = ["Model", "Models", "ModelsExamples", "ModelsPredictions", "ModelsReadme"]

_MODEL_FIELDS = (
    "url", "owner", "name", "description", "visibility", "github_url", "paper_url", "license_url", "run_count",
    "cover_image_url", "default_example", "latest_version", "is_official",
)  # fmt: skip


class ModelDetails(TypedDict, total=False):
    """Optional details of `models.create`."""

    description: str | None
    github_url: str | None
    paper_url: str | None
    license_url: str | None
    cover_image_url: str | None


class ModelUpdates(TypedDict, total=False):
    """What `models.update` can change."""

    description: str | None
    github_url: str | None
    paper_url: str | None
    license_url: str | None
    readme: str | None
    weights_url: str | None


class Model(ApiObject):
    """A model on Replicate: its metadata, latest version and default example."""

    url: str | None
    owner: str
    name: str
    description: str | None
    visibility: str | None
    """"public" or "private"."""
    github_url: str | None
    paper_url: str | None
    license_url: str | None
    run_count: int | None
    cover_image_url: str | None
    default_example: Prediction | None
    latest_version: Version | None
    is_official: bool | None

    def __init__(self, client: Client | None = None, **fields: Any) -> None:
        self._client = client
        for name in _MODEL_FIELDS:
            setattr(self, name, fields.pop(name, None))
        self.extra: dict[str, Any] = fields
        """Members the API sent that this class does not know."""

    @classmethod
    def _from_json(cls, data: Any, client: Client | None) -> Model:
        """A model from the API's JSON. Its default example is read as every prediction is (`Prediction._from_json`),
        so that it keeps the API's own timestamps."""
        from replicate_api.models import Model as ApiModelModel

        if not isinstance(data, dict):
            raise TypeError(f"a model must be a JSON object, got {type(data).__name__}")
        example = data.get("default_example")
        api = ApiModelModel.from_dict({**data, "default_example": None})
        model = f"{_given(api.owner)}/{_given(api.name)}"
        latest = _given(api.latest_version)
        return cls(
            client,
            url=_given(api.url),
            owner=_given(api.owner) or "",
            name=_given(api.name) or "",
            description=_given(api.description),
            visibility=_given(api.visibility),
            github_url=_given(api.github_url),
            paper_url=_given(api.paper_url),
            license_url=_given(api.license_url),
            run_count=_given(api.run_count),
            cover_image_url=_given(api.cover_image_url),
            default_example=Prediction._from_json(example, client) if example is not None else None,
            latest_version=Version._from_api(latest, model, client) if latest is not None else None,
            is_official=_given(api.is_official),
            **api.additional_properties,
        )

    @property
    def id(self) -> str:
        """The model's name as `owner/name`."""
        return f"{self.owner}/{self.name}"

    @property
    def versions(self) -> Versions:
        """The model's versions: `model.versions.list()`, `.get(id)`, `.delete(id)`."""
        if self._client is None:
            raise InvalidArgumentError("This model is not attached to a client; get it through a Client.")
        return Versions(self._client, self.owner, self.name)

    @property
    def schema(self) -> ModelSchema:
        """The inputs and output of the model's latest version (`latest_version.schema`; see `ModelSchema`).

        Raises:
            SchemaError: The model has no version, or its latest version has no readable schema.
        """
        if self.latest_version is None:
            from ._exceptions import SchemaError

            raise SchemaError(
                f"The model {self.id} has no version, so its inputs are not known; push a version of it first."
            )
        return self.latest_version.schema

    def validate_input(self, input: Mapping[str, Any] | None) -> None:
        """Check an input against the schema of the model's latest version (the version a run by name uses);
        see `ModelSchema.validate`.

        Raises:
            InvalidInputError: The input does not fit; the error lists every problem and the valid inputs.
            SchemaError: The model has no version, or its latest version has no readable schema.
        """
        self.schema.validate(input)

    @property
    def username(self) -> str:
        """The model's owner (the 1.x name, deprecated there too; use `owner`)."""
        return self.owner

    @username.setter
    def username(self, value: str) -> None:
        self.owner = value

    def predict(self, *args: Any, **kwargs: Any) -> Any:
        """Removed, as in 1.x: a model's latest version can change under you. Use `run()` or `Version.predict`."""
        raise ReplicateException(
            f"Model.predict() has been removed: the model's latest version can change, and its inputs with it. "
            f"Run it with replicate_ext.run({self.id!r}, input={{...}}), or pin a version with "
            f"replicate_ext.run({self.id + ':<version id>'!r}, input={{...}})."
        )

    def reload(self) -> Self:
        """Fetch the model again and update this object with what the API says now."""
        return self._replace_with(self._bound().models.get(self.owner, self.name))

    async def async_reload(self) -> Self:
        """Like `reload`, for async code."""
        return self._replace_with(await self._bound().models.async_get(self.owner, self.name))

    def _replace_with(self, other: Model) -> Self:
        self.__dict__.update({key: value for key, value in other.__dict__.items() if key != "_client"})
        return self

    def _bound(self) -> Client:
        from ._default import or_default

        return or_default(self._client)

    def __repr__(self) -> str:
        return f"Model(id={self.id!r}, visibility={self.visibility!r})"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Model) and self.to_dict() == other.to_dict()

    __hash__ = None  # type: ignore[assignment]

    def to_dict(self) -> dict[str, Any]:
        data = {name: getattr(self, name) for name in _MODEL_FIELDS}
        for key in ("default_example", "latest_version"):
            if data[key] is not None:
                data[key] = data[key].to_dict()
        return data | self.extra


def _check_fields(fields: dict[str, Any], allowed: set[str], method: str) -> None:
    unknown = sorted(set(fields) - allowed)
    if unknown:
        raise TypeError(f"models.{method}() got unexpected fields {unknown}; it takes {', '.join(sorted(allowed))}.")


def model_name(value: str | Model | tuple[str, str], *args: str) -> tuple[str, str]:
    """Accept `"owner/name"`, `("owner", "name")`, `owner, name` or a `Model`."""
    if args:
        if len(args) != 1 or not isinstance(value, str):
            raise InvalidArgumentError("Pass a model as 'owner/name' or as two arguments (owner, name).")
        return value, args[0]
    if isinstance(value, Model):
        return value.owner, value.name
    if isinstance(value, tuple) and len(value) == 2 and all(isinstance(part, str) for part in value):
        return value[0], value[1]
    if isinstance(value, str):
        return parse_model_name(value)
    raise InvalidArgumentError(f"A model is 'owner/name', (owner, name) or a Model; got {value!r}.")


def owner_and_name(
    args: tuple[Any, ...],
    kwargs: dict[str, Any],
    names: tuple[str, str, str] = ("key", "owner", "name"),
    resolve: Callable[..., tuple[str, str]] | None = None,
) -> tuple[str, str]:
    """The forms 1.x takes for a model (or, with other `names` and `resolve`, a deployment): one argument
    ("owner/name", a tuple or the object), or two (owner, name), positionally or by keyword (`key=`, or `owner=`
    and `name=`). `resolve` reads what was given (default: `model_name`)."""
    resolve = resolve or model_name
    key, owner, name = names
    unknown = sorted(set(kwargs) - set(names))
    if unknown:
        raise TypeError(f"Unexpected keyword arguments {unknown}: pass {key}=, or {owner}= and {name}=.")
    if key in kwargs:
        if args or owner in kwargs or name in kwargs:
            raise InvalidArgumentError(f"Pass either {key}= or {owner} and {name}, not both.")
        return resolve(kwargs[key])
    given = list(args)
    if owner in kwargs:
        if given:
            raise InvalidArgumentError(f"Pass {owner} and {name} both positionally or both by keyword.")
        given.append(kwargs[owner])
    if name in kwargs:
        given.append(kwargs[name])
    if len(given) not in (1, 2):
        raise InvalidArgumentError(f"Pass 'owner/name' (or {owner} and {name}); got {len(given)} arguments.")
    return resolve(*given)


class Models:
    """The `models` namespace: `get`, `list`, `search`, `create`, `update`, `delete`, and per-model helpers."""

    model = Model
    """The class of the objects this namespace returns (as in 1.x)."""
    CreateModelParams = ModelDetails

    def __init__(self, client: Client) -> None:
        self._client = client
        self.predictions = ModelsPredictions(client)
        """Create predictions of a model's latest (or official) version: `models.predictions.create(...)`."""
        self.examples = ModelsExamples(client)
        """A model's example predictions: `models.examples.list("owner/name")`."""
        self.readme = ModelsReadme(client)
        """A model's README: `models.readme.get("owner/name")`."""

    def _model_call(self, operation: str, kwargs: Mapping[str, Any], idempotent: bool = True) -> Call[Model]:
        from ._client import json_parser

        client = self._client
        parse = json_parser(lambda data: Model._from_json(data, client))
        return Call(operation, kwargs, parse, idempotent=idempotent)

    def _page(self, operation: str, kwargs: Mapping[str, Any]) -> Call[Page[Model]]:
        client = self._client
        return page_call(operation, kwargs, lambda data: Model._from_json(data, client), client)

    def _get_call(self, owner: str, name: str) -> Call[Model]:
        from replicate_api.api.models import models_get

        return self._model_call("models.get", models_get._get_kwargs(owner, name))

    def _list_call(
        self,
        cursor: str | None,
        sort_by: Literal["model_created_at", "latest_version_created_at"] | None,
        sort_direction: Literal["asc", "desc"] | None,
    ) -> Call[Page[Model]]:
        from replicate_api.api.models import models_list
        from replicate_api.types import UNSET

        if cursor is not None:
            return self._page("models.list", {"method": "get", "url": cursor})
        if sort_by not in (None, "model_created_at", "latest_version_created_at"):
            raise InvalidArgumentError("sort_by must be 'model_created_at' or 'latest_version_created_at'.")
        if sort_direction not in (None, "asc", "desc"):
            raise InvalidArgumentError("sort_direction must be 'asc' or 'desc'.")
        kwargs = models_list._get_kwargs(sort_by=sort_by or UNSET, sort_direction=sort_direction or UNSET)
        return self._page("models.list", kwargs)

    def _search_call(self, query: str, cursor: str | None) -> Call[Page[Model]]:
        # QUERY /v1/models: an HTTP method OpenAPI cannot describe, so nothing is generated for it; openapi.yaml
        # keeps its description under `x-query-operations`. The body is the query as plain text.
        if not isinstance(query, str) or not query.strip():
            raise InvalidArgumentError("search needs a non-empty query string.")
        kwargs = {
            "method": "QUERY",
            "url": cursor or "/models",
            "content": query.encode("utf-8"),
            "headers": {"Content-Type": "text/plain; charset=utf-8"},
        }
        return self._page("models.search", kwargs)

    def _create_call(self, owner: str, name: str, fields: dict[str, Any]) -> Call[Model]:
        from replicate_api.api.models import models_create
        from replicate_api.models import ModelCreateRequest

        _check_fields(fields, {"visibility", "hardware", *ModelDetails.__annotations__}, "create")
        visibility = fields.get("visibility")
        if visibility not in ("public", "private"):
            raise InvalidArgumentError(f"visibility must be 'public' or 'private', got {visibility!r}.")
        if not isinstance(fields.get("hardware"), str) or not fields["hardware"]:
            raise InvalidArgumentError("hardware must be a hardware SKU such as 'cpu' (see client.hardware.list()).")
        body = ModelCreateRequest(owner=owner, name=name, **{k: v for k, v in fields.items() if v is not None})
        return self._model_call("models.create", models_create._get_kwargs(body=body), idempotent=False)

    def _update_call(self, owner: str, name: str, fields: dict[str, Any]) -> Call[Model]:
        from replicate_api.api.models import models_update
        from replicate_api.models import ModelUpdateRequest

        _check_fields(fields, set(ModelUpdates.__annotations__), "update")
        given = {k: v for k, v in fields.items() if v is not None}
        if not given:
            raise InvalidArgumentError(
                f"update needs at least one field to change: {', '.join(ModelUpdates.__annotations__)}."
            )
        body = ModelUpdateRequest(**given)
        return self._model_call("models.update", models_update._get_kwargs(owner, name, body=body))

    def _delete_call(self, owner: str, name: str) -> Call[None]:
        from replicate_api.api.models import models_delete

        return Call("models.delete", models_delete._get_kwargs(owner, name), lambda r: None, expects="nothing")

    # -- public -----------------------------------------------------------------------------------------------

    @overload
    def get(self, key: str | tuple[str, str] | Model) -> Model: ...
    @overload
    def get(self, owner: str, name: str) -> Model: ...
    def get(self, *args: Any, **kwargs: Any) -> Model:
        """Get a model: `models.get("owner/name")` or `models.get("owner", "name")` (or `owner=`, `name=`)."""
        return self._client._request(self._get_call(*owner_and_name(args, kwargs)))

    @overload
    async def async_get(self, key: str | tuple[str, str] | Model) -> Model: ...
    @overload
    async def async_get(self, owner: str, name: str) -> Model: ...
    async def async_get(self, *args: Any, **kwargs: Any) -> Model:
        """Like `get`, for async code."""
        return await self._client._arequest(self._get_call(*owner_and_name(args, kwargs)))

    def list(
        self,
        cursor: str | None = None,
        *,
        sort_by: Literal["model_created_at", "latest_version_created_at"] | None = None,
        sort_direction: Literal["asc", "desc"] | None = None,
    ) -> Page[Model]:
        """List public models, one page at a time (pass `page.next` as `cursor` for the next one)."""
        return self._client._request(self._list_call(cursor, sort_by, sort_direction))

    async def async_list(
        self,
        cursor: str | None = None,
        *,
        sort_by: Literal["model_created_at", "latest_version_created_at"] | None = None,
        sort_direction: Literal["asc", "desc"] | None = None,
    ) -> Page[Model]:
        """Like `list`, for async code."""
        return await self._client._arequest(self._list_call(cursor, sort_by, sort_direction))

    def search(self, query: str, cursor: str | None = None) -> Page[Model]:
        """Search public models by text: `models.search("text-to-image")`."""
        return self._client._request(self._search_call(query, cursor))

    async def async_search(self, query: str, cursor: str | None = None) -> Page[Model]:
        """Like `search`, for async code."""
        return await self._client._arequest(self._search_call(query, cursor))

    def create(
        self,
        owner: str,
        name: str,
        *,
        visibility: Literal["public", "private"],
        hardware: str,
        **fields: Unpack[ModelDetails],
    ) -> Model:
        """Create a model (without versions: push one with Cog, or train into it).

        `fields`: `description`, `github_url`, `paper_url`, `license_url`, `cover_image_url`.
        """
        details = {"visibility": visibility, "hardware": hardware, **fields}
        return self._client._request(self._create_call(owner, name, details))

    async def async_create(
        self,
        owner: str,
        name: str,
        *,
        visibility: Literal["public", "private"],
        hardware: str,
        **fields: Unpack[ModelDetails],
    ) -> Model:
        """Like `create`, for async code."""
        details = {"visibility": visibility, "hardware": hardware, **fields}
        return await self._client._arequest(self._create_call(owner, name, details))

    def update(self, key: str | tuple[str, str] | Model, **fields: Unpack[ModelUpdates]) -> Model:
        """Change a model's metadata; only the fields passed change.

        `fields`: `description`, `github_url`, `paper_url`, `license_url`, `readme`, `weights_url`.
        """
        return self._client._request(self._update_call(*model_name(key), dict(fields)))

    async def async_update(self, key: str | tuple[str, str] | Model, **fields: Unpack[ModelUpdates]) -> Model:
        """Like `update`, for async code."""
        return await self._client._arequest(self._update_call(*model_name(key), dict(fields)))

    @overload
    def delete(self, key: str | tuple[str, str] | Model) -> bool: ...
    @overload
    def delete(self, owner: str, name: str) -> bool: ...
    def delete(self, *args: Any, **kwargs: Any) -> bool:
        """Delete a model (the API only allows it for a private model with no versions); True when done."""
        self._client._request(self._delete_call(*owner_and_name(args, kwargs)))
        return True

    @overload
    async def async_delete(self, key: str | tuple[str, str] | Model) -> bool: ...
    @overload
    async def async_delete(self, owner: str, name: str) -> bool: ...
    async def async_delete(self, *args: Any, **kwargs: Any) -> bool:
        """Like `delete`, for async code."""
        await self._client._arequest(self._delete_call(*owner_and_name(args, kwargs)))
        return True

    def schema(self, ref: str | Model | Version) -> ModelSchema:
        """The inputs and output of a model version, fetched from the API (once per version and client).

        `ref` is `owner/name` (its latest version, which a run by name uses), `owner/name:version`, a `Model`
        or a `Version`::

            schema = client.models.schema("stability-ai/sdxl")
            print([field.name for field in schema.inputs], schema.output.kind)

        Raises:
            InvalidArgumentError: `ref` is a bare version id: the API gives a version's schema only with its
                model's name.
            SchemaError: The model has no version, or the version has no readable schema.
            NotFoundError: No such model or version.
        """
        return self._client._drive(self._schema_flow(ref))

    async def async_schema(self, ref: str | Model | Version) -> ModelSchema:
        """Like `schema`, for async code."""
        return await self._client._adrive(self._schema_flow(ref))

    def _schema_flow(self, ref: str | Model | Version) -> Flow[ModelSchema]:
        from ._predictions import target_of
        from ._schema_fetch import target_schema_flow

        target, known = target_of(ref)
        return target_schema_flow(self._client, target, known)


class ModelsPredictions:
    """`models.predictions.create(model=..., input=...)`: run a model's latest or official version."""

    def __init__(self, client: Client) -> None:
        self._client = client

    def create(
        self,
        model: str | tuple[str, str] | Model,
        input: Mapping[str, Any] | None = None,
        **params: Unpack[CreateParams],
    ) -> Prediction:
        """Create a prediction of a model (not a specific version). See `Predictions.create` for the options."""
        owner, name = model_name(model)
        options = CreateOptions.build(**params)
        flow = create_flow(self._client, Target("model", owner, name), input, options)
        return self._client._drive(flow)

    async def async_create(
        self,
        model: str | tuple[str, str] | Model,
        input: Mapping[str, Any] | None = None,
        **params: Unpack[CreateParams],
    ) -> Prediction:
        """Like `create`, for async code."""
        owner, name = model_name(model)
        options = CreateOptions.build(**params)
        flow = create_flow(self._client, Target("model", owner, name), input, options)
        return await self._client._adrive(flow)


class ModelsExamples:
    """`models.examples.list("owner/name")`: the example predictions shown on a model's page."""

    def __init__(self, client: Client) -> None:
        self._client = client

    def _call(self, model: str | tuple[str, str] | Model, cursor: str | None) -> Call[Page[Prediction]]:
        from replicate_api.api.models import models_examples_list

        client = self._client
        kwargs: Mapping[str, Any] = (
            {"method": "get", "url": cursor} if cursor else models_examples_list._get_kwargs(*model_name(model))
        )
        return page_call("models.examples.list", kwargs, lambda data: Prediction._from_json(data, client), client)

    def list(self, model: str | tuple[str, str] | Model, cursor: str | None = None) -> Page[Prediction]:
        """One page of the model's examples."""
        return self._client._request(self._call(model, cursor))

    async def async_list(self, model: str | tuple[str, str] | Model, cursor: str | None = None) -> Page[Prediction]:
        """Like `list`, for async code."""
        return await self._client._arequest(self._call(model, cursor))


class ModelsReadme:
    """`models.readme.get("owner/name")`: a model's README, as Markdown text."""

    def __init__(self, client: Client) -> None:
        self._client = client

    def _call(self, model: str | tuple[str, str] | Model) -> Call[str]:
        from replicate_api.api.models import models_readme_get

        kwargs = models_readme_get._get_kwargs(*model_name(model))
        return Call("models.readme.get", kwargs, lambda r: r.text, expects="text")

    def get(self, model: str | tuple[str, str] | Model) -> str:
        """The README's Markdown."""
        return self._client._request(self._call(model))

    async def async_get(self, model: str | tuple[str, str] | Model) -> str:
        """Like `get`, for async code."""
        return await self._client._arequest(self._call(model))
