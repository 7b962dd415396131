"""Pagination cursors (`_pagination.page_call`): any string is a page of the API or an InvalidArgumentError.

A cursor is a `next`/`previous` URL the API gave, or one a caller passes back. Whatever it is, the request it
becomes goes to the API's own origin (scheme, host and port), or no request is made at all: a cursor must never
send the token to another host.
"""

from __future__ import annotations

import json
from typing import Any

import httpx
from hypothesis import example, given
from hypothesis import strategies as st

import replicate_ext
from replicate_ext import InvalidArgumentError
from replicate_ext._http import Call
from replicate_ext._pagination import Page, page_call

BASE = "https://api.replicate.com/v1"
API = httpx.URL(BASE)
TOKEN = "r8_PAGINATIONTOKEN0123456789abcdef"

HOSTS = [
    "api.replicate.com", "API.REPLICATE.COM", "api.replicate.com.", "api.replicate.com:443", "api.replicate.com:80",
    "api.replicate.com:8443", "evil.com", "api.replicate.com@evil.com", "evil.com@api.replicate.com",
    "evil.com\\@api.replicate.com", "api.replicate.com.evil.com", "127.0.0.1", "[::1]", "xn--pi-7ba.com",
    "\u0430pi.com",  # a Cyrillic a
]  # fmt: skip
SCHEMES = [
    "https://", "http://", "HTTPS://", "//", "https:", "https:/", "https:\\\\", "\\\\", "ftp://", "", " https://",
]  # fmt: skip
PATHS = ["/v1/predictions?cursor=abc", "/v1/predictions", "/predictions", "", "/", "/../../x", "/%2e%2e/x", "?cursor=1"]
cursor_like = st.builds(
    lambda s, h, p: s + h + p, st.sampled_from(SCHEMES), st.sampled_from(HOSTS), st.sampled_from(PATHS)
)
relative = st.builds(
    lambda p, q: p + q, st.sampled_from(["/v1/predictions", "predictions", "../x", "/", "", "/%00", "./a"]), st.text()
)
cursors = st.one_of(cursor_like, relative, st.text(), st.text(st.characters(codec="ascii")))


def client(transport: httpx.MockTransport | None = None) -> replicate_ext.Client:
    return replicate_ext.Client(api_token=TOKEN, base_url=BASE, transport=transport)


def same_origin(url: httpx.URL) -> bool:
    return (url.scheme, url.host, url.port) == (API.scheme, API.host, API.port)


@given(cursors)
@example("a\x00b")
@example("\thttps://evil.com/")
@example("http:evil.com/x")
@example("//evil.com/v1/predictions")
@example("https://evil.com\\@api.replicate.com/v1/predictions")
@example("https://api.replicate.com:444/v1/predictions")
def test_any_cursor_is_a_call_to_the_api_or_an_invalid_argument_error(cursor: str) -> None:
    with client() as api:
        try:
            call: Call[Page[Any]] = page_call("predictions.list", {"method": "get", "url": cursor}, dict, api)
        except InvalidArgumentError as exc:
            assert isinstance(exc, ValueError) and TOKEN not in str(exc)
            return
        request = api._requester.build(call)
        assert same_origin(request.url), f"{cursor!r} became a request to {request.url}"
        assert request.headers["authorization"] == f"Bearer {TOKEN}"


@given(cursors)
@example("//evil.com/v1/predictions")
def test_listing_a_page_by_any_cursor_sends_nothing_to_another_host(cursor: str) -> None:
    sent: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        sent.append(request)
        return httpx.Response(200, json={"results": [], "next": None, "previous": None})

    with client(httpx.MockTransport(handler)) as api:
        try:
            page = api.predictions.list(cursor)
        except InvalidArgumentError:
            assert not sent
            return
    assert isinstance(page, Page) and page.results == []
    assert len(sent) == 1 and same_origin(sent[0].url)


@given(st.lists(st.sampled_from(["1", "2", "3", "//evil.com/x", "https://evil.com/v1/predictions?cursor=2"])))
def test_following_next_links_stays_on_the_api_and_stops_at_a_repeat(links: list[str]) -> None:
    """A `next` a server sends is checked like a caller's cursor: a foreign one is refused, not followed."""
    sent: list[httpx.Request] = []
    pages = [f"{BASE}/predictions?cursor={link}" if link.isdigit() else link for link in links]

    def handler(request: httpx.Request) -> httpx.Response:
        sent.append(request)
        index = len(sent) - 1
        body: dict[str, Any] = {"results": [], "next": pages[index] if index < len(pages) else None}
        return httpx.Response(200, content=json.dumps(body), headers={"content-type": "application/json"})

    with client(httpx.MockTransport(handler)) as api:
        try:
            for page in replicate_ext.paginate(api.collections.list):
                assert isinstance(page, Page)
        except (InvalidArgumentError, replicate_ext.InvalidResponseError):
            pass
    assert sent and all(same_origin(request.url) for request in sent)
    assert len(sent) <= len(set(pages)) + 1
