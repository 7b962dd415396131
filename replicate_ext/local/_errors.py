"""The exceptions of `replicate_ext.local`, in one tree.

```
LocalServerError                      anything this package raises on purpose
 +-- MissingExtraError (ImportError)  the `local` extra (starlette, uvicorn, ...) is not installed
 +-- PredictorDefinitionError         a predictor's signature cannot be turned into a schema
 |                    (TypeError)
 +-- InputValidationError             a prediction's input does not match the version's schema
 |                    (ValueError)
 +-- ProblemError                     an HTTP error answered as RFC 7807 problem details
 +-- ServerStartError (RuntimeError)  the server could not start

PredictionCanceled (BaseException)    raised inside a running predictor to stop it
```

`PredictionCanceled` derives from `BaseException`, like `KeyboardInterrupt`, so that a predictor's
`except Exception:` does not swallow a cancellation.
"""

from __future__ import annotations

from typing import Any

__all__ = [
    "InputValidationError",
    "LocalServerError",
    "MissingExtraError",
    "PredictionCanceled",
    "PredictorDefinitionError",
    "ProblemError",
    "ServerStartError",
]

INSTALL_HINT = "pip install 'replicate-ext[local]'"


class LocalServerError(Exception):
    """Base class of every error `replicate_ext.local` raises on purpose."""


class MissingExtraError(LocalServerError, ImportError):
    """The optional dependencies of the local server are missing."""

    def __init__(self, missing: str) -> None:
        super().__init__(
            f"The local Replicate server needs the optional dependency {missing!r}. Install it with: {INSTALL_HINT}"
        )
        self.missing = missing


class PredictorDefinitionError(LocalServerError, TypeError):
    """A predictor cannot be registered: its signature uses a type or option the server does not support."""


class InputValidationError(LocalServerError, ValueError):
    """A prediction input failed validation against the version's schema.

    `field` names the offending input field (or is `None` when the input as a whole is wrong).
    """

    def __init__(self, message: str, *, field: str | None = None) -> None:
        super().__init__(message)
        self.field = field


class ProblemError(LocalServerError):
    """An error to answer with an `application/problem+json` body (RFC 7807).

    `extra` members are added to the body (for example `retry_after` on a 429), `headers` to the response.
    """

    def __init__(
        self,
        status: int,
        title: str,
        detail: str,
        *,
        headers: dict[str, str] | None = None,
        extra: dict[str, Any] | None = None,
    ) -> None:
        super().__init__(f"{status} {title}: {detail}")
        self.status = status
        self.title = title
        self.detail = detail
        self.headers = dict(headers or {})
        self.extra = dict(extra or {})

    def body(self) -> dict[str, Any]:
        """The problem details object: `type`, `title`, `status`, `detail` and any extra members."""
        return {"type": "about:blank", "title": self.title, "status": self.status, "detail": self.detail, **self.extra}


class ServerStartError(LocalServerError, RuntimeError):
    """The local server failed to start (for example, the port is taken)."""


class PredictionCanceled(BaseException):
    """Raised inside a running predictor when its prediction is canceled. Do not catch it."""
