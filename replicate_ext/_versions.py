"""Model versions: the `Version` object and a model's `versions` namespace."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from ._http import Call
from ._pagination import Page, collect_pages_flow, page_call
from ._resource import ApiObject

if TYPE_CHECKING:
    from replicate_api.models import Version as ApiVersion

    from ._client import Client
    from ._schema import ModelSchema

__all__ = ["Version", "Versions"]


class Version(ApiObject):
    """One immutable version of a model, with the OpenAPI schema of its inputs and outputs."""

    id: str
    created_at: str | None
    cog_version: str | None
    openapi_schema: dict[str, Any] | None

    def __init__(
        self,
        id: str,
        created_at: str | None = None,
        cog_version: str | None = None,
        openapi_schema: dict[str, Any] | None = None,
        *,
        model: str | None = None,
        client: Client | None = None,
        **extra: Any,
    ) -> None:
        self.id = id
        self.created_at = created_at
        self.cog_version = cog_version
        self.openapi_schema = openapi_schema
        self.model = model
        """The model this version belongs to (`owner/name`), when known."""
        self.extra = extra
        self._client = client

    @classmethod
    def _from_api(cls, data: ApiVersion, model: str | None, client: Client | None) -> Version:
        from ._predictions import _given, _iso

        schema = _given(data.openapi_schema)
        return cls(
            id=str(_given(data.id) or ""),
            created_at=_iso(_given(data.created_at)),
            cog_version=_given(data.cog_version),
            openapi_schema=schema if isinstance(schema, dict) else None,
            model=model,
            client=client,
            **data.additional_properties,
        )

    @property
    def schema(self) -> ModelSchema:
        """The version's inputs and output, read from its `openapi_schema` (see `ModelSchema`).

        Raises:
            SchemaError: The version carries no `openapi_schema` (fetch it with `model.versions.get(id)`), or
                one that is not a Cog schema.
        """
        from ._exceptions import SchemaError
        from ._schema import ModelSchema

        document = self.openapi_schema
        cached: tuple[Any, ModelSchema] | None = self.__dict__.get("_schema")
        if cached is not None and cached[0] is document:
            return cached[1]
        if not document:
            where = f"Version {self.id}" + (f" of {self.model}" if self.model else "")
            raise SchemaError(
                f"{where} carries no openapi_schema, so its inputs are not known; get the version from the API "
                "(model.versions.get(id)) to have it."
            )
        schema = ModelSchema.from_openapi(document)
        self.__dict__["_schema"] = (document, schema)
        return schema

    def validate_input(self, input: Mapping[str, Any] | None) -> None:
        """Check an input against this version's schema; see `ModelSchema.validate`.

        Raises:
            InvalidInputError: The input does not fit; the error lists every problem and the valid inputs.
            SchemaError: The version has no readable schema.
        """
        self.schema.validate(input)

    def predict(self, *, validate_input: bool = False, **inputs: Any) -> Any:
        """Run this version with `inputs` as keyword arguments, wait, and return its output (1.x style).

        The same as `client.run(version, input=inputs, validate_input=validate_input)`; `validate_input=True`
        checks the inputs against the version's schema first (see `run`).
        """
        from ._run import run

        return run(self._bound(), self, inputs, validate_input=validate_input)

    async def async_predict(self, *, validate_input: bool = False, **inputs: Any) -> Any:
        """Like `predict`, for async code."""
        from ._run import async_run

        return await async_run(self._bound(), self, inputs, validate_input=validate_input)

    def _bound(self) -> Client:
        from ._default import or_default

        return or_default(self._client)

    def __repr__(self) -> str:
        return f"Version(id={self.id!r}, model={self.model!r}, cog_version={self.cog_version!r})"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Version) and (self.id, self.model) == (other.id, other.model)

    def __hash__(self) -> int:
        return hash(self.id)

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "created_at": self.created_at,
            "cog_version": self.cog_version,
            "openapi_schema": self.openapi_schema,
            **self.extra,
        }


class Versions:
    """The versions of one model: `get`, `list`, `delete` (and their `async_` forms)."""

    def __init__(self, client: Client, owner: str, name: str) -> None:
        self._client = client
        self.owner = owner
        self.name = name

    @property
    def _model(self) -> str:
        return f"{self.owner}/{self.name}"

    def _convert(self, data: ApiVersion) -> Version:
        return Version._from_api(data, self._model, self._client)

    def _get_call(self, id: str) -> Call[Version]:
        from replicate_api.api.models import models_versions_get
        from replicate_api.models import Version as ApiVersionModel

        from ._client import json_parser

        parse = json_parser(ApiVersionModel.from_dict)
        kwargs = models_versions_get._get_kwargs(self.owner, self.name, _version_id(id))
        return Call("models.versions.get", kwargs, lambda r: self._convert(parse(r)))

    def _list_call(self, cursor: str | None) -> Call[Page[Version]]:
        from replicate_api.api.models import models_versions_list
        from replicate_api.models import Version as ApiVersionModel

        kwargs: Mapping[str, Any] = (
            {"method": "get", "url": cursor} if cursor else models_versions_list._get_kwargs(self.owner, self.name)
        )
        return page_call(
            "models.versions.list", kwargs, lambda data: self._convert(ApiVersionModel.from_dict(data)), self._client
        )

    def _delete_call(self, id: str) -> Call[None]:
        from replicate_api.api.models import models_versions_delete

        kwargs = models_versions_delete._get_kwargs(self.owner, self.name, _version_id(id))
        return Call("models.versions.delete", kwargs, lambda r: None, expects="nothing")

    def get(self, id: str) -> Version:
        """Get one version by id."""
        return self._client._request(self._get_call(id))

    async def async_get(self, id: str) -> Version:
        """Like `get`, for async code."""
        return await self._client._arequest(self._get_call(id))

    def list(self, cursor: str | None = None) -> Page[Version]:
        """Every version of the model, newest first: all pages are fetched, so `next` is None.

        With `cursor` (a page URL), only that page.
        """
        if cursor is not None:
            return self._client._request(self._list_call(cursor))
        return self._client._drive(collect_pages_flow(self._list_call(None), self._list_call, self._client))

    async def async_list(self, cursor: str | None = None) -> Page[Version]:
        """Like `list`, for async code."""
        if cursor is not None:
            return await self._client._arequest(self._list_call(cursor))
        return await self._client._adrive(collect_pages_flow(self._list_call(None), self._list_call, self._client))

    def delete(self, id: str) -> None:
        """Delete a version (the API removes it in the background)."""
        self._client._request(self._delete_call(id))

    async def async_delete(self, id: str) -> None:
        """Like `delete`, for async code."""
        await self._client._arequest(self._delete_call(id))


def _version_id(value: Any) -> str:
    from ._exceptions import InvalidArgumentError

    if isinstance(value, Version):
        return value.id
    if not isinstance(value, str) or not value or "/" in value:
        raise InvalidArgumentError(f"A version id is a string like '5c7d5dc6dd8b...', got {value!r}.")
    return value
