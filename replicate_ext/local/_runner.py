"""The `python` runtime: predictors written with `replicate_ext.local`, run in this process.

Running predictions and trainings: the worker limit, setup, file inputs, outputs, logs and cancellation.

- At most `workers` jobs run at once (an `asyncio.Semaphore`); the others wait in `starting`.
- `async def` predictors (and async generators) run on the event loop; sync ones run in a thread of a pool
  sized to the worker limit, so the loop never blocks and no thread is created per request.
- A sync generator is consumed in its worker thread; each item is handed to the loop as it comes.
- Cancellation: an async predictor's task is cancelled; a sync one gets `PredictionCanceled` raised in its
  thread (`PyThreadState_SetAsyncExc`), and generators are also stopped between items. A thread blocked in C
  code (a long `time.sleep`) only sees the exception when it returns to Python.
"""

from __future__ import annotations

import asyncio
import contextvars
import ctypes
import functools
import inspect
import math
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ._errors import InputValidationError, PredictionCanceled
from ._files import FileStore
from ._logs import LogSink, current_sink, ensure_streams
from ._predictor import PredictorSpec
from ._schema import Signature
from ._state import Clock, Job, Store, Version

if TYPE_CHECKING:
    from starlette.routing import BaseRoute

__all__ = ["Runner"]

_STREAMED = object()  # the thread already handed every item of a streamed output to the loop


def _inject(thread_ident: int, exception: type[BaseException] | None) -> None:
    """Raise `exception` asynchronously in a thread (None clears a pending one)."""
    ctypes.pythonapi.PyThreadState_SetAsyncExc(
        ctypes.c_ulong(thread_ident), ctypes.py_object(exception) if exception is not None else None
    )


class _Execution:
    """Per-job bookkeeping while a job runs."""

    __slots__ = ("in_thread", "injected", "thread_ident")

    def __init__(self) -> None:
        self.in_thread = False
        self.thread_ident: int | None = None
        self.injected = False


class Runner:
    """Runs jobs for one server (a `Runtime`); everything but the worker threads lives on the server's loop.

    `setup()` runs before a version's first job, not when the version is opened.
    """

    def __init__(
        self,
        *,
        store: Store,
        files: FileStore,
        workers: int,
        http_client: Callable[[], Any],
        on_trained: Callable[[Job, Any], Any],
    ) -> None:
        self.store = store
        self.files = files
        self.clock: Clock = store.clock
        self.workers = workers
        self._semaphore = asyncio.Semaphore(workers)
        self._executor = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="replicate-local-worker")
        self._http_client = http_client
        self._on_trained = on_trained
        self._setups: dict[str, asyncio.Task[Any]] = {}
        self._executions: dict[str, _Execution] = {}
        self._lock = threading.Lock()
        self._active: set[Job] = set()

    # -- public ------------------------------------------------------------------------------------------

    def open(self, version: Version) -> None:
        """Nothing to do until the version's first job."""

    async def settle(self) -> None:
        """Nothing is set up ahead of time."""

    def setup_error(self, version: Version) -> str | None:
        return None

    def routes(self) -> list[BaseRoute]:
        return []

    def submit(self, job: Job, kwargs: dict[str, Any]) -> None:
        """Schedule `job` (already validated: `kwargs` are the predictor's arguments)."""
        self._active.add(job)
        job.task = asyncio.get_running_loop().create_task(self._run(job, kwargs))

    def cancel(self, job: Job) -> None:
        """Ask `job` to stop; its status becomes `canceled` once it has."""
        if job.terminal or job.cancel_requested:
            return
        job.cancel_requested = True
        execution = self._executions.get(job.id)
        if execution is not None and execution.in_thread:
            with self._lock:
                if execution.thread_ident is not None and not execution.injected:
                    execution.injected = True
                    _inject(execution.thread_ident, PredictionCanceled)
        elif job.task is not None:
            job.task.cancel()

    async def shutdown(self) -> None:
        """Cancel every job, wait for them, and stop the worker threads."""
        for job in list(self._active):
            self.cancel(job)
        tasks = [job.task for job in self._active if job.task is not None]
        if tasks:
            await asyncio.gather(*tasks, return_exceptions=True)
        for task in self._setups.values():
            task.cancel()
        await asyncio.to_thread(self._executor.shutdown, True, cancel_futures=True)

    # -- running -----------------------------------------------------------------------------------------

    async def _run(self, job: Job, kwargs: dict[str, Any]) -> None:
        loop = asyncio.get_running_loop()
        sink = LogSink(job.add_log_lines, loop.call_soon_threadsafe)
        current_sink.set(sink)  # this task's own context; copied into worker threads
        execution = self._executions[job.id] = _Execution()
        try:
            result: Any = None
            async with self._semaphore:
                if job.cancel_requested:
                    raise PredictionCanceled
                ensure_streams()
                job.set_processing(self.clock.now())
                instance = await asyncio.shield(self._setup(job.version))
                kwargs = await self._resolve_files(job, kwargs)
                signature = self._signature(job)
                if signature is None:  # checked when the training was created
                    raise RuntimeError("This version cannot be trained.")
                func = self._bound(instance, signature)
                if signature.is_async_generator:
                    await self._run_async_generator(job, func, kwargs)
                    result = _STREAMED
                elif signature.is_coroutine:
                    result = await func(**kwargs)
                    if signature.streams and hasattr(result, "__aiter__"):
                        await self._consume_async(job, result)
                        result = _STREAMED
                    else:
                        result = await self._encode_async(result)
                else:
                    execution.in_thread = True
                    context = contextvars.copy_context()
                    call = functools.partial(
                        context.run,
                        self._thread_main,
                        job,
                        execution,
                        func,
                        kwargs,
                        signature,
                        loop.call_soon_threadsafe,
                    )
                    outcome, result = await loop.run_in_executor(self._executor, call)
                    if outcome == "canceled":
                        raise PredictionCanceled
                    if outcome == "failed":
                        raise result
                if job.kind == "training":
                    job.output = await self._on_trained(job, result)
                elif result is not _STREAMED:
                    if signature.streams and isinstance(result, list):
                        for item in result:
                            job.add_output_item(item)
                    else:
                        job.set_output(result)
        except (PredictionCanceled, asyncio.CancelledError):
            sink.flush()
            job.finish("canceled", self.clock.now())
        except Exception as exc:
            sink.flush()
            job.finish("failed", self.clock.now(), error=str(exc) or type(exc).__name__)
        else:
            sink.flush()
            job.finish("succeeded", self.clock.now())
        finally:
            self._executions.pop(job.id, None)
            self._active.discard(job)

    @staticmethod
    def _spec(version: Version) -> PredictorSpec:
        spec = version.spec
        if not isinstance(spec, PredictorSpec):  # Runtimes sends this runtime only its own versions
            raise TypeError(f"The python runtime cannot run a {spec.runtime} model.")
        return spec

    def _signature(self, job: Job) -> Signature | None:
        spec = self._spec(job.version)
        return spec.train if job.kind == "training" else spec.predict

    @staticmethod
    def _bound(instance: Any, signature: Signature) -> Callable[..., Any]:
        name = signature.func.__name__
        if inspect.isfunction(instance) or inspect.ismethod(instance):
            return instance
        bound = getattr(instance, name, None)
        return bound if callable(bound) else signature.func

    def _setup(self, version: Version) -> asyncio.Task[Any]:
        """The (shared) task that creates and sets up the version's predictor instance."""
        task = self._setups.get(version.id)
        if task is None or (task.done() and (task.cancelled() or task.exception() is not None)):
            task = asyncio.get_running_loop().create_task(self._do_setup(version))
            self._setups[version.id] = task
        return task

    async def _do_setup(self, version: Version) -> Any:
        spec = self._spec(version)
        instance = spec.make_instance()
        setup = getattr(instance, "setup", None) if not inspect.isfunction(instance) else None
        if not callable(setup):
            return instance
        kwargs: dict[str, Any] = {}
        if "weights" in inspect.signature(setup).parameters:
            kwargs["weights"] = version.weights
        try:
            if inspect.iscoroutinefunction(setup):
                await setup(**kwargs)
            else:
                loop = asyncio.get_running_loop()
                context = contextvars.copy_context()
                await loop.run_in_executor(self._executor, functools.partial(context.run, setup, **kwargs))
        except Exception as exc:
            raise RuntimeError(f"Setup failed: {exc}") from exc
        return instance

    def _thread_main(
        self,
        job: Job,
        execution: _Execution,
        func: Callable[..., Any],
        kwargs: dict[str, Any],
        signature: Signature,
        loop_call: Callable[..., Any],
    ) -> tuple[str, Any]:
        """Runs in a worker thread: call the predictor, stream a generator's items, encode the output.

        `loop_call` is the loop's `call_soon_threadsafe`: items reach the loop in order, and before the
        thread's result does, so no output or log line is lost at the end.
        """
        try:
            try:
                with self._lock:
                    execution.thread_ident = threading.get_ident()
                if job.cancel_requested:
                    raise PredictionCanceled
                result = func(**kwargs)
                if (
                    signature.streams
                    and not isinstance(result, str | bytes | list | dict)
                    and hasattr(result, "__iter__")
                ):
                    iterator = iter(result)
                    try:
                        for item in iterator:
                            loop_call(job.add_output_item, self._encode(item))
                            if job.cancel_requested:
                                raise PredictionCanceled
                    finally:
                        close = getattr(iterator, "close", None)
                        if callable(close):
                            close()
                    return "ok", _STREAMED
                return "ok", self._encode(result)
            finally:
                with self._lock:
                    execution.thread_ident = None
                    if execution.injected:
                        _inject(threading.get_ident(), None)  # clear a cancellation not raised yet
        except PredictionCanceled:
            return "canceled", None
        except Exception as exc:
            return "failed", exc

    async def _run_async_generator(self, job: Job, func: Callable[..., Any], kwargs: dict[str, Any]) -> None:
        await self._consume_async(job, func(**kwargs))

    async def _consume_async(self, job: Job, iterator: Any) -> None:
        try:
            async for item in iterator:
                job.add_output_item(await self._encode_async(item))
        finally:
            close = getattr(iterator, "aclose", None)
            if close is not None:
                await close()

    # -- outputs -----------------------------------------------------------------------------------------

    def _encode(self, value: Any) -> Any:
        """Make an output JSON-ready; files become delivery URLs. Blocking (copies files)."""
        if isinstance(value, float) and not math.isfinite(value):
            raise ValueError(f"The predictor returned {value}, which JSON cannot represent.")
        if value is None or isinstance(value, str | bool | int | float):
            return value
        if isinstance(value, Path):
            return self.files.publish(value)
        if isinstance(value, list | tuple):
            return [self._encode(item) for item in value]
        if isinstance(value, dict):
            return {str(key): self._encode(item) for key, item in value.items()}
        raise TypeError(f"The predictor returned a {type(value).__name__}, which cannot be sent as JSON.")

    async def _encode_async(self, value: Any) -> Any:
        if _has_path(value):
            return await asyncio.get_running_loop().run_in_executor(self._executor, self._encode, value)
        return self._encode(value)

    # -- inputs ------------------------------------------------------------------------------------------

    async def _resolve_files(self, job: Job, kwargs: dict[str, Any]) -> dict[str, Any]:
        signature = self._signature(job)
        if signature is None or not any(f.has_files for f in signature.fields):
            return kwargs
        resolved = dict(kwargs)
        for f in signature.fields:
            value = kwargs.get(f.name)
            if not f.has_files or value is None:
                continue
            if f.is_list:
                resolved[f.name] = [await self._resolve_uri(f.name, item) for item in value]
            else:
                resolved[f.name] = await self._resolve_uri(f.name, value)
        return resolved

    async def _resolve_uri(self, name: str, uri: str) -> Path:
        loop = asyncio.get_running_loop()
        try:
            if uri.startswith("data:"):
                return await loop.run_in_executor(self._executor, self.files.write_data_uri, uri)
            internal = self.files.internal_path(uri, self.store.files.by_id)
            if internal is not None:
                return await loop.run_in_executor(self._executor, self.files.place_input, *internal)
            return await self._download(uri)
        except InputValidationError as exc:
            raise InputValidationError(f"{name}: {exc}", field=name) from exc

    async def _download(self, uri: str) -> Path:
        import urllib.parse

        client = self._http_client()
        name = Path(urllib.parse.urlsplit(uri).path).name or "input"
        target = self.files.input_file(name)
        try:
            async with client.stream("GET", uri, follow_redirects=True) as response:
                if response.status_code >= 400:
                    raise InputValidationError(f"downloading {uri} failed with HTTP {response.status_code}.")
                with target.open("wb") as out:
                    async for chunk in response.aiter_bytes():
                        out.write(chunk)
        except InputValidationError:
            raise
        except Exception as exc:
            raise InputValidationError(f"downloading {uri} failed: {exc}") from exc
        return target


def _has_path(value: Any) -> bool:
    if isinstance(value, Path):
        return True
    if isinstance(value, list | tuple):
        return any(_has_path(item) for item in value)
    if isinstance(value, dict):
        return any(_has_path(item) for item in value.values())
    return False
