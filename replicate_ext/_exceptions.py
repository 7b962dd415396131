"""Every exception replicate_ext raises, in one tree.

::

    ReplicateException                   anything raised by this library
    ├── ReplicateError                   the API answered with an error (RFC 7807 problem details)
    │   ├── BadRequestError              400
    │   ├── AuthenticationError          401
    │   ├── PermissionDeniedError        403
    │   ├── NotFoundError                404
    │   ├── ConflictError                409
    │   ├── UnprocessableEntityError     422
    │   ├── RateLimitError               429
    │   └── ServerError                  5xx
    ├── PredictionError                  a prediction or training did not succeed (`.prediction`)
    │   ├── ModelError                   it failed
    │   ├── PredictionCanceledError      it was canceled
    │   └── PredictionTimeoutError       it outlived the caller's deadline (also a TimeoutError)
    ├── APIConnectionError               no usable answer: network failure, reset, timeout
    │   ├── APITimeoutError              a connect/read/write/pool timeout (also a TimeoutError)
    │   └── AmbiguousCreateError         a create was sent but its answer was lost
    ├── InvalidResponseError             the API answered with something that is not what it documents
    ├── StreamError                      a server-sent event stream reported an error
    ├── ConfigurationError               the client is not usable as configured (also a ValueError)
    ├── InvalidArgumentError             a call's arguments are wrong (also a ValueError)
    │   ├── InvalidReferenceError        a model/version reference cannot be parsed
    │   └── InvalidInputError            a model's input does not fit its schema (`.problems`)
    ├── SchemaError                      a model's schema is missing or unreadable (also a ValueError)
    ├── BatchError                       a batch run (`replicate_ext.batch`) cannot start or go on
    │   ├── BatchMismatchError           its directory holds another batch (other inputs or model)
    │   ├── BatchInUseError              another process is running a batch in its directory
    │   └── InvalidItemsError            with `strict`, some inputs cannot run (`.problems`)
    └── WebhookValidationError           a webhook delivery is not authentic (also a ValueError)
        ├── MissingWebhookHeaderError    a webhook-id/-timestamp/-signature header is missing
        ├── MissingWebhookBodyError      there is no body to check
        ├── InvalidSecretKeyError        the signing secret is not a `whsec_...` key
        ├── InvalidTimestampError        the timestamp is malformed or outside the tolerance
        └── InvalidSignatureError        no signature matches the body

Errors from httpx and from the generated client are translated into this tree in one place
(`_http.translate_transport_error` and `_http.error_from_response`), always with `raise ... from exc`.
No message ever contains the API token.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from collections.abc import Iterable

    import httpx

    from ._predictions import Prediction
    from ._schema import InputProblem
    from ._trainings import Training

__all__ = [
    "APIConnectionError",
    "APITimeoutError",
    "AmbiguousCreateError",
    "AuthenticationError",
    "BadRequestError",
    "BatchError",
    "BatchInUseError",
    "BatchMismatchError",
    "ConfigurationError",
    "ConflictError",
    "InvalidArgumentError",
    "InvalidInputError",
    "InvalidItemsError",
    "InvalidReferenceError",
    "InvalidResponseError",
    "InvalidSecretKeyError",
    "InvalidSignatureError",
    "InvalidTimestampError",
    "MissingWebhookBodyError",
    "MissingWebhookHeaderError",
    "ModelError",
    "NotFoundError",
    "PermissionDeniedError",
    "PredictionCanceledError",
    "PredictionError",
    "PredictionTimeoutError",
    "RateLimitError",
    "ReplicateError",
    "ReplicateException",
    "SchemaError",
    "ServerError",
    "StreamError",
    "UnprocessableEntityError",
    "WebhookValidationError",
]


class ReplicateException(Exception):
    """Base class of every exception raised by replicate_ext."""


class ReplicateError(ReplicateException):
    """The API answered with an error status.

    The fields are those of the RFC 7807 problem details the API sends (`type`, `title`, `status`, `detail`,
    `instance`); `body` keeps the whole decoded problem (it may carry more, such as `retry_after`).
    """

    def __init__(
        self,
        detail: str | None = None,
        *,
        type: str | None = None,
        title: str | None = None,
        status: int | None = None,
        instance: str | None = None,
        body: dict[str, Any] | None = None,
        response: httpx.Response | None = None,
        operation: str | None = None,
    ) -> None:
        self.operation = operation
        """The API operation that failed, such as "predictions.create"."""
        self.type = type
        self.title = title
        self.status = status
        self.detail = detail
        self.instance = instance
        self.body = body or {}
        self.response = response
        super().__init__(self._message())

    def _message(self) -> str:
        head = f"{self.status} {self.title}" if self.title else f"HTTP {self.status}"
        if self.operation:
            head = f"{self.operation}: {head}"
        message = f"{head}: {self.detail}" if self.detail else head
        hint = _HINTS.get(self.status or 0)
        return f"{message} ({hint})" if hint else message

    def __repr__(self) -> str:
        return f"{type(self).__name__}(status={self.status!r}, title={self.title!r}, detail={self.detail!r})"

    def to_dict(self) -> dict[str, Any]:
        """The problem details as a dictionary (only the members that are set)."""
        fields = {"type": self.type, "title": self.title, "status": self.status, "detail": self.detail}
        fields["instance"] = self.instance
        return {key: value for key, value in fields.items() if value is not None}


_HINTS = {
    401: "check the API token: REPLICATE_API_TOKEN or Client(api_token=...)",
    429: "too many requests: slow down, or let the client's retry policy wait",
}


class BadRequestError(ReplicateError):
    """400: the request was malformed."""


class AuthenticationError(ReplicateError):
    """401: the API token is missing or not valid. Check REPLICATE_API_TOKEN or the client's `api_token`."""


class PermissionDeniedError(ReplicateError):
    """403: the token is valid but may not do this."""


class NotFoundError(ReplicateError):
    """404: no such model, version, prediction, file, ..."""


class ConflictError(ReplicateError):
    """409: the request conflicts with the resource's current state."""


class UnprocessableEntityError(ReplicateError):
    """422: the request was understood but its content is not valid (for example a model input)."""


class RateLimitError(ReplicateError):
    """429: too many requests. `retry_after` is the wait the API asked for, in seconds, when it said."""

    @property
    def retry_after(self) -> float | None:
        from ._retry import retry_after_seconds

        return retry_after_seconds(self.response.headers if self.response is not None else {}, self.body)


class ServerError(ReplicateError):
    """5xx: the API failed to handle the request."""


_BY_STATUS: dict[int, type[ReplicateError]] = {
    400: BadRequestError,
    401: AuthenticationError,
    403: PermissionDeniedError,
    404: NotFoundError,
    409: ConflictError,
    422: UnprocessableEntityError,
    429: RateLimitError,
}


def error_class_for(status: int) -> type[ReplicateError]:
    """The most specific `ReplicateError` subclass for an HTTP status."""
    if status >= 500:
        return ServerError
    return _BY_STATUS.get(status, ReplicateError)


class PredictionError(ReplicateException):
    """A prediction (or training) ended without succeeding. `prediction` is its final state."""

    def __init__(self, message: str, prediction: Prediction | Training) -> None:
        super().__init__(message)
        self.prediction = prediction


class ModelError(PredictionError):
    """The model failed: `prediction.status` is "failed" and `prediction.error` says why."""

    def __init__(self, prediction: Prediction | Training) -> None:
        error = prediction.error or "the model reported no error message"
        super().__init__(f"Prediction {prediction.id} failed: {error}", prediction)


class PredictionCanceledError(PredictionError):
    """The prediction was canceled before it finished (by a caller, `Cancel-After`, or the API)."""

    def __init__(self, prediction: Prediction | Training) -> None:
        super().__init__(f"Prediction {prediction.id} was canceled before it finished.", prediction)


class PredictionTimeoutError(PredictionError, TimeoutError):
    """The caller's deadline passed before the prediction finished. `prediction` is its last known state."""


class APIConnectionError(ReplicateException):
    """The API could not be reached, or the connection failed before a complete answer arrived."""

    def __init__(self, message: str, *, request: httpx.Request | None = None) -> None:
        super().__init__(message)
        self.request = request


class APITimeoutError(APIConnectionError, TimeoutError):
    """An HTTP timeout (connect, read, write or pool) expired."""


class AmbiguousCreateError(APIConnectionError):
    """A request that creates something was sent, but no answer came back.

    The API may or may not have created it, so the request is not repeated (that could create a duplicate).
    `sent_at` is when the request was sent (UTC ISO 8601) and `payload` what it asked for, which is enough to
    look for the result with `predictions.list(created_after=...)`.
    """

    def __init__(
        self,
        message: str,
        *,
        request: httpx.Request | None = None,
        sent_at: str | None = None,
        payload: Any = None,
    ) -> None:
        super().__init__(message, request=request)
        self.sent_at = sent_at
        self.payload = payload


class InvalidResponseError(ReplicateException):
    """The API's answer could not be understood (not JSON, wrong content type, missing fields, ...)."""

    def __init__(self, message: str, *, response: httpx.Response | None = None) -> None:
        super().__init__(message)
        self.response = response


class StreamError(ReplicateException):
    """The prediction's event stream sent an `error` event; `detail` is what it said."""

    def __init__(self, detail: str, prediction_id: str | None = None) -> None:
        where = f"Prediction {prediction_id}" if prediction_id else "The prediction"
        super().__init__(f"{where} reported an error while streaming: {detail}")
        self.detail = detail
        self.prediction_id = prediction_id


class ConfigurationError(ReplicateException, ValueError):
    """The client cannot work as configured (no API token, a malformed base URL, ...)."""


class InvalidArgumentError(ReplicateException, ValueError):
    """A method was called with arguments that cannot work; the message says how to fix them."""


class InvalidReferenceError(InvalidArgumentError):
    """A model or version reference is not in a form the API accepts."""


class InvalidInputError(InvalidArgumentError):
    """An input does not fit the model's schema (see `ModelSchema.validate` and `ModelSchema.coerce`).

    `problems` lists every problem found (`InputProblem`s: `name`, `code`, `message`), and `inputs` the names of
    the model's inputs in order (empty when they are not known). The message names every problem and ends with
    the valid inputs, required ones marked::

        The input has 2 problems:
          - promt: this model has no such input; did you mean 'prompt'?
          - width: 5000 is greater than the maximum, 1024.
        Valid inputs: prompt (required), width, height.
    """

    def __init__(
        self,
        problems: Iterable[InputProblem],
        inputs: Iterable[str] | None = None,
        *,
        required: Iterable[str] = (),
    ) -> None:
        self.problems: tuple[InputProblem, ...] = tuple(problems)
        self.inputs: tuple[str, ...] = tuple(inputs) if inputs is not None else ()
        self.required: tuple[str, ...] = tuple(required)
        """The names of the required inputs."""
        count = len(self.problems)
        lines = ["The input has a problem:" if count == 1 else f"The input has {count} problems:"]
        lines.extend(f"  - {problem}" for problem in self.problems)
        if inputs is not None:
            marked = [f"{name} (required)" if name in self.required else name for name in self.inputs]
            lines.append(f"Valid inputs: {', '.join(marked)}." if marked else "This model takes no inputs.")
        super().__init__("\n".join(lines))


class SchemaError(ReplicateException, ValueError):
    """A model's schema is missing or cannot be read (a version without `openapi_schema`, a model with no
    version, a document that is not Cog's), so its inputs cannot be described or checked."""


class BatchError(ReplicateException):
    """A batch run cannot start or go on; the message says why and what to do."""


class BatchMismatchError(BatchError, ValueError):
    """The batch directory holds the journal of another batch (made from other inputs, or for another model)."""


class BatchInUseError(BatchError):
    """Another process is running a batch in the same directory."""


class InvalidItemsError(BatchError, ValueError):
    """Some inputs of a batch cannot run, and it was asked to stop before starting (`strict=True`).

    `problems` lists `(item id, line or None, what is wrong)` for the first of them; `count` is how many there are.
    """

    def __init__(self, message: str, problems: list[tuple[str, int | None, str]], count: int) -> None:
        super().__init__(message)
        self.problems = problems
        self.count = count


class WebhookValidationError(ReplicateException, ValueError):
    """A webhook delivery failed validation; the subclass says why. Messages never contain the secret."""


class MissingWebhookHeaderError(WebhookValidationError):
    """A `webhook-id`, `webhook-timestamp` or `webhook-signature` header is missing."""


class MissingWebhookBodyError(WebhookValidationError):
    """The delivery has no body to check the signature of."""


class InvalidSecretKeyError(WebhookValidationError):
    """The signing secret is not a `whsec_` key with a base64 part (see `webhooks.default.secret()`)."""


class InvalidTimestampError(WebhookValidationError):
    """The `webhook-timestamp` is not a Unix time, or is too far from now (a replay, or a skewed clock)."""


class InvalidSignatureError(WebhookValidationError):
    """No `v1` signature in `webhook-signature` matches the body: it was not signed with this secret."""
