"""Searching models, collections and documentation (`GET /v1/search`)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from ._exceptions import InvalidArgumentError
from ._http import Call

if TYPE_CHECKING:
    from ._client import Client
    from ._models import Model

__all__ = ["SearchCollection", "SearchModel", "SearchPage", "SearchResults", "search_call"]


@dataclass(frozen=True)
class SearchModel:
    """A model found by a search, with what the search knows of it."""

    model: Model
    generated_description: str | None = None
    tags: list[str] = field(default_factory=list)
    score: float | None = None


@dataclass(frozen=True)
class SearchCollection:
    slug: str
    name: str
    description: str | None = None
    models: list[str] = field(default_factory=list)
    """The collection's models, as `owner/name`."""


@dataclass(frozen=True)
class SearchPage:
    """A documentation page."""

    name: str
    href: str


@dataclass(frozen=True)
class SearchResults:
    """What `search()` found: models, collections and documentation pages."""

    query: str
    models: list[SearchModel]
    collections: list[SearchCollection]
    pages: list[SearchPage]
    extra: dict[str, Any] = field(default_factory=dict, compare=False)


def search_call(client: Client, query: str, limit: int | None) -> Call[SearchResults]:
    from replicate_api.api.search import search
    from replicate_api.models import SearchModelMetadata
    from replicate_api.models import SearchResult as ApiSearchResultModel
    from replicate_api.types import UNSET

    from ._client import json_parser
    from ._models import Model
    from ._predictions import _given

    if not isinstance(query, str) or not query.strip():
        raise InvalidArgumentError("search needs a non-empty query string.")
    if limit is not None and (isinstance(limit, bool) or not isinstance(limit, int) or not 1 <= limit <= 50):
        raise InvalidArgumentError(f"limit must be a whole number from 1 to 50, got {limit!r}.")

    def model_of(item: Any) -> SearchModel:
        if not isinstance(item, dict):
            raise TypeError(f"a model search result must be a JSON object, got {type(item).__name__}")
        meta = SearchModelMetadata.from_dict(item["metadata"])
        tags = list(_given(meta.tags) or [])
        return SearchModel(
            Model._from_json(item["model"], client), _given(meta.generated_description), tags, _given(meta.score)
        )

    def convert(raw: dict[str, Any]) -> SearchResults:
        models = raw.get("models")
        if not isinstance(models, list):
            raise TypeError(f"the search's 'models' must be a list, got {type(models).__name__}")
        data = ApiSearchResultModel.from_dict({**raw, "models": []})
        collections = [
            SearchCollection(c.slug, c.name, _given(c.description), list(_given(c.models) or []))
            for c in data.collections
        ]
        pages = [SearchPage(p.name, p.href) for p in data.pages]
        return SearchResults(
            data.query, [model_of(item) for item in models], collections, pages, dict(data.additional_properties)
        )

    kwargs = search._get_kwargs(query=query, limit=limit if limit is not None else UNSET)
    # The API serves search without authentication, but a token, when there is one, does no harm.
    return Call("search", kwargs, json_parser(convert), authenticated=False)
