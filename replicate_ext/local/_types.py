"""The predictor API: what a model the local server runs looks like.

A predictor is a plain function, or a class with `setup()` and `predict(...)` (`BasePredictor`). Typed
parameters become the model version's input schema; `Input(...)` as a default adds a description and limits:

```python
from pathlib import Path
from replicate_ext.local import BasePredictor, ConcatenateIterator, Input

class Predictor(BasePredictor):
    def setup(self) -> None:
        self.prefix = "echo"

    def predict(self, prompt: str = Input(description="What to say"),
                times: int = Input(default=2, ge=1, le=10)) -> ConcatenateIterator[str]:
        for _ in range(times):
            yield f"{self.prefix} {prompt} "
```

Return JSON values, a `pathlib.Path` (served as a file URL), or a generator to stream. `print()` and
`logging` inside `predict` become the prediction's logs. A predictor may also be `async def` (or an async
generator); it then runs on the server's event loop, and sync ones run in worker threads.
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator, Iterator, Sequence
from typing import Any, Protocol, TypeVar

__all__ = ["MISSING", "AsyncConcatenateIterator", "BasePredictor", "ConcatenateIterator", "Input", "InputSpec"]

_T_co = TypeVar("_T_co", covariant=True)


class _Missing:
    """The type of the `MISSING` sentinel: "no default" (because `None` is a valid default)."""

    def __repr__(self) -> str:
        return "MISSING"


MISSING: Any = _Missing()


class InputSpec:
    """What `Input(...)` returns: the description and limits of one predictor parameter."""

    def __init__(
        self,
        default: Any,
        description: str | None,
        ge: float | None,
        le: float | None,
        choices: Sequence[Any] | None,
        min_length: int | None,
        max_length: int | None,
        regex: str | None,
        deprecated: bool | None,
    ) -> None:
        if choices is not None and not choices:
            raise ValueError("Input(choices=...) needs at least one choice.")
        if regex is not None:
            re.compile(regex)  # fail at definition time, not on the first prediction
        self.default = default
        self.description = description
        self.ge = ge
        self.le = le
        self.choices = list(choices) if choices is not None else None
        self.min_length = min_length
        self.max_length = max_length
        self.regex = regex
        self.deprecated = deprecated

    def __repr__(self) -> str:
        options = {k: v for k, v in vars(self).items() if v is not None and v is not MISSING}
        return "Input(" + ", ".join(f"{k}={v!r}" for k, v in options.items()) + ")"


def Input(  # a factory named like the class users know from Cog
    default: Any = MISSING,
    *,
    description: str | None = None,
    ge: float | None = None,
    le: float | None = None,
    choices: Sequence[Any] | None = None,
    min_length: int | None = None,
    max_length: int | None = None,
    regex: str | None = None,
    deprecated: bool | None = None,
) -> Any:
    """Describe one predictor parameter; use it as the parameter's default value.

    Parameters:
        default: The value used when the input leaves the field out. Without it the field is required
            (unless the annotation allows `None`).
        description: Shown in the version's schema.
        ge, le: Inclusive bounds for numbers (`minimum`, `maximum` in the schema).
        choices: The allowed values (an `enum` in the schema).
        min_length, max_length: Bounds on a string's length.
        regex: A pattern a string must match (searched, as JSON Schema's `pattern`).
        deprecated: Marks the field deprecated in the schema.

    Example: `def predict(steps: int = Input(default=20, ge=1, le=100, description="Steps")) -> str: ...`

    It returns an `InputSpec` typed as `Any`, so that `steps: int = Input(...)` type-checks.
    """
    return InputSpec(default, description, ge, le, choices, min_length, max_length, regex, deprecated)


class BasePredictor:
    """Base class for class-based predictors: define `predict(...)`, and `setup()` if there is work to do once.

    `setup()` runs once, before the first prediction of the version. A `train(...)` method, if present,
    makes the version trainable (`POST /v1/models/{owner}/{name}/versions/{id}/trainings`); it returns the
    new weights as a `Path` (or a URL string), and the server publishes them as a new version of the
    training's destination model.
    """

    def setup(self) -> None:
        """Prepare the model (load weights, warm caches). Runs once per version, before the first prediction."""


class ConcatenateIterator(Protocol[_T_co]):
    """Return annotation for streamed text: tokens to be shown joined (`x-cog-array-display: concatenate`).

    Any generator of strings satisfies it: `def predict(...) -> ConcatenateIterator[str]: yield "a"`.
    """

    def __iter__(self) -> Iterator[_T_co]: ...

    def __next__(self) -> _T_co: ...


class AsyncConcatenateIterator(Protocol[_T_co]):
    """The async form of `ConcatenateIterator`, for `async def` generators."""

    def __aiter__(self) -> AsyncIterator[_T_co]: ...

    async def __anext__(self) -> _T_co: ...
