"""Model references (`_identifier.parse_ref`, `parse_model_name`): any string parses or raises InvalidReferenceError."""

from __future__ import annotations

import string

from hypothesis import example, given
from hypothesis import strategies as st

from replicate_ext import InvalidReferenceError
from replicate_ext._identifier import ModelRef, parse_model_name, parse_ref

NAME_START = string.ascii_letters + string.digits
names = st.builds(lambda first, rest: first + rest, st.sampled_from(NAME_START), st.text(NAME_START + "._-"))
versions = st.text(string.ascii_letters + string.digits, min_size=1, max_size=70)
version_ids = st.text("0123456789abcdef", min_size=64, max_size=64)
# Text near the grammar (the characters a reference is made of, and a few that break it), then any text.
near = st.text(NAME_START + "/:._- \t\n\u00a0é", max_size=40)
anything = st.one_of(near, st.text(), st.builds(str, st.binary().map(lambda b: b.decode("latin-1"))))


@given(anything)
@example("owner/name\n")
@example("owner/name:")
@example("/name")
@example("owner/name/extra")
@example("\uff41\uff42\uff43/\uff44\uff45\uff46")  # fullwidth letters are not ASCII
def test_any_string_is_a_reference_or_an_invalid_reference_error(text: str) -> None:
    try:
        ref = parse_ref(text)
    except InvalidReferenceError as exc:
        assert isinstance(exc, ValueError)
        return
    assert isinstance(ref, ModelRef)
    assert str(ref) == text.strip()
    assert ref.owner is None or (ref.name and ref.owner.isascii() and ref.name.isascii())


@given(anything)
def test_any_string_is_a_model_name_or_an_invalid_reference_error(text: str) -> None:
    try:
        owner, name = parse_model_name(text)
    except InvalidReferenceError:
        return
    assert f"{owner}/{name}" == text.strip()


@given(st.one_of(st.none(), st.integers(), st.binary(), st.lists(st.text())))
def test_a_value_that_is_not_a_string_is_an_invalid_reference_error(value: object) -> None:
    for parse in (parse_ref, parse_model_name):
        try:
            parse(value)  # type: ignore[arg-type]  # the wrong type on purpose
        except InvalidReferenceError:
            continue
        raise AssertionError(f"{parse.__name__}({value!r}) did not raise")


@given(names, names, st.none() | versions)
def test_a_valid_reference_round_trips(owner: str, name: str, version: str | None) -> None:
    text = f"{owner}/{name}" + (f":{version}" if version else "")
    ref = parse_ref(text)
    assert (ref.owner, ref.name, ref.version) == (owner, name, version)
    assert ref.model == f"{owner}/{name}"
    assert str(ref) == text
    assert parse_ref(str(ref)) == ref
    assert parse_ref(f"  {text}\n") == ref
    if version is None:
        assert parse_model_name(text) == (owner, name)


@given(version_ids)
def test_a_bare_version_id_round_trips(version: str) -> None:
    ref = parse_ref(version)
    assert ref == ModelRef(None, None, version)
    assert ref.model is None and str(ref) == version and parse_ref(str(ref)) == ref
