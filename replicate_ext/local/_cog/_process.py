"""One coglet server, the HTTP front of Cog's runtime, with its worker process: a version's code in one mode.

coglet is started as `python -m cog.server.http` on a free loopback port (`PORT=0`; the port is read from
its log) in the version's folder: a folder of links to the model's files plus the `.cog/openapi_schema.json`
that Cog's build would have put there (the worker reads it from its working directory, and without it
coglet checks no input and streams no events), so the model's own folder is never written to.

coglet starts its worker as `python` found on `PATH`; `PATH` starts with a folder whose `python` runs this
interpreter, so the worker has Cog whatever the shell's `python` is. coglet logs JSON lines: the port, the
lines `setup()` prints (target `coglet::setup`), and lines that are not JSON when a worker dies before it
is running. Readiness is `GET /health-check` (`READY`, `SETUP_FAILED`, `DEFUNCT`, `UNHEALTHY`); when coglet
itself never gets there (a worker that died while starting leaves it `STARTING` for ever), the server's own
deadline and the worker's last words end the wait.
"""

from __future__ import annotations

import asyncio
import atexit
import collections
import contextlib
import json
import os
import re
import shlex
import signal
import sys
from pathlib import Path
from typing import Any

from ._reference import CogModel

__all__ = ["CogServer", "clean_error", "make_folder", "make_python_shim"]

_PORT = re.compile(r"Starting coglet server on (?P<host>[^\s:]+|\[[^\]]+\]):(?P<port>\d+)")
_SETUP_FAILED = re.compile(r"(?i)setup failed: ")
_PREDICTION_FAILED = re.compile(r"^(?:Prediction failed: )+")
_POLL = 0.05
_STOP_GRACE = 5.0
_RAW_GRACE = 1.0  # after a worker's first line of non-JSON output, how long a STARTING coglet may stay so
_QUIET = 0.3
_QUIET_MAX = 2.0


# The process groups of the coglets this process started and has not stopped. They run in sessions of their
# own, so a server that did not get to stop them (an interrupted start, an interpreter exiting with the
# server's thread still running) would leave them behind: they are killed when the interpreter exits.
_RUNNING_GROUPS: set[int] = set()


@atexit.register
def _stop_leftovers() -> None:
    for group in list(_RUNNING_GROUPS):
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(group, signal.SIGKILL)
    _RUNNING_GROUPS.clear()


def clean_error(error: str | None) -> str | None:
    """Cog's error of a failed prediction without the prefix it repeats (`Prediction failed: ` twice)."""
    if error is None:
        return None
    return _PREDICTION_FAILED.sub("", error.strip()) or error


def _setup_error(logs: str) -> str:
    """`worker setup failed: ... Setup failed: setup failed: RuntimeError: weights missing` -> the last part."""
    parts = _SETUP_FAILED.split(logs.strip())
    return parts[-1].strip() or logs.strip()


def make_python_shim(folder: Path) -> Path:
    """A folder with a `python` that runs this interpreter, to put first on the worker's `PATH`.

    The worker itself (`python -c "...coglet.server._run_worker()"`) runs through `_worker.py`, which keeps
    the output of a failing `setup()`; any other use of `python` runs this interpreter as asked.
    """
    folder.mkdir(parents=True, exist_ok=True)
    shim = folder / "python"
    python = shlex.quote(sys.executable)
    worker = shlex.quote(str(Path(__file__).with_name("_worker.py")))
    run_worker = shlex.quote("import runpy, sys; runpy.run_path(sys.argv[1], run_name='__main__')")
    shim.write_text(
        "#!/bin/sh\n"
        'case "$1 $2" in\n'
        f"  '-c '*_run_worker*) exec {python} -c {run_worker} {worker} ;;\n"
        "esac\n"
        f'exec {python} "$@"\n',
        encoding="utf-8",
    )
    shim.chmod(0o755)
    return folder


def make_folder(folder: Path, model: CogModel, schema: dict[str, Any]) -> Path:
    """The working folder of a version's coglet: links to the model's files and `.cog/openapi_schema.json`."""
    (folder / ".cog").mkdir(parents=True, exist_ok=True)
    for entry in model.directory.iterdir():
        if entry.name == ".cog":
            continue
        link = folder / entry.name
        if not link.exists() and not link.is_symlink():
            link.symlink_to(entry.resolve(), target_is_directory=entry.is_dir())
    (folder / ".cog" / "openapi_schema.json").write_text(json.dumps(schema), encoding="utf-8")
    return folder


class CogServer:
    """A running coglet in one mode (`predict` or `train`) for one version, and what it has said.

    `start()` returns once the server is ready or has failed (`error` then says why, in one line, and
    `setup_logs` has what `setup()` printed). `alive` turns false when the process exits.
    """

    def __init__(
        self,
        *,
        label: str,
        model: CogModel,
        mode: str,
        folder: Path,
        python_folder: Path,
        upload_url: str,
        weights: str | None,
        http_client: Any,
        setup_timeout: float,
    ) -> None:
        self.label = label
        self.model = model
        self.mode = mode
        self.folder = folder
        self.python_folder = python_folder
        self.upload_url = upload_url
        self.weights = weights
        self.setup_timeout = setup_timeout
        self._http = http_client
        self.url = ""
        self.error: str | None = None
        self.setup_logs: list[str] = []
        self.crashed = False  # a job saw the worker die: the next job needs a new server
        self._process: asyncio.subprocess.Process | None = None
        self._reader: asyncio.Task[None] | None = None
        self._port: asyncio.Future[str] | None = None
        self._raw: collections.deque[str] = collections.deque(maxlen=20)  # worker output that is not JSON
        self._raw_since: float | None = None
        self._tail: collections.deque[str] = collections.deque(maxlen=20)  # coglet's last messages
        self._last_line = 0.0  # when coglet last wrote a line (the loop's clock)

    @property
    def alive(self) -> bool:
        return self._process is not None and self._process.returncode is None

    @property
    def usable(self) -> bool:
        return self.error is None and self.alive and not self.crashed

    def _environment(self) -> dict[str, str]:
        env = dict(os.environ)
        env["PATH"] = f"{self.python_folder}{os.pathsep}{env.get('PATH', '')}"
        env["PORT"] = "0"
        env.pop("COG_WEIGHTS", None)
        env.pop("COG_PREDICT_TYPE_STUB", None)
        env.pop("COG_TRAIN_TYPE_STUB", None)
        if self.mode == "train":
            env["COG_TRAIN_TYPE_STUB"] = self.model.train or ""
        else:
            env["COG_PREDICT_TYPE_STUB"] = self.model.predict
            env["COG_MAX_CONCURRENCY"] = str(self.model.concurrency)
        if self.weights is not None:
            env["COG_WEIGHTS"] = self.weights
        return env

    async def start(self) -> None:
        """Start coglet and wait until it is ready, its setup failed, or it cannot start."""
        loop = asyncio.get_running_loop()
        self._port = loop.create_future()
        args = [sys.executable, "-m", "cog.server.http", "--host", "127.0.0.1", "--upload-url", self.upload_url]
        if self.mode == "train":
            args += ["--x-mode", "train"]
        try:
            self._process = await asyncio.create_subprocess_exec(
                *args,
                cwd=self.folder,
                env=self._environment(),
                stdin=asyncio.subprocess.DEVNULL,
                stdout=asyncio.subprocess.PIPE,
                stderr=asyncio.subprocess.STDOUT,
                start_new_session=True,  # its own process group: stopping it stops its worker too
            )
        except OSError as exc:
            self.error = f"Cog's server could not be started: {exc}"
            return
        _RUNNING_GROUPS.add(self._process.pid)
        self._reader = loop.create_task(self._read(self._process))
        try:
            await asyncio.wait_for(self._wait_ready(), timeout=self.setup_timeout)
        except TimeoutError:
            self.error = f"setup() did not finish within {self.setup_timeout:g} s."
        if self.error is not None:
            await self.stop()

    async def _read(self, process: asyncio.subprocess.Process) -> None:
        assert process.stdout is not None
        async for raw in process.stdout:
            line = raw.decode("utf-8", "replace").rstrip("\n")
            self._last_line = asyncio.get_running_loop().time()
            try:
                record = json.loads(line)
            except ValueError:
                record = None
            if not isinstance(record, dict):
                if line.strip():
                    self._raw.append(line)
                    if self._raw_since is None:
                        self._raw_since = asyncio.get_running_loop().time()
                continue
            fields = record.get("fields") or {}
            message = str(fields.get("message", ""))
            if record.get("target") == "coglet::setup" and "source" in fields:
                self.setup_logs.append(message)
            elif message:
                self._tail.append(message)
            match = _PORT.search(message)
            if match and self._port is not None and not self._port.done():
                self._port.set_result(match["port"])
        await process.wait()
        # coglet is gone: so must be what is left of its group (a worker it did not get to stop).
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(process.pid, signal.SIGKILL)
        _RUNNING_GROUPS.discard(process.pid)

    async def _quiet(self) -> None:
        """Wait until coglet has logged nothing for a moment (at most `_QUIET_MAX` seconds)."""
        loop = asyncio.get_running_loop()
        give_up = loop.time() + _QUIET_MAX
        while loop.time() < give_up and loop.time() - self._last_line < _QUIET:
            await asyncio.sleep(_POLL)

    def _last_words(self) -> str:
        lines = [line.strip() for line in self._raw if line.strip()]
        if lines:
            return lines[-1]
        return self._tail[-1] if self._tail else "no output"

    async def _wait_ready(self) -> None:
        assert self._process is not None and self._port is not None
        while not self._port.done():
            if self._process.returncode is not None or (self._reader is not None and self._reader.done()):
                await self._exited()
                return
            await asyncio.sleep(_POLL)
        self.url = f"http://127.0.0.1:{self._port.result()}"
        loop = asyncio.get_running_loop()
        while True:
            if self._process.returncode is not None:
                await self._exited()
                return
            try:
                response = await self._http.get(f"{self.url}/health-check", timeout=5.0)
                health = response.json()
            except Exception:
                health = {}
            status = health.get("status")
            if status == "READY":
                return
            if status == "SETUP_FAILED":
                setup = health.get("setup") or {}
                self.error = f"setup() failed: {_setup_error(str(setup.get('logs') or 'no details'))}"
                await self._quiet()  # coglet may log what setup() printed after it reports the failure
                return
            if status in ("DEFUNCT", "UNHEALTHY"):
                self.error = f"Cog's runtime reports {status}: {self._last_words()}"
                return
            if self._raw_since is not None and loop.time() - self._raw_since > _RAW_GRACE:
                self.error = f"the worker did not start: {self._last_words()}"
                return
            await asyncio.sleep(_POLL)

    async def _exited(self) -> None:
        assert self._process is not None
        code = await self._process.wait()
        self.error = f"Cog's server exited with status {code} while starting: {self._last_words()}"

    async def gone(self, within: float = 2.0) -> bool:
        """Whether the process has exited, or does within `within` seconds (a broken connection comes first)."""
        if self._process is None:
            return True
        try:
            await asyncio.wait_for(asyncio.shield(self._process.wait()), timeout=within)
        except TimeoutError:
            return False
        return True

    def stopped_because(self) -> str:
        """Why the server is gone, for the jobs it was running."""
        code = self._process.returncode if self._process is not None else None
        return f"Cog's server for {self.label} stopped (exit status {code}): {self._last_words()}"

    async def stop(self) -> None:
        """Stop coglet and its worker (their process group): SIGTERM, then SIGKILL after a grace period."""
        process = self._process
        if process is not None and process.returncode is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGTERM)
            try:
                await asyncio.wait_for(process.wait(), timeout=_STOP_GRACE)
            except TimeoutError:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(process.pid, signal.SIGKILL)
                await process.wait()
        if process is not None:
            _RUNNING_GROUPS.discard(process.pid)
        if self._reader is not None:
            with contextlib.suppress(Exception):
                await self._reader
