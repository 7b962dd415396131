"""`CogRuntime`: the `Runtime` that runs Cog models on Cog's own runtime (coglet and its worker processes).

Each version gets a coglet in predict mode when it is opened (so `setup()` runs at startup, and for a trained
version as soon as the training adds it), with `COG_WEIGHTS` set for trained versions, as Cog passes weights
to `setup(weights=...)`; a coglet in train mode starts with the version's first training.

A job waits in `starting` for one of the version's `concurrency.max` slots (coglet answers 409 when it is
full instead of queueing), then for its coglet to be ready, and is then sent as `PUT /predictions/{id}` with
`Accept: text/event-stream`: coglet's `start`, `log`, `output` and `completed` events become the job's
status, log lines, output items and end. Trainings are sent as a plain `PUT /trainings/{id}` (coglet does
not stream them). Cancelling a running job is `POST .../{id}/cancel`; a job still waiting just stops.

Files: coglet uploads each output file to this runtime's route on the delivery origin
(`PUT /_cog/<secret>/uploads/<name>`), which publishes it as the server publishes any output (a delivery URL,
or a data URI when `data_uri_outputs` says so) and answers with that as `Location`, which coglet puts in the
output. File inputs that are this server's own files are handed to coglet as delivery URLs it downloads;
data URIs and other URLs go as they are.

When a worker dies, the job it was running fails saying so, and the version's next job starts a new coglet.
"""

from __future__ import annotations

import asyncio
import contextlib
import hmac
import json
import secrets
import urllib.parse
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
from httpx_sse import EventSource
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from .._errors import InputValidationError, ProblemError
from .._files import FileStore
from .._logs import LineSplitter
from .._state import Job, Store, Version
from ._process import CogServer, clean_error, make_folder, make_python_shim
from ._spec import CogSpec

__all__ = ["CogRuntime"]

_NO_READ_TIMEOUT = httpx.Timeout(None, connect=10.0)


class _Failed(Exception):
    """A job failed for a reason the runtime states (`logs` are added to the job's)."""

    def __init__(self, message: str, logs: list[str] | None = None) -> None:
        super().__init__(message)
        self.logs = logs or []


@dataclass(eq=False)
class _Entry:
    """A version this runtime serves: its folder, its coglets, and the slots its jobs wait for."""

    version: Version
    spec: CogSpec
    folder: Path
    slots: asyncio.Semaphore
    train_slots: asyncio.Semaphore = field(default_factory=lambda: asyncio.Semaphore(1))
    servers: dict[str, CogServer] = field(default_factory=dict)  # by mode
    starting: dict[str, asyncio.Task[CogServer]] = field(default_factory=dict)


@dataclass(eq=False)
class _Running:
    """A job this runtime runs: where (once it is sent to a coglet), and whether coglet has started it."""

    task: asyncio.Task[None]
    server: CogServer | None = None
    started: bool = False  # coglet knows the job: a cancel can reach it
    cancel_sent: bool = False


class CogRuntime:
    """Runs the jobs of Cog models (a `Runtime`); lives on the server's event loop."""

    def __init__(
        self,
        *,
        store: Store,
        files: FileStore,
        http_client: Callable[[], Any],
        on_trained: Callable[[Job, Any], Any],
        setup_timeout: float,
    ) -> None:
        self.store = store
        self.files = files
        self.clock = store.clock
        self.setup_timeout = setup_timeout
        self._http_client = http_client
        self._on_trained = on_trained
        self._secret = secrets.token_urlsafe(24)
        self._entries: dict[str, _Entry] = {}
        self._jobs: dict[str, _Running] = {}
        self._python_folder: Path | None = None

    # -- versions and their servers ------------------------------------------------------------------------

    @property
    def _root(self) -> Path:
        return self.files.root / "cog"

    def _upload_url(self) -> str:
        return f"{self.files.internal_delivery_base}/_cog/{self._secret}/uploads/"

    def open(self, version: Version) -> None:
        """Make the version's folder and start its coglet (its `setup()`) in the background."""
        spec = version.spec
        if not isinstance(spec, CogSpec):  # Runtimes sends this runtime only its own versions
            raise TypeError(f"The cog runtime cannot run a {spec.runtime} model.")
        if version.id in self._entries:
            return
        if self._python_folder is None:
            self._python_folder = make_python_shim(self._root / "bin")
        folder = make_folder(self._root / version.id[:24], spec.model, spec.worker_schema())
        entry = _Entry(version, spec, folder, asyncio.Semaphore(spec.model.concurrency))
        self._entries[version.id] = entry
        self._server(entry, "predict")

    async def settle(self) -> None:
        for entry in list(self._entries.values()):
            for task in list(entry.starting.values()):
                with contextlib.suppress(Exception):
                    await asyncio.shield(task)

    def setup_error(self, version: Version) -> str | None:
        entry = self._entries.get(version.id)
        server = entry.servers.get("predict") if entry is not None else None
        return server.error if server is not None else None

    def _weights(self, version: Version) -> str | None:
        """`COG_WEIGHTS` for a trained version: a URL coglet can download, as Replicate passes it."""
        if isinstance(version.weights, Path) and version.weights.is_file():
            return self.files.share(version.weights, version.weights.name)
        return version.weights_url

    def _server(self, entry: _Entry, mode: str) -> asyncio.Future[CogServer]:
        """The entry's coglet of `mode`: the one starting, the running one (or the one whose setup failed),
        or a new one when there is none yet or the last one died."""
        loop = asyncio.get_running_loop()
        task = entry.starting.get(mode)
        if task is not None and not task.done():
            return task
        current = entry.servers.get(mode)
        if current is not None and (current.usable or current.error is not None):
            known: asyncio.Future[CogServer] = loop.create_future()
            known.set_result(current)
            return known
        task = loop.create_task(self._start_server(entry, mode, current))
        entry.starting[mode] = task
        return task

    async def _start_server(self, entry: _Entry, mode: str, previous: CogServer | None) -> CogServer:
        if previous is not None:
            await previous.stop()
        if self._python_folder is None:  # made by open()
            raise RuntimeError("The cog runtime has no python shim.")
        server = CogServer(
            label=f"{entry.version.id[:12]} ({entry.spec.model.shown})",
            model=entry.spec.model,
            mode=mode,
            folder=entry.folder,
            python_folder=self._python_folder,
            upload_url=self._upload_url(),
            weights=self._weights(entry.version) if mode == "predict" else None,
            http_client=self._http_client(),
            setup_timeout=self.setup_timeout,
        )
        entry.servers[mode] = server
        await server.start()
        return server

    # -- jobs ----------------------------------------------------------------------------------------------

    def submit(self, job: Job, prepared: Any) -> None:
        task = asyncio.get_running_loop().create_task(self._run(job, prepared))
        self._jobs[job.id] = _Running(task)

    def cancel(self, job: Job) -> None:
        if job.terminal or job.cancel_requested:
            return
        job.cancel_requested = True
        running = self._jobs.get(job.id)
        if running is None:
            return
        if running.server is None:
            running.task.cancel()  # still waiting: nothing runs yet
        elif running.started:
            self._send_cancel(job, running)
        # else: being sent to coglet; the cancel goes as soon as coglet says it started the job

    def _send_cancel(self, job: Job, running: _Running) -> None:
        if running.cancel_sent or running.server is None:
            return
        running.cancel_sent = True
        collection = "predictions" if job.kind == "prediction" else "trainings"
        url = f"{running.server.url}/{collection}/{job.id}/cancel"

        async def send() -> None:
            with contextlib.suppress(httpx.HTTPError):
                await self._http_client().post(url, timeout=10.0)

        asyncio.get_running_loop().create_task(send())

    async def _run(self, job: Job, prepared: dict[str, Any]) -> None:
        entry = self._entries[job.version.id]
        running = self._jobs[job.id]
        mode = "predict" if job.kind == "prediction" else "train"
        splitter = LineSplitter()
        try:
            async with entry.slots if job.kind == "prediction" else entry.train_slots:
                if job.cancel_requested:
                    raise asyncio.CancelledError
                server = await asyncio.shield(self._server(entry, mode))
                if server.error is not None:
                    failure = "setup() of this version failed" if mode == "predict" else "Cog's trainer did not start"
                    raise _Failed(f"{failure}: {server.error.removeprefix('setup() failed: ')}", server.setup_logs)
                payload = await self._file_inputs(job, entry.spec, prepared)
                running.server = server
                if job.kind == "prediction":
                    await self._predict(job, server, payload, running, splitter)
                else:
                    running.started = True  # coglet does not say when a training starts
                    await self._train(job, server, payload)
        except asyncio.CancelledError:
            job.add_log_lines(splitter.flush())
            job.finish("canceled", self.clock.now())
        except _Failed as exc:
            job.add_log_lines(splitter.flush() + exc.logs)
            job.finish("failed", self.clock.now(), error=str(exc))
        except InputValidationError as exc:
            job.finish("failed", self.clock.now(), error=str(exc))
        except Exception as exc:
            job.add_log_lines(splitter.flush())
            job.finish("failed", self.clock.now(), error=str(exc) or type(exc).__name__)
        finally:
            self._jobs.pop(job.id, None)

    async def _file_inputs(self, job: Job, spec: CogSpec, prepared: dict[str, Any]) -> dict[str, Any]:
        """This server's own file URLs become delivery URLs coglet can download without a token."""
        names = spec.file_inputs(job.kind) & prepared.keys()
        if not names:
            return prepared
        payload = dict(prepared)
        for name in names:
            value = prepared[name]
            if isinstance(value, list):
                payload[name] = [await self._file_input(name, item) for item in value]
            elif isinstance(value, str):
                payload[name] = await self._file_input(name, value)
        return payload

    async def _file_input(self, name: str, uri: str) -> str:
        if uri.startswith("data:"):
            return uri
        try:
            internal = self.files.internal_path(uri, self.store.files.by_id)
        except InputValidationError as exc:
            raise InputValidationError(f"{name}: {exc}", field=name) from None
        if internal is None:
            return uri  # coglet downloads it, as Cog does on Replicate
        return await asyncio.to_thread(self.files.share, *internal)

    async def _predict(
        self, job: Job, server: CogServer, payload: dict[str, Any], running: _Running, splitter: LineSplitter
    ) -> None:
        client = self._http_client()
        body = {"id": job.id, "input": payload}
        final: dict[str, Any] | None = None
        try:
            async with client.stream(
                "PUT",
                f"{server.url}/predictions/{job.id}",
                json=body,
                headers={"Accept": "text/event-stream"},
                timeout=_NO_READ_TIMEOUT,
            ) as response:
                if not response.headers.get("content-type", "").startswith("text/event-stream"):
                    await response.aread()
                    raise _Failed(self._refusal(response))
                async for event in EventSource(response).aiter_sse():
                    data = json.loads(event.data) if event.data else {}
                    if event.event == "start":
                        running.started = True
                        job.set_processing(self.clock.now())
                        if job.cancel_requested:
                            self._send_cancel(job, running)
                    elif event.event == "log":
                        job.add_log_lines(splitter.feed(str(data.get("data", ""))))
                    elif event.event == "output" and job.version.spec.streams:
                        job.add_output_item(data.get("chunk"))
                    elif event.event == "completed":
                        final = data
                        break
        except httpx.HTTPError as exc:
            raise await self._lost(server, f"Cog's server for this version stopped answering: {exc!r}") from None
        if final is None:
            raise await self._lost(server, "Cog's event stream ended before the prediction did.")
        job.add_log_lines(splitter.flush())
        self._finish(job, server, final)

    @staticmethod
    async def _lost(server: CogServer, otherwise: str) -> _Failed:
        """The failure of a job whose coglet broke off: it died (the next job starts a new one), or `otherwise`."""
        if await server.gone():
            server.crashed = True
            return _Failed(server.stopped_because())
        return _Failed(otherwise)

    def _finish(self, job: Job, server: CogServer, final: dict[str, Any]) -> None:
        job.runtime_metrics = {k: v for k, v in (final.get("metrics") or {}).items() if isinstance(k, str)}
        status = final.get("status")
        if status == "succeeded":
            output = final.get("output")
            if job.version.spec.streams:
                items = output if isinstance(output, list) else []
                for item in items[len(job.output) :]:
                    job.add_output_item(item)
            else:
                job.set_output(output)
            job.finish("succeeded", self.clock.now())
        elif status == "canceled":
            job.finish("canceled", self.clock.now())
        else:
            error = clean_error(final.get("error")) or "The prediction failed."
            if error == "Worker crashed":
                server.crashed = True
                error = (
                    "The model's worker process died while running this prediction; the next prediction starts "
                    "a new one (and runs setup() again)."
                )
            job.finish("failed", self.clock.now(), error=error)

    @staticmethod
    def _refusal(response: httpx.Response) -> str:
        """Why coglet did not run the job (422 invalid input, 409 full, 503 not set up), in one line."""
        try:
            body = response.json()
        except ValueError:
            body = {}
        detail = body.get("detail") if isinstance(body, dict) else None
        if isinstance(detail, list) and detail:
            problems = []
            for item in detail:
                location = [str(part) for part in item.get("loc", []) if part not in ("body",)]
                problems.append(f"{'.'.join(location)}: {item.get('msg')}")
            return "Cog rejected the input: " + "; ".join(problems)
        error = body.get("error") if isinstance(body, dict) else None
        return f"Cog's server answered {response.status_code}: {error or response.text[:200]}"

    async def _train(self, job: Job, server: CogServer, payload: dict[str, Any]) -> None:
        job.set_processing(self.clock.now())
        try:
            response = await self._http_client().put(
                f"{server.url}/trainings/{job.id}", json={"id": job.id, "input": payload}, timeout=_NO_READ_TIMEOUT
            )
        except httpx.HTTPError as exc:
            raise await self._lost(server, f"Cog's trainer stopped answering: {exc!r}") from None
        if response.status_code != 200:
            raise _Failed(self._refusal(response))
        final = response.json()
        job.add_log_lines(str(final.get("logs") or "").splitlines())
        job.runtime_metrics = {k: v for k, v in (final.get("metrics") or {}).items() if isinstance(k, str)}
        status = final.get("status")
        if status == "succeeded":
            job.output = await self._on_trained(job, final.get("output"))
            job.finish("succeeded", self.clock.now())
        elif status == "canceled":
            job.finish("canceled", self.clock.now())
        else:
            if final.get("error") == "Worker crashed":
                server.crashed = True
            raise _Failed(clean_error(final.get("error")) or "The training failed.")

    # -- uploads from coglet -------------------------------------------------------------------------------

    def routes(self) -> list[BaseRoute]:
        return [Route("/_cog/{secret}/uploads/{filename:path}", self._upload, methods=["PUT"])]

    async def _upload(self, request: Request) -> Response:
        """Receive an output file from coglet and publish it; `Location` is what the output will say."""
        if not hmac.compare_digest(request.path_params["secret"], self._secret):
            raise ProblemError(404, "Not found", f"There is no route {request.url.path}.")
        name = urllib.parse.unquote(request.path_params["filename"]).rsplit("/", 1)[-1] or "output"
        target = self.files.staging_file(name)
        with target.open("wb") as out:
            async for chunk in request.stream():
                out.write(chunk)
        location = await asyncio.to_thread(self.files.publish, target, move=True)
        return Response(status_code=201, headers={"Location": location})

    # -- stopping --------------------------------------------------------------------------------------------

    async def shutdown(self) -> None:
        for job_id, running in list(self._jobs.items()):
            job = self.store.predictions.by_id.get(job_id) or self.store.trainings.by_id.get(job_id)
            if job is not None:
                self.cancel(job)
            running.task.cancel()
        tasks = [running.task for running in self._jobs.values()]
        if tasks:
            await asyncio.gather(*tasks, return_exceptions=True)
        starting = [task for entry in self._entries.values() for task in entry.starting.values()]
        for task in starting:
            task.cancel()
        await asyncio.gather(*starting, return_exceptions=True)
        servers = [server for entry in self._entries.values() for server in entry.servers.values()]
        await asyncio.gather(*(server.stop() for server in servers), return_exceptions=True)
