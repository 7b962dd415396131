"""Output file names (`_files.safe_filename`, `FileOutput.filename`, `save(folder)`): nothing is written outside.

Whatever the name in a file output's URL (percent-encoded `../` and `..\\`, absolute paths, NUL and control
characters, bidi overrides, very long names, characters that Unicode normalization turns into `.` or `/`), saving
it to a folder writes exactly one file directly inside that folder, with the bytes that were served, or raises a
`ReplicateException` and writes nothing.
"""

from __future__ import annotations

import os
import pathlib
import tempfile
import unicodedata
import urllib.parse
from collections.abc import Callable, Iterator

import anyio
import httpx
import pytest
from hypothesis import example, given
from hypothesis import strategies as st

import replicate_ext
from replicate_ext import FileOutput, ReplicateException
from replicate_ext._files import safe_filename

# Pieces of hostile names: traversal in every spelling, separators, NUL and controls, bidi and zero-width
# characters, and characters NFKC turns into "." or "/" (fullwidth, one-dot leader, small full stop, ...).
TRICKS = [
    "..", ".", "/", "\\", "../", "..\\", "%2e%2e%2f", "%2E%2E%5C", "%2f", "%5c", "/etc/passwd", "C:\\Windows\\",
    "\x00", "%00", "\x01", "\x1f", "\x7f", "\n", "\r", "\t", "\u202e", "\u2066", "\u200b", "\u200d", "\ufeff",
    "\uff0e\uff0e\uff0f", "\u2024\u2024", "\u2025", "\ufe52", "\uff3c", "\u2215", "\u2044", "\u0338", "e\u0301",
    "\ufb01", "\u1e9b\u0323", " ", "~", "$HOME", "CON", "nul.txt", ".bashrc", "a" * 300, "\U0001f600" * 80,
]  # fmt: skip
names = st.lists(st.one_of(st.sampled_from(TRICKS), st.text(max_size=12)), max_size=8).map("".join)
SANDBOXES = pathlib.Path(tempfile.gettempdir())


def assert_safe(name: str) -> None:
    assert name and name not in (".", "..") and not name.startswith(".")
    assert "/" not in name and "\\" not in name and "\x00" not in name
    assert len(name.encode("utf-8")) <= 200
    assert not any(unicodedata.category(char) in ("Cc", "Cf", "Zl", "Zp") for char in name)
    assert os.path.basename(name) == name and not os.path.isabs(name)


@given(names)
@example("..")
@example("\uff0e\uff0e\uff0f\uff0e\uff0e\uff0fetc\uff0fpasswd")
@example("\u2025")  # NFKC: ".."
@example("a" * 199 + "\U0001f600")  # cut in the middle of a 4-byte character
@example("\u202egnp.exe")
def test_safe_filename_is_one_harmless_path_segment(name: str) -> None:
    safe = safe_filename(name)
    assert_safe(safe)
    folder = SANDBOXES.resolve()
    assert (folder / safe).resolve().parent == folder


def url_for(name: str, encode: bool) -> str:
    segment = urllib.parse.quote(name, safe="") if encode else name
    return f"https://files.example/output/{segment}?token=abc#frag"


@given(names, st.booleans())
@example("..%2f..%2fetc%2fpasswd", False)
@example("a\x00b", False)  # not a URL httpx accepts: the name still comes out
def test_a_file_output_name_is_safe_for_any_url(name: str, encode: bool) -> None:
    assert_safe(FileOutput(url_for(name, encode)).filename)


@pytest.fixture(scope="module")
def sandbox_root(tmp_path_factory: pytest.TempPathFactory) -> pathlib.Path:
    return tmp_path_factory.mktemp("save")


def serving(data: bytes) -> replicate_ext.Client:
    def handler(request: httpx.Request) -> httpx.Response:
        assert "authorization" not in request.headers
        return httpx.Response(200, content=data)

    return replicate_ext.Client(
        api_token="r8_x", base_url="https://api.example/v1", transport=httpx.MockTransport(handler)
    )


def files_under(root: pathlib.Path) -> Iterator[pathlib.Path]:
    for folder, _, files in os.walk(root):
        for file in files:
            yield pathlib.Path(folder, file)


def check_saved(sandbox: pathlib.Path, target: pathlib.Path, save: Callable[[], pathlib.Path], data: bytes) -> None:
    try:
        saved = save()
    except ReplicateException:
        assert list(files_under(sandbox)) == []  # not even a temporary file is left
        return
    assert saved.parent == target.resolve() and saved.read_bytes() == data
    assert_safe(saved.name)
    assert list(files_under(sandbox)) == [saved]


@given(names, st.booleans(), st.binary(max_size=64))
@example("..%2f..%2f..%2ftmp%2fescaped", False, b"x")
@example("%2e%2e", False, b"x")
@example("\uff0e\uff0e\uff0fescaped", True, b"x")
@example("a\x00b", False, b"x")
def test_saving_to_a_folder_writes_one_file_inside_it(
    sandbox_root: pathlib.Path, name: str, encode: bool, data: bytes
) -> None:
    sandbox = pathlib.Path(tempfile.mkdtemp(dir=sandbox_root))
    target = sandbox / "out"
    target.mkdir()
    with serving(data) as client:
        output = FileOutput(url_for(name, encode), client)
        check_saved(sandbox, target, lambda: output.save(target), data)


@given(names, st.binary(max_size=64))
@example("..%2f..%2fescaped", b"x")
def test_saving_to_a_folder_asynchronously_writes_one_file_inside_it(
    sandbox_root: pathlib.Path, name: str, data: bytes
) -> None:
    sandbox = pathlib.Path(tempfile.mkdtemp(dir=sandbox_root))
    target = sandbox / "out"
    target.mkdir()

    async def save() -> pathlib.Path:
        client = serving(data)
        try:
            return await FileOutput(url_for(name, encode=True), client).asave(target)
        finally:
            await client.aclose()

    check_saved(sandbox, target, lambda: anyio.run(save), data)


@given(st.sampled_from(["image/png", "text/plain", "application/x-../../evil", "a/b;name=../../x", ""]), st.binary())
def test_a_data_uri_output_saves_inside_the_folder(sandbox_root: pathlib.Path, media_type: str, data: bytes) -> None:
    from replicate_ext._datauri import encode_data_uri

    sandbox = pathlib.Path(tempfile.mkdtemp(dir=sandbox_root))
    target = sandbox / "out"
    target.mkdir()
    output = FileOutput(encode_data_uri(data, media_type))
    check_saved(sandbox, target, lambda: output.save(target), data)
