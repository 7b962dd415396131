"""File outputs and file inputs, in process."""

from __future__ import annotations

import base64
import gzip
import io
import json
import pathlib
import pickle
from collections.abc import Iterable
from typing import cast

import httpx
import pytest

from replicate_ext import Client, FileOutput, InvalidArgumentError
from replicate_ext._datauri import parse_data_uri
from replicate_ext._files import DATA_URI_MAX_BYTES, _scan, encode_input_flow, safe_filename, transform_output

from .mock import client_for


def test_a_file_output_is_its_url() -> None:
    output = FileOutput("https://files.example/a/out.png")
    assert output == "https://files.example/a/out.png"
    assert isinstance(output, str) and output.url == str(output)
    assert json.dumps({"image": output}) == '{"image": "https://files.example/a/out.png"}'
    assert repr(output) == "FileOutput('https://files.example/a/out.png')"
    assert pickle.loads(pickle.dumps(output)) == output


def test_data_uri_outputs_decode_per_rfc_2397(tmp_path: pathlib.Path) -> None:
    raw = bytes(range(256)) * 1000
    output = FileOutput("data:image/png;base64," + base64.b64encode(raw).decode())
    assert output.read() == raw
    assert b"".join(output.iter_bytes()) == raw
    assert b"".join(cast("Iterable[bytes]", output)) == raw  # iterating a FileOutput yields its bytes
    assert output.filename == "output.png"
    saved = output.save(tmp_path)
    assert saved == tmp_path / "output.png" and saved.read_bytes() == raw
    assert FileOutput("data:text/plain,caf%C3%A9").read() == "café".encode()


@pytest.mark.anyio
async def test_async_reading() -> None:
    output = FileOutput("data:,hello")
    assert await output.aread() == b"hello"
    assert [chunk async for chunk in output] == [b"hello"]


@pytest.mark.parametrize(
    ("url", "name"),
    [
        ("https://x/a/out.png", "out.png"),
        ("https://x/a/..%2F..%2Fetc%2Fpasswd", "_.._etc_passwd"),
        ("https://x/a/%2E%2E", "output"),
        ("https://x/a/", "output"),
        ("https://x/a/evil%00name.txt", "evilname.txt"),
        ("https://x/a/%E2%80%AEgpj.exe", "_gpj.exe"),
        ("https://x/a/C%3A%5CWindows%5Cx", "C__Windows_x"),
    ],
)
def test_filenames_from_urls_cannot_leave_the_folder(url: str, name: str, tmp_path: pathlib.Path) -> None:
    output = FileOutput(url)
    assert output.filename == name
    assert "/" not in output.filename and output.filename not in ("", ".", "..")


def test_save_into_a_folder_stays_inside_it(tmp_path: pathlib.Path) -> None:
    client = client_for(lambda r: httpx.Response(200, content=b"data"))
    target = FileOutput("https://files.example/x/..%2F..%2Fescape.txt", client).save(tmp_path)
    assert target.parent == tmp_path.resolve()
    assert target.read_bytes() == b"data"
    assert not any(p.name.endswith(".part") for p in tmp_path.iterdir())


@pytest.mark.anyio
async def test_save_reports_progress_with_the_announced_size(tmp_path: pathlib.Path) -> None:
    body = bytes(200_000)
    client = client_for(lambda r: httpx.Response(200, content=body))
    seen: list[tuple[int, int | None]] = []
    FileOutput("https://files.example/x/big.bin", client).save(tmp_path, progress=lambda n, t: seen.append((n, t)))
    assert seen[-1] == (len(body), len(body)) and all(t == len(body) for _, t in seen)
    assert [n for n, _ in seen] == sorted(n for n, _ in seen)
    unsized: list[tuple[int, int | None]] = []
    zipped = client_for(
        lambda r: httpx.Response(200, content=gzip.compress(b"abcd"), headers={"Content-Encoding": "gzip"})
    )
    FileOutput("https://files.example/x/z.bin", zipped).save(tmp_path, progress=lambda n, t: unsized.append((n, t)))
    assert unsized[-1] == (4, None) and (tmp_path / "z.bin").read_bytes() == b"abcd"  # a compressed length is no size
    inline: list[tuple[int, int | None]] = []
    await FileOutput("data:,hello").asave(tmp_path / "d.txt", progress=lambda n, t: inline.append((n, t)))
    assert inline == [(5, 5)] and (tmp_path / "d.txt").read_bytes() == b"hello"


def test_a_failed_download_leaves_no_partial_file(tmp_path: pathlib.Path) -> None:
    client = client_for(lambda r: httpx.Response(404, text="gone"))
    with pytest.raises(Exception, match="404"):
        FileOutput("https://files.example/x/out.png", client).save(tmp_path / "out.png")
    assert list(tmp_path.iterdir()) == []


def test_outputs_are_transformed_recursively_and_other_text_is_left_alone() -> None:
    output = transform_output({"a": ["https://x/1.png", "hello", 3], "b": "data:,x", "c": "ftp://x"}, None)
    assert isinstance(output["a"][0], FileOutput) and isinstance(output["b"], FileOutput)
    assert type(output["a"][1]) is str and type(output["c"]) is str and output["a"][2] == 3


def test_inputs_must_be_json_and_the_error_says_where() -> None:
    with pytest.raises(InvalidArgumentError, match=r"input\['when'\] is a datetime"):
        import datetime

        _scan({"when": datetime.datetime.now()}, "input", [])
    with pytest.raises(InvalidArgumentError, match="JSON cannot represent"):
        _scan({"x": [float("nan")]}, "input", [])
    with pytest.raises(InvalidArgumentError, match="binary mode"):
        _scan({"f": io.StringIO("text")}, "input", [])
    with pytest.raises(InvalidArgumentError, match="not a readable file"):
        _scan({"f": pathlib.Path("/no/such/file")}, "input", [])
    assert _scan({"t": (1, 2), "n": None}, "input", []) == {"t": [1, 2], "n": None}


def _drive_without_io(client: Client, value: dict[str, object], strategy: str) -> object:
    flow = encode_input_flow(client, value, strategy)
    try:
        next(flow)
    except StopIteration as stop:
        return stop.value
    raise AssertionError("the flow wanted to send a request")


def test_small_files_go_inline_with_their_type(tmp_path: pathlib.Path) -> None:
    image = tmp_path / "pic.png"
    image.write_bytes(b"\x89PNG fake")
    client = client_for(lambda r: httpx.Response(500))
    encoded = _drive_without_io(client, {"image": image, "raw": b"abc", "file": io.BytesIO(b"xyz")}, "auto")
    assert isinstance(encoded, dict)
    assert parse_data_uri(encoded["image"]).mime_type == "image/png"
    assert parse_data_uri(encoded["image"]).data == b"\x89PNG fake"
    assert parse_data_uri(encoded["raw"]).data == b"abc"
    assert parse_data_uri(encoded["file"]).data == b"xyz"


def test_large_files_are_uploaded_unless_base64_is_asked(tmp_path: pathlib.Path) -> None:
    big = tmp_path / "big.bin"
    big.write_bytes(b"x" * (DATA_URI_MAX_BYTES + 1))
    client = client_for(lambda r: httpx.Response(500))
    flow = encode_input_flow(client, {"f": big}, "auto")
    step = next(flow)
    assert step.request.url.path == "/v1/files"  # type: ignore[union-attr]
    encoded = _drive_without_io(client, {"f": big}, "base64")
    assert isinstance(encoded, dict) and parse_data_uri(encoded["f"]).data == big.read_bytes()
    flow.close()


def test_a_file_output_passed_as_input_is_sent_as_its_url() -> None:
    client = client_for(lambda r: httpx.Response(500))
    encoded = _drive_without_io(client, {"image": FileOutput("https://x/out.png")}, "auto")
    assert encoded == {"image": "https://x/out.png"}


def test_safe_filename_basics() -> None:
    assert safe_filename("report final.pdf") == "report final.pdf"
    assert safe_filename("...") == "output"
    assert len(safe_filename("a" * 1000).encode()) <= 200
