"""uvicorn glue: an HTTP protocol that counts connections and lets the app drop one, and a prompt-exiting server.

uvicorn does not give ASGI apps the transport, so a fault that must "drop the connection with no response"
needs help from the protocol: this subclass puts an `abort()` callable into each request's
`scope["extensions"]["replicate_ext.abort"]`; it aborts the TCP transport (the client sees a reset or
"server disconnected"). Imported only when a server starts, as it imports uvicorn.
"""

from __future__ import annotations

import asyncio
import socket
from collections.abc import Callable
from typing import Any

import uvicorn
from uvicorn.protocols.http.h11_impl import H11Protocol

from ._faults import ABORT_EXTENSION

__all__ = ["EventServer", "make_protocol"]


def make_protocol(on_connection: Callable[[], None]) -> type[asyncio.Protocol]:
    """An `H11Protocol` subclass that calls `on_connection()` for each accepted connection."""

    class _Protocol(H11Protocol):
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            super().__init__(*args, **kwargs)
            inner = self.app

            async def app(scope: Any, receive: Any, send: Any) -> None:
                extensions = dict(scope.get("extensions") or {})
                extensions[ABORT_EXTENSION] = self._abort
                scope["extensions"] = extensions
                await inner(scope, receive, send)

            self.app = app

        def connection_made(self, transport: asyncio.BaseTransport) -> None:
            on_connection()
            # asyncio sets TCP_NODELAY only on sockets whose `proto` says TCP; a listening socket made with
            # proto 0 hands out connections without it, and Nagle's algorithm then holds each response's
            # body behind its headers until the client's delayed ACK (about 40 ms a request).
            sock = transport.get_extra_info("socket")
            if sock is not None and sock.family in (socket.AF_INET, socket.AF_INET6):
                sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            super().connection_made(transport)  # type: ignore[arg-type]

        def _abort(self) -> None:
            if self.transport is not None and not self.transport.is_closing():
                self.transport.abort()

    return _Protocol


class EventServer(uvicorn.Server):
    """A uvicorn server whose main loop wakes as soon as it is asked to exit (not at its next 0.1 s tick)."""

    def __init__(self, config: uvicorn.Config) -> None:
        super().__init__(config)
        self._exit = asyncio.Event()

    def request_exit(self) -> None:
        """Stop serving (the equivalent of setting `should_exit`, without the polling delay)."""
        self.should_exit = True
        self._exit.set()

    async def main_loop(self) -> None:
        counter = 0
        while not await self.on_tick(counter):
            counter = (counter + 10) % 864000  # each pass is about a second: refresh the Date header each time
            try:
                await asyncio.wait_for(self._exit.wait(), timeout=1.0)
            except TimeoutError:
                pass
