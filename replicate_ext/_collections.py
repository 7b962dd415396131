"""Curated collections of models."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import TYPE_CHECKING, Any

from ._exceptions import InvalidArgumentError
from ._http import Call
from ._pagination import Page, page_call
from ._resource import ApiObject

if TYPE_CHECKING:
    from ._client import Client
    from ._models import Model

__all__ = ["Collection", "Collections"]


class Collection(ApiObject):
    """A collection of models. Iterating over it iterates over its `models` (fetched by `collections.get`)."""

    slug: str
    name: str
    description: str | None
    models: list[Model] | None
    full_description: str | None

    def __init__(
        self,
        slug: str,
        name: str,
        description: str | None = None,
        models: list[Model] | None = None,
        full_description: str | None = None,
        **extra: Any,
    ) -> None:
        self.slug = slug
        self.name = name
        self.description = description
        self.models = models
        """The collection's models; None for the summaries `collections.list()` returns."""
        self.full_description = full_description
        self.extra = extra

    @property
    def id(self) -> str:
        """The `slug` (the 1.x name, deprecated there too)."""
        return self.slug

    def to_dict(self) -> dict[str, Any]:
        models = [model.to_dict() for model in self.models] if self.models is not None else None
        return {
            "slug": self.slug, "name": self.name, "description": self.description, "models": models,
            "full_description": self.full_description, **self.extra,
        }  # fmt: skip

    def __iter__(self) -> Iterator[Model]:
        return iter(self.models or [])

    def __len__(self) -> int:
        return len(self.models or [])

    def __repr__(self) -> str:
        return f"Collection(slug={self.slug!r}, name={self.name!r})"


class Collections:
    """The `collections` namespace: `list` and `get`."""

    def __init__(self, client: Client) -> None:
        self._client = client

    def _list_call(self, cursor: str | None) -> Call[Page[Collection]]:
        from replicate_api.api.collections import collections_list
        from replicate_api.models import CollectionSummary

        def item(data: Any) -> Collection:
            summary = CollectionSummary.from_dict(data)
            return Collection(summary.slug, summary.name, summary.description, None, **summary.additional_properties)

        kwargs: Mapping[str, Any] = {"method": "get", "url": cursor} if cursor else collections_list._get_kwargs()
        return page_call("collections.list", kwargs, item, self._client)

    def _get_call(self, slug: str) -> Call[Collection]:
        from replicate_api.api.collections import collections_get
        from replicate_api.models import Collection as ApiCollectionModel

        from ._client import json_parser
        from ._models import Model
        from ._predictions import _given

        if not isinstance(slug, str) or not slug or "/" in slug:
            raise InvalidArgumentError(f"A collection slug is a string such as 'text-to-image', got {slug!r}.")
        client = self._client

        def convert(data: dict[str, Any]) -> Collection:
            models = data.get("models")
            if not isinstance(models, list):
                raise TypeError(f"a collection's 'models' must be a list, got {type(models).__name__}")
            api = ApiCollectionModel.from_dict({**data, "models": []})
            return Collection(
                api.slug,
                api.name,
                api.description,
                [Model._from_json(item, client) for item in models],
                _given(api.full_description),
                **api.additional_properties,
            )

        return Call("collections.get", collections_get._get_kwargs(slug), json_parser(convert))

    def list(self, cursor: str | None = None) -> Page[Collection]:
        """List collections (without their models), one page at a time."""
        return self._client._request(self._list_call(cursor))

    async def async_list(self, cursor: str | None = None) -> Page[Collection]:
        """Like `list`, for async code."""
        return await self._client._arequest(self._list_call(cursor))

    def get(self, slug: str) -> Collection:
        """Get a collection with its models."""
        return self._client._request(self._get_call(slug))

    async def async_get(self, slug: str) -> Collection:
        """Like `get`, for async code."""
        return await self._client._arequest(self._get_call(slug))
