"""The two ASGI apps of a local server: the API origin (`/v1`, `/_local`) and the delivery origin.

`LocalApp` holds one server's state and puts the handler groups together: the API is a Starlette app
wrapped, outermost first, by `Observer` (statistics and `/_local/*`), the `FaultInjector` and the
`Authenticator`. The delivery origin serves file outputs (`/pbxt/<token>/<name>`) and prediction streams
(`/v1/streams/<id>`, Server-Sent Events); it needs no authentication and counts requests that carry an
`Authorization` header anyway, because a client should never send its token there.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from ._admin_routes import AdminRoutes
from ._catalog_routes import CatalogRoutes
from ._errors import ProblemError
from ._faults import FaultInjector
from ._file_routes import FileRoutes
from ._files import FileStore
from ._http import AppConfig, Authenticator, DeliveryObserver, Observer
from ._job_routes import JobRoutes
from ._routes import API_ROUTES
from ._runtime import ModelSpec, Runtime, Runtimes
from ._state import Collection, Model, Store, Version
from ._stats import Stats
from ._webhooks import WebhookDispatcher

__all__ = ["LocalApp"]

Handler = Callable[[Request], Awaitable[Response]]


class LocalApp(CatalogRoutes, JobRoutes, FileRoutes, AdminRoutes):
    """The state of one local server and the ASGI apps of both origins (`api`, `delivery`)."""

    def __init__(self, config: AppConfig, models: dict[str, ModelSpec], files: FileStore) -> None:
        self.config = config
        self.store = Store()
        self.stats = Stats()
        self.files = files
        self.closing = asyncio.Event()
        self.api_base = ""
        self.delivery_base = ""
        self._http: Any = None
        self.webhooks = WebhookDispatcher(
            http_client=self.http_client,
            secret=config.webhook_secret,
            stats=self.stats,
            throttle=config.webhook_throttle,
            retries=config.webhook_retries,
            backoff=config.webhook_backoff,
        )
        self.runtimes = Runtimes({"python": self._python_runtime, "cog": self._cog_runtime})
        self._register(models)
        handlers = Starlette(
            routes=[Route(info.path, self._endpoint(info.handler), methods=list(info.methods)) for info in API_ROUTES],
            exception_handlers={
                ProblemError: self._problem_handler,
                HTTPException: self._http_exception_handler,
                Exception: self._error_handler,
            },
        )
        self.injector = FaultInjector(Authenticator(handlers, config), config.faults, self.stats, self.closing)
        admin = Starlette(
            routes=[
                Route("/_local/stats", self._stats, methods=["GET"]),
                Route("/_local/reset-stats", self._reset_stats, methods=["POST"]),
                Route("/_local/faults", self._faults_get, methods=["GET"]),
                Route("/_local/faults", self._faults_put, methods=["PUT"]),
                Route("/_local/web/predictions/{prediction_id}", self._web_prediction, methods=["GET"]),
                Route("/_local/web/{model_owner}/{model_name}", self._web_model, methods=["GET"]),
            ],
            exception_handlers={
                ProblemError: self._problem_handler,
                HTTPException: self._http_exception_handler,
                Exception: self._error_handler,
            },
        )
        self.api = Observer(self.injector, admin, self.stats)
        delivery = Starlette(
            routes=[
                Route("/pbxt/{token}/{filename}", self._delivery_file, methods=["GET", "HEAD"]),
                Route("/v1/streams/{prediction_id}", self._stream, methods=["GET"]),
                *self.runtimes.routes(),
            ],
            exception_handlers={
                ProblemError: self._problem_handler,
                HTTPException: self._http_exception_handler,
                Exception: self._error_handler,
            },
        )
        self.delivery = DeliveryObserver(delivery, self.stats)

    def _python_runtime(self) -> Runtime:
        from ._runner import Runner

        return Runner(
            store=self.store,
            files=self.files,
            workers=self.config.workers,
            http_client=self.http_client,
            on_trained=self._on_trained,
        )

    def _cog_runtime(self) -> Runtime:
        from ._cog._runtime import CogRuntime

        return CogRuntime(
            store=self.store,
            files=self.files,
            http_client=self.http_client,
            on_trained=self._on_trained,
            setup_timeout=self.config.setup_timeout,
        )

    async def startup(self, api_base: str, delivery_base: str) -> None:
        """Called on the server loop once the ports are known: open every version and wait for their setup."""
        self.api_base = api_base
        self.delivery_base = delivery_base
        self.files.set_bases(api_base, delivery_base)
        for _model, version in self.store.versions.values():
            self.runtimes.open(version)
        await self.runtimes.settle()

    def setup_errors(self) -> dict[str, str]:
        """Why models cannot run, by model name: the models whose latest version failed to set up."""
        errors: dict[str, str] = {}
        for model in self.store.models.values():
            latest = model.latest_version
            error = self.runtimes.setup_error(latest) if latest is not None else None
            if error is not None:
                errors[model.full_name] = error
        return errors

    def http_client(self) -> Any:
        """The one `httpx.AsyncClient` for webhook deliveries and input downloads, made on first use.

        Made lazily because building its TLS context costs tens of milliseconds, which most servers (and
        most tests) never need.
        """
        if self._http is None:
            import httpx

            self._http = httpx.AsyncClient(timeout=httpx.Timeout(30.0), follow_redirects=False)
        return self._http

    async def shutdown(self) -> None:
        """Cancel running jobs, stop deliveries, and release held requests."""
        self.closing.set()
        await self.runtimes.shutdown()
        await self.webhooks.close()
        if self._http is not None:
            await self._http.aclose()

    def _register(self, models: dict[str, ModelSpec]) -> None:
        now = self.store.clock.now()
        for full_name, spec in models.items():
            owner, _, name = full_name.partition("/")
            model = Model(
                owner=owner, name=name, created_at=now, description=_first_line(spec.readme), readme=spec.readme
            )
            self.store.add_model(model)
            version = Version(
                id=spec.version_id,
                created_at=now,
                spec=spec,
                openapi_schema=spec.openapi_schema,
                cog_version=spec.cog_version,
            )
            self.store.add_version(model, version)
            self.runtimes.of(version)  # made now, so that its routes are part of the delivery origin
        demo = [m.full_name for m in self.store.models.values() if m.owner == "demo"]
        if demo:
            self.store.collections["demo"] = Collection(
                slug="demo", name="Demo models", description="Models built into the local server.", models=demo
            )
        text_to_image = [n for n in demo if n.endswith("/fractal")]
        if text_to_image:
            self.store.collections["text-to-image"] = Collection(
                slug="text-to-image",
                name="Text to image",
                description="Models that generate images from text prompts.",
                models=text_to_image,
            )

    def _endpoint(self, name: str) -> Handler:
        method: Handler = getattr(self, name)
        return method


def _first_line(text: str | None) -> str | None:
    if not text:
        return None
    return text.strip().splitlines()[0].strip() or None
