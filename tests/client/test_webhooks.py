from __future__ import annotations

import base64
import hashlib
import hmac
import io
import time

import httpx
import pytest

import replicate_ext
from replicate_ext import (
    InvalidSecretKeyError,
    InvalidSignatureError,
    InvalidTimestampError,
    MissingWebhookBodyError,
    MissingWebhookHeaderError,
    Webhooks,
    WebhookValidationError,
)

# The test vector of replicate 1.x's webhook tests.
SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
HEADERS = {
    "webhook-id": "msg_p5jXN8AQM9LWM0D4loKWxJek",
    "webhook-timestamp": "1614265330",
    "webhook-signature": "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=",
}
BODY = '{"test": 2432232314}'


def sign(secret: str, message_id: str, timestamp: int, body: bytes) -> str:
    key = base64.b64decode(secret.removeprefix("whsec_"))
    digest = hmac.new(key, f"{message_id}.{timestamp}.".encode() + body, hashlib.sha256).digest()
    return "v1," + base64.b64encode(digest).decode()


def fresh(body: bytes = b'{"id": "p1"}', secret: str = SECRET) -> dict[str, str]:
    now = int(time.time())
    return {"webhook-id": "msg_1", "webhook-timestamp": str(now), "webhook-signature": sign(secret, "msg_1", now, body)}


def test_the_1x_test_vector_passes_with_the_tolerance_off() -> None:
    assert Webhooks.validate(headers=HEADERS, body=BODY, secret=SECRET, tolerance=None) is True


def test_the_test_vector_is_too_old_with_the_default_tolerance() -> None:
    with pytest.raises(InvalidTimestampError, match="tolerance"):
        Webhooks.validate(headers=HEADERS, body=BODY, secret=SECRET)


def test_a_fresh_delivery_passes_and_header_case_does_not_matter() -> None:
    headers = {key.upper(): value for key, value in fresh().items()}
    assert replicate_ext.validate_webhook(headers=headers, body=b'{"id": "p1"}', secret=SECRET)


def test_a_tampered_body_is_rejected() -> None:
    with pytest.raises(InvalidSignatureError):
        Webhooks.validate(headers=fresh(), body=b'{"id": "p2"}', secret=SECRET)


def test_another_secret_is_rejected() -> None:
    other = "whsec_" + base64.b64encode(b"another key, 32 bytes long......").decode()
    with pytest.raises(InvalidSignatureError):
        Webhooks.validate(headers=fresh(), body=b'{"id": "p1"}', secret=other)


def test_any_v1_entry_may_match_for_key_rotation() -> None:
    headers = fresh()
    headers["webhook-signature"] = "v1,AAAA v2,whatever " + headers["webhook-signature"]
    assert Webhooks.validate(headers=headers, body=b'{"id": "p1"}', secret=SECRET)


def test_only_v1_entries_count() -> None:
    headers = fresh()
    headers["webhook-signature"] = headers["webhook-signature"].replace("v1,", "v2,")
    with pytest.raises(InvalidSignatureError):
        Webhooks.validate(headers=headers, body=b'{"id": "p1"}', secret=SECRET)


@pytest.mark.parametrize("missing", ["webhook-id", "webhook-timestamp", "webhook-signature"])
def test_missing_headers(missing: str) -> None:
    headers = fresh()
    del headers[missing]
    with pytest.raises(MissingWebhookHeaderError, match=missing):
        Webhooks.validate(headers=headers, body=b'{"id": "p1"}', secret=SECRET)


def test_missing_body_and_bad_timestamps() -> None:
    with pytest.raises(MissingWebhookBodyError):
        Webhooks.validate(headers=fresh(), body=b"", secret=SECRET)
    headers = fresh() | {"webhook-timestamp": "yesterday"}
    with pytest.raises(InvalidTimestampError):
        Webhooks.validate(headers=headers, body=b'{"id": "p1"}', secret=SECRET)


@pytest.mark.parametrize("secret", ["", "whsec_", "whsec_not base64!", "plainly wrong"])
def test_bad_secrets_never_appear_in_the_error(secret: str) -> None:
    with pytest.raises(InvalidSecretKeyError) as caught:
        Webhooks.validate(headers=fresh(), body=b'{"id": "p1"}', secret=secret)
    private_part = secret.removeprefix("whsec_")
    if private_part:
        assert private_part not in str(caught.value)


def test_validation_errors_are_value_errors() -> None:
    with pytest.raises(ValueError):
        Webhooks.validate(headers=fresh(), body=b"{}", secret=SECRET)
    assert issubclass(InvalidSignatureError, WebhookValidationError)


def test_request_forms() -> None:
    body = b'{"id": "p1"}'
    request = httpx.Request("POST", "https://hooks.example/", headers=fresh(body), content=body)
    assert Webhooks.validate(request, secret=SECRET)
    environ: dict[str, object] = {f"HTTP_{k.upper().replace('-', '_')}": v for k, v in fresh(body).items()}
    environ |= {"wsgi.input": io.BytesIO(body), "CONTENT_LENGTH": str(len(body))}
    assert Webhooks.validate(environ, secret=SECRET)


@pytest.mark.anyio
async def test_an_awaitable_body_request() -> None:
    payload = b'{"id": "p1"}'
    signed = fresh(payload)

    class StarletteLike:
        headers = signed

        async def body(self) -> bytes:
            return payload

    assert await Webhooks.async_validate(StarletteLike(), secret=SECRET)


@pytest.mark.parametrize("tolerance", [float("nan"), -1, "300"])
def test_a_bad_tolerance_is_refused_rather_than_turning_the_check_off(tolerance: object) -> None:
    with pytest.raises((ValueError, TypeError)):
        Webhooks.validate(headers=fresh(), body=b'{"id": "p1"}', secret=SECRET, tolerance=tolerance)  # type: ignore[call-overload]


def test_a_future_timestamp_says_so() -> None:
    headers = fresh() | {"webhook-timestamp": str(int(time.time()) + 3600)}
    with pytest.raises(InvalidTimestampError, match="in the future"):
        Webhooks.validate(headers=headers, body=b'{"id": "p1"}', secret=SECRET)
