"""Searching models, collections and documentation (`GET /v1/search`)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from ._exceptions import InvalidArgumentError
from ._http import Call

if TYPE_CHECKING:
    from replicate_api.models import SearchResult as ApiSearchResult

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
    from replicate_api.models import SearchResult as ApiSearchResultModel
    from replicate_api.types import UNSET

    from ._client import json_parser
    from ._models import Model
    from ._predictions import _given

    if not isinstance(query, str) or not query.strip():
        raise InvalidArgumentError("search needs a non-empty query string.")
    if limit is not None and (isinstance(limit, bool) or not isinstance(limit, int) or not 1 <= limit <= 50):
        raise InvalidArgumentError(f"limit must be a whole number from 1 to 50, got {limit!r}.")
    parse = json_parser(ApiSearchResultModel.from_dict)

    def convert(data: ApiSearchResult) -> SearchResults:
        models = []
        for item in data.models:
            meta = item.metadata
            models.append(
                SearchModel(
                    Model._from_api(item.model, client),
                    _given(meta.generated_description),
                    list(_given(meta.tags) or []),
                    _given(meta.score),
                )
            )
        collections = [
            SearchCollection(c.slug, c.name, _given(c.description), list(_given(c.models) or []))
            for c in data.collections
        ]
        pages = [SearchPage(p.name, p.href) for p in data.pages]
        return SearchResults(data.query, models, collections, pages, dict(data.additional_properties))

    kwargs = search._get_kwargs(query=query, limit=limit if limit is not None else UNSET)
    # The API serves search without authentication, but a token, when there is one, does no harm.
    return Call("search", kwargs, lambda r: convert(parse(r)), authenticated=False)
