"""The two ASGI apps of a local server: the API origin (`/v1`, `/_local`) and the delivery origin.

The API app is a Starlette app wrapped, outermost first, by: `Observer` (statistics, and `/_local/*`
admin routes, which are never faulted), `FaultInjector` (see `_faults`), and `Authenticator` (Bearer
tokens). Every error is an RFC 7807 `application/problem+json` body. The delivery origin serves file
outputs (`/pbxt/<token>/<name>`) and prediction streams (`/v1/streams/<id>`, Server-Sent Events); it needs
no authentication and counts requests that carry an `Authorization` header anyway, because a client should
never send its token there.
"""

from __future__ import annotations

import asyncio
import hmac
import json
import re
import urllib.parse
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import FileResponse, PlainTextResponse, Response
from starlette.routing import Route

from ._errors import InputValidationError, ProblemError
from ._faults import FaultInjector, Faults, send_problem
from ._files import FileStore
from ._predictor import PredictorSpec
from ._routes import API_ROUTES, classify
from ._runner import Runner
from ._schema import validate_input
from ._state import (
    Collection,
    Deployment,
    Job,
    Model,
    Release,
    Store,
    Version,
    decode_cursor,
    encode_cursor,
    new_id,
    paginate_by_time,
    parse_time,
)
from ._stats import Stats
from ._webhooks import WEBHOOK_EVENTS, WebhookDispatcher

__all__ = ["AppConfig", "LocalApp", "parse_cancel_after", "parse_prefer"]

Scope = dict[str, Any]
Handler = Callable[[Request], Awaitable[Response]]

HARDWARE = (
    {"sku": "cpu", "name": "CPU"},
    {"sku": "gpu-t4", "name": "Nvidia T4 GPU"},
    {"sku": "gpu-l40s", "name": "Nvidia L40S GPU"},
    {"sku": "gpu-a100-large", "name": "Nvidia A100 (80GB) GPU"},
)
_PREFER = re.compile(r"^wait(?:=([1-9]|[1-5][0-9]|60))?$")
_DURATION = re.compile(r"^(?:(\d+(?:\.\d+)?)h)?(?:(\d+(?:\.\d+)?)m(?!s))?(?:(\d+(?:\.\d+)?)s)?(?:(\d+(?:\.\d+)?)ms)?$")
_MODEL_NAME = re.compile(r"^[a-z0-9](?:[a-z0-9._-]*[a-z0-9])?$")


@dataclass
class AppConfig:
    """The settings `LocalReplicate` passes down (see its docstring for each)."""

    token: str
    accept_any_token: bool
    username: str
    page_size: int
    min_cancel_after: float
    workers: int
    webhook_secret: str
    webhook_throttle: float
    webhook_retries: int
    webhook_backoff: float
    max_upload_bytes: int
    data_uri_outputs: int
    faults: Faults


def parse_prefer(value: str | None) -> float | None:
    """`Prefer: wait` -> 60.0, `wait=N` (1-60) -> N, absent -> None; anything else is a 400 problem."""
    if value is None:
        return None
    match = _PREFER.match(value.strip().replace(" ", ""))
    if not match:
        raise ProblemError(
            400, "Invalid Prefer header", f"Prefer must be 'wait' or 'wait=N' with N from 1 to 60, not {value!r}."
        )
    return float(match.group(1) or 60)


def parse_cancel_after(value: str | None, minimum: float) -> float | None:
    """`Cancel-After` durations: `30s`, `5m`, `1h30m45s`, `250ms` or bare seconds -> seconds (None if absent)."""
    if value is None:
        return None
    text = value.strip().lower()
    seconds: float
    try:
        seconds = float(text)
    except ValueError:
        match = _DURATION.match(text)
        if not text or not match or not any(match.groups()):
            raise ProblemError(
                400,
                "Invalid Cancel-After header",
                f"Cancel-After must be a duration like '30s' or '5m', not {value!r}.",
            ) from None
        hours, minutes, secs, millis = (float(g) if g else 0.0 for g in match.groups())
        seconds = hours * 3600 + minutes * 60 + secs + millis / 1000
    if seconds < minimum:
        raise ProblemError(
            400, "Invalid Cancel-After header", f"Cancel-After must be at least {minimum:g} seconds, not {value!r}."
        )
    return seconds


def _problem_response(problem: ProblemError) -> Response:
    return Response(
        json.dumps(problem.body()),
        status_code=problem.status,
        media_type="application/problem+json",
        headers=problem.headers,
    )


def _json(data: Any, status: int = 200) -> Response:
    return Response(json.dumps(data, ensure_ascii=False), status_code=status, media_type="application/json")


async def _read_json(request: Request) -> Any:
    body = await request.body()
    if not body.strip():
        raise ProblemError(400, "Invalid request body", "The request body is empty; send a JSON object.")
    try:
        return json.loads(body)
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise ProblemError(400, "Invalid request body", f"The request body is not valid JSON: {exc}") from None


def _object(data: Any, allowed: set[str], required: frozenset[str] | set[str] = frozenset()) -> dict[str, Any]:
    if not isinstance(data, dict):
        raise ProblemError(422, "Invalid request body", "The request body must be a JSON object.")
    unknown = sorted(set(data) - allowed)
    if unknown:
        raise ProblemError(422, "Invalid request body", f"{unknown[0]}: this field is not allowed here.")
    for name in sorted(required):
        if name not in data:
            raise ProblemError(422, "Invalid request body", f"{name}: this field is required.")
    return data


def _string(data: dict[str, Any], name: str, *, required: bool = False) -> str | None:
    value = data.get(name)
    if value is None:
        if required:
            raise ProblemError(422, "Invalid request body", f"{name}: this field is required.")
        return None
    if not isinstance(value, str):
        raise ProblemError(422, "Invalid request body", f"{name}: must be a string.")
    return value


def _integer(data: dict[str, Any], name: str, low: int, high: int) -> int | None:
    value = data.get(name)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise ProblemError(422, "Invalid request body", f"{name}: must be an integer from {low} to {high}.")
    return value


def _not_found(what: str) -> ProblemError:
    return ProblemError(404, "Not found", f"{what} does not exist.")


class Observer:
    """Outermost middleware of the API origin: counts requests and statuses, and serves `/_local/*`."""

    def __init__(self, app: Any, admin: Any, stats: Stats) -> None:
        self.app = app
        self.admin = admin
        self.stats = stats

    async def __call__(self, scope: Scope, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        if scope["path"].startswith("/_local/"):
            await self.admin(scope, receive, send)
            return
        key, route_class, info = classify(scope["method"], scope["path"])
        scope["replicate_route"] = (key, route_class, info)
        self.stats.requests[key] += 1
        status: list[int] = []

        async def observed(message: dict[str, Any]) -> None:
            if message["type"] == "http.response.start":
                status.append(message["status"])
            await send(message)

        try:
            await self.app(scope, receive, observed)
        finally:
            self.stats.responses_by_status[str(status[0]) if status else "dropped"] += 1


class Authenticator:
    """Checks `Authorization: Bearer <token>` (or `Token <token>`) on every non-public API route."""

    def __init__(self, app: Any, config: AppConfig) -> None:
        self.app = app
        self.config = config

    async def __call__(self, scope: Scope, receive: Any, send: Any) -> None:
        route = scope.get("replicate_route")
        info = route[2] if route else None
        if scope["type"] == "http" and not (info is not None and info.public) and not self._authorized(scope):
            problem = ProblemError(
                401,
                "Unauthenticated",
                "You did not pass a valid authentication token",
                headers={"www-authenticate": 'Bearer realm="replicate-ext-local"'},
            )
            await send_problem(send, problem)
            return
        await self.app(scope, receive, send)

    def _authorized(self, scope: Scope) -> bool:
        header = b""
        for name, value in scope["headers"]:
            if name == b"authorization":
                header = value
                break
        scheme, _, token = header.decode("latin-1").strip().partition(" ")
        token = token.strip()
        if scheme.lower() not in ("bearer", "token") or not token:
            return False
        if self.config.accept_any_token:
            return True
        return hmac.compare_digest(token.encode(), self.config.token.encode())


class DeliveryObserver:
    """Counts every request to the delivery origin, and those that carried `Authorization`."""

    def __init__(self, app: Any, stats: Stats) -> None:
        self.app = app
        self.stats = stats

    async def __call__(self, scope: Scope, receive: Any, send: Any) -> None:
        if scope["type"] == "http":
            self.stats.delivery_requests += 1
            if any(name == b"authorization" for name, _ in scope["headers"]):
                self.stats.delivery_requests_with_authorization += 1
        await self.app(scope, receive, send)


class LocalApp:
    """The state of one local server and the handlers of both origins."""

    def __init__(self, config: AppConfig, models: dict[str, PredictorSpec], files: FileStore) -> None:
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
        self.runner = Runner(
            store=self.store,
            files=files,
            workers=config.workers,
            http_client=self.http_client,
            on_trained=self._on_trained,
        )
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
                Route("/_local/web/{owner}/{name}", self._web_model, methods=["GET"]),
            ],
            exception_handlers={
                ProblemError: self._problem_handler,
                HTTPException: self._http_exception_handler,
            },
        )
        self.api = Observer(self.injector, admin, self.stats)
        delivery = Starlette(
            routes=[
                Route("/pbxt/{token}/{filename}", self._delivery_file, methods=["GET", "HEAD"]),
                Route("/v1/streams/{prediction_id}", self._stream, methods=["GET"]),
            ],
            exception_handlers={
                ProblemError: self._problem_handler,
                HTTPException: self._http_exception_handler,
            },
        )
        self.delivery = DeliveryObserver(delivery, self.stats)

    # -- lifecycle ---------------------------------------------------------------------------------------

    async def startup(self, api_base: str, delivery_base: str) -> None:
        """Called on the server loop once the ports are known."""
        self.api_base = api_base
        self.delivery_base = delivery_base
        self.files.set_bases(api_base, delivery_base)
        self.runner.bind_loop(asyncio.get_running_loop())

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
        await self.runner.shutdown()
        await self.webhooks.close()
        if self._http is not None:
            await self._http.aclose()

    def set_faults(self, faults: Faults) -> None:
        self.config.faults = faults
        self.injector.configure(faults)

    @property
    def web_base(self) -> str:
        return f"{self.api_base}/_local/web"

    # -- models ------------------------------------------------------------------------------------------

    def _register(self, models: dict[str, PredictorSpec]) -> None:
        now = self.store.clock.now()
        for full_name, spec in models.items():
            owner, _, name = full_name.partition("/")
            model = Model(
                owner=owner, name=name, created_at=now, description=_first_line(spec.readme), readme=spec.readme
            )
            self.store.add_model(model)
            version = Version(id=spec.version_id, created_at=now, spec=spec, openapi_schema=spec.openapi_schema)
            self.store.add_version(model, version)
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

    def _model(self, request: Request) -> Model:
        owner, name = request.path_params["model_owner"], request.path_params["model_name"]
        model = self.store.model(owner, name)
        if model is None:
            raise _not_found(f"The model {owner}/{name}")
        return model

    def _own(self, model: Model) -> None:
        if model.owner != self.config.username:
            raise ProblemError(
                403,
                "Forbidden",
                f"You can only change models owned by {self.config.username!r}, not {model.full_name}.",
            )

    # -- handler plumbing --------------------------------------------------------------------------------

    def _endpoint(self, name: str) -> Handler:
        method: Handler = getattr(self, name)
        return method

    async def _problem_handler(self, request: Request, exc: Exception) -> Response:
        if not isinstance(exc, ProblemError):  # pragma: no cover - registered for ProblemError only
            raise exc
        return _problem_response(exc)

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
        return _problem_response(problem)

    async def _error_handler(self, request: Request, exc: Exception) -> Response:
        return _problem_response(ProblemError(500, "Internal server error", f"The local server failed: {exc!r}"))

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

    # -- account, hardware, collections, webhooks, search ------------------------------------------------

    def account(self) -> dict[str, Any]:
        return {
            "type": "user",
            "username": self.config.username,
            "name": "Local User",
            "github_url": None,
            "avatar_url": None,
        }

    async def account_get(self, request: Request) -> Response:
        return _json(self.account())

    async def hardware_list(self, request: Request) -> Response:
        return _json(list(HARDWARE))

    async def collections_list(self, request: Request) -> Response:
        items = [
            {"name": c.name, "slug": c.slug, "description": c.description} for c in self.store.collections.values()
        ]
        return _json(self._offset_page(request, items))

    async def collections_get(self, request: Request) -> Response:
        slug = request.path_params["collection_slug"]
        collection = self.store.collections.get(slug)
        if collection is None:
            raise _not_found(f"The collection {slug!r}")
        models = [self.store.models[n].as_dict(self.web_base) for n in collection.models if n in self.store.models]
        return _json(
            {
                "name": collection.name,
                "slug": collection.slug,
                "description": collection.description,
                "full_description": None,
                "models": models,
            }
        )

    async def webhooks_default_secret_get(self, request: Request) -> Response:
        return _json({"key": self.config.webhook_secret})

    def _matching_models(self, query: str) -> list[Model]:
        words = query.lower().split()
        found = []
        for model in self.store.models.values():
            text = f"{model.owner}/{model.name} {model.description or ''} {model.readme or ''}".lower()
            if all(word in text for word in words):
                found.append(model)
        return found

    async def search(self, request: Request) -> Response:
        try:
            return self._search(request)
        except ProblemError as problem:
            # openapi.yaml documents this operation's 400 and 500 bodies as application/json, unlike the rest.
            return Response(json.dumps(problem.body()), status_code=problem.status, media_type="application/json")

    def _search(self, request: Request) -> Response:
        query = request.query_params.get("query")
        if query is None or not query.strip():
            raise ProblemError(400, "Invalid parameter", "query: this parameter is required.")
        limit_text = request.query_params.get("limit", "20")
        try:
            limit = int(limit_text)
        except ValueError:
            limit = 0
        if not 1 <= limit <= 50:
            raise ProblemError(400, "Invalid parameter", f"limit: must be an integer from 1 to 50, not {limit_text!r}.")
        models = self._matching_models(query)[:limit]
        words = query.lower().split()
        collections = [
            {"name": c.name, "slug": c.slug, "description": c.description, "models": c.models}
            for c in self.store.collections.values()
            if all(w in f"{c.slug} {c.name} {c.description}".lower() for w in words)
        ][:limit]
        return _json(
            {
                "query": query,
                "models": [
                    {
                        "model": m.as_dict(self.web_base),
                        "metadata": {"generated_description": m.description, "score": 1.0, "tags": [m.owner]},
                    }
                    for m in models
                ],
                "collections": collections,
                "pages": [],
            }
        )

    # -- models ------------------------------------------------------------------------------------------

    async def models_list(self, request: Request) -> Response:
        sort_by = request.query_params.get("sort_by", "latest_version_created_at")
        direction = request.query_params.get("sort_direction", "desc")
        if sort_by not in ("model_created_at", "latest_version_created_at"):
            raise ProblemError(
                400, "Invalid parameter", "sort_by: must be 'model_created_at' or 'latest_version_created_at'."
            )
        if direction not in ("asc", "desc"):
            raise ProblemError(400, "Invalid parameter", "sort_direction: must be 'asc' or 'desc'.")
        models = sorted(
            self.store.models.values(),
            key=(lambda m: (m.created_at, m.full_name))
            if sort_by == "model_created_at"
            else (lambda m: (m.sort_time, m.full_name)),
            reverse=direction == "desc",
        )
        return _json(self._offset_page(request, [m.as_dict(self.web_base) for m in models]))

    async def models_search(self, request: Request) -> Response:
        body = await request.body()
        try:
            query = body.decode("utf-8").strip()
        except UnicodeDecodeError:
            raise ProblemError(400, "Invalid request body", "The search query must be UTF-8 text.") from None
        if not query:
            raise ProblemError(400, "Invalid request body", "Send the search query as the text/plain body.")
        models = [m.as_dict(self.web_base) for m in self._matching_models(query)]
        return _json(self._offset_page(request, models))

    async def models_create(self, request: Request) -> Response:
        allowed = {
            "owner", "name", "visibility", "hardware", "description", "github_url",
            "paper_url", "license_url", "cover_image_url",
        }  # fmt: skip
        data = _object(await _read_json(request), allowed, {"owner", "name", "visibility", "hardware"})
        owner = _string(data, "owner", required=True) or ""
        name = _string(data, "name", required=True) or ""
        if owner != self.config.username:
            raise ProblemError(
                403, "Forbidden", f"owner: you can only create models under your account, {self.config.username!r}."
            )
        if not _MODEL_NAME.match(name):
            raise ProblemError(
                422,
                "Invalid request body",
                "name: use lower-case letters, digits, dashes, underscores and dots.",
            )
        visibility = _string(data, "visibility", required=True)
        if visibility not in ("public", "private"):
            raise ProblemError(422, "Invalid request body", "visibility: must be 'public' or 'private'.")
        hardware = _string(data, "hardware", required=True)
        if hardware not in {h["sku"] for h in HARDWARE}:
            raise ProblemError(422, "Invalid request body", f"hardware: {hardware!r} is not a known hardware SKU.")
        if self.store.model(owner, name) is not None:
            raise ProblemError(409, "Conflict", f"The model {owner}/{name} already exists.")
        model = Model(
            owner=owner,
            name=name,
            created_at=self.store.clock.now(),
            visibility=visibility,
            hardware=hardware or "cpu",
            description=_string(data, "description"),
            github_url=_string(data, "github_url"),
            paper_url=_string(data, "paper_url"),
            license_url=_string(data, "license_url"),
            cover_image_url=_string(data, "cover_image_url"),
        )
        self.store.add_model(model)
        return _json(model.as_dict(self.web_base), 201)

    async def models_get(self, request: Request) -> Response:
        return _json(self._model(request).as_dict(self.web_base))

    async def models_update(self, request: Request) -> Response:
        model = self._model(request)
        allowed = {"description", "github_url", "license_url", "paper_url", "readme", "weights_url"}
        data = _object(await _read_json(request), allowed)
        self._own(model)
        for name in sorted(data):
            value = _string(data, name)
            setattr(model, name, value)
        return _json(model.as_dict(self.web_base))

    async def models_delete(self, request: Request) -> Response:
        model = self._model(request)
        self._own(model)
        if model.versions:
            raise ProblemError(409, "Conflict", "A model with versions cannot be deleted; delete its versions first.")
        self.store.remove_model(model)
        return Response(status_code=204)

    async def models_examples_list(self, request: Request) -> Response:
        model = self._model(request)
        return _json(self._offset_page(request, [job.as_dict() for job in model.examples]))

    async def models_readme_get(self, request: Request) -> Response:
        model = self._model(request)
        if not model.readme:
            raise _not_found(f"A README for {model.full_name}")
        return PlainTextResponse(model.readme)

    async def models_versions_list(self, request: Request) -> Response:
        model = self._model(request)
        return _json(self._offset_page(request, [v.as_dict() for v in reversed(model.versions)]))

    def _version(self, request: Request, model: Model) -> Version:
        version_id = request.path_params["version_id"]
        for version in model.versions:
            if version.id == version_id:
                return version
        raise _not_found(f"The version {version_id} of {model.full_name}")

    async def models_versions_get(self, request: Request) -> Response:
        model = self._model(request)
        return _json(self._version(request, model).as_dict())

    async def models_versions_delete(self, request: Request) -> Response:
        model = self._model(request)
        version = self._version(request, model)
        self._own(model)
        model.versions.remove(version)
        if self.store.versions.get(version.id, (None,))[0] is model:
            del self.store.versions[version.id]
        return Response(status_code=202)

    # -- predictions -------------------------------------------------------------------------------------

    async def predictions_create(self, request: Request) -> Response:
        prefer, cancel_after = self._job_headers(request)
        data = _object(
            await _read_json(request),
            {"version", "input", "stream", "webhook", "webhook_events_filter"},
            {"version", "input"},
        )
        reference = _string(data, "version", required=True) or ""
        version_id = reference.rpartition(":")[2]
        found = self.store.versions.get(version_id)
        if found is None or (":" in reference and found[0].full_name != reference.rpartition(":")[0]):
            raise ProblemError(422, "Invalid version", f"version: {reference!r} is not a model version on this server.")
        model, version = found
        return await self._create_prediction(data, model, version, prefer, cancel_after)

    async def models_predictions_create(self, request: Request) -> Response:
        prefer, cancel_after = self._job_headers(request)
        model = self._model(request)
        data = _object(await _read_json(request), {"input", "stream", "webhook", "webhook_events_filter"}, {"input"})
        version = model.latest_version
        if version is None:
            raise ProblemError(422, "Model has no versions", f"The model {model.full_name} has no version to run.")
        return await self._create_prediction(data, model, version, prefer, cancel_after)

    async def deployments_predictions_create(self, request: Request) -> Response:
        prefer, cancel_after = self._job_headers(request)
        deployment = self._deployment(request)
        data = _object(await _read_json(request), {"input", "stream", "webhook", "webhook_events_filter"}, {"input"})
        found = self.store.versions.get(deployment.current.version)
        if found is None:
            raise ProblemError(
                422, "Invalid deployment", "The deployment's version no longer exists; update the deployment."
            )
        model, version = found
        return await self._create_prediction(
            data, model, version, prefer, cancel_after, deployment=f"{deployment.owner}/{deployment.name}"
        )

    def _job_headers(self, request: Request) -> tuple[float | None, float | None]:
        prefer = parse_prefer(request.headers.get("prefer"))
        cancel_after = parse_cancel_after(request.headers.get("cancel-after"), self.config.min_cancel_after)
        return prefer, cancel_after

    def _webhook(self, data: dict[str, Any]) -> tuple[str | None, frozenset[str]]:
        webhook = _string(data, "webhook")
        if webhook is not None:
            parsed = urllib.parse.urlsplit(webhook)
            if parsed.scheme not in ("http", "https") or not parsed.netloc:
                raise ProblemError(422, "Invalid request body", "webhook: must be an http(s) URL.")
        events = data.get("webhook_events_filter")
        if events is None:
            return webhook, frozenset(WEBHOOK_EVENTS)
        if not isinstance(events, list) or any(e not in WEBHOOK_EVENTS for e in events):
            raise ProblemError(
                422, "Invalid request body", f"webhook_events_filter: must be a list of {', '.join(WEBHOOK_EVENTS)}."
            )
        return webhook, frozenset(events)

    def _validated(self, signature: Any, raw: Any) -> tuple[dict[str, Any], list[str]]:
        try:
            return validate_input(signature, raw)
        except InputValidationError as exc:
            raise ProblemError(422, "Input validation failed", f"input.{exc}" if exc.field else str(exc)) from None

    async def _create_prediction(
        self,
        data: dict[str, Any],
        model: Model,
        version: Version,
        prefer: float | None,
        cancel_after: float | None,
        deployment: str | None = None,
    ) -> Response:
        if "stream" in data and not isinstance(data["stream"], bool):
            raise ProblemError(422, "Invalid request body", "stream: must be a boolean.")
        kwargs, notes = self._validated(version.spec.predict, data["input"])
        webhook, events = self._webhook(data)
        job_id = new_id()
        stream_url = f"{self.delivery_base}/v1/streams/{job_id}" if version.spec.predict.streams else None
        job = Job(
            id=job_id,
            kind="prediction",
            model=model,
            version=version,
            input=data["input"],
            created_at=self.store.clock.now(),
            api_base=self.api_base,
            stream_url=stream_url,
            deployment=deployment,
            webhook=webhook,
            webhook_events=events,
        )
        self.store.predictions.add(job.id, job, job.created_at)
        self.stats.predictions_created += 1
        model.run_count += 1
        job.listeners.append(self._remember_example)
        return await self._launch(job, kwargs, notes, prefer, cancel_after)

    async def _launch(
        self, job: Job, kwargs: dict[str, Any], notes: list[str], prefer: float | None, cancel_after: float | None
    ) -> Response:
        self.webhooks.attach(job)
        self.runner.start(job, kwargs, notes)
        if cancel_after is not None:
            job.deadline = job.created_at + cancel_after
            job.cancel_timer = asyncio.get_running_loop().call_later(cancel_after, self.runner.cancel, job)
        if prefer is not None and not job.terminal:
            try:
                await asyncio.wait_for(job.done.wait(), timeout=prefer)
            except TimeoutError:
                pass
        return _json(job.as_dict(), 201)

    def _remember_example(self, job: Job, what: str) -> None:
        if what == "completed" and job.status == "succeeded" and not job.model.examples:
            job.model.examples.append(job)

    def _job(self, request: Request, kind: str) -> Job:
        key = "prediction_id" if kind == "prediction" else "training_id"
        collection = self.store.predictions if kind == "prediction" else self.store.trainings
        job: Job | None = collection.by_id.get(request.path_params[key])
        if job is None:
            raise _not_found(f"The {kind} {request.path_params[key]}")
        return job

    async def predictions_get(self, request: Request) -> Response:
        return _json(self._job(request, "prediction").as_dict())

    async def predictions_cancel(self, request: Request) -> Response:
        return await self._cancel(self._job(request, "prediction"))

    async def _cancel(self, job: Job) -> Response:
        self.runner.cancel(job)
        if not job.terminal:
            # A running predictor stops at its next Python instruction (or await); give it a moment so the
            # answer usually shows `canceled`, as Replicate's does for a prediction that stops promptly.
            try:
                await asyncio.wait_for(job.done.wait(), timeout=1.0)
            except TimeoutError:
                pass
        return _json(job.as_dict())

    def _list_jobs(self, request: Request, kind: str) -> Response:
        collection = self.store.predictions if kind == "prediction" else self.store.trainings
        after = self._time_filter(request, "created_after")
        before = self._time_filter(request, "created_before")
        source = request.query_params.get("source")
        if source is not None and source != "web":
            raise ProblemError(400, "Invalid parameter", "source: the only accepted value is 'web'.")
        if source == "web":  # everything here was created through the API
            return _json(self._page(request, [], None, None))
        page, next_cursor, prev = paginate_by_time(
            collection.items,
            collection.times,
            cursor=self._cursor(request),
            page_size=self.config.page_size,
            after=after,
            before=before,
        )
        return _json(self._page(request, [job.as_dict() for job in page], next_cursor, prev))

    async def predictions_list(self, request: Request) -> Response:
        return self._list_jobs(request, "prediction")

    # -- trainings ---------------------------------------------------------------------------------------

    async def trainings_create(self, request: Request) -> Response:
        model = self._model(request)
        version = self._version(request, model)
        data = _object(
            await _read_json(request),
            {"destination", "input", "webhook", "webhook_events_filter"},
            {"destination", "input"},
        )
        destination_name = _string(data, "destination", required=True) or ""
        owner, _, name = destination_name.partition("/")
        destination = self.store.model(owner, name)
        if destination is None:
            raise ProblemError(404, "Not found", "The specified training destination does not exist")
        train = version.spec.train
        if train is None:
            raise ProblemError(
                422, "Version cannot be trained", f"The version {version.id} has no train() method to run."
            )
        kwargs, notes = self._validated(train, data["input"])
        webhook, events = self._webhook(data)
        job = Job(
            id=new_id(),
            kind="training",
            model=model,
            version=version,
            input=data["input"],
            created_at=self.store.clock.now(),
            api_base=self.api_base,
            stream_url=None,
            webhook=webhook,
            webhook_events=events,
            destination=destination,
        )
        self.store.trainings.add(job.id, job, job.created_at)
        self.stats.trainings_created += 1
        return await self._launch(job, kwargs, notes, None, None)

    async def _on_trained(self, job: Job, result: Any) -> dict[str, Any]:
        """Publish a training's weights as a new version of its destination; the training's output."""
        import hashlib

        weights_value = result.get("weights") if isinstance(result, dict) else result
        if not isinstance(weights_value, str):
            raise TypeError("train() must return the weights as a pathlib.Path (or a URL string).")
        weights_path = None
        if weights_value.startswith("data:"):
            weights_path = await asyncio.to_thread(self.files.write_data_uri, weights_value)
        else:
            try:
                internal = self.files.internal_path(weights_value, self.store.files.by_id)
            except InputValidationError:
                internal = None
            if internal is not None:
                weights_path = internal[0]
        destination = job.destination
        if destination is None:  # set when the training was created
            raise RuntimeError("The training has no destination.")
        digest = hashlib.sha256(f"{job.version.id}:{job.id}:{weights_value}".encode()).hexdigest()
        version = Version(
            id=digest,
            created_at=self.store.clock.now(),
            spec=job.version.spec,
            openapi_schema=job.version.openapi_schema,
            weights=weights_path,
        )
        self.store.add_version(destination, version)
        return {"version": f"{destination.full_name}:{version.id}", "weights": weights_value}

    async def trainings_get(self, request: Request) -> Response:
        return _json(self._job(request, "training").as_dict())

    async def trainings_cancel(self, request: Request) -> Response:
        return await self._cancel(self._job(request, "training"))

    async def trainings_list(self, request: Request) -> Response:
        return self._list_jobs(request, "training")

    # -- deployments -------------------------------------------------------------------------------------

    def _deployment(self, request: Request) -> Deployment:
        key = f"{request.path_params['deployment_owner']}/{request.path_params['deployment_name']}"
        deployment = self.store.deployments.get(key)
        if deployment is None:
            raise _not_found(f"The deployment {key}")
        return deployment

    def _deployment_version(self, model_name: str, version_id: str) -> Model:
        owner, _, name = model_name.partition("/")
        model = self.store.model(owner, name)
        if model is None:
            raise ProblemError(422, "Invalid request body", f"model: {model_name!r} does not exist.")
        if not any(v.id == version_id for v in model.versions):
            raise ProblemError(
                422, "Invalid request body", f"version: {version_id!r} is not a version of {model_name}."
            )
        return model

    async def deployments_list(self, request: Request) -> Response:
        items = [d.as_dict(self.account()) for d in self.store.deployments.values()]
        return _json(self._offset_page(request, items))

    async def deployments_create(self, request: Request) -> Response:
        fields = {"name", "model", "version", "hardware", "min_instances", "max_instances"}
        data = _object(await _read_json(request), fields, fields)
        name = _string(data, "name", required=True) or ""
        if not _MODEL_NAME.match(name):
            raise ProblemError(422, "Invalid request body", "name: use lower-case letters, digits, dashes and dots.")
        model_name = _string(data, "model", required=True) or ""
        version_id = _string(data, "version", required=True) or ""
        hardware = _string(data, "hardware", required=True) or ""
        min_instances = _integer(data, "min_instances", 0, 5) or 0
        max_instances = _integer(data, "max_instances", 0, 20) or 0
        if max_instances < min_instances:
            raise ProblemError(422, "Invalid request body", "max_instances: must not be less than min_instances.")
        self._deployment_version(model_name, version_id)
        key = f"{self.config.username}/{name}"
        if key in self.store.deployments:
            raise ProblemError(409, "Conflict", f"The deployment {key} already exists.")
        release = Release(1, model_name, version_id, self.store.clock.now(), hardware, min_instances, max_instances)
        deployment = Deployment(owner=self.config.username, name=name, releases=[release])
        self.store.deployments[key] = deployment
        return _json(deployment.as_dict(self.account()))

    async def deployments_get(self, request: Request) -> Response:
        return _json(self._deployment(request).as_dict(self.account()))

    async def deployments_update(self, request: Request) -> Response:
        deployment = self._deployment(request)
        data = _object(await _read_json(request), {"version", "hardware", "min_instances", "max_instances"})
        current = deployment.current
        version_id = _string(data, "version") or current.version
        hardware = _string(data, "hardware") or current.hardware
        min_instances = _integer(data, "min_instances", 0, 5)
        max_instances = _integer(data, "max_instances", 0, 20)
        low = current.min_instances if min_instances is None else min_instances
        high = current.max_instances if max_instances is None else max_instances
        if high < low:
            raise ProblemError(422, "Invalid request body", "max_instances: must not be less than min_instances.")
        self._deployment_version(current.model, version_id)
        release = Release(current.number + 1, current.model, version_id, self.store.clock.now(), hardware, low, high)
        deployment.releases.append(release)
        return _json(deployment.as_dict(self.account()))

    async def deployments_delete(self, request: Request) -> Response:
        deployment = self._deployment(request)
        del self.store.deployments[f"{deployment.owner}/{deployment.name}"]
        return Response(status_code=204)

    # -- files -------------------------------------------------------------------------------------------

    async def files_create(self, request: Request) -> Response:
        length = request.headers.get("content-length")
        if length is not None and length.isdigit() and int(length) > self.files.max_upload_bytes + 64 * 1024:
            raise ProblemError(
                413,
                "Request Entity Too Large",
                f"The upload is larger than the limit of {self.files.max_upload_bytes} bytes.",
            )
        file_id, parser = self.files.new_upload(request.headers.get("content-type", ""))
        try:
            async for chunk in request.stream():
                parser.write(chunk)
            parser.finish()
        except ProblemError:
            parser.close()
            (self.files.uploads / file_id).unlink(missing_ok=True)
            raise
        except Exception as exc:
            parser.close()
            (self.files.uploads / file_id).unlink(missing_ok=True)
            raise ProblemError(400, "Invalid file upload", f"The multipart body could not be read: {exc}") from None
        stored = self.files.finish_upload(file_id, parser, self.store.clock.now())
        self.store.files.add(stored.id, stored, stored.created_at)
        return _json(self.files.as_dict(stored), 201)

    def _file(self, request: Request) -> Any:
        file_id = request.path_params["file_id"]
        stored = self.store.files.by_id.get(file_id)
        if stored is None:
            raise _not_found(f"The file {file_id}")
        return stored

    async def files_get(self, request: Request) -> Response:
        return _json(self.files.as_dict(self._file(request)))

    async def files_list(self, request: Request) -> Response:
        page, next_cursor, prev = paginate_by_time(
            self.store.files.items,
            self.store.files.times,
            cursor=self._cursor(request),
            page_size=self.config.page_size,
        )
        return _json(self._page(request, [self.files.as_dict(f) for f in page], next_cursor, prev))

    async def files_delete(self, request: Request) -> Response:
        stored = self._file(request)
        self.store.files.remove(stored.id)
        await asyncio.to_thread(stored.path.unlink, True)
        return Response(status_code=204)

    async def files_download(self, request: Request) -> Response:
        file_id = request.path_params["file_id"]
        params = request.query_params
        self.files.check_signature(
            file_id, params.get("owner", ""), params.get("expiry", ""), params.get("signature", "")
        )
        stored = self._file(request)
        return FileResponse(
            stored.path,
            media_type="application/octet-stream",
            filename=stored.name,
            headers={"x-content-type": stored.content_type},
        )

    # -- admin -------------------------------------------------------------------------------------------

    async def _stats(self, request: Request) -> Response:
        return _json(self.stats.snapshot())

    async def _reset_stats(self, request: Request) -> Response:
        self.stats.reset()
        return _json(self.stats.snapshot())

    async def _faults_get(self, request: Request) -> Response:
        return _json(self.config.faults.to_dict())

    async def _faults_put(self, request: Request) -> Response:
        data = await _read_json(request)
        try:
            faults = Faults.from_mapping(data)
        except ValueError as exc:
            raise ProblemError(422, "Invalid fault configuration", str(exc)) from None
        self.set_faults(faults)
        return _json(faults.to_dict())

    async def _web_prediction(self, request: Request) -> Response:
        job = self.store.predictions.by_id.get(request.path_params["prediction_id"])
        if job is None:
            raise _not_found("The prediction")
        return _json(job.as_dict())

    async def _web_model(self, request: Request) -> Response:
        return _json(self._model(request).as_dict(self.web_base))

    # -- delivery origin ---------------------------------------------------------------------------------

    async def _delivery_file(self, request: Request) -> Response:
        path = self.files.delivery_path(request.path_params["token"], request.path_params["filename"])
        if path is None:
            raise _not_found("The file")
        return FileResponse(path)

    async def _stream(self, request: Request) -> Response:
        from ._sse import stream_response

        prediction_id = request.path_params["prediction_id"]
        job = self.store.predictions.by_id.get(prediction_id) or self.store.trainings.by_id.get(prediction_id)
        if job is None:
            raise _not_found(f"The prediction {prediction_id}")
        return stream_response(request, job, self.injector, self.stats)


def _first_line(text: str | None) -> str | None:
    if not text:
        return None
    return text.strip().splitlines()[0].strip() or None
