"""Webhook validation fuzzed (`_webhooks.validate_webhook`, `Webhooks.validate`).

Random headers, bodies and secrets never validate and raise nothing but `WebhookValidationError` subclasses; a
correctly signed random delivery always validates, in every form the function accepts; changing any signed part
breaks it; messages never hold the secret's key. TypeError is raised only for arguments of the wrong type, as
the docstring of `validate_webhook` lists them.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import io
import string
from typing import Any

import httpx
import pytest
from hypothesis import assume, example, given
from hypothesis import strategies as st

from replicate_ext import (
    InvalidSignatureError,
    InvalidTimestampError,
    Webhooks,
    WebhookSigningSecret,
    WebhookValidationError,
    validate_webhook,
)

NOW = 1_700_000_000
NAMES = ["webhook-id", "webhook-timestamp", "webhook-signature"]
B64 = string.ascii_letters + string.digits + "+/="

keys = st.binary(min_size=1, max_size=64)
secrets_from_keys = keys.map(lambda key: "whsec_" + base64.b64encode(key).decode())
any_secrets = st.one_of(
    secrets_from_keys,
    st.text(B64, max_size=20),
    st.text(B64, max_size=20).map(lambda text: "whsec_" + text),
    st.text(max_size=20),
    st.sampled_from(["", "whsec_", "whsec_====", "whsec_\u00e9", "whsec_ AAAA"]),
)
timestamps = st.one_of(
    st.integers(NOW - 1000, NOW + 1000).map(str),
    st.sampled_from(["", " ", "1e9", "-1", "1_700_000_000", "\u0661\u0667", "9" * 400, "9" * 5000, "0x10", "nan"]),
    st.text(max_size=12),
)
signatures = st.lists(
    st.one_of(
        st.builds(lambda v, b: f"{v},{b}", st.sampled_from(["v1", "v2", "V1", "v1a", ""]), st.text(B64, max_size=48)),
        st.text(max_size=16),
    ),
    max_size=4,
).map(" ".join)
values = {"webhook-id": st.text(max_size=30), "webhook-timestamp": timestamps, "webhook-signature": signatures}
header_names = st.sampled_from(NAMES).flatmap(lambda name: st.sampled_from([name, name.upper(), name.title()]))
bodies = st.one_of(st.none(), st.binary(max_size=200), st.text(max_size=200))


@st.composite
def header_maps(draw: st.DrawFn) -> dict[str, str]:
    headers = draw(st.dictionaries(st.text(max_size=12), st.text(max_size=20), max_size=3))
    for name in draw(st.lists(header_names, max_size=4)):
        headers[name] = draw(values[name.lower()])
    return headers


def sign(key: bytes, message_id: str, timestamp: int, body: bytes) -> str:
    digest = hmac.new(key, f"{message_id}.{timestamp}.".encode() + body, hashlib.sha256).digest()
    return "v1," + base64.b64encode(digest).decode()


def key_part(secret: str) -> str:
    return secret.removeprefix("whsec_")


@given(header_maps(), bodies, any_secrets, st.one_of(st.none(), st.integers(0, 10**6)))
@example({"webhook-id": "a", "webhook-timestamp": "9" * 400, "webhook-signature": "v1,AAAA"}, b"x", "whsec_AAAA", 300)
@example({"webhook-id": "a", "webhook-timestamp": "9" * 5000, "webhook-signature": "v1,"}, b"x", "whsec_AAAA", None)
@example({"WEBHOOK-ID": "a", "webhook-timestamp": str(NOW), "webhook-signature": "v1,=="}, "x", "whsec_AAAA", None)
def test_random_deliveries_never_validate_and_raise_only_validation_errors(
    headers: dict[str, str], body: bytes | str | None, secret: str, tolerance: int | None
) -> None:
    with pytest.raises(WebhookValidationError) as raised:
        validate_webhook(headers=headers, body=body, secret=secret, tolerance=tolerance, now=NOW)
    assert type(raised.value) is not WebhookValidationError  # always the subclass that says why
    if len(key_part(secret)) >= 8:
        assert key_part(secret) not in str(raised.value) and key_part(secret) not in repr(raised.value)


@given(header_maps(), bodies, any_secrets)
def test_random_requests_never_validate_in_any_form(
    headers: dict[str, str], body: bytes | str | None, secret: str
) -> None:
    raw = body.encode() if isinstance(body, str) else body or b""
    request = httpx.Request("POST", "https://receiver.example/hook", headers=ascii_only(headers), content=raw)
    environ: dict[str, Any] = {f"HTTP_{k.upper().replace('-', '_')}": v for k, v in headers.items()}
    environ.update({"wsgi.input": io.BytesIO(raw), "CONTENT_LENGTH": str(len(raw))})
    for delivery in (request, environ):
        with pytest.raises(WebhookValidationError):
            Webhooks.validate(delivery, secret=WebhookSigningSecret(secret))


def ascii_only(headers: dict[str, str]) -> dict[str, str]:
    # httpx sends header values as ASCII; anything else cannot come in over HTTP/1.1 as a str anyway.
    return {k: v for k, v in headers.items() if k.isascii() and v.isascii() and k.isprintable() and v.isprintable()}


@st.composite
def signed_deliveries(draw: st.DrawFn) -> tuple[dict[str, str], bytes | str, bytes, int]:
    key = draw(keys)
    message_id = draw(st.text(min_size=1, max_size=40))
    sent_at = draw(st.integers(NOW - 300, NOW + 300))
    body = draw(st.one_of(st.binary(min_size=1, max_size=500), st.text(min_size=1, max_size=200)))
    raw = body.encode() if isinstance(body, str) else body
    entries = [sign(key, message_id, sent_at, raw)]
    entries += draw(st.lists(st.sampled_from(["v1,AAAA", "v1,!!", "v2,x", "v1a,y", sign(b"other", "x", 1, b"y")])))
    order = draw(st.permutations(entries))
    headers = {
        draw(st.sampled_from(["webhook-id", "Webhook-Id", "WEBHOOK-ID"])): message_id,
        draw(st.sampled_from(["webhook-timestamp", "Webhook-Timestamp"])): draw(
            st.sampled_from([str(sent_at), f" {sent_at} "])
        ),
        draw(st.sampled_from(["webhook-signature", "WEBHOOK-SIGNATURE"])): " ".join(order),
    }
    return headers, body, key, sent_at


@given(signed_deliveries(), st.sampled_from(["str", "object", "bytes-key"]))
def test_a_correctly_signed_delivery_always_validates(
    delivery: tuple[dict[str, str], bytes | str, bytes, int], secret_form: str
) -> None:
    headers, body, key, _ = delivery
    text = "whsec_" + base64.b64encode(key).decode()
    forms: dict[str, str | WebhookSigningSecret] = {
        "str": text,
        "object": WebhookSigningSecret(text),
        "bytes-key": base64.b64encode(key).decode(),  # the key part alone is accepted too
    }
    secret = forms[secret_form]
    assert validate_webhook(headers=headers, body=body, secret=secret, now=NOW) is True
    assert validate_webhook(headers=headers, body=body, secret=secret, tolerance=None) is True
    raw = body.encode() if isinstance(body, str) else body
    if all(value.isascii() and value.isprintable() for value in headers.values()):
        request = httpx.Request("POST", "https://receiver.example/hook", headers=headers, content=raw)
        assert Webhooks.validate(request, secret=secret, tolerance=None) is True


@given(signed_deliveries(), st.sampled_from(["body", "id", "timestamp", "secret"]), st.data())
def test_changing_any_signed_part_breaks_the_signature(
    delivery: tuple[dict[str, str], bytes | str, bytes, int], part: str, data: st.DataObject
) -> None:
    headers, body, key, sent_at = delivery
    raw = body.encode() if isinstance(body, str) else body
    secret = "whsec_" + base64.b64encode(key).decode()
    names = {name.lower(): name for name in headers}
    if part == "body":
        index = data.draw(st.integers(0, len(raw) - 1))
        raw = raw[:index] + bytes([raw[index] ^ data.draw(st.integers(1, 255))]) + raw[index + 1 :]
    elif part == "id":
        headers[names["webhook-id"]] += data.draw(st.text(min_size=1, max_size=5))
    elif part == "timestamp":
        headers[names["webhook-timestamp"]] = str(sent_at + data.draw(st.sampled_from([-1, 1, 60])))
    else:
        other = data.draw(keys)
        assume(other != key)
        secret = "whsec_" + base64.b64encode(other).decode()
    with pytest.raises(InvalidSignatureError) as raised:  # no tolerance: a moved timestamp must fail the signature
        validate_webhook(headers=headers, body=raw, secret=secret, tolerance=None)
    assert key_part(secret) not in str(raised.value)


@given(signed_deliveries(), st.integers(301, 10**12), st.booleans())
def test_a_signed_delivery_outside_the_tolerance_is_a_replay(
    delivery: tuple[dict[str, str], bytes | str, bytes, int], skew: int, late: bool
) -> None:
    headers, body, key, sent_at = delivery
    secret = "whsec_" + base64.b64encode(key).decode()
    with pytest.raises(InvalidTimestampError):
        validate_webhook(headers=headers, body=body, secret=secret, now=sent_at + (skew if late else -skew))


WRONG_TYPES: list[dict[str, Any]] = [
    {"headers": None},
    {"headers": [("webhook-id", "a")]},
    {"headers": "webhook-id: a"},
    {"headers": {"webhook-id": b"a", "webhook-timestamp": "1", "webhook-signature": "v1,AAAA"}},
    {"headers": {"webhook-id": "a", "webhook-timestamp": 1, "webhook-signature": "v1,AAAA"}},
    {"body": 5},
    {"body": [1, 2, 3]},
    {"body": {"id": "p1"}},
]


@pytest.mark.parametrize("wrong", WRONG_TYPES, ids=lambda wrong: f"{next(iter(wrong))}={next(iter(wrong.values()))!r}")
def test_arguments_of_the_wrong_type_raise_type_error(wrong: dict[str, Any]) -> None:
    arguments: dict[str, Any] = {
        "headers": {"webhook-id": "a", "webhook-timestamp": str(NOW), "webhook-signature": "v1,AAAA"},
        "body": b"{}",
        "secret": "whsec_AAAA",
        "now": NOW,
    }
    arguments.update(wrong)
    with pytest.raises(TypeError):
        validate_webhook(**arguments)


def test_a_header_name_that_is_not_a_str_is_not_that_header() -> None:
    headers: dict[Any, str] = {b"webhook-id": "a", 1: "b", "webhook-timestamp": str(NOW), "webhook-signature": "v1,A"}
    with pytest.raises(WebhookValidationError, match="webhook-id"):
        validate_webhook(headers=headers, body=b"{}", secret="whsec_AAAA", now=NOW)


@pytest.mark.parametrize("request_", [object(), 42, {"headers": {}}])
def test_a_request_the_validator_cannot_read_is_a_type_error(request_: object) -> None:
    with pytest.raises(TypeError):
        Webhooks.validate(request_, secret="whsec_AAAA")
