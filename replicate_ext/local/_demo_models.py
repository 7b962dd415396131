"""The built-in models under the owner `demo`: fractal, stream-text, sleep and fail.

They need nothing but the standard library, so `make demo` runs on a fresh machine with no network.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import os
import struct
import sys
import tempfile
import time
import zlib
from pathlib import Path
from typing import Any

from ._types import AsyncConcatenateIterator, BasePredictor, Input

__all__ = ["DEMO_MODELS", "Fractal", "fail", "sleep", "stream_text"]

_DEFAULT_PALETTE = ["#000764", "#206bcb", "#edffff", "#ffaa00", "#000200"]
_VIEWS = (  # interesting places of the Mandelbrot set: (center x, center y, width)
    (-0.5, 0.0, 3.0),
    (-0.743643887, 0.131825904, 0.02),
    (-0.1011, 0.9563, 0.05),
    (-1.25066, 0.02012, 0.02),
    (0.001643721971153, -0.822467633298876, 0.05),
    (-0.7453, 0.1127, 0.01),
)


def _progress(done: int, total: int, started: float) -> str:
    """A progress line in tqdm's format, e.g. ` 40%|████      | 2/5 [00:00<00:00, 9.90it/s]`."""
    fraction = done / total if total else 1.0
    filled = int(fraction * 10)
    elapsed = time.monotonic() - started
    rate = done / elapsed if elapsed > 0 else 0.0
    remaining = (total - done) / rate if rate > 0 else 0.0

    def clock(seconds: float) -> str:
        return f"{int(seconds) // 60:02d}:{int(seconds) % 60:02d}"

    bar = "█" * filled + " " * (10 - filled)
    return f"{int(fraction * 100):3d}%|{bar}| {done}/{total} [{clock(elapsed)}<{clock(remaining)}, {rate:.2f}it/s]"


def _hex_rgb(color: str) -> tuple[int, int, int]:
    text = color.strip().lstrip("#")
    if len(text) != 6:
        raise ValueError(f"{color!r} is not a color like '#ff8800'.")
    value = int(text, 16)
    return (value >> 16) & 255, (value >> 8) & 255, value & 255


def _png(width: int, height: int, rows: list[bytes]) -> bytes:
    """An 8-bit RGB PNG (RFC 2083) from raw rows, with zlib only."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    raw = b"".join(b"\x00" + row for row in rows)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(raw, 6)) + chunk(b"IEND", b"")


def _output_path(name: str, key: str) -> Path:
    """A stable place for an output: the same inputs reuse the same file instead of piling up temp files."""
    folder = Path(tempfile.gettempdir()) / "replicate-ext-local-demo" / hashlib.sha256(key.encode()).hexdigest()[:24]
    folder.mkdir(parents=True, exist_ok=True)
    return folder / name


def _write_atomically(path: Path, data: bytes) -> None:
    partial = path.with_name(f".{path.name}.{os.getpid()}.{time.monotonic_ns()}")
    partial.write_bytes(data)
    os.replace(partial, path)


class Fractal(BasePredictor):
    """Draws a Mandelbrot fractal as a PNG image, in pure Python.

    The prompt and the seed choose the view; the same inputs always give the same image. Progress is logged
    the way tqdm prints it. Train it with a list of colors to get a version of your own model that paints
    with your palette.
    """

    def setup(self, weights: Path | None = None) -> None:
        palette = _DEFAULT_PALETTE
        if weights is not None:
            palette = json.loads(Path(weights).read_text(encoding="utf-8"))["palette"]
            print(f"Loaded a palette of {len(palette)} colors")
        self.palette = [_hex_rgb(color) for color in palette]

    def predict(
        self,
        prompt: str = Input(default="a fractal", description="Text that picks the view, with the seed"),
        width: int = Input(default=128, ge=16, le=1024, description="Width of the image in pixels"),
        height: int = Input(default=128, ge=16, le=1024, description="Height of the image in pixels"),
        seed: int = Input(default=0, ge=0, description="Random seed; the same seed and prompt give the same image"),
    ) -> Path:
        digest = hashlib.sha256(f"{prompt}\x00{seed}".encode()).digest()
        cx, cy, view = _VIEWS[digest[0] % len(_VIEWS)]
        shift = digest[1] / 255.0
        iterations = 64
        print(f"Using seed: {seed}")
        print(f"Prompt: {prompt}")
        print(f"Rendering {width}x{height} around ({cx}, {cy})")
        scale = view / width
        colors = self._gradient(iterations, shift)
        rows: list[bytes] = []
        started = time.monotonic()
        steps = 10
        sys.stderr.write("\r" + _progress(0, steps, started))
        for y in range(height):
            ci = cy + (y - height / 2) * scale
            row = bytearray()
            for x in range(width):
                cr = cx + (x - width / 2) * scale
                zr = zi = 0.0
                n = 0
                while n < iterations and zr * zr + zi * zi <= 4.0:
                    zr, zi = zr * zr - zi * zi + cr, 2.0 * zr * zi + ci
                    n += 1
                row += colors[n]
            rows.append(bytes(row))
            if (y + 1) * steps // height != y * steps // height:
                sys.stderr.write("\r" + _progress((y + 1) * steps // height, steps, started))
        sys.stderr.write("\n")
        path = _output_path("fractal.png", f"{prompt}\x00{seed}\x00{width}x{height}\x00{self.palette}")
        _write_atomically(path, _png(width, height, rows))
        print(f"Wrote {path.name}")
        return path

    def _gradient(self, iterations: int, shift: float) -> list[bytes]:
        palette = self.palette
        colors = []
        for n in range(iterations):
            position = ((n / iterations) * 3 + shift) % 1.0 * (len(palette) - 1)
            low = int(position)
            high = min(low + 1, len(palette) - 1)
            t = position - low
            colors.append(bytes(int(palette[low][i] * (1 - t) + palette[high][i] * t) for i in range(3)))
        colors.append(b"\x00\x00\x00")  # inside the set
        return colors

    def train(
        self,
        colors: str = Input(
            default="#000000,#3b0f70,#8c2981,#fe9f6d,#fcfdbf",
            description="Comma-separated hex colors, from the outside of the set inwards",
        ),
        steps: int = Input(default=4, ge=1, le=20, description="How many passes to 'learn' the palette over"),
    ) -> Path:
        palette = [c.strip() for c in colors.split(",") if c.strip()]
        if len(palette) < 2:
            raise ValueError("Give at least two colors.")
        for color in palette:
            _hex_rgb(color)
        started = time.monotonic()
        for step in range(steps):
            print(f"Learning the palette: pass {step + 1}/{steps}")
            sys.stderr.write("\r" + _progress(step + 1, steps, started))
        sys.stderr.write("\n")
        path = _output_path("palette.json", ",".join(palette))
        _write_atomically(path, json.dumps({"palette": palette}).encode())
        return path


_WORDS = (
    "This text streams from a model running on your own machine, one token at a time, through the same "
    "server-sent events Replicate sends, so code that reads a stream can be tested without a network."
).split()


async def stream_text(
    prompt: str = Input(default="Hello", description="Text the model echoes before it goes on"),
    max_tokens: int = Input(default=32, ge=1, le=4096, description="How many tokens to stream"),
    delay: float = Input(default=0.02, ge=0.0, le=5.0, description="Seconds between tokens"),
) -> AsyncConcatenateIterator[str]:
    """Streams text token by token: the prompt's words, then a fixed text, up to max_tokens tokens."""
    print(f"Generating up to {max_tokens} tokens")
    words = [*prompt.split(), "—", *_WORDS]
    for index in range(max_tokens):
        await asyncio.sleep(delay)
        token = words[index % len(words)]
        yield token if index == 0 else " " + token
    print(f"Generated {max_tokens} tokens")


async def sleep(
    seconds: float = Input(default=1.0, ge=0.0, le=3600.0, description="How long to wait, in seconds"),
) -> float:
    """Waits for the given number of seconds, logging progress; returns the seconds waited."""
    steps = 5
    started = time.monotonic()
    print(f"Sleeping for {seconds:g} seconds")
    for step in range(steps):
        await asyncio.sleep(seconds / steps)
        sys.stderr.write("\r" + _progress(step + 1, steps, started))
    sys.stderr.write("\n")
    return seconds


def fail(
    message: str = Input(default="This prediction failed on purpose.", description="The error to fail with"),
) -> str:
    """Fails with the given message (after logging a line), to test error handling."""
    print("About to fail, as asked")
    raise RuntimeError(message)


DEMO_MODELS: dict[str, Any] = {
    "demo/fractal": Fractal,
    "demo/stream-text": stream_text,
    "demo/sleep": sleep,
    "demo/fail": fail,
}
