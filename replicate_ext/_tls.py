"""The SSL context the connection pools of one process share, with its CA certificates loaded on first use.

Every `httpx.Client` and `httpx.AsyncClient` builds an SSL context of its own unless it is given one, and loading
the CA bundle into it costs 30-60 ms: for each client (a `Client` has up to four: API and downloads, sync and
async), and even when every URL is `http://`. `default_ssl_context()` returns one context per process instead,
configured as httpx configures its default (certifi's bundle, or `SSL_CERT_FILE` / `SSL_CERT_DIR` when the
environment is trusted), that loads the bundle at its first TLS handshake. A client of an `http://` server never
pays for it.
"""

from __future__ import annotations

import os
import ssl
import sys
import threading
from socket import socket

__all__ = ["default_ssl_context"]

_lock = threading.Lock()
_contexts: dict[bool, ssl.SSLContext] = {}


def default_ssl_context(trust_env: bool = True) -> ssl.SSLContext:
    """The process's shared default SSL context (one with `trust_env`, one without): verifies certificates and
    host names, offers ALPN `http/1.1`, and loads its CA certificates at its first handshake.

    Treat it as read-only: a pool that changes it (client certificates, HTTP/2 ALPN) changes it for every pool.
    """
    context = _contexts.get(trust_env)
    if context is None:
        with _lock:
            context = _contexts.get(trust_env)
            if context is None:
                context = _contexts[trust_env] = _DeferredCAContext.create(trust_env)
    return context


class _DeferredCAContext(ssl.SSLContext):
    """`ssl.create_default_context(cafile=...)`, except that the CA certificates are loaded by the first
    `wrap_socket` / `wrap_bio` (the two ways into a TLS connection: httpcore's sync sockets use the first,
    asyncio, anyio and trio the second)."""

    _cafile: str | None
    _capath: str | None
    _loaded: bool
    _load_lock: threading.Lock

    @classmethod
    def create(cls, trust_env: bool) -> _DeferredCAContext:
        context = cls(ssl.PROTOCOL_TLS_CLIENT)  # check_hostname=True and CERT_REQUIRED, as create_default_context
        # httpx's choice of CA certificates (httpx._config.create_ssl_context).
        cafile = os.environ.get("SSL_CERT_FILE") if trust_env else None
        capath = os.environ.get("SSL_CERT_DIR") if trust_env and not cafile else None
        if not cafile and not capath:
            import certifi

            cafile = certifi.where()
        context._cafile, context._capath = cafile or None, capath or None
        context._loaded = False
        context._load_lock = threading.Lock()
        # What ssl.create_default_context does besides loading certificates.
        keylog = os.environ.get("SSLKEYLOGFILE")
        if keylog and not sys.flags.ignore_environment:
            context.keylog_filename = keylog
        if sys.version_info >= (3, 13):  # the stricter verification 3.13 turned on
            context.verify_flags |= ssl.VERIFY_X509_PARTIAL_CHAIN | ssl.VERIFY_X509_STRICT
        context.set_alpn_protocols(["http/1.1"])
        return context

    def _load(self) -> None:
        if not self._loaded:
            with self._load_lock:
                if not self._loaded:
                    self.load_verify_locations(cafile=self._cafile, capath=self._capath)
                    self._loaded = True

    def wrap_socket(
        self,
        sock: socket,
        server_side: bool = False,
        do_handshake_on_connect: bool = True,
        suppress_ragged_eofs: bool = True,
        server_hostname: str | bytes | None = None,
        session: ssl.SSLSession | None = None,
    ) -> ssl.SSLSocket:
        self._load()
        return super().wrap_socket(
            sock, server_side, do_handshake_on_connect, suppress_ragged_eofs, server_hostname, session
        )

    def wrap_bio(
        self,
        incoming: ssl.MemoryBIO,
        outgoing: ssl.MemoryBIO,
        server_side: bool = False,
        server_hostname: str | bytes | None = None,
        session: ssl.SSLSession | None = None,
    ) -> ssl.SSLObject:
        self._load()
        return super().wrap_bio(incoming, outgoing, server_side, server_hostname, session)
