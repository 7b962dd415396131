"""Problem details (`_http.problem_body`, `error_from_response`): any error answer becomes the right ReplicateError.

Whatever the status (400-599), body and content type, the result is the `ReplicateError` subclass of the status,
never another exception, and neither its message nor its repr (nor those of the response and request it keeps)
contains the token the request carried.
"""

from __future__ import annotations

import json
import math
from typing import Any

import httpx
from hypothesis import example, given
from hypothesis import strategies as st

from replicate_ext import (
    AuthenticationError,
    BadRequestError,
    ConflictError,
    NotFoundError,
    PermissionDeniedError,
    RateLimitError,
    ReplicateError,
    ServerError,
    UnprocessableEntityError,
)
from replicate_ext._http import Call, error_from_response, parse_response, problem_body

TOKEN = "r8_PLANTEDPROBLEMTOKEN0123456789abcdef"
BY_STATUS = {
    400: BadRequestError,
    401: AuthenticationError,
    403: PermissionDeniedError,
    404: NotFoundError,
    409: ConflictError,
    422: UnprocessableEntityError,
    429: RateLimitError,
}

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False, allow_infinity=False) | st.text(),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3),
    max_leaves=8,
)
MEMBERS = ["type", "title", "status", "detail", "instance", "retry_after"]
problems = st.dictionaries(st.sampled_from(MEMBERS) | st.text(max_size=8), json_values, max_size=6)
bodies = st.one_of(
    problems.map(lambda p: json.dumps(p).encode()),
    json_values.map(lambda v: json.dumps(v).encode()),
    st.sampled_from([b"", b"[" * 5000, b'{"detail": "x"', b"\xff\xfe{}", b"null", b'{"detail": "\\ud800"}']),
    st.text().map(lambda t: t.encode("utf-8", "surrogatepass")),
    st.binary(max_size=64),
)
content_types = st.one_of(
    st.none(),
    st.sampled_from(
        [
            "application/json",
            "application/problem+json",
            "APPLICATION/JSON; charset=utf-8",
            "application/json; charset=utf-16",
            "application/json; charset=no-such-charset",
            "text/plain",
            "text/plain; charset=latin-1",
            "text/html; charset=utf-8",
            "application/octet-stream",
        ]
    ),
    st.text(st.characters(min_codepoint=0x20, max_codepoint=0x7E), max_size=30),
)


def error_response(status: int, body: bytes, content_type: str | None) -> httpx.Response:
    url = "https://api.replicate.com/v1/predictions"
    request = httpx.Request("GET", url, headers={"Authorization": f"Bearer {TOKEN}"})
    headers = [(b"content-type", content_type.encode())] if content_type is not None else []
    return httpx.Response(status, headers=headers, content=body, request=request)


def assert_no_token(*texts: str) -> None:
    for text in texts:
        assert TOKEN not in text and TOKEN[3:] not in text


@given(st.integers(400, 599), bodies, content_types)
@example(500, b"[" * 5000, "application/json")  # nested deeper than the JSON decoder goes
@example(429, b'{"retry_after": ' + b"1" * 400 + b"}", "application/problem+json")
@example(401, b"\xff\xfe\x00", "application/json; charset=no-such-charset")
def test_any_error_answer_becomes_the_error_of_its_status(status: int, body: bytes, content_type: str | None) -> None:
    response = error_response(status, body, content_type)
    problem = problem_body(response)
    assert isinstance(problem, dict)
    error = error_from_response(response, problem, "predictions.get")
    expected = ServerError if status >= 500 else BY_STATUS.get(status, ReplicateError)
    assert type(error) is expected and error.status == status and error.response is response
    assert str(error).startswith("predictions.get: ") and str(status) in str(error)
    for field in (error.type, error.title, error.detail, error.instance):
        assert field is None or isinstance(field, str)
    assert error.detail is None or len(error.detail) <= 500 or error.detail == problem.get("detail")
    assert isinstance(error.to_dict(), dict)
    if isinstance(error, RateLimitError):
        wait = error.retry_after
        assert wait is None or (math.isfinite(wait) and wait >= 0)
    request = response.request
    assert_no_token(str(error), repr(error), repr(response), repr(request), repr(request.headers), repr(error.args))


@given(st.integers(200, 299), bodies, content_types)
@example(200, b"[" * 5000, "application/json")
def test_any_success_answer_parses_or_raises_invalid_response_error(
    status: int, body: bytes, content_type: str | None
) -> None:
    from replicate_ext import InvalidResponseError

    def parse(response: httpx.Response) -> Any:
        data = json.loads(response.content)
        if not isinstance(data, dict):
            raise TypeError(f"expected a JSON object, got {type(data).__name__}")
        return data

    response = error_response(status, body, content_type)
    try:
        result = parse_response(Call("predictions.get", {}, parse), response)
    except InvalidResponseError as exc:
        assert exc.response is response
        assert_no_token(str(exc), repr(exc))
        return
    assert isinstance(result, dict)
