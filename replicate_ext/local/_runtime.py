"""The one interface between the routes and the code that runs models.

A model version's code is a `ModelSpec`: its OpenAPI schema, whether its output streams, whether it can be
trained, and how an input is checked. A `Runtime` runs the jobs of the versions it serves: it is told about
each version (`open`), gets jobs to run (`submit`) and to stop (`cancel`), and reports what happens through the
`Job`'s own methods (`set_processing`, `add_log_lines`, `add_output_item`, `set_output`, `finish`).

Two runtimes exist: `python` runs predictors written with `replicate_ext.local` in this process
(`_runner.Runner`), and `cog` runs Cog models with Cog's own runtime in worker processes (`_cog`). The routes
see only `Runtimes`, which hands each job to the runtime named by its version's spec.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Literal, Protocol

if TYPE_CHECKING:
    from starlette.routing import BaseRoute

    from ._state import Job, Version

__all__ = ["JobKind", "ModelSpec", "Runtime", "Runtimes"]

JobKind = Literal["prediction", "training"]


class ModelSpec(Protocol):
    """The code behind a model version, as the routes see it."""

    @property
    def runtime(self) -> str:
        """The name of the `Runtime` that runs it (`python` or `cog`)."""

    @property
    def version_id(self) -> str:
        """A stable hash of the code and its schema: it changes when the model changes."""

    @property
    def readme(self) -> str | None:
        """The model's description (its first line) and readme."""

    @property
    def cog_version(self) -> str:
        """The `cog_version` a version of this code reports."""

    @property
    def openapi_schema(self) -> dict[str, Any]:
        """The version's `openapi_schema`, in Cog's layout (a fresh copy each time)."""

    @property
    def streams(self) -> bool:
        """Whether a prediction's output is an iterator, streamed item by item."""

    @property
    def trainable(self) -> bool:
        """Whether the version can be trained."""

    def check_input(self, kind: JobKind, raw: Any) -> Any:
        """Check a prediction's (or training's) input; return what the runtime needs to run it.

        Raises `InputValidationError` naming the input at fault.
        """


class Runtime(Protocol):
    """Runs the jobs of the model versions it serves; everything happens on the server's event loop."""

    def open(self, version: Version) -> None:
        """Get ready to run `version` (a Cog runtime starts its worker and runs `setup()` in the background)."""

    async def settle(self) -> None:
        """Wait until every version opened so far is ready or has failed to set up."""

    def setup_error(self, version: Version) -> str | None:
        """Why `version` cannot run (its setup failed), or None."""

    def submit(self, job: Job, prepared: Any) -> None:
        """Run `job`; `prepared` is what its spec's `check_input` returned."""

    def cancel(self, job: Job) -> None:
        """Ask `job` to stop; its status becomes `canceled` once it has."""

    def routes(self) -> list[BaseRoute]:
        """Routes the runtime serves on the delivery origin for its own workers (none for most)."""

    async def shutdown(self) -> None:
        """Cancel every job, wait for them, and release what the runtime holds (threads, processes)."""


class Runtimes:
    """The runtimes of one server, made on first use; each job goes to the one its version's spec names."""

    def __init__(self, factories: dict[str, Callable[[], Runtime]]) -> None:
        self._factories = factories
        self._made: dict[str, Runtime] = {}

    def of(self, version: Version) -> Runtime:
        """The runtime that runs `version`."""
        name = version.spec.runtime
        runtime = self._made.get(name)
        if runtime is None:
            factory = self._factories.get(name)
            if factory is None:
                raise RuntimeError(f"There is no runtime called {name!r}.")
            runtime = self._made[name] = factory()
        return runtime

    def open(self, version: Version) -> None:
        self.of(version).open(version)

    async def settle(self) -> None:
        for runtime in list(self._made.values()):
            await runtime.settle()

    def setup_error(self, version: Version) -> str | None:
        return self.of(version).setup_error(version)

    def submit(self, job: Job, prepared: Any) -> None:
        self.of(job.version).submit(job, prepared)

    def cancel(self, job: Job) -> None:
        self.of(job.version).cancel(job)

    def routes(self) -> list[BaseRoute]:
        """The routes of every runtime made so far (call after the versions are opened)."""
        return [route for runtime in self._made.values() for route in runtime.routes()]

    async def shutdown(self) -> None:
        for runtime in list(self._made.values()):
            await runtime.shutdown()
