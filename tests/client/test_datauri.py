from __future__ import annotations

import pytest

from replicate_ext._datauri import DataURIError, encode_data_uri, parse_data_uri


def test_percent_encoded_data_is_not_treated_as_base64() -> None:
    uri = parse_data_uri("data:text/plain,hello%20world")
    assert uri.data == b"hello world"
    assert uri.mime_type == "text/plain"


def test_base64_data_decodes_with_whitespace_and_missing_padding() -> None:
    assert parse_data_uri("data:application/octet-stream;base64,aGVs\nbG8").data == b"hello"


def test_defaults_follow_rfc_2397() -> None:
    uri = parse_data_uri("data:,A%2C")
    assert uri.media_type == "text/plain;charset=US-ASCII"
    assert uri.data == b"A,"
    assert parse_data_uri("data:;charset=utf-8,x").media_type == "text/plain;charset=utf-8"


def test_round_trip() -> None:
    payload = bytes(range(256)) * 3
    assert parse_data_uri(encode_data_uri(payload, "image/png")).data == payload
    assert parse_data_uri(encode_data_uri(payload, "image/png")).mime_type == "image/png"


@pytest.mark.parametrize("uri", ["http://x", "data:text/plain", "data:;base64,!!!!"])
def test_malformed_uris_raise(uri: str) -> None:
    with pytest.raises(DataURIError):
        parse_data_uri(uri)
