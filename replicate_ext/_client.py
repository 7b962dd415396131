"""`Client`: configuration, the HTTP connections, and the resource namespaces."""

from __future__ import annotations

import copy
import functools
import json
import sys
import threading
import weakref
from collections.abc import Callable, Iterator, Mapping
from typing import TYPE_CHECKING, Any, TypeVar

import httpx

from ._claims import Claims
from ._config import NOT_GIVEN, NotGiven, normalize_base_url, poll_interval_from_env, to_timeout, token_from_env
from ._exceptions import ConfigurationError
from ._http import Call, Flow, Requester, drive_async, drive_sync
from ._retry import RetryPolicy
from ._version import __version__

if TYPE_CHECKING:
    import asyncio

    from ._accounts import Accounts
    from ._collections import Collections
    from ._deployments import Deployments
    from ._files import Files
    from ._hardware import HardwareNamespace
    from ._models import Models
    from ._predictions import Predictions
    from ._run import Ref
    from ._schema import ModelSchema
    from ._search import SearchResults
    from ._stream import ServerSentEvent
    from ._trainings import Trainings
    from ._webhooks import Webhooks

__all__ = ["Client"]

T = TypeVar("T")

USER_AGENT = f"replicate-ext/{__version__}"

# Keep as many idle connections as may be open, so that a burst of requests reuses connections instead of
# closing and reopening them (httpx's default keeps only 20 of 100).
DEFAULT_LIMITS = httpx.Limits(max_connections=100, max_keepalive_connections=100, keepalive_expiry=30.0)


class Client:
    """A client for Replicate's API, usable from sync and async code alike.

    Args:
        api_token: The API token. Defaults to the `REPLICATE_API_TOKEN` environment variable, read when the first
            request needs it (so it may be set after import).
        base_url: The API's base URL, with or without the trailing `/v1`. Defaults to `REPLICATE_BASE_URL`, then
            `https://api.replicate.com/v1`.
        timeout: Seconds, an `httpx.Timeout`, or None for no timeout. The default connects within 5 s and
            waits up to 30 s for each read, write or free connection; creates sent with `Prefer: wait=N` wait
            N + 5 s for their answer.
        retry: A `RetryPolicy` (the default retries transient failures up to 5 times) or `NO_RETRIES`.
        poll_interval: Seconds between polls while waiting for a prediction; defaults to
            `REPLICATE_POLL_INTERVAL`, then 0.2.
        headers: Extra headers for every API request.
        async_transport: The `httpx.AsyncBaseTransport` for async calls. By default, under asyncio, async calls
            go through `AsyncioTransport` (a connection pool built for many concurrent requests), configured from
            `limits=` and `verify=`; under other event loops, and when `proxy=`, `mounts=`, `cert=`, `http2=True`
            or proxy environment variables ask for what only httpx's own transport does, through httpx's.
        **httpx_kwargs: Passed to the `httpx.Client` and `httpx.AsyncClient` this client creates (for example
            `limits=`, `verify=`, `proxy=`). `transport=` is the transport of sync calls; it is used for async
            calls too when it is also an async transport (as `httpx.MockTransport` is) and `async_transport` is
            not given.

    The HTTP connections are opened on first use and reused; close them with `close()` / `aclose()` or use the
    client as a context manager (`with Client() as client:` or `async with Client() as client:`). All of a
    process's clients share one SSL context (unless given `verify=` or `cert=`), which loads its CA certificates
    at the first TLS handshake.

    Example::

        client = replicate_ext.Client(api_token="r8_...")
        output = client.run("black-forest-labs/flux-schnell", input={"prompt": "a red fox"})
    """

    def __init__(
        self,
        api_token: str | None = None,
        *,
        base_url: str | httpx.URL | None = None,
        timeout: float | httpx.Timeout | NotGiven | None = NOT_GIVEN,
        retry: RetryPolicy | NotGiven = NOT_GIVEN,
        poll_interval: float | None = None,
        headers: Mapping[str, str] | None = None,
        async_transport: httpx.AsyncBaseTransport | None = None,
        **httpx_kwargs: Any,
    ) -> None:
        if api_token is not None and (not isinstance(api_token, str) or not api_token.strip()):
            raise ConfigurationError("api_token must be a non-empty string (or None to use REPLICATE_API_TOKEN).")
        if poll_interval is not None:
            _check_poll_interval(poll_interval)
        if not isinstance(retry, RetryPolicy | NotGiven):
            raise ConfigurationError(f"retry must be a RetryPolicy (or NO_RETRIES), got {retry!r}.")
        if async_transport is not None and not _is_async_transport(async_transport):
            raise ConfigurationError(
                f"async_transport must be an httpx.AsyncBaseTransport, got {async_transport!r}; pass a sync "
                "transport as transport=..."
            )
        transport = httpx_kwargs.get("transport")
        if transport is not None and not (_is_sync_transport(transport) or _is_async_transport(transport)):
            raise ConfigurationError(f"transport must be an httpx.BaseTransport, got {transport!r}.")
        self._api_token = api_token.strip() if api_token else None
        self._base_url_option = base_url
        self._base_url: httpx.URL | None = normalize_base_url(base_url) if base_url is not None else None
        self._poll_interval = poll_interval
        self._httpx_kwargs = dict(httpx_kwargs)
        self._async_transport = async_transport
        request_headers = {"User-Agent": USER_AGENT, "Accept": "application/json"}
        for key, value in (headers or {}).items():
            if key.lower() == "authorization":
                raise ConfigurationError("Pass the token as api_token=..., not as an Authorization header.")
            request_headers[key] = value
        self._requester = Requester(
            base_url=self._resolve_base_url,
            token=self._resolve_token,
            headers=request_headers,
            timeout=to_timeout(timeout),
            retry=retry if isinstance(retry, RetryPolicy) else RetryPolicy(),
        )
        self._pools = _Pools()
        # Version id -> its schema, or why it has none; "owner/name" -> (when, its latest version id): _schema_fetch.py.
        self._schemas: dict[str, ModelSchema | str] = {}
        self._latest_versions: dict[str, tuple[float, str]] = {}
        # Which predictions this client's creates made, and which creates are in flight: finding the prediction
        # of a create whose answer was lost must never take one that belongs to another create.
        self._claims = Claims()

    # -- configuration ----------------------------------------------------------------------------------------

    def _resolve_token(self) -> str | None:
        if self._api_token is None:
            self._api_token = token_from_env()
        return self._api_token

    def _resolve_base_url(self) -> httpx.URL:
        if self._base_url is None:
            self._base_url = normalize_base_url(None)
        return self._base_url

    @property
    def base_url(self) -> str:
        """The API base URL requests go to (always ending in `/v1/`)."""
        return str(self._resolve_base_url())

    @property
    def timeout(self) -> httpx.Timeout:
        return self._requester.timeout

    @property
    def retry(self) -> RetryPolicy:
        return self._requester.retry

    @property
    def poll_interval(self) -> float:
        """Seconds between polls while waiting for a prediction (settable, as in 1.x: `client.poll_interval = 1`)."""
        if self._poll_interval is None:
            self._poll_interval = poll_interval_from_env()
        return self._poll_interval

    @poll_interval.setter
    def poll_interval(self, value: float) -> None:
        self._poll_interval = _check_poll_interval(value)

    def with_options(
        self,
        *,
        retry: RetryPolicy | NotGiven = NOT_GIVEN,
        timeout: float | httpx.Timeout | NotGiven | None = NOT_GIVEN,
        poll_interval: float | None = None,
    ) -> Client:
        """A client like this one with other retry rules, timeouts or poll interval, for some calls.

        It shares this client's token, base URL, connections and rate-limit state (so close this one, not it)::

            client.with_options(retry=replicate_ext.NO_RETRIES).predictions.get(prediction_id)
            client.with_options(timeout=120).files.create(big_file)
        """
        if not isinstance(retry, RetryPolicy | NotGiven):
            raise ConfigurationError(f"retry must be a RetryPolicy (or NO_RETRIES), got {retry!r}.")
        if poll_interval is not None:
            _check_poll_interval(poll_interval)
        other = copy.copy(self)
        for name in _NAMESPACES:  # namespaces made for this client must not serve the other one
            other.__dict__.pop(name, None)
        other._requester = self._requester.with_options(
            retry=retry if isinstance(retry, RetryPolicy) else None,
            timeout=None if isinstance(timeout, NotGiven) else to_timeout(timeout),
        )
        if poll_interval is not None:
            other._poll_interval = poll_interval
        return other

    def __repr__(self) -> str:
        base = self._base_url or self._base_url_option or "(REPLICATE_BASE_URL or default)"
        return f"<replicate_ext.Client base_url={str(base)!r}>"

    # -- resources --------------------------------------------------------------------------------------------

    @functools.cached_property
    def models(self) -> Models:
        """Models, their versions, and predictions of official models. See `Models`."""
        from ._models import Models

        return Models(self)

    @functools.cached_property
    def predictions(self) -> Predictions:
        """Create, get, list and cancel predictions. See `Predictions`."""
        from ._predictions import Predictions

        return Predictions(self)

    @functools.cached_property
    def trainings(self) -> Trainings:
        """Create, get, list and cancel trainings. See `Trainings`."""
        from ._trainings import Trainings

        return Trainings(self)

    @functools.cached_property
    def deployments(self) -> Deployments:
        """Deployments and their predictions. See `Deployments`."""
        from ._deployments import Deployments

        return Deployments(self)

    @functools.cached_property
    def files(self) -> Files:
        """Upload, list, get, download and delete files. See `Files`."""
        from ._files import Files

        return Files(self)

    @functools.cached_property
    def collections(self) -> Collections:
        """Curated collections of models. See `Collections`."""
        from ._collections import Collections

        return Collections(self)

    @functools.cached_property
    def hardware(self) -> HardwareNamespace:
        """The hardware models can run on. See `HardwareNamespace`."""
        from ._hardware import HardwareNamespace

        return HardwareNamespace(self)

    @functools.cached_property
    def accounts(self) -> Accounts:
        """The account the token belongs to. See `Accounts`."""
        from ._accounts import Accounts

        return Accounts(self)

    @functools.cached_property
    def webhooks(self) -> Webhooks:
        """The webhook signing secret and signature validation. See `Webhooks`."""
        from ._webhooks import Webhooks

        return Webhooks(self)

    # -- running models ---------------------------------------------------------------------------------------

    def run(self, ref: Ref, input: Mapping[str, Any] | None = None, **params: Any) -> Any:
        """Run a model and return its output. See `replicate_ext.run` for the parameters."""
        from ._run import run

        return run(self, ref, input, **params)

    async def async_run(self, ref: Ref, input: Mapping[str, Any] | None = None, **params: Any) -> Any:
        """Like `run`, for async code."""
        from ._run import async_run

        return await async_run(self, ref, input, **params)

    def stream(self, ref: Ref, input: Mapping[str, Any] | None = None, **params: Any) -> Iterator[ServerSentEvent]:
        """Run a model and yield its output events as they come. See `replicate_ext.stream`."""
        from ._run import stream

        return stream(self, ref, input, **params)

    def async_stream(self, ref: Ref, input: Mapping[str, Any] | None = None, **params: Any) -> Any:
        """Like `stream`, for async code: an async iterator of events."""
        from ._run import async_stream

        return async_stream(self, ref, input, **params)

    def search(self, query: str, limit: int | None = None) -> SearchResults:
        """Search models, collections and documentation pages (`GET /v1/search`, at most `limit` of each, 1-50)."""
        from ._search import search_call

        return self._request(search_call(self, query, limit))

    async def async_search(self, query: str, limit: int | None = None) -> SearchResults:
        """Like `search`, for async code."""
        from ._search import search_call

        return await self._arequest(search_call(self, query, limit))

    # -- sending ----------------------------------------------------------------------------------------------

    def _http(self) -> httpx.Client:
        http = self._pools.sync_http
        if http is None:
            with self._pools.lock:  # threads starting together must share one pool, or the others' sockets leak
                if self._pools.sync_http is None:
                    self._pools.sync_http = httpx.Client(**self._connection_options(is_async=False))
                http = self._pools.sync_http
        return http

    def _ahttp(self) -> httpx.AsyncClient:
        return self._for_loop(self._pools.async_https, download=False)

    def _for_loop(
        self, pools: weakref.WeakKeyDictionary[object, httpx.AsyncClient], download: bool
    ) -> httpx.AsyncClient:
        loop = _running_loop()
        key = loop or self._pools.no_loop  # trio and other loops: one shared pool
        http = pools.get(key)
        if http is None:
            with self._pools.lock:
                http = pools.get(key)
                if http is None:
                    options = self._connection_options(download=download, is_async=True, under_asyncio=loop is not None)
                    http = pools[key] = httpx.AsyncClient(**options)
        return http

    def _download_http(self) -> httpx.Client:
        """A separate connection pool for file outputs on other hosts: never any API credentials on it."""
        http = self._pools.sync_download
        if http is None:
            with self._pools.lock:
                if self._pools.sync_download is None:
                    self._pools.sync_download = httpx.Client(**self._connection_options(download=True, is_async=False))
                http = self._pools.sync_download
        return http

    def _download_ahttp(self) -> httpx.AsyncClient:
        return self._for_loop(self._pools.async_downloads, download=True)

    def _connection_options(
        self, *, download: bool = False, is_async: bool, under_asyncio: bool = False
    ) -> dict[str, Any]:
        """The keyword arguments of one of the client's `httpx.Client` / `httpx.AsyncClient`s."""
        options: dict[str, Any] = {"limits": DEFAULT_LIMITS, "timeout": self._requester.timeout}
        if download:
            options["follow_redirects"] = True
            options["headers"] = {"User-Agent": USER_AGENT}
        options.update(self._httpx_kwargs)
        given = options.pop("transport", None)
        if is_async:
            transport = self._async_transport
            if transport is None and given is not None and _is_async_transport(given):
                transport = given
            if transport is None and under_asyncio and _own_transport_suits(options):
                from ._transport import AsyncioTransport

                transport = AsyncioTransport(
                    verify=options.get("verify", True),
                    limits=options["limits"],
                    trust_env=options.get("trust_env", True),
                )
        else:
            transport = given if given is not None and _is_sync_transport(given) else None
        if transport is not None:
            options["transport"] = transport
        elif "verify" not in options and "cert" not in options and not options.get("http2"):
            # httpx would build (and load CA certificates into) an SSL context per client: share one instead.
            # (Not with HTTP/2, for which httpcore adds "h2" to the context's ALPN protocols.)
            from ._tls import default_ssl_context

            options["verify"] = default_ssl_context(options.get("trust_env", True))
        return options

    def _request(self, call: Call[T]) -> T:
        return drive_sync(self._requester.call(call), self._http())

    async def _arequest(self, call: Call[T]) -> T:
        return await drive_async(self._requester.call(call), self._ahttp())

    def _drive(self, flow: Flow[T]) -> T:
        return drive_sync(flow, self._http())

    async def _adrive(self, flow: Flow[T]) -> T:
        return await drive_async(flow, self._ahttp())

    # -- lifecycle --------------------------------------------------------------------------------------------

    def close(self) -> None:
        """Close the client's sync connections (async ones are closed by `aclose`)."""
        for http in (self._pools.sync_http, self._pools.sync_download):
            if http is not None:
                http.close()
        self._pools.sync_http = self._pools.sync_download = None

    async def aclose(self, *, sync: bool = True) -> None:
        """Close the client's sync connections and the async ones of the running event loop.

        `sync=False` closes only the running loop's connections, leaving the sync ones to other threads: for code
        that runs an event loop of its own for a while on a client it was given (as `batch.run` does).
        """
        if sync:
            self.close()
        loop = _running_loop() or self._pools.no_loop
        for pools in (self._pools.async_https, self._pools.async_downloads):
            http = pools.pop(loop, None)
            if http is not None:
                await http.aclose()

    def __enter__(self) -> Client:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    async def __aenter__(self) -> Client:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.aclose()


class _NoLoop:
    """The key of the async connection pool used outside asyncio (under trio, for example)."""


class _Pools:
    """A client's HTTP connection pools (shared with the clients `with_options` makes from it)."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.sync_http: httpx.Client | None = None
        self.sync_download: httpx.Client | None = None
        # An httpx.AsyncClient belongs to the event loop it runs in: one per loop (asyncio.run called again, or
        # loops in several threads), instead of failing with "Event loop is closed".
        self.async_https: weakref.WeakKeyDictionary[object, httpx.AsyncClient] = weakref.WeakKeyDictionary()
        self.async_downloads: weakref.WeakKeyDictionary[object, httpx.AsyncClient] = weakref.WeakKeyDictionary()
        self.no_loop = _NoLoop()


_NAMESPACES = (
    "models", "predictions", "trainings", "deployments", "files", "collections", "hardware", "accounts", "webhooks"
)  # fmt: skip


def _check_poll_interval(value: object) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not value >= 0 or value == float("inf"):
        raise ConfigurationError(f"poll_interval must be zero or more seconds, got {value!r}.")
    return float(value)


def _running_loop() -> asyncio.AbstractEventLoop | None:
    # Without asyncio imported there is no running loop; importing it here would slow down `import replicate_ext`.
    module = sys.modules.get("asyncio")
    if module is None:
        return None
    try:
        loop: asyncio.AbstractEventLoop = module.get_running_loop()
    except RuntimeError:
        return None
    return loop


# httpx.AsyncClient options that leave the transport alone, and those AsyncioTransport honours itself.
_CLIENT_OPTIONS = frozenset(
    {"auth", "params", "headers", "cookies", "timeout", "follow_redirects", "max_redirects", "event_hooks",
     "base_url", "default_encoding", "limits", "trust_env", "http1", "http2", "verify"}
)  # fmt: skip


def _own_transport_suits(options: Mapping[str, Any]) -> bool:
    """Whether AsyncioTransport can do all that these httpx.AsyncClient options ask of a transport."""
    import ssl

    if not _CLIENT_OPTIONS.issuperset(options):
        return False  # proxy, mounts, cert, and any option of a future httpx
    if not isinstance(options.get("verify", True), bool | ssl.SSLContext):
        return False  # a CA bundle path (deprecated by httpx)
    if options.get("http2") or not options.get("http1", True):
        return False
    if options.get("trust_env", True):
        # httpx routes requests through the proxies these variables name (HTTP_PROXY, HTTPS_PROXY, ALL_PROXY):
        # leave that to httpx's transport.
        from urllib.request import getproxies

        if any(key in ("http", "https", "all") for key in getproxies()):
            return False
    return True


def _is_sync_transport(transport: object) -> bool:
    return callable(getattr(transport, "handle_request", None))


def _is_async_transport(transport: object) -> bool:
    return callable(getattr(transport, "handle_async_request", None))


def json_parser(from_dict: Callable[[dict[str, Any]], T]) -> Callable[[httpx.Response], T]:
    """Parse a JSON object answer with a generated model's `from_dict`."""

    def parse(response: httpx.Response) -> T:
        data = json.loads(response.content)
        if not isinstance(data, dict):
            raise TypeError(f"expected a JSON object, got {type(data).__name__}")
        return from_dict(data)

    return parse
