"""The `replicate-ext serve` command and `python -m replicate_ext.local`, run as real processes."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest

from .conftest import validating_client


@contextmanager
def serve(
    *args: str, command: tuple[str, ...] = (sys.executable, "-m", "replicate_ext.local")
) -> Iterator[tuple[subprocess.Popen[str], list[str]]]:
    """Start the server process, read its first lines, and stop it (SIGINT) at the end."""
    process = subprocess.Popen(
        [*command, *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )
    try:
        assert process.stdout is not None
        first = process.stdout.readline().strip()
        lines = [first]
        if "--token" not in args and first.startswith("listening on"):
            lines.append(process.stdout.readline().strip())
        yield process, lines
    finally:
        if process.poll() is None:
            process.send_signal(signal.SIGINT)
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        for stream in (process.stdout, process.stderr):
            if stream is not None:
                stream.close()


def test_python_dash_m_serves_until_interrupted_and_prints_the_url_and_token() -> None:
    with serve("--port", "0") as (process, lines):
        assert lines[0].startswith("listening on http://127.0.0.1:")
        url = lines[0].removeprefix("listening on ")
        token = lines[1].removeprefix("token: ").split()[0]
        assert token.startswith("r8_")
        response = httpx.get(url + "/v1/account", headers={"Authorization": f"Bearer {token}"})
        assert response.json()["username"] == "local"
        assert httpx.get(url + "/v1/models/demo/fractal", headers={"Authorization": "Bearer any"}).status_code == 200
        process.send_signal(signal.SIGINT)
        assert process.wait(timeout=30) == 0


def test_the_console_script_serves_user_models_with_a_fixed_token(tmp_path: Path) -> None:
    module = tmp_path / "shout.py"
    module.write_text("def predict(text: str) -> str:\n    print('shouting')\n    return text.upper()\n", "utf-8")
    script = Path(sys.executable).parent / "replicate-ext"
    with serve(
        "serve", "--port", "0", "--token", "r8_fixed", "--models", str(module), "--username", "me",
        command=(str(script),),
    ) as (process, lines):  # fmt: skip
        assert len(lines) == 1 and lines[0].startswith("listening on http://")
        url = lines[0].removeprefix("listening on ")
        with validating_client(url, token="r8_fixed") as api:
            result = api.post(
                "/models/me/shout/predictions", json={"input": {"text": "hi"}}, headers={"Prefer": "wait"}
            ).json()
            assert result["output"] == "HI" and result["logs"] == "shouting"
            assert api.get("/models/demo/sleep").status_code == 404  # only the models asked for
            assert api.get("/account", headers={"Authorization": "Bearer other"}).status_code == 401
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=30) == 0
        assert process.stdout is not None and "r8_fixed" not in process.stdout.read()


def test_fault_options_reach_the_server() -> None:
    with serve("--port", "0", "--error-rate", "1", "--fault-timing", "before", "--rate-limit", "create=3/s",
               "--seed", "4") as (_process, lines):  # fmt: skip
        url = lines[0].removeprefix("listening on ")
        faults = httpx.get(url + "/_local/faults").json()
        assert faults["error_rate"] == 1.0 and faults["fault_timing"] == "before" and faults["seed"] == 4
        assert faults["rate_limit"] == {"create": 3.0}
        assert httpx.get(url + "/v1/account", headers={"Authorization": "Bearer x"}).status_code >= 500


@pytest.mark.parametrize(
    "args",
    [["--models", "missing.py"], ["--error-rate", "3"], ["--rate-limit", "often"], ["--token", " "]],
)
def test_bad_options_exit_with_status_2_and_a_message(args: list[str]) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "replicate_ext.local", "--port", "0", *args],
        capture_output=True,
        text=True,
        timeout=60,
        env={**os.environ},
    )
    assert result.returncode == 2
    assert result.stderr.startswith("replicate-ext: ")
