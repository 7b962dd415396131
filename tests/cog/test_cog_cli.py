"""`replicate-ext serve` with Cog models, run as a real process: the example model, and models it refuses."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest

import replicate_ext
from replicate_ext import PredictionCanceledError

from ..local.helpers import refused, serve
from .support import EXAMPLE, MODELS, requires_cog

pytestmark = requires_cog

SCRIPT = (str(Path(sys.executable).parent / "replicate-ext"),)


def test_serve_the_example_and_run_stream_and_cancel_it() -> None:
    with serve("serve", "--port", "0", "--min-cancel-after", "0.2", "--models", f"me/hello={EXAMPLE}",
               command=SCRIPT) as (process, lines):  # fmt: skip
        assert lines[0].startswith("listening on http://127.0.0.1:")
        url, token = lines[0].removeprefix("listening on "), lines[1].removeprefix("token: ").split()[0]
        with replicate_ext.Client(api_token=token, base_url=url) as client:
            output = client.run("me/hello", input={"name": "Ada", "times": 2, "delay": 0})
            assert "".join(output) == "Hello, Ada! Hello, Ada! "
            streamed = [str(event) for event in client.stream("me/hello", input={"times": 3, "delay": 0})]
            assert "".join(streamed) == "Hello, world! " * 3
            with pytest.raises(PredictionCanceledError):
                client.run("me/hello", input={"times": 50, "delay": 0.2}, cancel_after=0.5)
            prediction = client.predictions.create(model="me/hello", input={"times": 50, "delay": 0.2})
            while not prediction.output:
                time.sleep(0.05)
                prediction.reload()
            prediction.cancel()
            prediction.wait()
            assert prediction.status == "canceled" and 1 <= len(prediction.output) < 50
            assert prediction.logs is not None and prediction.logs.startswith("greeting 1 of 50")
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=30) == 0


def test_a_failed_setup_is_reported_when_the_server_starts() -> None:
    with serve("--port", "0", "--models", f"me/broken={MODELS / 'broken'}", "--models", "demo") as (process, lines):
        assert lines[0].startswith("listening on")
        assert process.stderr is not None
        assert process.stderr.readline() == (
            "replicate-ext: me/broken: setup() failed: RuntimeError: weights missing; its predictions will fail, "
            "with the setup's logs.\n"
        )


def test_cog_models_that_cannot_be_served_are_refused_with_one_line(tmp_path: Path) -> None:
    folder = tmp_path / "model"
    folder.mkdir()
    (folder / "cog.yaml").write_text("build:\n  python_version: '3.11'\n")
    (folder / "predict.py").write_text("from cog import BaseRunner\nimport torchy\n")
    assert refused("--models", "me/x=model", cwd=tmp_path) == (
        'replicate-ext: model/cog.yaml has no `predict:` entry: add `predict: "predict.py:Predictor"`, the file '
        "and class that run predictions."
    )
    assert "model/predict.py:2: importing it failed: there is no module named 'torchy'" in refused(
        "--models", "me/x=model/predict.py:Runner", cwd=tmp_path
    )
    without_cog = (sys.executable, "-c", "import sys; sys.modules['cog'] = None; "
                   "from replicate_ext.local._cli import main; sys.exit(main())", "serve")  # fmt: skip
    assert refused("--models", "me/x=model/predict.py:Runner", cwd=tmp_path, command=without_cog) == (
        "replicate-ext: model/predict.py:Runner is a Cog model, and serving it needs Cog: "
        "pip install 'replicate-ext[cog]'"
    )


def _processes_with(marker: str) -> list[int]:
    """The processes whose environment holds `marker` (Linux: /proc)."""
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if marker.encode() in (entry / "environ").read_bytes():
                    found.append(int(entry.name))
            except OSError:
                continue
    return found


@pytest.mark.skipif(not Path("/proc/self/environ").exists(), reason="finding the processes left needs /proc")
def test_stopping_the_server_while_a_model_sets_up_leaves_no_process_behind(tmp_path: Path) -> None:
    folder = tmp_path / "slow"
    folder.mkdir()
    (folder / "cog.yaml").write_text('predict: "predict.py:Runner"\n')
    (folder / "predict.py").write_text(
        "import time\nfrom cog import BaseRunner\n\n\nclass Runner(BaseRunner):\n    def setup(self) -> None:\n"
        "        time.sleep(60)\n\n    def run(self, text: str) -> str:\n        return text\n"
    )
    marker = f"REPLICATE_EXT_TEST_RUN={uuid.uuid4().hex}"
    name, _, value = marker.partition("=")
    process = subprocess.Popen(
        [*SCRIPT, "serve", "--port", "0", "--models", f"me/slow={folder}"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, name: value},
    )
    try:
        deadline = time.monotonic() + 60
        while len(_processes_with(marker)) < 3 and time.monotonic() < deadline:  # serve, coglet, its worker
            time.sleep(0.1)
        assert len(_processes_with(marker)) >= 3
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=30) == 130
        assert process.stdout is not None and process.stdout.read() == ""
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
        for stream in (process.stdout, process.stderr):
            if stream is not None:
                stream.close()
    assert _processes_with(marker) == []
