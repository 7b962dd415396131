"""What every group of route handlers shares: the server's state and the helpers to look records up and page."""

from __future__ import annotations

import asyncio
import urllib.parse
from typing import Any

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response

from ._errors import ProblemError
from ._faults import FaultInjector, Faults
from ._files import FileStore
from ._http import (
    AppConfig,
    not_found,
    problem_response,
)
from ._runtime import Runtimes
from ._state import (
    Deployment,
    Job,
    Model,
    Store,
    Version,
    decode_cursor,
    encode_cursor,
    parse_time,
)
from ._stats import Stats
from ._webhooks import WebhookDispatcher

__all__ = ["HARDWARE", "HandlerBase"]

HARDWARE = (
    {"sku": "cpu", "name": "CPU"},
    {"sku": "gpu-t4", "name": "Nvidia T4 GPU"},
    {"sku": "gpu-l40s", "name": "Nvidia L40S GPU"},
    {"sku": "gpu-a100-large", "name": "Nvidia A100 (80GB) GPU"},
)


class HandlerBase:
    """The state of one server, as the handler groups (`CatalogRoutes`, `JobRoutes`, ...) see it."""

    config: AppConfig
    store: Store
    stats: Stats
    files: FileStore
    runtimes: Runtimes
    webhooks: WebhookDispatcher
    injector: FaultInjector
    closing: asyncio.Event
    api_base: str
    delivery_base: str

    def set_faults(self, faults: Faults) -> None:
        """Replace the fault configuration (used by `PUT /_local/faults` and `LocalReplicate.set_faults`)."""
        self.config.faults = faults
        self.injector.configure(faults)

    @property
    def web_base(self) -> str:
        return f"{self.api_base}/_local/web"

    def account(self) -> dict[str, Any]:
        return {
            "type": "user",
            "username": self.config.username,
            "name": "Local User",
            "github_url": None,
            "avatar_url": None,
        }

    def _model(self, request: Request) -> Model:
        owner, name = request.path_params["model_owner"], request.path_params["model_name"]
        model = self.store.model(owner, name)
        if model is None:
            raise not_found(f"The model {owner}/{name}")
        return model

    def _own(self, model: Model) -> None:
        if model.owner != self.config.username:
            raise ProblemError(
                403,
                "Forbidden",
                f"You can only change models owned by {self.config.username!r}, not {model.full_name}.",
            )

    def _version(self, request: Request, model: Model) -> Version:
        version_id = request.path_params["version_id"]
        for version in model.versions:
            if version.id == version_id:
                return version
        raise not_found(f"The version {version_id} of {model.full_name}")

    def _job(self, request: Request, kind: str) -> Job:
        key = "prediction_id" if kind == "prediction" else "training_id"
        collection = self.store.predictions if kind == "prediction" else self.store.trainings
        job: Job | None = collection.by_id.get(request.path_params[key])
        if job is None:
            raise not_found(f"The {kind} {request.path_params[key]}")
        return job

    def _deployment(self, request: Request) -> Deployment:
        key = f"{request.path_params['deployment_owner']}/{request.path_params['deployment_name']}"
        deployment = self.store.deployments.get(key)
        if deployment is None:
            raise not_found(f"The deployment {key}")
        return deployment

    async def _problem_handler(self, request: Request, exc: Exception) -> Response:
        if not isinstance(exc, ProblemError):  # pragma: no cover - registered for ProblemError only
            raise exc
        return problem_response(exc)

    async def _http_exception_handler(self, request: Request, exc: Exception) -> Response:
        if not isinstance(exc, HTTPException):  # pragma: no cover
            raise exc
        titles = {404: "Not found", 405: "Method not allowed"}
        detail = {404: f"There is no route {request.url.path}.", 405: f"{request.method} is not allowed here."}
        problem = ProblemError(
            exc.status_code,
            titles.get(exc.status_code, "Request failed"),
            detail.get(exc.status_code, str(exc.detail)),
            headers=dict(exc.headers or {}),
        )
        return problem_response(problem)

    async def _error_handler(self, request: Request, exc: Exception) -> Response:
        return problem_response(ProblemError(500, "Internal server error", f"The local server failed: {exc!r}"))

    def _page(
        self, request: Request, results: list[Any], next_cursor: dict[str, Any] | None, prev: dict[str, Any] | None
    ) -> dict[str, Any]:
        def link(cursor: dict[str, Any] | None) -> str | None:
            if cursor is None:
                return None
            query = [(k, v) for k, v in request.query_params.multi_items() if k != "cursor"]
            query.append(("cursor", encode_cursor(cursor)))
            return f"{self.api_base}{request.url.path}?{urllib.parse.urlencode(query)}"

        return {"previous": link(prev), "next": link(next_cursor), "results": results}

    def _cursor(self, request: Request) -> dict[str, Any] | None:
        cursor = request.query_params.get("cursor")
        if cursor is None:
            return None
        try:
            return decode_cursor(cursor)
        except ValueError:
            raise ProblemError(400, "Invalid cursor", "The cursor parameter is not one this server made.") from None

    def _offset_page(self, request: Request, items: list[Any]) -> dict[str, Any]:
        cursor = self._cursor(request) or {}
        offset = cursor.get("o", 0)
        if not isinstance(offset, int) or offset < 0:
            raise ProblemError(400, "Invalid cursor", "The cursor parameter is not one this server made.")
        size = self.config.page_size
        page = items[offset : offset + size]
        next_cursor = {"o": offset + size} if offset + size < len(items) else None
        prev = {"o": max(0, offset - size)} if offset > 0 else None
        return self._page(request, page, next_cursor, prev)

    def _time_filter(self, request: Request, name: str) -> int | None:
        value = request.query_params.get(name)
        if value is None:
            return None
        try:
            return parse_time(value)
        except ValueError:
            raise ProblemError(400, "Invalid parameter", f"{name}: {value!r} is not an RFC 3339 timestamp.") from None
