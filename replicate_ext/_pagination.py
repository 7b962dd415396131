"""Pages of results, and walking through all of them."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator, Mapping
from typing import TYPE_CHECKING, Any, Generic, TypeVar

import httpx

from ._exceptions import InvalidArgumentError
from ._http import Call, Flow
from ._resource import ApiObject

if TYPE_CHECKING:
    from ._client import Client

__all__ = ["Page", "async_paginate", "collect_pages_flow", "page_call", "paginate"]

T = TypeVar("T")


class Page(ApiObject, Generic[T]):
    """One page of a list: `results`, and the URLs of the `next` and `previous` pages (None at the ends).

    Iterating over a page iterates over its results. Pass `page.next` to the same list method to get the next
    page, or use `paginate()` to walk them all.
    """

    __slots__ = ("next", "previous", "results")

    def __init__(self, results: list[T], next: str | None = None, previous: str | None = None) -> None:
        self.results = results
        self.next = next
        self.previous = previous

    def __iter__(self) -> Iterator[T]:
        return iter(self.results)

    def to_dict(self) -> dict[str, Any]:
        results = [item.to_dict() if isinstance(item, ApiObject) else item for item in self.results]
        return {"previous": self.previous, "next": self.next, "results": results}

    def __len__(self) -> int:
        return len(self.results)

    def __getitem__(self, index: int) -> T:
        return self.results[index]

    def __repr__(self) -> str:
        return f"Page(results=<{len(self.results)} items>, next={self.next!r}, previous={self.previous!r})"


def page_call(operation: str, kwargs: Mapping[str, Any], item: Callable[[Any], T], client: Client) -> Call[Page[T]]:
    """A call that fetches one page, making each of its results with `item` (from the decoded JSON).

    A `cursor` URL must be on the API's own host.
    """
    url = kwargs["url"]
    try:
        parsed = httpx.URL(url)
        # A scheme or a host (`https://host/...`, `//host/...`, `http:path`) must be the API's own origin.
        foreign = bool(parsed.scheme or parsed.raw_host) and not client._requester.is_api_url(parsed)
    except (httpx.InvalidURL, ValueError) as exc:  # ValueError: a host that is not valid IDNA (`xn--...`)
        raise InvalidArgumentError(f"The cursor {url!r} is not a URL ({exc}); pass a page's next or previous.") from exc
    if foreign:
        raise InvalidArgumentError(f"The cursor {url!r} is not a page of this client's API ({client.base_url}).")

    def parse(response: httpx.Response) -> Page[T]:
        data = json.loads(response.content)
        if not isinstance(data, dict):
            raise TypeError(f"expected a JSON object, got {type(data).__name__}")
        results = data.get("results") or []
        if not isinstance(results, list):
            raise TypeError(f"a page's 'results' must be a list, got {type(results).__name__}")
        links = data.get("next"), data.get("previous")
        for link in links:
            if link is not None and not isinstance(link, str):
                raise TypeError(f"a page's 'next' and 'previous' must be URLs or null, got {link!r}")
        return Page([item(result) for result in results], *links)

    return Call(operation, kwargs, parse)


def collect_pages_flow(
    first: Call[Page[T]], next_call: Callable[[str], Call[Page[T]]], client: Client
) -> Flow[Page[T]]:
    """Fetch a page and every page after it; return one page holding all the results."""
    page = yield from client._requester.call(first)
    results = list(page.results)
    seen = set()
    while page.next is not None and page.next not in seen:
        seen.add(page.next)
        page = yield from client._requester.call(next_call(page.next))
        results.extend(page.results)
    return Page(results, None, None)


def paginate(list_method: Callable[..., Page[T]], **params: Any) -> Iterator[Page[T]]:
    """Yield every page of a list, starting with the first: `for page in paginate(client.predictions.list)`.

    `params` are passed to the first call (filters such as `created_after`); later pages follow `next`.
    """
    page = list_method(**params)
    seen: set[str] = set()
    yield page
    while page.next is not None and page.next not in seen:
        seen.add(page.next)
        page = list_method(page.next)
        yield page


async def async_paginate(list_method: Callable[..., Awaitable[Page[T]]], **params: Any) -> AsyncIterator[Page[T]]:
    """Like `paginate`, for async list methods: `async for page in async_paginate(client.predictions.async_list)`."""
    page = await list_method(**params)
    seen: set[str] = set()
    yield page
    while page.next is not None and page.next not in seen:
        seen.add(page.next)
        page = await list_method(page.next)
        yield page
