"""`make demo` runs examples/demo.py: it must work with no token and no network, and leave the PNG it names."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

DEMO = Path(__file__).resolve().parents[2] / "examples" / "demo.py"


def test_the_demo_runs_a_model_and_streams_another(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("REPLICATE_")}
    env["NO_PROXY"] = "*"  # loopback only
    result = subprocess.run(
        [sys.executable, str(DEMO)], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120, check=False
    )
    assert result.returncode == 0, result.stderr
    image = tmp_path / "fractal.png"
    assert image.read_bytes().startswith(b"\x89PNG\r\n\x1a\n")
    assert str(image) in result.stdout
    assert "demo/stream-text: Hello from make demo." in result.stdout
    assert "Server stopped." in result.stdout
