"""`LocalReplicate`: start a Replicate-compatible server in a background thread, stop it, read its counters."""

from __future__ import annotations

import asyncio
import ipaddress
import re
import secrets
import shutil
import socket
import tempfile
import threading
from collections.abc import Coroutine, Mapping
from pathlib import Path
from types import TracebackType
from typing import Any, TypeVar

from ._errors import MissingExtraError, ServerStartError
from ._faults import Faults
from ._predictor import load_models, load_predictor
from ._runtime import ModelSpec

__all__ = ["LocalReplicate"]

T = TypeVar("T")
_STARTUP_TIMEOUT = 30.0
_USERNAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]*$")


def is_loopback(host: str) -> bool:
    """Whether `host` is reachable from this machine only (`127.0.0.1`, `::1`, `localhost`)."""
    if host.strip("[]").lower() in ("localhost", "localhost."):
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False  # a name: it may resolve to any address


def _require_extra() -> None:
    for module in ("starlette", "uvicorn", "sse_starlette", "python_multipart"):
        try:
            __import__(module)
        except ImportError:
            raise MissingExtraError(module.replace("_", "-")) from None


def _faults(value: Faults | Mapping[str, Any] | None) -> Faults:
    if value is None:
        return Faults()
    if isinstance(value, Faults):
        return value
    return Faults.from_mapping(value)


class LocalReplicate:
    """A local server that speaks Replicate's HTTP API and runs models on this machine.

    ```python
    from replicate_ext.local import LocalReplicate

    with LocalReplicate() as server:          # demo/* models, a free port, any token accepted
        print(server.url, server.token)       # http://127.0.0.1:PORT (append /v1 for the API)
    ```

    The server runs in a background thread with its own event loop and two origins: the API at `url`
    (routes under `/v1`, admin routes under `/_local`) and the delivery origin at `delivery_url` (file
    outputs and prediction streams, like replicate.delivery and Replicate's stream host).

    Parameters:
        models: Extra models, `{"owner/name": predictor}`; a predictor is a function, a `BasePredictor`
            subclass or instance, or a `"path/to/file.py:Name"` reference, run in this process. A Cog model
            (a folder with `cog.yaml`, a `"predict.py:Predictor"` of a module that imports `cog`, or a Cog
            class) runs on Cog's own runtime; that needs the `cog` extra. Its `setup()` runs when the server
            starts (see `setup_errors`).
        token: The one Bearer token to accept. Without it, `token` is a generated one; on a loopback `host`
            any non-empty token is then accepted, elsewhere only the generated one (see `accept_any_token`).
        accept_any_token: Accept any non-empty Bearer token even though `host` is not a loopback address.
            Anyone who can reach the machine can then run the models it serves and make it fetch URLs.
        username: The account's username (`GET /v1/account`); models and deployments are created under it.
        host, port, delivery_port: Where to listen; port 0 picks a free port.
        demo_models: Include the built-in `demo/*` models.
        workers: How many predictions run at once; the rest wait in `starting`.
        faults: Fault injection (`Faults` or a mapping of its fields); off by default.
        page_size: Items per page of list endpoints.
        min_cancel_after: The smallest `Cancel-After` accepted, in seconds (Replicate's is 5).
        webhook_secret: The signing secret (`whsec_...`); generated when not given.
        webhook_throttle: Minimum seconds between `output`/`logs` webhook deliveries of one prediction.
        webhook_retries, webhook_backoff: Retries of a failed delivery, and the first retry's delay
            (doubling after each).
        max_upload_bytes: The largest file `POST /v1/files` accepts (413 above).
        data_uri_outputs: When more than 0, file outputs up to this many bytes are returned as `data:`
            URIs instead of delivery URLs.
        data_dir: Where files are kept; a temporary folder (removed on stop) when not given.
        setup_timeout: How long a Cog model's `setup()` may take, in seconds, before the model is reported
            as failed.
    """

    def __init__(
        self,
        models: Mapping[str, Any] | None = None,
        *,
        token: str | None = None,
        username: str = "local",
        host: str = "127.0.0.1",
        port: int = 0,
        delivery_port: int = 0,
        demo_models: bool = True,
        workers: int = 8,
        faults: Faults | Mapping[str, Any] | None = None,
        page_size: int = 100,
        min_cancel_after: float = 5.0,
        webhook_secret: str | None = None,
        webhook_throttle: float = 0.5,
        webhook_retries: int = 3,
        webhook_backoff: float = 0.5,
        max_upload_bytes: int = 100 * 1024 * 1024,
        data_uri_outputs: int = 0,
        data_dir: str | Path | None = None,
        accept_any_token: bool = False,
        setup_timeout: float = 300.0,
    ) -> None:
        if token is not None and not token.strip():
            raise ValueError("token must not be empty; leave it out to accept any token.")
        if token is not None and accept_any_token:
            raise ValueError("Pass either token (accept only it) or accept_any_token=True, not both.")
        if not _USERNAME.match(username):
            raise ValueError(f"username must be letters, digits, '-' and '_', not {username!r}.")
        if setup_timeout <= 0:
            raise ValueError(f"setup_timeout must be more than 0 seconds, not {setup_timeout}.")
        if workers < 1:
            raise ValueError(f"workers must be at least 1, not {workers}.")
        if page_size < 1:
            raise ValueError(f"page_size must be at least 1, not {page_size}.")
        if min_cancel_after < 0 or webhook_throttle < 0 or webhook_retries < 0 or webhook_backoff < 0:
            raise ValueError("min_cancel_after, webhook_throttle, webhook_retries and webhook_backoff must be >= 0.")
        if webhook_secret is not None and not webhook_secret.startswith("whsec_"):
            raise ValueError("webhook_secret must look like 'whsec_<base64>'.")
        self._accept_any = token is None and (accept_any_token or is_loopback(host))
        self._token = token if token is not None else "r8_local_" + secrets.token_urlsafe(24)
        self.setup_timeout = setup_timeout
        self.username = username
        self.host = host
        self._ports = (port, delivery_port)
        self.workers = workers
        self.page_size = page_size
        self.min_cancel_after = min_cancel_after
        self.webhook_throttle = webhook_throttle
        self.webhook_retries = webhook_retries
        self.webhook_backoff = webhook_backoff
        self.max_upload_bytes = max_upload_bytes
        self.data_uri_outputs = data_uri_outputs
        self._data_dir = Path(data_dir) if data_dir is not None else None
        self._faults = _faults(faults)
        specs: dict[str, ModelSpec] = {}
        if demo_models:
            from ._demo_models import DEMO_MODELS

            specs.update({name: load_predictor(target) for name, target in DEMO_MODELS.items()})
        specs.update(load_models(models or {}))
        self._specs = specs
        self._setup_errors: dict[str, str] = {}
        if webhook_secret is None:
            from ._webhooks import new_secret

            webhook_secret = new_secret()
        self._webhook_secret = webhook_secret
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()  # orders a stop() that races the server thread's start
        self._stop_requested = False
        self._loop: asyncio.AbstractEventLoop | None = None
        self._stop_event: asyncio.Event | None = None
        self._app: Any = None
        self._url: str | None = None
        self._delivery_url: str | None = None
        self._tmp: Path | None = None
        self._error: BaseException | None = None

    def __repr__(self) -> str:
        state = self._url if self._url else "not started"
        return f"<LocalReplicate {state} models={len(self._specs)}>"

    # -- properties --------------------------------------------------------------------------------------

    @property
    def url(self) -> str:
        """The API base, without `/v1` (e.g. `http://127.0.0.1:8123`)."""
        if self._url is None:
            raise RuntimeError("The server is not running; call start() or use it in a with block.")
        return self._url

    @property
    def delivery_url(self) -> str:
        """The delivery origin (file outputs and streams), e.g. `http://127.0.0.1:8124`."""
        if self._delivery_url is None:
            raise RuntimeError("The server is not running; call start() or use it in a with block.")
        return self._delivery_url

    @property
    def token(self) -> str:
        """The token to send: the one given, or a generated one."""
        return self._token

    @property
    def accepts_any_token(self) -> bool:
        """Whether any non-empty Bearer token is accepted (no token given, and a loopback host or
        `accept_any_token=True`); otherwise only `token` is."""
        return self._accept_any

    @property
    def setup_errors(self) -> dict[str, str]:
        """The models whose `setup()` failed when the server started, with why (one line each).

        Predictions of those models fail, with the setup's logs.
        """
        return dict(self._setup_errors)

    @property
    def webhook_secret(self) -> str:
        """The webhook signing secret (`whsec_...`), as `GET /v1/webhooks/default/secret` returns it."""
        return self._webhook_secret

    @property
    def models(self) -> list[str]:
        """The names of the models served at start."""
        return sorted(self._specs)

    @property
    def running(self) -> bool:
        """Whether the server thread is alive (between `start()` and `stop()`)."""
        return self._thread is not None and self._thread.is_alive()

    # -- lifecycle ---------------------------------------------------------------------------------------

    def __enter__(self) -> LocalReplicate:
        return self.start()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, traceback: TracebackType | None
    ) -> None:
        self.stop()

    def start(self) -> LocalReplicate:
        """Start serving in a background thread; returns once both origins accept connections."""
        if self._thread is not None:
            raise RuntimeError("The server is already running.")
        _require_extra()
        sockets = []
        try:
            for port in self._ports:
                sock = socket.create_server((self.host, port), family=_family(self.host), backlog=2048)
                sockets.append(sock)
        except OSError as exc:
            for sock in sockets:
                sock.close()
            raise ServerStartError(f"Cannot listen on {self.host}: {exc}") from exc
        host = f"[{self.host}]" if ":" in self.host else self.host
        self._url = f"http://{host}:{sockets[0].getsockname()[1]}"
        self._delivery_url = f"http://{host}:{sockets[1].getsockname()[1]}"
        if self._data_dir is None:
            self._tmp = Path(tempfile.mkdtemp(prefix="replicate-ext-local-"))
        ready = threading.Event()
        self._error = None
        self._stop_requested = False
        self._thread = threading.Thread(
            target=self._thread_main, args=(sockets, ready), name="replicate-ext-local-server", daemon=True
        )
        from ._logs import install_capture

        install_capture()
        self._thread.start()
        cog = any(spec.runtime == "cog" for spec in self._specs.values())
        timeout = _STARTUP_TIMEOUT + (self.setup_timeout if cog else 0)
        try:
            started = ready.wait(timeout)
        except BaseException:  # an interrupt while models set up: stop what has started
            self.stop()
            raise
        if not started or self._error is not None:
            error = self._error
            self.stop()
            raise ServerStartError(f"The local server did not start: {error!r}") from error
        return self

    def stop(self) -> None:
        """Stop serving: cancel running predictions, close connections, free the ports, remove temp files."""
        thread, self._thread = self._thread, None
        if thread is None:
            return
        with self._lock:
            self._stop_requested = True
            loop, stop_event = self._loop, self._stop_event
        if loop is not None and stop_event is not None and not loop.is_closed():
            try:
                loop.call_soon_threadsafe(stop_event.set)
            except RuntimeError:  # the loop closed in between
                pass
        thread.join()
        from ._logs import uninstall_capture

        uninstall_capture()
        self._loop = None
        self._stop_event = None
        self._app = None
        self._url = None
        self._delivery_url = None
        if self._tmp is not None:
            shutil.rmtree(self._tmp, ignore_errors=True)
            self._tmp = None

    def _thread_main(self, sockets: list[socket.socket], ready: threading.Event) -> None:
        try:
            asyncio.run(self._serve(sockets, ready))
        except BaseException as exc:  # reported to start(); the thread must not die silently
            self._error = exc
            ready.set()
        finally:
            for sock in sockets:
                sock.close()

    async def _serve(self, sockets: list[socket.socket], ready: threading.Event) -> None:
        import uvicorn

        from ._app import LocalApp
        from ._files import FileStore
        from ._http import AppConfig
        from ._protocol import EventServer, make_protocol

        with self._lock:
            self._loop = asyncio.get_running_loop()
            self._stop_event = asyncio.Event()
            if self._stop_requested:  # stop() came before the loop existed
                self._stop_event.set()
        root = self._data_dir or self._tmp
        if root is None:  # start() sets one of them
            raise RuntimeError("No data folder.")
        files = FileStore(
            root, owner=self.username, max_upload_bytes=self.max_upload_bytes, data_uri_outputs=self.data_uri_outputs
        )
        config = AppConfig(
            token=self._token,
            accept_any_token=self._accept_any,
            username=self.username,
            page_size=self.page_size,
            min_cancel_after=self.min_cancel_after,
            workers=self.workers,
            webhook_secret=self._webhook_secret,
            webhook_throttle=self.webhook_throttle,
            webhook_retries=self.webhook_retries,
            webhook_backoff=self.webhook_backoff,
            max_upload_bytes=self.max_upload_bytes,
            data_uri_outputs=self.data_uri_outputs,
            faults=self._faults,
            setup_timeout=self.setup_timeout,
        )
        app = LocalApp(config, self._specs, files)
        self._app = app
        if self._url is None or self._delivery_url is None:
            raise RuntimeError("No URLs.")
        # Setting models up (a Cog model's setup()) can take long: stop() must be able to end it.
        startup = asyncio.create_task(app.startup(self._url, self._delivery_url))
        stopping = asyncio.create_task(self._stop_event.wait())
        await asyncio.wait({startup, stopping}, return_when=asyncio.FIRST_COMPLETED)
        stopping.cancel()
        if not startup.done():
            startup.cancel()
            await asyncio.gather(startup, return_exceptions=True)
            await app.shutdown()
            return
        try:
            startup.result()
        except BaseException:
            await app.shutdown()
            raise
        self._setup_errors = app.setup_errors()

        def on_api_connection() -> None:
            app.stats.connections_opened += 1

        def on_delivery_connection() -> None:
            app.stats.delivery_connections_opened += 1

        servers = []
        for asgi, on_connection in ((app.api, on_api_connection), (app.delivery, on_delivery_connection)):
            server_config = uvicorn.Config(
                asgi,
                http=make_protocol(on_connection),
                ws="none",
                proxy_headers=False,
                lifespan="off",
                log_config=None,
                log_level="warning",
                access_log=False,
                timeout_graceful_shutdown=3,
                timeout_keep_alive=30,
            )
            servers.append(EventServer(server_config))
        tasks = [
            asyncio.create_task(server.serve(sockets=[sock])) for server, sock in zip(servers, sockets, strict=True)
        ]
        try:
            while not all(server.started for server in servers) and not self._stop_event.is_set():
                if any(task.done() for task in tasks):
                    raise ServerStartError("uvicorn stopped while starting.")
                await asyncio.sleep(0.01)
            ready.set()
            await self._stop_event.wait()
        finally:
            await app.shutdown()
            for server in servers:
                server.request_exit()
            await asyncio.gather(*tasks, return_exceptions=True)

    # -- counters and faults -----------------------------------------------------------------------------

    def _call(self, coro: Coroutine[Any, Any, T]) -> T:
        loop = self._loop
        if loop is None or not self.running:
            coro.close()
            raise RuntimeError("The server is not running.")
        return asyncio.run_coroutine_threadsafe(coro, loop).result(timeout=30)

    def stats(self) -> dict[str, Any]:
        """The counters `GET /_local/stats` returns."""

        async def snapshot() -> dict[str, Any]:
            result: dict[str, Any] = self._app.stats.snapshot()
            return result

        return self._call(snapshot())

    def reset_stats(self) -> None:
        """Zero the counters (as `POST /_local/reset-stats`)."""

        async def reset() -> None:
            self._app.stats.reset()

        self._call(reset())

    def set_faults(self, faults: Faults | Mapping[str, Any] | None = None, **fields: Any) -> Faults:
        """Replace the fault configuration (as `PUT /_local/faults`); keyword fields build a `Faults`.

        `server.set_faults(error_rate=0.2, seed=1)`; `server.set_faults()` turns every fault off.
        """
        if faults is not None and fields:
            raise TypeError("Pass either a Faults object or keyword fields, not both.")
        new = _faults(faults if faults is not None else fields)
        self._faults = new

        async def apply() -> None:
            self._app.set_faults(new)

        if self.running:
            self._call(apply())
        return new

    @property
    def faults(self) -> Faults:
        """The current fault configuration."""
        return self._faults


def _family(host: str) -> socket.AddressFamily:
    return socket.AF_INET6 if ":" in host else socket.AF_INET
