"""Sending requests: the one place where HTTP happens, written once for sync and async.

Every API operation is a `Call`: the keyword arguments the generated endpoint module builds (`_get_kwargs`),
how to parse a successful answer, and whether repeating it is safe. Anything longer than one request (retries,
waiting for a prediction, following pages) is a *flow*: a generator that yields `Send` and `Sleep` steps and
receives each step's result. A flow contains the logic and no I/O; `drive_sync` and `drive_async` perform the
steps, so the same flow runs in both worlds (the shape of httpx's `Auth.auth_flow`).
"""

from __future__ import annotations

import copy
import datetime
import functools
import logging
import time
from collections.abc import Awaitable, Callable, Generator, Mapping
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

import httpx

from ._exceptions import (
    AmbiguousCreateError,
    APIConnectionError,
    APITimeoutError,
    ConfigurationError,
    InvalidResponseError,
    ReplicateError,
    ReplicateException,
    error_class_for,
)
from ._retry import RateLimitGate, RetryPolicy, decide_after_error, decide_after_status

__all__ = [
    "Call",
    "Flow",
    "Requester",
    "Send",
    "Sleep",
    "drive_async",
    "drive_sync",
    "error_from_response",
]

T = TypeVar("T")
U = TypeVar("U")

logger = logging.getLogger("replicate_ext")


@dataclass(frozen=True, slots=True)
class Send:
    """Send this request and hand back the (fully read) response, or throw the transport error in.

    `recheck`, when given, is asked for a wait once a connection is ready and just before the request is
    written to it (through httpcore's `trace` extension): requests that queued for a connection while the
    API started limiting the rate then wait their turn instead of going out in a burst.
    """

    request: httpx.Request
    recheck: Callable[[], float] | None = None


@dataclass(frozen=True, slots=True)
class Sleep:
    """Wait this many seconds."""

    seconds: float


@dataclass(frozen=True, slots=True)
class Perform:
    """Run an I/O operation that has a sync and an async form (such as reading an event stream to its end).

    Its result is sent back into the flow; an httpx or replicate_ext error it raises is thrown into the flow.
    """

    sync: Callable[[], Any]
    async_: Callable[[], Awaitable[Any]]


Step = Send | Sleep | Perform
Flow = Generator[Step, Any, T]


@dataclass(frozen=True, slots=True)
class Call(Generic[T]):
    """One API operation, ready to send.

    `kwargs` is what the generated endpoint's `_get_kwargs` returned (or a function returning it, called
    before every attempt, for bodies such as file uploads that must be rebuilt to be sent again).
    """

    operation: str
    kwargs: Mapping[str, Any] | Callable[[], Mapping[str, Any]]
    parse: Callable[[httpx.Response], T]
    idempotent: bool = True
    expects: str = "json"  # "json", "text" or "nothing"
    timeout: httpx.Timeout | None = None
    retry: RetryPolicy | None = None
    authenticated: bool = True

    def map(self, func: Callable[[T], U]) -> Call[U]:
        """The same call, with `func` applied to its parsed result."""
        parse = self.parse
        return Call(
            self.operation,
            self.kwargs,
            lambda response: func(parse(response)),
            self.idempotent,
            self.expects,
            self.timeout,
            self.retry,
            self.authenticated,
        )


class Requester:
    """What every request of one client shares: where the API is, its credentials, timeouts and retry rules.

    It builds requests and runs the retrying flow of a `Call`; it does no I/O itself.
    """

    def __init__(
        self,
        *,
        base_url: Callable[[], httpx.URL],
        token: Callable[[], str | None],
        headers: Mapping[str, str],
        timeout: httpx.Timeout,
        retry: RetryPolicy,
    ) -> None:
        self._base_url = base_url
        self._token = token
        self.headers = dict(headers)
        self.timeout = timeout
        self.retry = retry
        self.gate = RateLimitGate()
        # Worked out on first use and kept: building a request is on every call's path.
        self._base: str | None = None
        self._authorization: str | None = None
        self._timeout_extension = timeout.as_dict()

    @property
    def base_url(self) -> httpx.URL:
        return self._base_url()

    def with_options(self, *, retry: RetryPolicy | None, timeout: httpx.Timeout | None) -> Requester:
        """A requester with other defaults, sharing this one's credentials and rate-limit state."""
        other = copy.copy(self)
        if retry is not None:
            other.retry = retry
        if timeout is not None:
            other.timeout = timeout
            other._timeout_extension = timeout.as_dict()
        return other

    def is_api_url(self, url: httpx.URL) -> bool:
        base = self.base_url
        return (url.scheme, url.host, url.port) == (base.scheme, base.host, base.port)

    def url_for(self, path: str | httpx.URL) -> httpx.URL:
        url = httpx.URL(path) if not isinstance(path, httpx.URL) else path
        if url.is_absolute_url:
            return url
        return self.base_url.join(str(path).lstrip("/"))

    def authorization(self) -> str:
        if self._authorization is None:
            token = self._token()
            if token is None:
                raise ConfigurationError(
                    "No Replicate API token: set the REPLICATE_API_TOKEN environment variable or pass "
                    "Client(api_token=...). Tokens are at https://replicate.com/account/api-tokens."
                )
            self._authorization = f"Bearer {token}"
        return self._authorization

    def build(self, call: Call[Any]) -> httpx.Request:
        kwargs = call.kwargs() if callable(call.kwargs) else call.kwargs
        path = kwargs["url"]
        url: str | httpx.URL
        if isinstance(path, str) and path.startswith("/"):
            # A path of the API (what the generated endpoints give): the base URL's string plus the path.
            if self._base is None:
                self._base = str(self.base_url)
            url, to_api = self._base + path[1:], True
        else:
            url = self.url_for(path)
            to_api = self.is_api_url(url)
        headers = {**self.headers, **kwargs["headers"]} if kwargs.get("headers") else dict(self.headers)
        if call.authenticated and to_api:
            # Added per request, and only for the API's own origin, so no other host ever sees the token.
            headers["Authorization"] = self.authorization()
        return httpx.Request(
            kwargs["method"].upper(),
            url,
            params=kwargs.get("params"),
            headers=headers,
            json=kwargs.get("json"),
            content=kwargs.get("content"),
            files=kwargs.get("files"),
            data=kwargs.get("data"),
            extensions={"timeout": call.timeout.as_dict() if call.timeout else self._timeout_extension},
        )

    def call(self, call: Call[T]) -> Flow[T]:
        """The flow that sends `call`, retrying as its policy allows, and returns its parsed result."""
        policy = call.retry or self.retry
        attempt = 0
        while True:
            kind = self.gate.kind(call.idempotent)
            # If a 429 changes the pace while this request waits for its turn, the turn is stale, and `recheck`
            # takes a new one just before the request is written.
            turn, pause = self.gate.take(kind)
            if pause > 0:
                yield Sleep(pause)
            request = self.build(call)
            sent_at = datetime.datetime.now(datetime.UTC)
            try:
                response: httpx.Response = yield Send(request, functools.partial(self.gate.recheck, turn))
            except httpx.HTTPError as exc:
                decision = decide_after_error(policy, call.idempotent, attempt, exc)
                if not decision.retry:
                    raise translate_transport_error(exc, call, request, sent_at) from exc
                _log_retry(call, request, attempt, policy, decision.delay, decision.reason)
                yield Sleep(decision.delay)
                attempt += 1
                continue
            if response.is_success:
                return parse_response(call, response)
            body = problem_body(response)
            self.gate.observe(response, body, policy.retry_after_max, kind, turn)
            decision = decide_after_status(policy, call.idempotent, attempt, response, body)
            if not decision.retry:
                raise error_from_response(response, body, call.operation)
            _log_retry(call, request, attempt, policy, decision.delay, decision.reason)
            yield Sleep(decision.delay)
            attempt += 1


def _log_retry(
    call: Call[Any], request: httpx.Request, attempt: int, policy: RetryPolicy, delay: float, reason: str
) -> None:
    logger.info(
        "retrying %s (%s %s) in %.2f s, retry %d of %d: %s",
        call.operation,
        request.method,
        request.url.copy_with(query=None),
        delay,
        attempt + 1,
        policy.max_retries,
        reason,
    )


def parse_response(call: Call[T], response: httpx.Response) -> T:
    """Parse a 2xx answer, turning anything unexpected about it into `InvalidResponseError`."""
    content_type = response.headers.get("content-type", "")
    if call.expects == "json" and "json" not in content_type.lower():
        raise InvalidResponseError(
            f"{call.operation}: expected a JSON answer, got HTTP {response.status_code} with content type "
            f"{content_type or 'none'!r}.",
            response=response,
        )
    try:
        return call.parse(response)
    except InvalidResponseError:
        raise
    except (ValueError, KeyError, TypeError, AttributeError, RecursionError) as exc:
        # json.JSONDecodeError and UnicodeDecodeError are ValueErrors (RecursionError: JSON nested too deep);
        # generated models raise KeyError for a missing field and TypeError/ValueError for a field of the wrong type.
        raise InvalidResponseError(
            f"{call.operation}: the answer (HTTP {response.status_code}) is not the documented JSON: "
            f"{type(exc).__name__}: {exc}",
            response=response,
        ) from exc


def problem_body(response: httpx.Response) -> dict[str, Any]:
    """The decoded RFC 7807 problem details of an error response, or {} when it has none."""
    if "json" not in response.headers.get("content-type", "").lower():
        return {}
    try:
        body = response.json()
    except (ValueError, RecursionError):  # not JSON, or JSON nested deeper than the decoder goes
        return {}
    return body if isinstance(body, dict) else {}


def error_from_response(response: httpx.Response, body: Mapping[str, Any], operation: str) -> ReplicateError:
    """The `ReplicateError` subclass for an error response, filled from its problem details."""
    status = response.status_code
    detail = body.get("detail")
    if not isinstance(detail, str):
        try:
            text = response.text.strip() if not body else ""
        except ValueError:  # a declared charset the body is not in (UnicodeError: utf-16 without a BOM, ...)
            text = response.content.decode("utf-8", "replace").strip()
        detail = text[:500] if text else None
    title = body.get("title") if isinstance(body.get("title"), str) else response.reason_phrase or None
    error = error_class_for(status)(
        detail,
        type=body.get("type") if isinstance(body.get("type"), str) else None,
        title=title,
        status=status,
        instance=body.get("instance") if isinstance(body.get("instance"), str) else None,
        body=dict(body),
        response=response,
        operation=operation,
    )
    return error


def translate_transport_error(
    exc: httpx.HTTPError, call: Call[Any], request: httpx.Request, sent_at: datetime.datetime
) -> Exception:
    """The exception to raise for a transport failure that will not be retried."""
    where = f"{request.method} {request.url.copy_with(query=None)}"
    what = f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
    never_sent = isinstance(exc, httpx.ConnectError | httpx.ConnectTimeout | httpx.PoolTimeout)
    if not call.idempotent and not never_sent and isinstance(exc, httpx.TransportError):
        return AmbiguousCreateError(
            f"{call.operation}: {where} was sent at {sent_at.isoformat()} but no answer arrived ({what}). "
            "It may or may not have been carried out, so it was not sent again; look for the result before "
            "retrying (for predictions: predictions.list(created_after=...)).",
            request=request,
            sent_at=sent_at.isoformat(),
            payload=_payload_of(request),
        )
    if isinstance(exc, httpx.TimeoutException):
        return APITimeoutError(
            f"{call.operation}: {where} timed out ({what}). Raise the client's timeout if the API is slow.",
            request=request,
        )
    return APIConnectionError(f"{call.operation}: {where} failed: {what}.", request=request)


def _payload_of(request: httpx.Request) -> Any:
    import json

    if request.headers.get("content-type", "").startswith("application/json"):
        try:
            return json.loads(request.content)
        except (ValueError, httpx.RequestNotRead):
            return None
    return None


# httpcore reports this step once it holds a connection for the request and is about to write it.
_BEFORE_WRITE = ("http11.send_request_headers.started", "http2.send_request_headers.started")


def _sync_trace(recheck: Callable[[], float]) -> Callable[[str, dict[str, Any]], None]:
    def trace(event: str, info: dict[str, Any]) -> None:
        if event in _BEFORE_WRITE:
            wait = recheck()
            if wait > 0:
                time.sleep(wait)

    return trace


def _async_trace(recheck: Callable[[], float]) -> Callable[[str, dict[str, Any]], Awaitable[None]]:
    async def trace(event: str, info: dict[str, Any]) -> None:
        if event in _BEFORE_WRITE:
            wait = recheck()
            if wait > 0:
                import anyio

                await anyio.sleep(wait)

    return trace


def drive_sync(flow: Flow[T], http: httpx.Client) -> T:
    """Run a flow with blocking I/O."""
    value: Any = None
    error: BaseException | None = None
    while True:
        try:
            step = flow.send(value) if error is None else flow.throw(error)
        except StopIteration as stop:
            result: T = stop.value
            return result
        value, error = None, None
        if isinstance(step, Send):
            if step.recheck is not None:
                step.request.extensions["trace"] = _sync_trace(step.recheck)
            try:
                value = http.send(step.request)
            except httpx.HTTPError as exc:
                error = exc
        elif isinstance(step, Sleep):
            time.sleep(step.seconds)
        else:
            try:
                value = step.sync()
            except (httpx.HTTPError, ReplicateException) as exc:
                error = exc


async def drive_async(flow: Flow[T], http: httpx.AsyncClient) -> T:
    """Run a flow with async I/O (asyncio or trio, through anyio)."""
    import anyio

    value: Any = None
    error: BaseException | None = None
    while True:
        try:
            step = flow.send(value) if error is None else flow.throw(error)
        except StopIteration as stop:
            result: T = stop.value
            return result
        value, error = None, None
        if isinstance(step, Send):
            if step.recheck is not None:
                step.request.extensions["trace"] = _async_trace(step.recheck)
            try:
                value = await http.send(step.request)
            except httpx.HTTPError as exc:
                error = exc
        elif isinstance(step, Sleep):
            await anyio.sleep(step.seconds)
        else:
            try:
                value = await step.async_()
            except (httpx.HTTPError, ReplicateException) as exc:
                error = exc
