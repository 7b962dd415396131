"""Predictors the end-to-end tests register on the local server, besides the built-in demo models."""

from __future__ import annotations

import hashlib
import shutil
import tempfile
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from replicate_ext.local import BasePredictor, Input


def echo(text: str = Input(default="", description="Returned as it came"), number: int = 0) -> dict[str, Any]:
    """Returns its inputs."""
    return {"text": text, "number": number}


def file_info(file: Path) -> dict[str, Any]:
    """Describes the file it was given."""
    data = file.read_bytes()
    return {"size": len(data), "sha256": hashlib.sha256(data).hexdigest(), "suffix": file.suffix}


def upscale(image: Path, scale: int = Input(default=2, ge=1, le=4)) -> Path:
    """Pretends to upscale an image: returns a copy of it."""
    target = Path(tempfile.mkdtemp()) / f"upscaled-x{scale}{image.suffix}"
    shutil.copyfile(image, target)
    return target


class SlowTrainer(BasePredictor):
    """A model whose training takes a while (and can be canceled in the middle of it)."""

    def predict(self, text: str = "") -> str:
        return text

    def train(self, seconds: float = Input(default=1.0, ge=0, le=30)) -> Path:
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            time.sleep(0.02)
        target = Path(tempfile.mkdtemp()) / "weights.json"
        target.write_text('{"trained": true}', encoding="utf-8")
        return target


def sample(prompt: str = "", temperature: float = Input(default=0.75, ge=0, le=5)) -> str:
    """A different answer every time, as a sampling model gives: tells its predictions apart."""
    return f"{prompt} #{uuid.uuid4().hex}"


def words(count: int = 3) -> Iterator[str]:
    """Yields words one at a time (an iterator output that is not concatenated text)."""
    for index in range(count):
        yield f"word{index}"


def typed(
    prompt: str = Input(description="What to make", min_length=1, max_length=40),
    mode: str = Input(default="fast", choices=["fast", "slow"]),
    steps: int = Input(default=4, ge=1, le=10),
    strength: float = Input(default=0.5, ge=0.0, le=1.0),
    code: str = Input(default="a1", regex=r"^[a-z][0-9]$"),
    flag: bool = False,
    seed: int | None = None,
    images: list[Path] | None = None,
) -> dict[str, Any]:
    """Takes one input of every kind a schema can check, and says what it got."""
    sizes = [image.stat().st_size for image in images or []]
    return {"prompt": prompt, "mode": mode, "steps": steps, "strength": strength, "seed": seed, "sizes": sizes}


MODELS = {
    "test/echo": echo,
    "test/typed": typed,
    "test/file-info": file_info,
    "test/upscale": upscale,
    "test/words": words,
    "test/sample": sample,
    "test/slow-trainer": SlowTrainer,
}
