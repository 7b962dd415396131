from __future__ import annotations

import pytest

from replicate_ext import InvalidReferenceError
from replicate_ext._identifier import parse_model_name, parse_ref

VERSION = "5c7d5dc6dd8bf75c1acaa8565735e7986bc5b66206b55cca93cb72c9bf15ccaa"


@pytest.mark.parametrize(
    ("text", "owner", "name", "version"),
    [
        ("stability-ai/sdxl", "stability-ai", "sdxl", None),
        (f"stability-ai/sdxl:{VERSION}", "stability-ai", "sdxl", VERSION),
        (VERSION, None, None, VERSION),
        ("a_b/c.d-e", "a_b", "c.d-e", None),
        ("  meta/llama  ", "meta", "llama", None),
    ],
)
def test_references_parse(text: str, owner: str | None, name: str | None, version: str | None) -> None:
    ref = parse_ref(text)
    assert (ref.owner, ref.name, ref.version) == (owner, name, version)


@pytest.mark.parametrize("text", ["", "sdxl", "a/b/c", "/b", "a/", "a/b:", "a/b:c:d", "a b/c", VERSION[:-1], 42])
def test_bad_references_say_how_to_write_one(text: object) -> None:
    with pytest.raises(InvalidReferenceError, match="owner/name"):
        parse_ref(text)  # type: ignore[arg-type]


def test_an_invalid_reference_is_also_a_value_error() -> None:
    with pytest.raises(ValueError):
        parse_ref("nope")


def test_model_names_refuse_a_version() -> None:
    assert parse_model_name("a/b") == ("a", "b")
    with pytest.raises(InvalidReferenceError, match="without a version"):
        parse_model_name(f"a/b:{VERSION}")
