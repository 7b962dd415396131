"""`data:` URIs (`_datauri`): any string decodes or raises DataURIError; encoding round-trips; FileOutput reads them."""

from __future__ import annotations

import base64
import string

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from replicate_ext import FileOutput, InvalidResponseError
from replicate_ext._datauri import DataURI, DataURIError, encode_data_uri, parse_data_uri

TOKEN = string.ascii_letters + string.digits + "!#$&^_.+-"  # RFC 6838 restricted-name characters
tokens = st.text(TOKEN, min_size=1, max_size=20)
parameters = st.lists(st.tuples(tokens, tokens).map(lambda kv: f"{kv[0]}={kv[1]}"), max_size=3)
media_types = st.builds(lambda t, s, p: ";".join([f"{t}/{s}", *p]), tokens, tokens, parameters)

PIECES = ["data:", "DATA:", ";base64", ";BASE64", ",", "%", "%2", "%zz", "=", "==", "\n", " ", "text/plain", ";a=b"]
uri_like = st.lists(st.one_of(st.sampled_from(PIECES), st.text(max_size=8)), max_size=10).map("".join)
base64_like = st.builds(
    lambda head, body: f"data:{head};base64,{body}",
    st.one_of(st.just(""), media_types),
    st.text(string.ascii_letters + string.digits + "+/=%_- \n", max_size=40),
)
anything = st.one_of(uri_like, base64_like, st.text())


@given(anything)
@example("data:;base64,YQ")  # missing padding is added
@example("data:;base64,Y")  # one base64 character is never valid
@example("data:;base64,é")
@example("data:,%")
@example("data:;base64,%ZZ")
def test_any_string_is_a_data_uri_or_a_data_uri_error(text: str) -> None:
    try:
        uri = parse_data_uri(text)
    except DataURIError as exc:
        assert isinstance(exc, ValueError)
        return
    assert isinstance(uri, DataURI) and isinstance(uri.data, bytes)
    assert uri.media_type and uri.mime_type == uri.mime_type.strip().lower()


@given(st.binary(max_size=2048), media_types)
def test_encoding_then_parsing_gives_back_the_bytes_and_the_media_type(data: bytes, media_type: str) -> None:
    uri = encode_data_uri(data, media_type)
    assert uri.startswith("data:") and uri.isascii()
    assert parse_data_uri(uri) == DataURI(media_type, data)
    assert parse_data_uri(uri).mime_type == media_type.split(";")[0].lower()


@given(st.binary(max_size=512), st.sampled_from(["", "text/plain", "text/plain;charset=utf-8"]))
def test_percent_encoded_data_decodes_to_its_bytes(data: bytes, media_type: str) -> None:
    text = "".join(f"%{byte:02X}" for byte in data)
    uri = parse_data_uri(f"data:{media_type},{text}")
    assert uri.data == data
    assert uri.media_type == (media_type or "text/plain;charset=US-ASCII")


@given(st.binary(min_size=1, max_size=512), st.sampled_from(["\n", " ", "\r\n", "%0A"]))
def test_whitespace_in_base64_is_ignored_and_padding_is_optional(data: bytes, gap: str) -> None:
    encoded = base64.b64encode(data).decode().rstrip("=")
    spaced = gap.join(encoded[i : i + 4] for i in range(0, len(encoded), 4))
    assert parse_data_uri(f"data:application/octet-stream;base64,{spaced}").data == data


@given(anything)
def test_a_file_output_holding_a_data_uri_reads_or_raises_invalid_response_error(text: str) -> None:
    output = FileOutput(text if text.startswith("data:") else "data:" + text)
    try:
        expected = parse_data_uri(output).data
    except DataURIError:
        with pytest.raises(InvalidResponseError, match="malformed data URI"):
            output.read()
        with pytest.raises(InvalidResponseError):
            list(output.iter_bytes())
    else:
        assert output.read() == expected and b"".join(output.iter_bytes()) == expected
    assert output.filename.startswith("output") and "/" not in output.filename
