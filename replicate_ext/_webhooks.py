"""Webhooks: the default signing secret, and checking that a delivery really comes from Replicate.

Deliveries are signed the Standard Webhooks way (https://www.standardwebhooks.com): the headers `webhook-id`,
`webhook-timestamp` (Unix seconds) and `webhook-signature` (space-separated `v1,<base64>` entries), where each
signature is the base64 HMAC-SHA256 of `"{id}.{timestamp}.{body}"`, keyed with the base64-decoded part of the
`whsec_...` secret. `validate` accepts a delivery when any `v1` entry matches (so a rotated key keeps working),
compares in constant time, and rejects timestamps more than `tolerance` seconds from now (replays).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import time
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, overload

from ._exceptions import (
    InvalidSecretKeyError,
    InvalidSignatureError,
    InvalidTimestampError,
    MissingWebhookBodyError,
    MissingWebhookHeaderError,
)
from ._http import Call

if TYPE_CHECKING:
    from ._client import Client

__all__ = ["DEFAULT_TOLERANCE", "WebhookSigningSecret", "Webhooks", "validate_webhook"]

DEFAULT_TOLERANCE = 300  # seconds, as the Standard Webhooks libraries use


class WebhookSigningSecret:
    """The secret deliveries are signed with. Its repr hides the key."""

    __slots__ = ("key",)

    def __init__(self, key: str) -> None:
        self.key = key

    def __repr__(self) -> str:
        return "WebhookSigningSecret(key='whsec_***')"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, WebhookSigningSecret) and hmac.compare_digest(self.key, other.key)

    def __hash__(self) -> int:
        return hash(self.key)


def _secret_bytes(secret: str | WebhookSigningSecret) -> bytes:
    key = secret.key if isinstance(secret, WebhookSigningSecret) else secret
    if not isinstance(key, str) or not key:
        raise InvalidSecretKeyError("The webhook secret must be a non-empty string such as 'whsec_...'.")
    encoded = key[len("whsec_") :] if key.startswith("whsec_") else key
    try:
        decoded = base64.b64decode(encoded, validate=True)
    except (binascii.Error, ValueError):
        decoded = b""
    if not decoded:
        raise InvalidSecretKeyError(
            "The webhook secret is not a 'whsec_' key followed by base64; copy it from "
            "webhooks.default.secret() exactly."
        )
    return decoded


def _header(headers: Mapping[str, str], name: str) -> str:
    for key, value in headers.items():
        if isinstance(key, str) and key.lower() == name:
            if not isinstance(value, str):
                raise TypeError(f"The {name} header must be a str, got {type(value).__name__}; decode it first.")
            return value
    raise MissingWebhookHeaderError(f"The delivery has no {name} header, so it cannot be checked.")


def validate_webhook(
    *,
    headers: Mapping[str, str],
    body: bytes | str | None,
    secret: str | WebhookSigningSecret,
    tolerance: float | None = DEFAULT_TOLERANCE,
    now: float | None = None,
) -> bool:
    """Check a delivery's signature; return True, or raise a `WebhookValidationError` saying why not.

    Args:
        headers: The request's headers (any mapping; names are matched without regard to case).
        body: The body exactly as received (bytes; a str is encoded as UTF-8). Do not re-serialize parsed JSON.
        secret: The signing secret (`whsec_...`), as `webhooks.default.secret()` returns it.
        tolerance: The largest difference, in seconds, allowed between the timestamp and now; None turns the
            check off (accepting replays).

    Raises:
        WebhookValidationError: A subclass saying what is wrong with the delivery or the secret, for any values.
        TypeError: Only for arguments of the wrong type: `headers` without `.items()`, a `webhook-*` header
            value that is not a str, or a `body` that is not bytes, bytearray, memoryview, str or None.
    """
    if not callable(getattr(headers, "items", None)):
        raise TypeError(f"headers must be a mapping of header names to values, got {type(headers).__name__}.")
    if body is not None and not isinstance(body, bytes | bytearray | memoryview | str):
        raise TypeError(f"body must be the delivery's raw bytes (or str), got {type(body).__name__}.")
    key = _secret_bytes(secret)
    if body is None or len(body) == 0:
        raise MissingWebhookBodyError("The delivery has no body to check.")
    raw = body.encode("utf-8") if isinstance(body, str) else bytes(body)
    message_id = _header(headers, "webhook-id")
    timestamp = _header(headers, "webhook-timestamp")
    signatures = _header(headers, "webhook-signature")
    try:
        sent_at = int(timestamp.strip())
    except ValueError:
        sent_at = None
    if sent_at is None or not -(2**63) <= sent_at < 2**63:  # beyond 64 bits no float holds it exactly, or at all
        raise InvalidTimestampError("The webhook-timestamp header is not a Unix time in seconds.")
    if tolerance is not None:
        if isinstance(tolerance, bool) or not isinstance(tolerance, int | float) or not tolerance >= 0:
            # `not >= 0` also refuses NaN, which would otherwise turn the replay check off without a word.
            raise ValueError(
                f"tolerance must be zero or more seconds, or None to turn the check off; got {tolerance!r}."
            )
        current = time.time() if now is None else now
        skew = current - sent_at
        if abs(skew) > tolerance:
            when = f"{int(skew)} s ago" if skew > 0 else f"{int(-skew)} s in the future"
            raise InvalidTimestampError(
                f"The delivery's timestamp is {when}, outside the {tolerance} s tolerance "
                "(a replay, or a skewed clock)."
            )
    signed = f"{message_id}.{sent_at}.".encode() + raw
    expected = hmac.new(key, signed, hashlib.sha256).digest()
    matched = False
    for entry in signatures.split():
        version, _, value = entry.partition(",")
        if version != "v1":
            continue
        try:
            candidate = base64.b64decode(value, validate=True)
        except (binascii.Error, ValueError):
            continue
        # Check every entry (no early exit), each in constant time.
        matched |= hmac.compare_digest(candidate, expected)
    if not matched:
        raise InvalidSignatureError("No v1 signature of the delivery matches its body and the secret.")
    return True


def _request_parts(request: Any) -> tuple[Mapping[str, str], bytes | str | None]:
    """Headers and raw body of an httpx request, a WSGI environ, or a request object with `.headers` and a body."""
    if isinstance(request, Mapping) and "wsgi.input" in request:
        headers = {
            key[5:].replace("_", "-").lower(): str(value) for key, value in request.items() if key.startswith("HTTP_")
        }
        try:
            length = int(request.get("CONTENT_LENGTH") or 0)
        except ValueError:  # not a number: read what there is, and let the signature decide
            length = 0
        stream = request["wsgi.input"]
        return headers, stream.read(length) if length else stream.read()
    request_headers = getattr(request, "headers", None)
    if request_headers is not None:
        for attribute in ("content", "body", "data"):
            value = getattr(request, attribute, None)
            if isinstance(value, bytes | str):
                return request_headers, value
        get_data = getattr(request, "get_data", None)  # Werkzeug/Flask
        if callable(get_data):
            return request_headers, get_data()
    raise TypeError(
        "Pass headers= and body= (or an httpx.Request, a WSGI environ, or a request with .headers and .body); "
        "for a Starlette request use `await webhooks.async_validate(request, secret=...)`."
    )


class WebhooksDefault:
    """`webhooks.default.secret()`: the secret of the account's default webhook."""

    def __init__(self, client: Client) -> None:
        self._client = client

    def _call(self) -> Call[WebhookSigningSecret]:
        from replicate_api.api.webhooks import webhooks_default_secret_get
        from replicate_api.models import WebhookSecret

        from ._client import json_parser
        from ._predictions import _given

        parse = json_parser(WebhookSecret.from_dict)
        return Call(
            "webhooks.default.secret.get",
            webhooks_default_secret_get._get_kwargs(),
            lambda r: WebhookSigningSecret(str(_given(parse(r).key) or "")),
        )

    def secret(self) -> WebhookSigningSecret:
        """The signing secret of deliveries to your webhooks."""
        return self._client._request(self._call())

    async def async_secret(self) -> WebhookSigningSecret:
        """Like `secret`, for async code."""
        return await self._client._arequest(self._call())


class Webhooks:
    """The `webhooks` namespace: `default.secret()` and `validate(...)`."""

    Default = WebhooksDefault  # 1.x's name for the class of `default`

    def __init__(self, client: Client) -> None:
        self.default = WebhooksDefault(client)

    @overload
    @staticmethod
    def validate(
        request: Any, secret: str | WebhookSigningSecret, tolerance: float | None = DEFAULT_TOLERANCE
    ) -> bool: ...
    @overload
    @staticmethod
    def validate(
        headers: Mapping[str, str],
        body: bytes | str,
        secret: str | WebhookSigningSecret,
        tolerance: float | None = DEFAULT_TOLERANCE,
    ) -> bool: ...
    @staticmethod
    def validate(*args: Any, **kwargs: Any) -> bool:
        """Check that a webhook delivery is authentic; True, or a `WebhookValidationError` saying why not.

        Pass the received `request` (an httpx.Request, a WSGI environ, a Flask/Django-style request) and the
        `secret`, or the delivery's `headers` and raw `body` and the `secret`, positionally or by keyword, as in
        1.x. See `validate_webhook` for the details; TypeError is raised only for arguments of the wrong type (a
        request it cannot read, both or neither of a request and headers, and as there).
        """
        return _validate(*_validate_arguments(args, kwargs))

    @staticmethod
    async def async_validate(
        request: Any = None,
        *,
        headers: Mapping[str, str] | None = None,
        body: bytes | str | None = None,
        secret: str | WebhookSigningSecret,
        tolerance: float | None = DEFAULT_TOLERANCE,
    ) -> bool:
        """Like `validate`, and also for requests whose body must be awaited (Starlette: `await request.body()`)."""
        if request is not None and callable(getattr(request, "body", None)):
            if headers is not None or body is not None:
                raise TypeError("Pass either request= or headers= and body=, not both.")
            return validate_webhook(
                headers=request.headers, body=await request.body(), secret=secret, tolerance=tolerance
            )
        return _validate(request, headers, body, secret, tolerance)


def _validate(
    request: Any, headers: Mapping[str, str] | None, body: bytes | str | None, secret: Any, tolerance: float | None
) -> bool:
    if request is not None:
        if headers is not None or body is not None:
            raise TypeError("Pass either request= or headers= and body=, not both.")
        headers, body = _request_parts(request)
    if headers is None:
        raise TypeError("validate needs a request, or headers= and body=.")
    return validate_webhook(headers=headers, body=body, secret=secret, tolerance=tolerance)


_REQUEST_FORM = ("request", "secret", "tolerance")
_HEADERS_FORM = ("headers", "body", "secret", "tolerance")


def _validate_arguments(args: tuple[Any, ...], kwargs: dict[str, Any]) -> tuple[Any, Any, Any, Any, Any]:
    """`validate`'s arguments in either of 1.x's forms: (request, secret, tolerance) or (headers, body, secret,
    tolerance), positionally or by keyword. A first positional argument that is a mapping of headers (not a WSGI
    environ) starts the second form."""
    named = dict(kwargs)
    if args:
        first = args[0]
        headers_first = isinstance(first, Mapping) and "wsgi.input" not in first
        form = _HEADERS_FORM if headers_first else _REQUEST_FORM
        if len(args) > len(form):
            raise TypeError(f"validate takes at most {len(form)} positional arguments here: {', '.join(form)}.")
        for name, value in zip(form, args, strict=False):
            if name in named:
                raise TypeError(f"validate got {name} both positionally and by keyword.")
            named[name] = value
        if headers_first and "body" not in named:
            raise TypeError("validate(headers, body, secret): pass the delivery's raw body after its headers.")
    unknown = sorted(set(named) - {"request", *_HEADERS_FORM})
    if unknown:
        raise TypeError(f"validate got unexpected arguments {unknown}.")
    if "secret" not in named:
        raise TypeError("validate needs the signing secret (secret=...), from webhooks.default.secret().")
    return (
        named.get("request"), named.get("headers"), named.get("body"), named["secret"],
        named.get("tolerance", DEFAULT_TOLERANCE),
    )  # fmt: skip
