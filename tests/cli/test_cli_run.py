"""`replicate-ext run` and `stream`, end to end: the installed command against the local server."""

from __future__ import annotations

import fcntl
import hashlib
import json
import os
import pty
import select
import signal
import struct
import subprocess
import sys
import termios
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

import replicate_ext
from replicate_ext.local import LocalReplicate

from .conftest import CLI, cli, environment

PNG = b"\x89PNG\r\n\x1a\n"


def test_help_version_and_usage_errors_need_no_server() -> None:
    top = cli(None, "--help")
    assert top.returncode == 0
    for command in ("run", "stream", "predictions", "models", "trainings", "deployments", "files", "hardware",
                    "account", "webhooks", "serve"):  # fmt: skip
        assert f"\n    {command}" in top.stdout
    assert cli(None, "--version").stdout.startswith("replicate-ext ")
    run_help = cli(None, "run", "--help").stdout
    assert "{{output[0]}}" in run_help and "--save DIR" in run_help and "exit status" in run_help
    code = "import sys; from replicate_ext.cli import build_parser; build_parser(); print(sorted(sys.modules))"
    loaded = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert "httpx" not in loaded and "rich" not in loaded and "replicate_api" not in loaded  # --help stays light
    module = subprocess.run([sys.executable, "-m", "replicate_ext.cli", "predictions", "--help"], capture_output=True)
    assert module.returncode == 0 and b"wait" in module.stdout
    unknown = cli(None, "frobnicate")
    assert unknown.returncode == 2 and "invalid choice" in unknown.stderr
    no_token = cli(None, "account")
    assert no_token.returncode == 2 and no_token.stdout == ""
    assert (
        no_token.stderr.startswith("replicate-ext: REPLICATE_API_TOKEN is not set")
        and "Traceback" not in no_token.stderr
    )
    bad_input = cli(None, "run", "demo/fractal", "width")
    assert bad_input.returncode == 2 and "NAME=VALUE" in bad_input.stderr
    bad_option = cli(None, "run", "demo/fractal", "--timeout", "soon")
    assert bad_option.returncode == 2 and "number of seconds" in bad_option.stderr


def test_run_saves_a_fractal_as_png_and_json_has_only_the_prediction(server: LocalReplicate, tmp_path: Path) -> None:
    plain = cli(server, "run", "demo/fractal", "prompt=a spiral", "width=64", "height=64", "--save", str(tmp_path))
    assert plain.returncode == 0, plain.stderr
    assert plain.stdout == f"{tmp_path / 'fractal.png'}\n" and plain.stderr == ""
    assert (tmp_path / "fractal.png").read_bytes().startswith(PNG)

    as_json = cli(server, "run", "demo/fractal", "width=32", "height=32", "--json")
    assert as_json.returncode == 0 and as_json.stderr == ""
    prediction = json.loads(as_json.stdout)
    assert prediction["status"] == "succeeded" and prediction["model"] == "demo/fractal"
    assert prediction["input"] == {"width": 32, "height": 32}  # typed: numbers, not text
    assert prediction["output"].startswith("http") and prediction["output"].endswith(".png")

    saved = cli(server, "run", "demo/fractal", "width=32", "height=32", "--json", "--save", str(tmp_path / "json"))
    output = json.loads(saved.stdout)["output"]
    assert output == str(tmp_path / "json" / "fractal.png") and Path(output).read_bytes().startswith(PNG)

    url = cli(server, "run", "demo/fractal", "width=32", "height=32")
    assert url.returncode == 0 and url.stdout.startswith("http") and url.stdout.endswith("/fractal.png\n")


def test_a_streaming_model_prints_as_it_goes(server: LocalReplicate) -> None:
    with subprocess.Popen(
        [CLI, "run", "demo/stream-text", "prompt=Hi", "max_tokens=12", "delay=0.15"],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        stdin=subprocess.DEVNULL,
        env=environment(server),
    ) as process:
        assert process.stdout is not None
        first = process.stdout.read1(1024)  # type: ignore[attr-defined]
        still_running = process.poll() is None
        rest = process.stdout.read()
        assert process.wait(timeout=60) == 0
    assert first.startswith(b"Hi") and still_running  # text arrived while the model was still generating
    text = (first + rest).decode()
    assert text.endswith("\n") and len(text.split()) == 12

    streamed = cli(server, "stream", "demo/stream-text", "max_tokens=4", "delay=0")
    assert streamed.returncode == 0 and streamed.stdout == "Hello — This text\n"
    events = [
        json.loads(line)
        for line in cli(server, "stream", "demo/stream-text", "max_tokens=3", "--json").stdout.splitlines()
    ]
    assert events == [{"event": "output", "data": text} for text in ("Hello", " —", " This")]
    whole = cli(server, "stream", "test/echo", "text=hi", "--json")  # a model that does not stream: its output, once
    assert whole.returncode == 0 and json.loads(whole.stdout)["data"]["text"] == "hi"


def test_invalid_inputs_exit_2_and_create_nothing(server: LocalReplicate) -> None:
    server.reset_stats()
    bad = cli(server, "run", "test/echo", "count=50", "mode=medium", "loud=maybe", "txet=hi")
    assert bad.returncode == 2 and bad.stdout == ""
    lines = bad.stderr.splitlines()
    assert lines[0] == "replicate-ext: The input has 4 problems:"
    assert lines[1] == "  - txet: this model has no such input; did you mean 'text'?"
    assert "count: 50 is greater than the maximum, 10." in lines[2]
    assert lines[3].startswith("  - mode: ") and "'fast'" in lines[3] and "'slow'" in lines[3]
    assert lines[4].startswith("  - loud: ") and lines[-1] == "Valid inputs: text, count, mode, ratio, loud."
    given = cli(server, "run", "test/echo", "--input-json", "-", stdin='{"count": "3"}')  # JSON is not coerced
    assert given.returncode == 2 and "count" in given.stderr
    missing = cli(server, "stream", "test/file-info")
    assert missing.returncode == 2 and "file: this input is required." in missing.stderr
    assert server.stats()["predictions_created"] == 0  # nothing was sent
    typed = cli(server, "run", "test/echo", "count=3", "ratio=2", "loud=yes", "mode=slow", "text=007", "--json")
    assert json.loads(typed.stdout)["output"] == {"text": "007", "count": 3, "mode": "slow", "ratio": 2, "loud": True}
    unchecked = cli(server, "run", "test/echo", "count=50", "--no-validate")  # the server refuses it instead
    assert unchecked.returncode == 3 and "422" in unchecked.stderr


def test_a_failed_prediction_exits_1_with_its_error_and_logs(server: LocalReplicate) -> None:
    failed = cli(server, "run", "demo/fail", "message=broken on purpose")
    assert failed.returncode == 1 and failed.stdout == ""
    lines = failed.stderr.splitlines()
    assert lines[0].startswith("replicate-ext: prediction ") and lines[0].endswith("failed: broken on purpose")
    assert "last log lines:" in lines and "  About to fail, as asked" in lines
    as_json = cli(server, "run", "demo/fail", "--json")
    assert as_json.returncode == 1 and json.loads(as_json.stdout)["status"] == "failed"


def test_timeout_cancels_the_prediction(server: LocalReplicate, client: replicate_ext.Client) -> None:
    result = cli(server, "run", "demo/sleep", "seconds=30", "--timeout", "0.5")
    assert result.returncode == 1
    assert "after the 0.5 s timeout; canceled it" in result.stderr
    prediction_id = result.stderr.split("prediction ")[1].split()[0]
    assert client.predictions.get(prediction_id).status == "canceled"


def test_ctrl_c_cancels_the_prediction_and_exits_130(server: LocalReplicate, client: replicate_ext.Client) -> None:
    before = server.stats()["predictions_created"]
    with subprocess.Popen(
        [CLI, "run", "demo/sleep", "seconds=30"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        stdin=subprocess.DEVNULL,
        text=True,
        env=environment(server),
    ) as process:
        deadline = time.monotonic() + 30
        while server.stats()["predictions_created"] == before and time.monotonic() < deadline:
            time.sleep(0.05)
        time.sleep(0.3)  # into the wait
        process.send_signal(signal.SIGINT)
        _, err = process.communicate(timeout=30)
    assert process.returncode == 130, err
    assert err.startswith("Interrupted: canceled prediction ") and "Traceback" not in err
    prediction_id = err.split("prediction ")[1].rstrip(".\n")
    assert client.predictions.get(prediction_id).status == "canceled"


def test_no_wait_then_wait_get_cancel_and_list(server: LocalReplicate) -> None:
    created = json.loads(cli(server, "run", "demo/sleep", "seconds=0.3", "--no-wait", "--json").stdout)
    assert created["status"] in ("starting", "processing")
    waited = cli(server, "predictions", "wait", created["id"])
    assert waited.returncode == 0 and waited.stdout == "0.3\n"
    got = json.loads(cli(server, "predictions", "get", created["id"], "--json").stdout)
    assert got["status"] == "succeeded" and got["output"] == 0.3
    record = cli(server, "predictions", "get", created["id"]).stdout.splitlines()
    assert f"id: {created['id']}" in record and "status: succeeded" in record and "output: 0.3" in record

    long = json.loads(cli(server, "run", "demo/sleep", "seconds=30", "--no-wait", "--json").stdout)
    canceled = cli(server, "predictions", "cancel", long["id"], "--json")
    assert json.loads(canceled.stdout)["id"] == long["id"]
    assert cli(server, "predictions", "wait", long["id"]).returncode == 1  # canceled

    lines = cli(server, "predictions", "list", "--limit", "2", "--json").stdout.splitlines()
    assert [json.loads(line)["id"] for line in lines] == [long["id"], created["id"]]
    rows = cli(server, "predictions", "list", "--limit", "1").stdout.splitlines()
    assert rows == [f"{long['id']}\tdemo/sleep\tcanceled\t{long['created_at']}"]


def test_file_inputs_input_json_and_references_to_a_piped_prediction(server: LocalReplicate, tmp_path: Path) -> None:
    big = tmp_path / "big.bin"
    big.write_bytes(os.urandom(300 * 1024))  # over the inline limit: uploaded through the files API
    sent = cli(server, "run", "test/file-info", f"file=@{big}", "--json")
    assert sent.returncode == 0, sent.stderr
    assert json.loads(sent.stdout)["output"] == {
        "size": 300 * 1024,
        "sha256": hashlib.sha256(big.read_bytes()).hexdigest(),
    }
    missing = cli(server, "run", "test/file-info", f"file=@{tmp_path / 'nope.png'}")
    assert missing.returncode == 2 and "no such file" in missing.stderr

    given = cli(server, "run", "test/echo", "--input-json", "-", "count=3", stdin='{"text": "from json", "count": 1}')
    assert json.loads(given.stdout)["text"] == "from json" and json.loads(given.stdout)["count"] == 3

    fractal = cli(server, "run", "demo/fractal", "width=16", "height=16", "--json", "--save", str(tmp_path)).stdout
    for value in ("@{{output}}", "@{{ .output }}"):
        chained = cli(server, "run", "test/file-info", f"file={value}", "--json", stdin=fractal)
        png = (tmp_path / "fractal.png").read_bytes()
        assert json.loads(chained.stdout)["output"]["sha256"] == hashlib.sha256(png).hexdigest(), chained.stderr
    texts = cli(
        server, "run", "test/echo", "text=id {{id}} of {{model}}", "ratio={{input.width}}", "--json", stdin=fractal
    )
    output = json.loads(texts.stdout)["output"]
    assert output["text"] == f"id {json.loads(fractal)['id']} of demo/fractal" and output["ratio"] == 16
    wrong = cli(server, "run", "test/echo", "text={{output[3]}}", stdin=fractal)
    assert wrong.returncode == 2 and "is not a list" in wrong.stderr
    nothing_piped = cli(server, "run", "test/echo", "text={{output}}", stdin="")
    assert nothing_piped.returncode == 2 and "JSON" in nothing_piped.stderr


def test_api_and_network_errors_exit_3(server: LocalReplicate) -> None:
    missing = cli(server, "models", "get", "nobody/nothing")
    assert missing.returncode == 3 and missing.stderr.startswith("replicate-ext: models.get: 404")
    # Nothing listens on port 9: a network error (after the client's retries), a traceback only with --debug.
    unreachable = environment(None, REPLICATE_API_TOKEN="r8_x", REPLICATE_BASE_URL="http://127.0.0.1:9")
    debug = cli(None, "account", "--debug", env=unreachable)
    assert debug.returncode == 3 and "Traceback" in debug.stderr
    assert debug.stderr.splitlines()[-1].startswith("replicate-ext: ")


def _under_a_terminal(args: list[str], env: dict[str, str]) -> tuple[int, bytes]:
    """Run the command with standard input, output and error on a pseudo-terminal; return its status and output."""
    controller, terminal = pty.openpty()
    fcntl.ioctl(terminal, termios.TIOCSWINSZ, struct.pack("HHHH", 40, 120, 0, 0))
    process = subprocess.Popen([CLI, *args], stdin=terminal, stdout=terminal, stderr=terminal, env=env)
    os.close(terminal)
    received = b""
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        ready, _, _ = select.select([controller], [], [], 1.0)
        if not ready:
            if process.poll() is not None:
                break
            continue
        try:
            chunk = os.read(controller, 65536)
        except OSError:  # the terminal closed when the process ended
            break
        if not chunk:
            break
        received += chunk
    os.close(controller)
    return process.wait(timeout=30), received


def test_progress_is_drawn_on_a_terminal_and_absent_when_piped(server: LocalReplicate) -> None:
    args = ["run", "demo/sleep", "seconds=1.2"]  # logs a tqdm progress line every 0.24 s
    status, shown = _under_a_terminal(args, environment(server, TERM="xterm-256color"))
    assert status == 0
    assert b"\x1b[" in shown  # drawn with escape sequences
    assert b"%" in shown and b"processing" in shown  # the status and the percentage from the model's progress
    assert b"1.2\r\n" in shown and b"succeeded in" in shown
    args = ["run", "demo/sleep", "seconds=0.6"]  # progress lines still come, and must not be drawn
    status, plain = _under_a_terminal(args, environment(server, TERM="xterm-256color", NO_COLOR="1"))
    assert status == 0 and b"\x1b" not in plain and b"%" not in plain
    piped = cli(server, *args)
    assert piped.returncode == 0 and piped.stderr == "" and "\x1b" not in piped.stdout
    assert piped.stdout == "0.6\n"  # the output alone


def test_large_downloads_get_a_bar_on_a_terminal(server: LocalReplicate, tmp_path: Path) -> None:
    status, shown = _under_a_terminal(
        ["run", "test/big-file", "megabytes=3", "--save", str(tmp_path)], environment(server, TERM="xterm-256color")
    )
    assert status == 0 and (tmp_path / "big.bin").stat().st_size == 3 * 1024 * 1024
    assert b"big.bin" in shown and b"MB" in shown  # the download bar: its label and the bytes received


@pytest.mark.parametrize("command", ["run", "stream"])
def test_ctrl_c_the_moment_the_create_returns_still_cancels(
    command: str, server: LocalReplicate, client: replicate_ext.Client, monkeypatch: pytest.MonkeyPatch
) -> None:
    # In process: the interrupt lands just as the create has returned and Ctrl-C is no longer held back (a real
    # Ctrl-C can land there too, if rarely). The prediction must still be canceled.
    import contextlib

    from replicate_ext.cli import _run, main

    @contextlib.contextmanager
    def released_at_once() -> Iterator[list[int]]:
        yield []
        raise KeyboardInterrupt

    monkeypatch.setenv("REPLICATE_API_TOKEN", server.token)
    monkeypatch.setenv("REPLICATE_BASE_URL", server.url)
    monkeypatch.setattr(_run, "interrupts_deferred", released_at_once)
    assert main([command, "demo/sleep", "seconds=30"]) == 130
    latest = client.predictions.list().results[0]
    assert latest.input == {"seconds": 30} and latest.wait().status == "canceled"
