"""Capturing a predictor's output as the prediction's logs.

While a predictor runs, `sys.stdout` and `sys.stderr` are proxies that send each write to the sink of the
prediction running in the current context (a `ContextVar`: it follows asyncio tasks and is copied into the
worker thread of a sync predictor), and to the real stream otherwise. A `logging` handler does the same for
log records. Text is split into lines, and a carriage return ends a line too: tqdm redraws its progress bar
with `\\r`, and Replicate's logs show each redraw on its own line.
"""

from __future__ import annotations

import io
import logging
import sys
import threading
from collections.abc import Callable
from contextvars import ContextVar
from typing import Any, TextIO

__all__ = [
    "LineSplitter",
    "LogSink",
    "current_sink",
    "ensure_streams",
    "install_capture",
    "uninstall_capture",
]


class LineSplitter:
    """Split written text into lines; `\\n`, `\\r\\n` and a lone `\\r` each end a line.

    A `\\r` that ends an empty line is dropped (tqdm writes `\\r` before each redraw, so `"\\rA\\rB\\n"` is
    the two lines `A` and `B`), but an empty line ended by `\\n` is kept, as `print()` writes it.
    """

    def __init__(self) -> None:
        self._partial: list[str] = []
        self._last_was_cr = False

    def feed(self, text: str) -> list[str]:
        """Add `text`; return the lines it completed, without their line breaks."""
        lines: list[str] = []
        start = 0
        for index, char in enumerate(text):
            if char != "\n" and char != "\r":
                continue
            self._partial.append(text[start:index])
            start = index + 1
            line = "".join(self._partial)
            self._partial.clear()
            if char == "\r":
                if line:
                    lines.append(line)
                self._last_was_cr = True
            else:
                if line or not self._last_was_cr:
                    lines.append(line)
                self._last_was_cr = False
        if start < len(text):
            self._partial.append(text[start:])
            self._last_was_cr = False
        return lines

    @property
    def partial(self) -> str:
        """The text of the line not yet ended."""
        return "".join(self._partial)

    def flush(self) -> list[str]:
        """End the pending line, if any."""
        line = self.partial
        self._partial.clear()
        return [line] if line else []


class LogSink:
    """Where one prediction's output goes: complete lines are handed to `on_lines` on the event loop.

    Writes may come from the loop thread (async predictors) or a worker thread (sync ones); from a worker
    thread the lines are passed to the loop with `call_soon_threadsafe`.
    """

    def __init__(self, on_lines: Callable[[list[str]], None], call_soon_threadsafe: Callable[..., Any]) -> None:
        self._splitter = LineSplitter()
        self._lock = threading.Lock()
        self._on_lines = on_lines
        self._call_soon_threadsafe = call_soon_threadsafe
        self._loop_thread = threading.get_ident()

    def write(self, text: str) -> None:
        """Take some text; deliver the lines it completes."""
        with self._lock:
            lines = self._splitter.feed(text)
        if lines:
            self._deliver(lines)

    def flush(self) -> None:
        """Deliver the pending partial line (at the end of a prediction)."""
        with self._lock:
            lines = self._splitter.flush()
        if lines:
            self._deliver(lines)

    def _deliver(self, lines: list[str]) -> None:
        if threading.get_ident() == self._loop_thread:
            self._on_lines(lines)
        else:
            self._call_soon_threadsafe(self._on_lines, lines)


current_sink: ContextVar[LogSink | None] = ContextVar("replicate_ext_local_log_sink", default=None)


class _RoutedStream(io.TextIOBase):
    """A stand-in for `sys.stdout`/`sys.stderr` that sends writes to the current prediction's sink."""

    def __init__(self, original: TextIO) -> None:
        super().__init__()
        self.original = original

    def write(self, text: str) -> int:
        sink = current_sink.get()
        if sink is None:
            return self.original.write(text)
        sink.write(text)
        return len(text)

    def flush(self) -> None:
        if current_sink.get() is None:
            self.original.flush()

    def isatty(self) -> bool:
        return current_sink.get() is None and self.original.isatty()

    def fileno(self) -> int:
        return self.original.fileno()

    @property
    def encoding(self) -> str:  # type: ignore[override]
        return getattr(self.original, "encoding", "utf-8") or "utf-8"

    def __getattr__(self, name: str) -> Any:
        return getattr(self.original, name)


class _SinkHandler(logging.Handler):
    """Sends log records emitted inside a prediction to its logs; elsewhere behaves as logging's last resort."""

    def __init__(self) -> None:
        super().__init__(logging.NOTSET)
        self.setFormatter(logging.Formatter("%(message)s"))

    def emit(self, record: logging.LogRecord) -> None:
        sink = current_sink.get()
        if sink is not None:
            try:
                sink.write(self.format(record) + "\n")
            except Exception:
                self.handleError(record)
            return
        root = logging.getLogger()
        if all(handler is self for handler in root.handlers) and logging.lastResort is not None:
            if record.levelno >= logging.lastResort.level:
                logging.lastResort.handle(record)


_install_lock = threading.Lock()
_installed = 0
_handler: _SinkHandler | None = None


def install_capture() -> None:
    """Route stdout, stderr and logging through the prediction sinks (reference counted)."""
    global _installed, _handler
    with _install_lock:
        _installed += 1
        if _installed > 1:
            return
        ensure_streams()
        _handler = _SinkHandler()
        logging.getLogger().addHandler(_handler)


def ensure_streams() -> None:
    """Put the routing proxies on `sys.stdout`/`sys.stderr` if something (a test runner's capture) replaced them.

    Called as each prediction starts: pytest, for one, swaps `sys.stdout` between test phases.
    """
    if not isinstance(sys.stdout, _RoutedStream):
        sys.stdout = _RoutedStream(sys.stdout)
    if not isinstance(sys.stderr, _RoutedStream):
        sys.stderr = _RoutedStream(sys.stderr)


def uninstall_capture() -> None:
    """Undo `install_capture()` once the last server using it has stopped."""
    global _installed, _handler
    with _install_lock:
        _installed -= 1
        if _installed > 0:
            return
        _installed = 0
        if isinstance(sys.stdout, _RoutedStream):
            sys.stdout = sys.stdout.original
        if isinstance(sys.stderr, _RoutedStream):
            sys.stderr = sys.stderr.original
        if _handler is not None:
            logging.getLogger().removeHandler(_handler)
            _handler = None
