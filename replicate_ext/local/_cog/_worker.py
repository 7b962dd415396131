"""Cog's worker, started the way coglet starts it, with one fix: a failed `setup()` keeps what it printed.

coglet runs its worker as `python -c "import coglet; coglet.server._run_worker()"`. When `setup()` raises, the
worker reports the failure at once and exits, and coglet 0.23.1 often loses the lines `setup()` printed just
before (they were still on their way from the worker's output pipe). Here the predictor that coglet loads
(through `cog.predictor.load_predictor_from_ref`) gets a `setup()` that, when it raises, flushes the output and
waits a moment before the failure goes on, so those lines reach the setup logs. Nothing else changes.

This file runs as a script (`runpy.run_path`) in the worker: it imports nothing of replicate_ext.
"""

from __future__ import annotations

import functools
import inspect
import sys
import time
from typing import Any

_PAUSE = 0.2  # long enough for coglet to forward the last lines it captured


def _settle() -> None:
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except Exception:
            pass
    time.sleep(_PAUSE)


def _patient(setup: Any) -> Any:
    if inspect.iscoroutinefunction(setup):

        @functools.wraps(setup)
        async def async_setup(*args: Any, **kwargs: Any) -> Any:
            try:
                return await setup(*args, **kwargs)
            except BaseException:
                _settle()
                raise

        return async_setup

    @functools.wraps(setup)
    def sync_setup(*args: Any, **kwargs: Any) -> Any:
        try:
            return setup(*args, **kwargs)
        except BaseException:
            _settle()
            raise

    return sync_setup


def main() -> None:
    import cog.predictor
    import coglet

    load = cog.predictor.load_predictor_from_ref

    @functools.wraps(load)
    def load_predictor_from_ref(ref: str) -> Any:
        predictor: Any = load(ref)
        setup = getattr(predictor, "setup", None)
        if callable(setup) and not inspect.isfunction(predictor):
            try:
                predictor.setup = _patient(setup)
            except (AttributeError, TypeError):  # a predictor that refuses new attributes keeps its own
                pass
        return predictor

    cog.predictor.load_predictor_from_ref = load_predictor_from_ref
    coglet.server._run_worker()


if __name__ == "__main__":
    main()
