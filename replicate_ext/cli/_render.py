"""Everything the command line prints: JSON, plain text when piped, and colours, tables and progress on a terminal.

Output follows where it goes. Standard output gets the results: JSON with `--json` (JSON Lines for lists), stable
plain text when it is piped (tab-separated lists without a header, `key: value` records), and aligned, coloured
tables on a terminal. Standard error gets messages, and on a terminal the live displays (a status line with a
progress bar, download bars). Colours and live displays need a terminal, `NO_COLOR` unset and a `TERM` other than
`dumb`; they are drawn with rich, which is imported only then (it is the `cli` extra: without it, a one-line hint
says how to install it and the output stays plain).

The live display is generic, so that other long-running commands reuse it: `Renderer.activity(label, total=N)`
gives an `Activity` whose `update(completed=..., detail="12 done · 1 failed · 3.2/s · ETA 0:45")` redraws one
status line with a bar; `Renderer.transfer(label)` gives a callback for download progress.
"""

from __future__ import annotations

import contextlib
import itertools
import json
import os
import sys
from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import IO, TYPE_CHECKING, Any, NamedTuple

if TYPE_CHECKING:
    from rich.console import Console
    from rich.progress import Progress, TaskID

__all__ = ["EXTRA_HINT", "Activity", "Column", "Renderer", "status_style", "terminal_wanted"]

EXTRA_HINT = "pip install 'replicate-ext[cli]'"

# A download gets a bar when it is at least this large, or of unknown size.
LARGE_DOWNLOAD = 1024 * 1024

_STATUS_STYLES = {
    "succeeded": "green",
    "failed": "red",
    "canceled": "yellow",
    "aborted": "yellow",
    "processing": "cyan",
    "starting": "dim",
}


def status_style(status: str) -> str | None:
    """The colour of a prediction or training status."""
    return _STATUS_STYLES.get(status)


def terminal_wanted(stream: IO[str], environ: dict[str, str] | os._Environ[str] = os.environ) -> bool:
    """Whether `stream` gets colours and live displays: a terminal, `NO_COLOR` unset (no-color.org) and a
    `TERM` that can draw them."""
    try:
        tty = stream.isatty()
    except (AttributeError, ValueError):
        return False
    return tty and not environ.get("NO_COLOR") and environ.get("TERM") != "dumb"


class Column(NamedTuple):  # not a dataclass: `dataclasses` costs `--help` several milliseconds
    """A column of a table: its header, its widest width on a terminal, and an optional style per value."""

    header: str
    max_width: int = 40
    style: Callable[[str], str | None] | None = None


class Activity:
    """A live status line on standard error (a no-op when standard error is not a terminal)."""

    def __init__(self, progress: Progress | None = None, task: TaskID | None = None) -> None:
        self._progress = progress
        self._task = task

    def update(
        self,
        *,
        label: str | None = None,
        status: str | None = None,
        fraction: float | None = None,
        completed: float | None = None,
        total: float | None = None,
        detail: str | None = None,
    ) -> None:
        """Redraw with what changed: the label, a status word (coloured), how far along it is (a fraction of 1,
        or `completed` of `total`), and a free text after the bar."""
        if self._progress is None or self._task is None:
            return
        fields: dict[str, Any] = {}
        if label is not None or status is not None:
            fields["description"] = _describe(label or self._progress.tasks[0].fields.get("label", ""), status)
            if label is not None:
                fields["label"] = label
        if fraction is not None:
            fields["completed"], fields["total"] = max(0.0, min(fraction, 1.0)) * 100, 100
        if completed is not None:
            fields["completed"] = completed
        if total is not None:
            fields["total"] = total
        if detail is not None:
            fields["detail"] = detail
        self._progress.update(self._task, **fields)

    def stop(self) -> None:
        """Remove the status line now (it is also removed when the activity ends). Idempotent."""
        if self._progress is not None:
            self._progress.stop()
            self._progress = None


def _describe(label: str, status: str | None) -> str:
    if not status:
        return label
    style = status_style(status)
    word = f"[{style}]{status}[/]" if style else status
    return f"{label} {word}" if label else word


class Renderer:
    """Where and how a command's output goes (see the module's docstring)."""

    def __init__(
        self,
        *,
        json_mode: bool = False,
        stdout: IO[str] | None = None,
        stderr: IO[str] | None = None,
        environ: dict[str, str] | os._Environ[str] = os.environ,
    ) -> None:
        self.json_mode = json_mode
        self.stdout = stdout or sys.stdout
        self.stderr = stderr or sys.stderr
        self.styled = terminal_wanted(self.stdout, environ)
        """Whether standard output gets colours and aligned tables."""
        self.live = terminal_wanted(self.stderr, environ)
        """Whether standard error gets live displays (status line, progress bars)."""
        self._consoles: dict[bool, Console] = {}

    # -- rich, on demand ------------------------------------------------------------------------------------------

    def _console(self, *, stderr: bool) -> Console | None:
        """A rich console for the stream, when it is a terminal and rich is installed; None otherwise."""
        if not (self.live if stderr else self.styled):
            return None
        console = self._consoles.get(stderr)
        if console is None:
            try:
                from rich.console import Console
            except ImportError:
                self.styled = self.live = False
                self.message(f"replicate-ext: colours and progress bars need rich: {EXTRA_HINT}")
                return None
            console = self._consoles[stderr] = Console(file=self.stderr if stderr else self.stdout, highlight=False)
        return console

    def terminal(self) -> bool:
        """Whether standard output is drawn for a terminal (with rich); False when it gets plain text."""
        return self._console(stderr=False) is not None

    # -- standard output ------------------------------------------------------------------------------------------

    def json(self, data: Any) -> None:
        """One JSON document, indented."""
        self.write(json.dumps(data, indent=2, ensure_ascii=False, default=str) + "\n")

    def json_line(self, data: Any) -> None:
        """One line of JSON Lines."""
        self.write(json.dumps(data, ensure_ascii=False, default=str, separators=(",", ":")) + "\n")

    def write(self, text: str) -> None:
        """Text on standard output as it is, flushed at once (streamed output arrives as it is produced)."""
        self.stdout.write(text)
        self.stdout.flush()

    def record(self, fields: Sequence[tuple[str, Any]], styles: dict[str, str | None] | None = None) -> None:
        """An object as `key: value` lines (the fields whose value is None are left out)."""
        shown = [(key, _text(value)) for key, value in fields if value is not None and value != ""]
        console = self._console(stderr=False)
        if console is None:
            self.write("".join(f"{key}: {value}\n" for key, value in shown))
            return
        from rich.table import Table

        grid = Table.grid(padding=(0, 2))
        grid.add_column(style="bold", no_wrap=True)
        grid.add_column(overflow="fold")
        for key, value in shown:
            style = (styles or {}).get(key)
            grid.add_row(key, f"[{style}]{_escape(value)}[/]" if style else _escape(value))
        console.print(grid)

    def table(self, columns: Sequence[Column], rows: Iterable[Sequence[str]], *, wrap: bool = False) -> int:
        """Rows of text, as they come; returns how many were printed.

        Piped: tab-separated values without a header, one row per line (tabs and newlines in a value become
        spaces). On a terminal: a header and aligned columns, sized on the first rows (later rows are cut to fit);
        with `wrap`, long values are wrapped instead (every row is read first, for small tables).
        """
        console = self._console(stderr=False)
        if console is None:
            count = 0
            for row in rows:
                self.write("\t".join(_one_line(cell) for cell in row) + "\n")
                count += 1
            return count
        if wrap:
            return self._wrapped_table(console, columns, list(rows))
        return self._aligned_table(console, columns, iter(rows))

    def _wrapped_table(self, console: Console, columns: Sequence[Column], rows: list[Sequence[str]]) -> int:
        from rich import box
        from rich.table import Table

        table = Table(box=box.SIMPLE_HEAD, show_edge=False, pad_edge=False)
        for column in columns:
            table.add_column(column.header, overflow="fold")
        for row in rows:
            table.add_row(*(self._styled_cell(column, cell) for column, cell in zip(columns, row, strict=True)))
        if rows:
            console.print(table)
        return len(rows)

    def _aligned_table(self, console: Console, columns: Sequence[Column], rows: Iterator[Sequence[str]]) -> int:
        from rich.text import Text

        first = list(itertools.islice(rows, 100))
        if not first:
            return 0
        widths = [
            min(column.max_width, max(len(column.header), *(len(_one_line(row[i])) for row in first)))
            for i, column in enumerate(columns)
        ]

        def line(cells: Sequence[Text]) -> Text:
            out = Text()
            for index, (cell, width) in enumerate(zip(cells, widths, strict=True)):
                if index:
                    out.append("  ")
                last = index == len(cells) - 1
                cell.truncate(width, overflow="ellipsis", pad=not last)
                out.append_text(cell)
            return out

        console.print(line([Text(c.header, style="bold") for c in columns]), no_wrap=True, crop=True)
        count = 0
        for row in itertools.chain(first, rows):
            cells = [
                Text(_one_line(cell), style=(column.style(cell) if column.style else None) or "")
                for column, cell in zip(columns, row, strict=True)
            ]
            console.print(line(cells), no_wrap=True, crop=True, overflow="ellipsis")
            count += 1
        return count

    def _styled_cell(self, column: Column, cell: str) -> str:
        style = column.style(cell) if column.style else None
        return f"[{style}]{_escape(cell)}[/]" if style else _escape(cell)

    # -- standard error -------------------------------------------------------------------------------------------

    def message(self, text: str) -> None:
        """A line on standard error, always (errors, failures, what was canceled)."""
        self.stderr.write(text.rstrip("\n") + "\n")
        self.stderr.flush()

    def error(self, text: str) -> None:
        """`replicate-ext: <text>` on standard error, in red on a terminal."""
        console = self._console(stderr=True)
        if console is None:
            self.message(f"replicate-ext: {text}")
        else:
            console.print(f"[red]replicate-ext:[/] {_escape(text)}", soft_wrap=True)

    def note(self, text: str, style: str = "dim") -> None:
        """A line on standard error on a terminal only (a summary a script does not need)."""
        console = self._console(stderr=True)
        if console is not None:
            console.print(f"[{style}]{_escape(text)}[/]", soft_wrap=True)

    @contextlib.contextmanager
    def activity(self, label: str, *, total: float | None = None) -> Iterator[Activity]:
        """A live status line with a spinner, the label and a status, a bar, the elapsed time and a detail text,
        on standard error while the block runs (removed at the end). A no-op when not on a terminal."""
        console = self._console(stderr=True)
        if console is None:
            yield Activity()
            return
        from rich.progress import BarColumn, Progress, SpinnerColumn, TaskProgressColumn, TextColumn, TimeElapsedColumn

        progress = Progress(
            SpinnerColumn(),
            TextColumn("{task.description}"),
            BarColumn(bar_width=30),
            TaskProgressColumn(),
            TimeElapsedColumn(),
            TextColumn("{task.fields[detail]}", style="dim"),
            console=console,
            transient=True,
            redirect_stdout=False,
            redirect_stderr=False,
        )
        task = progress.add_task(label, total=total, detail="", label=label)
        activity = Activity(progress, task)
        progress.start()
        try:
            yield activity
        finally:
            activity.stop()

    @contextlib.contextmanager
    def transfer(self, label: str) -> Iterator[Callable[[int, int | None], None]]:
        """A download bar on standard error for `label`, fed by the callback this yields (bytes so far, size when
        known). Shown on a terminal for large files (or of unknown size) only."""
        console = self._console(stderr=True)
        state: dict[str, Any] = {}
        if console is None:
            yield lambda done, total: None
            return
        from rich.progress import BarColumn, DownloadColumn, Progress, TextColumn, TransferSpeedColumn

        def advance(done: int, total: int | None) -> None:
            if "progress" not in state:
                if total is not None and total < LARGE_DOWNLOAD:
                    return
                progress = Progress(
                    TextColumn("{task.description}"),
                    BarColumn(bar_width=30),
                    DownloadColumn(),
                    TransferSpeedColumn(),
                    console=console,
                    transient=True,
                    redirect_stdout=False,
                    redirect_stderr=False,
                )
                state["progress"], state["task"] = progress, progress.add_task(label, total=total)
                progress.start()
            state["progress"].update(state["task"], completed=done, total=total)

        try:
            yield advance
        finally:
            if "progress" in state:
                state["progress"].stop()


def _text(value: Any) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dict | list):
        return json.dumps(value, ensure_ascii=False, default=str)
    return str(value)


def _one_line(value: str) -> str:
    return value.replace("\t", " ").replace("\r", " ").replace("\n", " ")


def _escape(text: str) -> str:
    from rich.markup import escape

    return escape(text)
