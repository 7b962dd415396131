"""The command line's tests: one local server for the package, and the installed `replicate-ext` run as a real
process against it."""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

import replicate_ext
from replicate_ext.local import Input, LocalReplicate

# The console script the package installs, next to the interpreter running the tests.
CLI = str(Path(sys.executable).parent / "replicate-ext")


def echo(
    text: str = Input(default="", description="Returned as it came"),
    count: int = Input(default=1, ge=1, le=10, description="How many times"),
    mode: str = Input(default="fast", choices=["fast", "slow"], description="A choice"),
    ratio: float = 0.5,
    loud: bool = False,
) -> dict[str, Any]:
    """Returns its inputs, typed."""
    return {"text": text, "count": count, "mode": mode, "ratio": ratio, "loud": loud}


def file_info(file: Path) -> dict[str, Any]:
    """Describes the file it was given."""
    data = file.read_bytes()
    return {"size": len(data), "sha256": hashlib.sha256(data).hexdigest()}


def big_file(megabytes: int = Input(default=2, ge=1, le=16)) -> Path:
    """Returns a file of that many MiB (a download large enough for a progress bar)."""
    target = Path(tempfile.mkdtemp()) / "big.bin"
    target.write_bytes(bytes(megabytes * 1024 * 1024))
    return target


MODELS = {"test/echo": echo, "test/file-info": file_info, "test/big-file": big_file}


@pytest.fixture(scope="package")
def server() -> Iterator[LocalReplicate]:
    with LocalReplicate(models=MODELS, min_cancel_after=0.1) as running:
        yield running


@pytest.fixture
def client(server: LocalReplicate) -> Iterator[replicate_ext.Client]:
    with replicate_ext.Client(api_token=server.token, base_url=server.url) as client:
        yield client


def environment(server: LocalReplicate | None, **extra: str) -> dict[str, str]:
    """The environment of a `replicate-ext` process: the server's address and token, no terminal settings."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("REPLICATE_") and k not in ("NO_COLOR", "TERM")}
    if server is not None:
        env |= {"REPLICATE_API_TOKEN": server.token, "REPLICATE_BASE_URL": server.url}
    return env | extra


def cli(
    server: LocalReplicate | None, *args: str, stdin: str = "", env: dict[str, str] | None = None, timeout: float = 60
) -> subprocess.CompletedProcess[str]:
    """Run `replicate-ext ARGS` to the end, piped (standard input holds `stdin`)."""
    return subprocess.run(
        [CLI, *args],
        input=stdin,
        capture_output=True,
        text=True,
        timeout=timeout,
        env=env if env is not None else environment(server),
    )
