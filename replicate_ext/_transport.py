"""`AsyncioTransport`: an httpx async transport on asyncio's sockets, with a connection pool that scales.

httpcore 1.0's async pool re-examines every connection for every queued request at every pool event, so 1000
concurrent requests over 100 keep-alive connections spend seconds of CPU in the pool alone (`bench/ANALYSIS.md`,
section 1). This transport does a constant amount of work per request:

- **Pool.** Per origin (scheme, host, port): at most `max_connections` connections (open, being opened, or
  promised to a waiting request), a deque of idle keep-alive connections, and a FIFO of waiting requests. A
  request takes the most recently used idle connection (LIFO: a burst reuses the warm connections, the oldest
  ones expire), else opens a connection if a slot is free, else queues. A finished response hands its
  connection (or, when the connection closed, its slot) straight to the first waiting request.
- **Keep-alive.** A connection is reused only if the response said so (HTTP/1.1 without `Connection: close`),
  was read to its end, and nothing arrived since: a byte or an EOF on an idle connection means the server
  closed it or broke the protocol, and it is dropped. Idle connections expire after `keepalive_expiry` seconds.
- **Stale connections.** A server may close an idle connection just as a request is written to it. When a
  reused connection fails before any byte of the response arrived, the request is sent once more on a new
  connection if that is safe: its body can be sent again, and its method is idempotent (RFC 9110, section
  9.2.2). A request that failed on a new connection is never repeated, and neither is a POST that may have
  reached the server: the client's retry rules decide (`_retry.py`), and they count on "sent" meaning sent.
- **Errors.** Everything maps to httpx's exceptions: `ConnectError` / `ConnectTimeout` while connecting (and
  during the TLS handshake), `PoolTimeout` while waiting for a connection (neither was sent), `WriteError` /
  `WriteTimeout`, `ReadError` / `ReadTimeout`, `RemoteProtocolError` for a malformed answer or a server that
  closed without one, `LocalProtocolError` for a request h11 refuses to write.

HTTP/1.1 framing is h11's. The connections are `asyncio.Protocol`s rather than asyncio streams because a
`StreamReader` cannot tell that bytes arrived on an idle connection (its `at_eof()` stays false while a
server's farewell `408` sits unread in the buffer), and a pool that cannot tell would read that `408` as the
answer to its next request. It runs under asyncio only (uvloop included); `Client` uses httpx's own transport
under other event loops.
"""

from __future__ import annotations

import asyncio
import collections
import ssl
import sys
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import h11
import httpx

__all__ = ["AsyncioTransport"]

# As `Client` configures its pools: as many idle connections kept as may be open, so that a burst reuses them.
DEFAULT_LIMITS = httpx.Limits(max_connections=100, max_keepalive_connections=100, keepalive_expiry=30.0)

_MAX_HEAD_BYTES = 100 * 1024  # the largest response head accepted (httpcore's limit; h11's default is 16 KiB)
_PAUSE_READING_AT = 512 * 1024  # stop reading the socket while this much arrived and was not consumed
_RESUME_READING_AT = 128 * 1024
_WRITE_BATCH = 64 * 1024  # request bytes gathered into one write
_YIELD_EVERY = 1024 * 1024  # let other tasks run after writing this many body bytes
_IDEMPOTENT = frozenset({"GET", "HEAD", "OPTIONS", "TRACE", "PUT", "DELETE"})

Origin = tuple[str, str, int]
Trace = Callable[[str, dict[str, Any]], Awaitable[None]]


class AsyncioTransport(httpx.AsyncBaseTransport):
    """An httpx async transport for asyncio: HTTP/1.1 (h11) over asyncio connections, with a pool whose cost
    per request does not grow with the number of connections or of waiting requests.

    `replicate_ext.Client` uses it for its async calls under asyncio unless it is given another transport (or
    options only httpx's transport honours: proxies, mounts, client certificates, HTTP/2). Pass one yourself
    to change its limits: `Client(async_transport=AsyncioTransport(limits=httpx.Limits(max_connections=20)))`.

    Args:
        verify: `True` (the process's shared default SSL context: certifi's CA bundle, or `SSL_CERT_FILE` /
            `SSL_CERT_DIR`), `False` (no certificate checks), or an `ssl.SSLContext`.
        limits: `max_connections` is the most connections open to one origin (scheme, host and port) at a
            time, `max_keepalive_connections` the most kept idle per origin, and `keepalive_expiry` how long
            an idle connection is kept (None: limit does not apply).
        trust_env: Whether `verify=True` may read `SSL_CERT_FILE` / `SSL_CERT_DIR`.

    Timeouts come from each request's `timeout` extension (httpx sets it from the client's `timeout`): `connect`
    covers the TCP connection and the TLS handshake, `read` and `write` each wait on the socket, `pool` the
    wait for a free connection. `connections_opened` counts the connections made.

    The transport belongs to the event loop of its first request; `aclose()` closes every connection.

    HTTP mocking and recording tools (respx, pytest-httpx, vcrpy) intercept requests by patching httpx's or
    httpcore's own transport classes. While such a patch is in place, this transport hands each request to an
    httpx `AsyncHTTPTransport` with the same settings, so the tool sees it as it sees any httpx request; the
    check costs a few hundred nanoseconds per request.
    """

    def __init__(
        self, *, verify: ssl.SSLContext | bool = True, limits: httpx.Limits = DEFAULT_LIMITS, trust_env: bool = True
    ) -> None:
        if not isinstance(verify, bool | ssl.SSLContext):
            raise TypeError(f"verify must be True, False or an ssl.SSLContext, got {verify!r}.")
        if not isinstance(limits, httpx.Limits):
            raise TypeError(f"limits must be an httpx.Limits, got {limits!r}.")
        if limits.max_connections is not None and limits.max_connections < 1:
            raise ValueError(f"max_connections must be at least 1 (or None), got {limits.max_connections!r}.")
        self._verify = verify
        self._trust_env = trust_env
        self._ssl_context: ssl.SSLContext | None = None
        self._max_connections = limits.max_connections
        self._max_idle = limits.max_keepalive_connections
        self._expiry = limits.keepalive_expiry
        self._pools: dict[Origin, _Pool] = {}
        self._loop: asyncio.AbstractEventLoop | None = None
        self._limits = limits
        self._for_tools: httpx.AsyncHTTPTransport | None = None
        self.connections_opened = 0

    def __repr__(self) -> str:
        return f"<AsyncioTransport max_connections={self._max_connections} open={self.connections_open}>"

    @property
    def connections_open(self) -> int:
        """The connections open now (idle or in use), over all origins."""
        return sum(len(pool.connections) for pool in self._pools.values())

    # -- a request --------------------------------------------------------------------------------------------

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        if _intercepted():
            # A test tool (respx, pytest-httpx, vcrpy, ...) has patched httpx's or httpcore's transport classes
            # to see every request: give it this one, exactly as it would see a request of plain httpx.
            return await self._tools_transport().handle_async_request(request)
        loop = asyncio.get_running_loop()
        if self._loop is not loop:
            if self._loop is not None and self._pools and not self._loop.is_closed():
                raise RuntimeError(
                    "This AsyncioTransport's connections belong to another event loop; use one transport per "
                    "event loop (or aclose() it before using it in another)."
                )
            self._pools.clear()  # connections of a loop that was closed: nothing can be done with them
            self._loop = loop
        url = request.url
        scheme = url.scheme
        if scheme not in ("http", "https"):
            raise httpx.UnsupportedProtocol(f"The URL scheme {scheme!r} is not supported (http or https).")
        if not url.raw_host:
            raise httpx.UnsupportedProtocol(f"The URL {url} has no host.")
        origin = (scheme, url.raw_host.decode("ascii"), url.port or (443 if scheme == "https" else 80))
        pool = self._pools.get(origin)
        if pool is None:
            pool = self._pools[origin] = _Pool(origin, loop)
        timeouts: dict[str, float | None] = request.extensions.get("timeout") or {}
        connection = await self._checkout(pool, request, timeouts)
        try:
            return await self._exchange(pool, connection, request, timeouts, may_resend=connection.reused)
        except _Stale:
            # The reused connection was dead before the request reached the server: once more on a new one.
            connection = await self._connect(pool, request, timeouts)
            return await self._exchange(pool, connection, request, timeouts, may_resend=False)

    async def _checkout(self, pool: _Pool, request: httpx.Request, timeouts: dict[str, float | None]) -> _Connection:
        """A connection for a request: the most recently used idle one, a new one, or the next one freed.

        The caller then owns one of the pool's slots, until the connection returns to the pool or closes.
        """
        idle = pool.idle
        if idle:
            now = pool.loop.time()
            while idle:
                connection = idle.pop()
                if connection.reusable(now, self._expiry):
                    connection.reused = True
                    return connection
                self._drop(pool, connection)  # frees its slot, which the checks below take again
        if self._max_connections is None or pool.slots < self._max_connections:
            pool.slots += 1
        else:
            handed = await self._wait(pool, request, timeouts.get("pool"))
            if handed is not None:
                if handed.reusable(pool.loop.time(), None):
                    handed.reused = True
                    return handed
                handed.close()  # it died between its release and now: keep its slot, connect anew
                pool.connections.discard(handed)
        return await self._connect(pool, request, timeouts)

    async def _wait(self, pool: _Pool, request: httpx.Request, timeout: float | None) -> _Connection | None:
        """Queue for the next connection released (or slot freed, None) in this pool."""
        waiter: asyncio.Future[_Connection | None] = pool.loop.create_future()
        pool.waiters.append(waiter)
        timer = pool.loop.call_later(timeout, _time_out, waiter) if timeout is not None else None
        try:
            return await waiter
        except BaseException as exc:
            if waiter.done() and not waiter.cancelled() and waiter.exception() is None:
                # Cancelled just as a connection was handed over: pass it on, or it would leak.
                self._pass_on(pool, waiter.result())
            else:
                waiter.cancel()  # stays queued (removing it would cost a scan) and is skipped when served
            if isinstance(exc, TimeoutError):
                raise httpx.PoolTimeout(
                    f"No connection to {_origin_str(pool.origin)} became free within {timeout} s.", request=request
                ) from None
            raise
        finally:
            if timer is not None:
                timer.cancel()

    async def _connect(self, pool: _Pool, request: httpx.Request, timeouts: dict[str, float | None]) -> _Connection:
        """Open a connection in a slot the caller holds (the slot is freed if connecting fails)."""
        scheme, host, port = pool.origin
        loop = pool.loop
        connection = _Connection(loop)
        tls = self._tls_context() if scheme == "https" else None
        server_hostname = None
        if tls is not None:
            sni = request.extensions.get("sni_hostname")
            server_hostname = sni.decode("ascii") if isinstance(sni, bytes) else sni or host
        timeout = timeouts.get("connect")
        # Happy eyeballs (RFC 8305, with the delay anyio and so httpcore use) where the loop has it (uvloop has not).
        options: dict[str, Any] = {"happy_eyeballs_delay": 0.25} if isinstance(loop, asyncio.BaseEventLoop) else {}
        try:
            async with asyncio.timeout(timeout):
                await loop.create_connection(
                    lambda: connection, host, port, ssl=tls, server_hostname=server_hostname, **options
                )
        except BaseException as exc:
            self._free_slot(pool)
            connection.abort()
            where = _origin_str(pool.origin)
            if isinstance(exc, TimeoutError):
                raise httpx.ConnectTimeout(
                    f"Connecting to {where} timed out after {timeout} s.", request=request
                ) from None
            if isinstance(exc, OSError):
                raise httpx.ConnectError(f"Connecting to {where} failed: {_describe(exc)}", request=request) from exc
            raise
        if tls is not None:
            ssl_object = connection.extra("ssl_object")
            protocol = ssl_object.selected_alpn_protocol() if ssl_object is not None else None
            if protocol not in (None, "http/1.1"):
                self._free_slot(pool)
                connection.abort()
                raise httpx.ConnectError(f"{_origin_str(pool.origin)} chose {protocol}; only HTTP/1.1 is spoken.")
        self.connections_opened += 1
        pool.connections.add(connection)
        return connection

    def _tools_transport(self) -> httpx.AsyncHTTPTransport:
        """httpx's own transport, configured like this one, for the requests a test tool intercepts."""
        if self._for_tools is None:
            self._for_tools = httpx.AsyncHTTPTransport(
                verify=self._tls_context(), limits=self._limits, trust_env=self._trust_env
            )
        return self._for_tools

    def _tls_context(self) -> ssl.SSLContext:
        context = self._ssl_context
        if context is None:
            if self._verify is True:
                from ._tls import default_ssl_context

                context = default_ssl_context(self._trust_env)
            elif self._verify is False:
                context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
                context.check_hostname = False
                context.verify_mode = ssl.CERT_NONE
                context.set_alpn_protocols(["http/1.1"])
            else:
                context = self._verify
                context.set_alpn_protocols(["http/1.1"])  # as httpcore does with a context it is given
            self._ssl_context = context
        return context

    async def _exchange(
        self,
        pool: _Pool,
        connection: _Connection,
        request: httpx.Request,
        timeouts: dict[str, float | None],
        may_resend: bool,
    ) -> httpx.Response:
        """Write the request and read the response's head; the body streams from the returned response.

        Raises `_Stale` (keeping the slot for the caller) when the request may be sent again on a new connection;
        on any other failure the connection is closed and its slot freed.
        """
        trace: Trace | None = request.extensions.get("trace")
        if trace is not None:
            try:
                await trace("http11.send_request_headers.started", {"request": request})
            except BaseException:
                self._release(pool, connection)  # nothing was written: the connection is as good as before
                raise
            if not connection.reusable(pool.loop.time(), None):
                # It died while the trace waited (a rate-limit pause, say); nothing was sent, so connect anew.
                connection.close()
                pool.connections.discard(connection)
                connection = await self._connect(pool, request, timeouts)
                may_resend = False
        try:
            connection.start()
            try:
                await _send_request(connection, request, timeouts.get("write"))
            except httpx.WriteError as exc:
                # A server may answer before reading the whole request (413, 401) and close: read that answer.
                try:
                    head = await _receive_head(connection, request, timeouts.get("read"))
                except httpx.TransportError:
                    raise exc from None
            else:
                head = await _receive_head(connection, request, timeouts.get("read"))
        except httpx.TransportError as exc:
            connection.abort()
            pool.connections.discard(connection)
            if (
                may_resend
                and connection.received == 0
                and isinstance(exc, httpx.ReadError | httpx.WriteError | httpx.RemoteProtocolError)
                and request.method in _IDEMPOTENT
                and isinstance(request.stream, httpx.ByteStream)
            ):
                raise _Stale from exc
            self._free_slot(pool)
            raise
        except BaseException:
            connection.abort()
            pool.connections.discard(connection)
            self._free_slot(pool)
            raise
        return httpx.Response(
            head.status_code,
            headers=head.headers.raw_items(),
            stream=_ResponseBody(self, pool, connection, request, timeouts.get("read")),
            extensions={"http_version": b"HTTP/" + head.http_version, "reason_phrase": head.reason},
        )

    # -- the pool's bookkeeping (no awaits: every step is atomic on the event loop) -----------------------------

    def _release(self, pool: _Pool, connection: _Connection) -> None:
        """A connection whose exchange finished cleanly: to the first waiting request, else to the idle deque."""
        connection.finish()
        if not pool.open:
            self._drop(pool, connection)
            return
        if pool.hand_over(connection):
            return
        idle = pool.idle
        if self._max_idle is not None and len(idle) >= self._max_idle:
            self._drop(pool, connection)
            return
        now = pool.loop.time()
        connection.idle_since = now
        idle.append(connection)
        expiry = self._expiry
        if expiry is not None:
            while idle and idle[0].idle_since + expiry <= now:  # the oldest at the left; the newest never qualifies
                self._drop(pool, idle.popleft())

    def _free_slot(self, pool: _Pool) -> None:
        """A connection closed (or failed to open): its slot goes to the first waiting request, which connects."""
        if not pool.hand_over(None):
            pool.slots -= 1

    def _pass_on(self, pool: _Pool, handed: _Connection | None) -> None:
        if handed is None:
            self._free_slot(pool)
        elif handed.reusable(pool.loop.time(), None):
            self._release(pool, handed)
        else:
            self._drop(pool, handed)

    def _drop(self, pool: _Pool, connection: _Connection) -> None:
        connection.close()
        pool.connections.discard(connection)
        self._free_slot(pool)

    # -- closing ----------------------------------------------------------------------------------------------

    async def aclose(self) -> None:
        """Close every connection (reading a response that was still streaming then fails); requests waiting
        for a connection fail with `httpx.PoolTimeout`. The transport can be used again afterwards."""
        if self._for_tools is not None:
            for_tools, self._for_tools = self._for_tools, None
            await for_tools.aclose()
        pools = list(self._pools.values())
        self._pools.clear()
        self._loop = None
        connections: list[_Connection] = []
        for pool in pools:
            pool.open = False
            while pool.waiters:
                waiter = pool.waiters.popleft()
                if not waiter.done():
                    waiter.set_exception(httpx.PoolTimeout("The transport was closed."))
            pool.idle.clear()
            connections.extend(pool.connections)
            pool.connections.clear()
        for connection in connections:
            connection.close()
        # Let the transports finish closing (a TLS close_notify takes a round trip), so that no socket outlives
        # its loop; give up on a peer that does not answer.
        lost = [connection.lost for connection in connections if not connection.lost.done()]
        if lost:
            _done, pending = await asyncio.wait(lost, timeout=1.0)
            if pending:
                for connection in connections:
                    connection.abort()
                await asyncio.sleep(0)


# Where the HTTP mocking and recording tools hook in: pytest-httpx and vcrpy patch httpx's transport, respx's
# default mocker patches httpcore's connection pool (respx's `using="httpx"` patches httpx's client, which every
# transport goes through anyway). httpcore is imported only by httpx's transport, or by a tool that patches it.
_TRANSPORT_MODULE = "httpx._transports.default"
_POOL_MODULE = "httpcore._async.connection_pool"
_pool_class: Any = None
_last_seen: tuple[object, object] = (None, None)
_last_verdict = False


def _intercepted() -> bool:
    """Whether a tool has replaced `handle_async_request` of httpx's or httpcore's async transport classes.

    A method is the original while its code is the code defined in its class's module, whenever the tool was
    started (before or after this module was imported; a replacement made with `functools.wraps` carries the
    original's name, but not its code). The answer is cached for the methods last seen, so a request pays two
    attribute lookups and a comparison.
    """
    global _pool_class, _last_seen, _last_verdict
    if _pool_class is None:
        _pool_class = getattr(sys.modules.get(_POOL_MODULE), "AsyncConnectionPool", None)
    seen = (httpx.AsyncHTTPTransport.handle_async_request, _pool_class and _pool_class.handle_async_request)
    if seen[0] is _last_seen[0] and seen[1] is _last_seen[1]:
        return _last_verdict
    _last_seen = seen
    _last_verdict = not _is_original(seen[0], "AsyncHTTPTransport", _TRANSPORT_MODULE) or (
        seen[1] is not None and not _is_original(seen[1], "AsyncConnectionPool", _POOL_MODULE)
    )
    return _last_verdict


def _is_original(method: object, cls: str, module: str) -> bool:
    code = getattr(method, "__code__", None)
    return getattr(code, "co_qualname", None) == f"{cls}.handle_async_request" and getattr(
        code, "co_filename", None
    ) == getattr(sys.modules.get(module), "__file__", None)


class _Stale(Exception):
    """A reused connection failed before the response began, and the request may be sent again."""


class _Pool:
    """The connections to one origin."""

    __slots__ = ("connections", "idle", "loop", "open", "origin", "slots", "waiters")

    def __init__(self, origin: Origin, loop: asyncio.AbstractEventLoop) -> None:
        self.origin = origin
        self.loop = loop
        self.idle: collections.deque[_Connection] = collections.deque()  # most recently used at the right
        self.waiters: collections.deque[asyncio.Future[_Connection | None]] = collections.deque()  # FIFO
        self.slots = 0  # connections open, being opened, or promised to a waiter: at most max_connections
        self.connections: set[_Connection] = set()  # the open ones, to close them all in aclose()
        self.open = True

    def hand_over(self, value: _Connection | None) -> bool:
        """Give a connection (or, with None, a slot to connect in) to the first request still waiting, if any."""
        waiters = self.waiters
        while waiters:
            waiter = waiters.popleft()
            if not waiter.done():  # a waiter that timed out or was cancelled is skipped
                waiter.set_result(value)
                return True
        return False


class _Connection(asyncio.Protocol):
    """One HTTP/1.1 connection: the socket's protocol (it queues what arrives) and h11's state."""

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self.loop = loop
        self.h11 = h11.Connection(h11.CLIENT, max_incomplete_event_size=_MAX_HEAD_BYTES)
        self.transport: asyncio.Transport | None = None
        self.chunks: collections.deque[bytes] = collections.deque()
        self.buffered = 0
        self.eof = False
        self.error: Exception | None = None  # why the connection was lost, when it was not a plain close
        self.closed = False  # connection_lost was called
        self.lost: asyncio.Future[None] = loop.create_future()
        self.in_flight = False  # an exchange is under way: bytes that arrive are its response
        self.stale = False  # bytes or EOF arrived between exchanges: the connection cannot be reused
        self.reused = False
        self.received = 0  # bytes of the current response received
        self.idle_since = 0.0
        self._read_waiter: asyncio.Future[None] | None = None
        self._drain_waiter: asyncio.Future[None] | None = None
        self._write_paused = False
        self._read_paused = False

    # asyncio.Protocol

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]  # a stream transport (create_connection)

    def data_received(self, data: bytes) -> None:
        if not self.in_flight:
            self.stale = True
        self.chunks.append(data)
        self.buffered += len(data)
        if self.buffered > _PAUSE_READING_AT and not self._read_paused and self.transport is not None:
            self._read_paused = True
            self.transport.pause_reading()
        _wake(self._read_waiter)

    def eof_received(self) -> bool | None:
        self.eof = True
        if not self.in_flight:
            self.stale = True
        _wake(self._read_waiter)
        return None  # close the transport: a half-closed HTTP/1.1 connection is of no further use

    def connection_lost(self, exc: Exception | None) -> None:
        self.closed = self.eof = True
        if exc is not None:
            self.error = exc
        _wake(self._read_waiter)
        _wake(self._drain_waiter)
        if not self.lost.done():
            self.lost.set_result(None)

    def pause_writing(self) -> None:
        self._write_paused = True

    def resume_writing(self) -> None:
        self._write_paused = False
        _wake(self._drain_waiter)

    # the pool's view

    def reusable(self, now: float, expiry: float | None) -> bool:
        if self.stale or self.eof or self.h11.our_state is not h11.IDLE:
            return False
        return expiry is None or now - self.idle_since < expiry

    def start(self) -> None:
        self.in_flight = True
        self.received = 0

    def finish(self) -> None:
        self.in_flight = False

    def extra(self, name: str) -> Any:
        return self.transport.get_extra_info(name) if self.transport is not None else None

    def close(self) -> None:
        """Close gracefully (an idle connection, or one whose server asked for it)."""
        if self.transport is not None and not self.transport.is_closing():
            self.transport.close()

    def abort(self) -> None:
        """Close at once, discarding what is buffered either way (a connection in an unknown state)."""
        if self.transport is not None:
            self.transport.abort()

    # I/O

    async def read(self, request: httpx.Request, timeout: float | None) -> bytes:
        """The next bytes received, or b"" at the end of the stream."""
        chunks = self.chunks
        while not chunks:
            if self.eof:
                if self.error is not None:
                    raise httpx.ReadError(f"The connection broke: {_describe(self.error)}", request=request)
                return b""
            waiter = self._read_waiter = self.loop.create_future()
            timer = self.loop.call_later(timeout, _time_out, waiter) if timeout is not None else None
            try:
                await waiter
            except TimeoutError:
                raise httpx.ReadTimeout(f"No response data arrived within {timeout} s.", request=request) from None
            finally:
                self._read_waiter = None
                if timer is not None:
                    timer.cancel()
        data = chunks.popleft()
        self.buffered -= len(data)
        if self._read_paused and self.buffered <= _RESUME_READING_AT and self.transport is not None:
            self._read_paused = False
            self.transport.resume_reading()
        return data

    async def write(self, request: httpx.Request, data: bytes, timeout: float | None) -> None:
        transport = self.transport
        if self.closed or transport is None or transport.is_closing():
            cause = f": {_describe(self.error)}" if self.error is not None else ""
            raise httpx.WriteError(f"The connection was closed before the request was written{cause}.", request=request)
        transport.write(data)
        while self._write_paused and not self.closed:
            waiter = self._drain_waiter = self.loop.create_future()
            timer = self.loop.call_later(timeout, _time_out, waiter) if timeout is not None else None
            try:
                await waiter
            except TimeoutError:
                raise httpx.WriteTimeout(
                    f"The request could not be written within {timeout} s.", request=request
                ) from None
            finally:
                self._drain_waiter = None
                if timer is not None:
                    timer.cancel()
        if self.closed and self.error is not None:
            raise httpx.WriteError(f"Writing the request failed: {_describe(self.error)}", request=request)

    async def next_event(self, request: httpx.Request, timeout: float | None) -> Any:
        """h11's next event of the response, reading from the socket as needed."""
        h = self.h11
        while True:
            try:
                event = h.next_event()
            except h11.RemoteProtocolError as exc:
                raise httpx.RemoteProtocolError(f"Malformed response: {exc}", request=request) from exc
            if event is not h11.NEED_DATA:
                return event
            data = await self.read(request, timeout)
            if not data and h.their_state is h11.SEND_RESPONSE:
                raise httpx.RemoteProtocolError("Server disconnected without sending a response.", request=request)
            self.received += len(data)
            h.receive_data(data)


async def _send_request(connection: _Connection, request: httpx.Request, timeout: float | None) -> None:
    h = connection.h11
    stream = request.stream
    try:
        head = h.send(h11.Request(method=request.method, target=request.url.raw_path, headers=request.headers.raw))
        parts = [head or b""]
        if isinstance(stream, httpx.ByteStream):  # bytes (JSON, form data): one chunk, usually one write in all
            for chunk in stream:
                if chunk:
                    parts.extend(h.send_with_data_passthrough(h11.Data(data=chunk)) or ())
        else:
            await _send_streamed_body(connection, request, stream, parts, timeout)
        parts.append(h.send(h11.EndOfMessage()) or b"")
    except h11.LocalProtocolError as exc:
        raise httpx.LocalProtocolError(f"The request cannot be sent: {exc}", request=request) from exc
    await connection.write(request, b"".join(parts) if len(parts) > 1 else parts[0], timeout)


async def _send_streamed_body(
    connection: _Connection, request: httpx.Request, stream: Any, parts: list[bytes], timeout: float | None
) -> None:
    """Write a body that comes in chunks (a file upload's, an async generator's), batching small chunks.

    Leaves the last batch in `parts`. A sync stream (httpx's multipart streams read the files in 64 KiB chunks)
    blocks the event loop for one chunk at a time, and other tasks get a turn after every `_YIELD_EVERY` bytes.
    """
    h = connection.h11
    chunks = stream if isinstance(stream, httpx.AsyncByteStream) else _async_chunks(stream)
    size = sum(map(len, parts))
    unyielded = 0
    async for chunk in chunks:
        if not chunk:
            continue
        data = h.send_with_data_passthrough(h11.Data(data=chunk)) or ()
        parts.extend(data)
        size += sum(map(len, data))
        if size >= _WRITE_BATCH:
            await connection.write(request, b"".join(parts), timeout)
            parts.clear()
            unyielded += size
            size = 0
            if unyielded >= _YIELD_EVERY:
                unyielded = 0
                await asyncio.sleep(0)


async def _async_chunks(stream: Any) -> AsyncIterator[bytes]:
    for chunk in stream:
        yield chunk


async def _receive_head(connection: _Connection, request: httpx.Request, timeout: float | None) -> h11.Response:
    while True:
        event = await connection.next_event(request, timeout)
        if isinstance(event, h11.Response):
            return event
        if not isinstance(event, h11.InformationalResponse):  # 1xx heads precede the real one
            raise httpx.RemoteProtocolError(f"Expected a response, got {event!r}.", request=request)


class _ResponseBody(httpx.AsyncByteStream):
    """A response body as it arrives; the connection returns to the pool when it was read to its end."""

    def __init__(
        self,
        transport: AsyncioTransport,
        pool: _Pool,
        connection: _Connection,
        request: httpx.Request,
        timeout: float | None,
    ) -> None:
        self._transport = transport
        self._pool = pool
        self._connection: _Connection | None = connection
        self._request = request
        self._timeout = timeout

    async def __aiter__(self) -> AsyncIterator[bytes]:
        connection = self._connection
        if connection is None:
            return
        try:
            while True:
                event = await connection.next_event(self._request, self._timeout)
                if type(event) is h11.Data:
                    yield bytes(event.data)
                elif type(event) is h11.EndOfMessage:
                    break
                else:
                    raise httpx.RemoteProtocolError(f"Unexpected {event!r} in a response body.", request=self._request)
        except BaseException:
            await self.aclose()
            raise
        self._connection = None
        self._end(connection)

    def _end(self, connection: _Connection) -> None:
        h = connection.h11
        pool = self._pool
        if h.our_state is h11.DONE and h.their_state is h11.DONE:
            h.start_next_cycle()
            if not (connection.chunks or connection.stale or connection.eof or h.trailing_data[0]):
                self._transport._release(pool, connection)
                return
        # Connection: close, HTTP/1.0, or extra bytes after the body: this connection is done.
        connection.finish()
        self._transport._drop(pool, connection)

    async def aclose(self) -> None:
        connection = self._connection
        if connection is not None:
            # Closed before its end (or after an error): the rest of the body would still be on the wire.
            self._connection = None
            connection.finish()
            connection.abort()
            self._pool.connections.discard(connection)
            self._transport._free_slot(self._pool)


def _wake(waiter: asyncio.Future[None] | None) -> None:
    if waiter is not None and not waiter.done():
        waiter.set_result(None)


def _time_out(waiter: asyncio.Future[Any]) -> None:
    if not waiter.done():
        waiter.set_exception(TimeoutError())


def _origin_str(origin: Origin) -> str:
    scheme, host, port = origin
    return f"{scheme}://{f'[{host}]' if ':' in host else host}:{port}"


def _describe(exc: BaseException) -> str:
    return f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
