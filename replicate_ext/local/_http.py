"""HTTP plumbing of the API origin: settings, header parsing, JSON and problem responses, and the middleware.

Middleware (ASGI callables, outermost first): `Observer` counts requests per route template and statuses and
serves the `/_local/*` admin routes (never faulted); then the fault injector (`_faults`); then
`Authenticator`. `DeliveryObserver` counts the delivery origin's requests. Every error is an RFC 7807
`application/problem+json` body (`ProblemError`).
"""

from __future__ import annotations

import hmac
import json
import re
from dataclasses import dataclass, field
from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from ._errors import ProblemError
from ._faults import Faults, send_problem
from ._routes import classify
from ._stats import Stats

__all__ = [
    "NAME_PATTERN",
    "AppConfig",
    "Authenticator",
    "DeliveryObserver",
    "Observer",
    "body_integer",
    "body_object",
    "body_string",
    "json_response",
    "not_found",
    "parse_cancel_after",
    "parse_prefer",
    "problem_response",
    "read_json",
]

Scope = dict[str, Any]
_PREFER = re.compile(r"^wait(?:=([1-9]|[1-5][0-9]|60))?$")
_DURATION = re.compile(r"^(?:(\d+(?:\.\d+)?)h)?(?:(\d+(?:\.\d+)?)m(?!s))?(?:(\d+(?:\.\d+)?)s)?(?:(\d+(?:\.\d+)?)ms)?$")
# Model and deployment names: lower-case letters, digits, dashes, underscores and dots.
NAME_PATTERN = re.compile(r"^[a-z0-9](?:[a-z0-9._-]*[a-z0-9])?$")


@dataclass
class AppConfig:
    """The settings `LocalReplicate` passes down (see its docstring for each); the repr hides the secrets."""

    token: str = field(repr=False)
    accept_any_token: bool
    username: str
    page_size: int
    min_cancel_after: float
    workers: int
    webhook_secret: str = field(repr=False)
    webhook_throttle: float
    webhook_retries: int
    webhook_backoff: float
    max_upload_bytes: int
    data_uri_outputs: int
    faults: Faults
    setup_timeout: float = 300.0


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


def problem_response(problem: ProblemError) -> Response:
    return Response(
        json.dumps(problem.body()),
        status_code=problem.status,
        media_type="application/problem+json",
        headers=problem.headers,
    )


def json_response(data: Any, status: int = 200) -> Response:
    return Response(json.dumps(data, ensure_ascii=False), status_code=status, media_type="application/json")


async def read_json(request: Request) -> Any:
    body = await request.body()
    if not body.strip():
        raise ProblemError(400, "Invalid request body", "The request body is empty; send a JSON object.")
    try:
        return json.loads(body)
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise ProblemError(400, "Invalid request body", f"The request body is not valid JSON: {exc}") from None


def body_object(data: Any, allowed: set[str], required: frozenset[str] | set[str] = frozenset()) -> dict[str, Any]:
    if not isinstance(data, dict):
        raise ProblemError(422, "Invalid request body", "The request body must be a JSON object.")
    unknown = sorted(set(data) - allowed)
    if unknown:
        raise ProblemError(422, "Invalid request body", f"{unknown[0]}: this field is not allowed here.")
    for name in sorted(required):
        if name not in data:
            raise ProblemError(422, "Invalid request body", f"{name}: this field is required.")
    return data


def body_string(data: dict[str, Any], name: str, *, required: bool = False) -> str | None:
    value = data.get(name)
    if value is None:
        if required:
            raise ProblemError(422, "Invalid request body", f"{name}: this field is required.")
        return None
    if not isinstance(value, str):
        raise ProblemError(422, "Invalid request body", f"{name}: must be a string.")
    return value


def body_integer(data: dict[str, Any], name: str, low: int, high: int) -> int | None:
    value = data.get(name)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise ProblemError(422, "Invalid request body", f"{name}: must be an integer from {low} to {high}.")
    return value


def not_found(what: str) -> ProblemError:
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
