"""Input encoding (`_files._scan`, `encode_input_flow`): JSON inputs pass unchanged; anything else is named.

Random nested JSON-like inputs come out equal (tuples as lists), bytes become inline data URIs without a
request, and a value JSON cannot carry, wherever it hides, raises InvalidArgumentError naming where it is.
"""

from __future__ import annotations

import datetime
import decimal
import io
import json
from typing import Any

from hypothesis import example, given
from hypothesis import strategies as st

import replicate_ext
from replicate_ext import InvalidArgumentError
from replicate_ext._datauri import encode_data_uri
from replicate_ext._files import encode_input_flow
from replicate_ext._http import Flow

scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.integers(min_value=2**64),  # JSON numbers have no size limit
    st.floats(allow_nan=False, allow_infinity=False),
    st.text(),
    st.sampled_from(["data:,x", "https://example.com/a.png", "", "\x00", "\ud7ff"]),
)
json_like = st.recursive(
    scalars,
    lambda inner: st.one_of(
        st.lists(inner, max_size=4),
        st.lists(inner, max_size=4).map(tuple),
        st.dictionaries(st.text(max_size=6), inner, max_size=4),
    ),
    max_leaves=20,
)
inputs = st.dictionaries(st.text(max_size=8), json_like, max_size=5)


def as_json(value: Any) -> Any:
    """What the input should come out as: tuples are lists, nothing else changes."""
    if isinstance(value, list | tuple):
        return [as_json(item) for item in value]
    if isinstance(value, dict):
        return {key: as_json(item) for key, item in value.items()}
    return value


def run(flow: Flow[dict[str, Any]]) -> dict[str, Any]:
    """The flow's result; it must finish without asking for any I/O."""
    try:
        step = next(flow)
    except StopIteration as stop:
        result: dict[str, Any] = stop.value
        return result
    raise AssertionError(f"encoding asked for {step!r}")


CLIENT = replicate_ext.Client(api_token="r8_x", base_url="https://api.example/v1")


@given(inputs, st.sampled_from(["auto", "base64", "url"]))
@example({"a": (1, [2, (3,)]), "b": {"c": None}}, "auto")
@example({"big": 10**400, "tiny": 5e-324, "neg": -0.0}, "url")
def test_json_inputs_come_out_unchanged(value: dict[str, Any], strategy: str) -> None:
    encoded = run(encode_input_flow(CLIENT, value, strategy))
    assert encoded == as_json(value)
    json.dumps(encoded, allow_nan=False)  # and it is JSON


@given(inputs, st.binary(max_size=1024), st.sampled_from(["auto", "base64"]))
def test_bytes_in_an_input_go_inline_as_data_uris(value: dict[str, Any], data: bytes, strategy: str) -> None:
    value = {**value, "file": data, "files": [data, {"nested": bytearray(data)}]}
    encoded = run(encode_input_flow(CLIENT, value, strategy))
    uri = encode_data_uri(data, "application/octet-stream")
    assert encoded["file"] == uri and encoded["files"] == [uri, {"nested": uri}]
    rest = {key: item for key, item in value.items() if key not in ("file", "files")}
    assert {key: encoded[key] for key in rest} == as_json(rest)


class Opaque:
    def __repr__(self) -> str:
        return "Opaque()"


BAD_VALUES = [
    Opaque(),
    1j,
    float("nan"),
    float("inf"),
    -float("inf"),
    decimal.Decimal("1.5"),
    datetime.datetime(2024, 1, 1),
    io.StringIO("text"),
    range(3),
    b"x".decode,
]


@st.composite
def input_with_a_bad_value(draw: st.DrawFn) -> tuple[dict[str, Any], str]:
    """An input with one bad value (or a dict key that is not a str) somewhere, and where it is."""
    bad_key = draw(st.booleans())
    bad: Any = draw(st.sampled_from(BAD_VALUES)) if not bad_key else {draw(st.sampled_from([1, None, (1, 2)])): 0}
    path: list[str | int] = []
    for _ in range(draw(st.integers(0, 4))):
        if draw(st.booleans()):
            path.append(draw(st.text(max_size=5)))
        else:
            path.append(draw(st.integers(0, 3)))
    value: Any = bad
    for step in reversed(path):
        if isinstance(step, str):
            value = {**draw(st.dictionaries(st.text(max_size=5), scalars, max_size=2)), step: value}
        else:
            filler = draw(st.lists(scalars, min_size=step, max_size=step))
            value = [*filler, value, *draw(st.lists(scalars, max_size=2))]
    top = draw(st.text(max_size=5))
    where = f"input[{top!r}]" + "".join(f"[{step!r}]" if isinstance(step, str) else f"[{step}]" for step in path)
    return {top: value}, where


@given(input_with_a_bad_value())
def test_a_value_json_cannot_carry_is_named_where_it_is(case: tuple[dict[str, Any], str]) -> None:
    value, where = case
    try:
        run(encode_input_flow(CLIENT, value, "auto"))
    except InvalidArgumentError as exc:
        assert str(exc).startswith(where + " "), (str(exc), where)
        return
    raise AssertionError(f"{value!r} was accepted")
