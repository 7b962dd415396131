"""`run()` and `stream()`: create a prediction, wait for it, and hand back its output."""

from __future__ import annotations

import datetime
import math
import time
from collections.abc import AsyncIterator, Iterator, Mapping
from typing import TYPE_CHECKING, Any, Unpack

from ._config import deadline_after
from ._exceptions import (
    AmbiguousCreateError,
    PredictionTimeoutError,
    ReplicateException,
    ServerError,
)
from ._files import encode_input_flow
from ._http import Flow, logger
from ._predictions import (
    CreateOptions,
    CreateParams,
    Prediction,
    RunParams,
    Target,
    raise_for_status,
    recover_created_flow,
    send_create_flow,
    target_of,
    wait_flow,
)
from ._schema import ModelSchema
from ._schema_fetch import output_schema_flow, read_schema, target_schema_flow

if TYPE_CHECKING:
    from ._client import Client
    from ._models import Model
    from ._stream import ServerSentEvent
    from ._versions import Version

__all__ = ["async_run", "async_stream", "run", "stream"]

if TYPE_CHECKING:
    from typing import TypeAlias

    Ref: TypeAlias = "str | Model | Version"


class _Tracker:
    """Remembers the prediction a run created, so that an interrupted run can cancel it."""

    prediction: Prediction | None = None


def _options(params: RunParams, wait: bool | int, deadline: float | None) -> CreateOptions:
    hold: bool | int | float = wait
    if deadline is not None and wait is not False:
        seconds = 60 if wait is True else wait
        hold = max(1, min(seconds, math.ceil(deadline - time.monotonic())))
    return CreateOptions.build(wait=hold, **params)


def run_flow(
    client: Client,
    ref: Any,
    input: Mapping[str, Any] | None,
    *,
    wait: bool | int,
    use_file_output: bool,
    timeout: float | None,
    params: RunParams,
    tracker: _Tracker,
    cancel_if_abandoned: bool = True,
    validate_input: bool = False,
) -> Flow[Any]:
    deadline = deadline_after(timeout)
    target, known = target_of(ref)
    options = _options(params, wait, deadline)
    prediction, schema = yield from _run_create_flow(client, target, known, input, options, validate_input)
    tracker.prediction = prediction
    try:
        prediction = yield from wait_flow(client, prediction, deadline)
    except PredictionTimeoutError as exc:
        # The run owned this prediction and nobody will collect it: stop it rather than pay for it.
        if cancel_if_abandoned:
            try:
                exc.prediction = yield from client._requester.call(client.predictions._cancel_call(prediction.id))
            except ReplicateException:
                pass
        raise
    tracker.prediction = prediction
    raise_for_status(prediction)
    output = prediction.raw_output
    if isinstance(output, list):
        if schema is None:
            schema = read_schema(known) if known else (yield from output_schema_flow(client, prediction))
        if schema is not None and schema.output.is_iterator:
            return iter(prediction.output if use_file_output else output)
    return prediction.output if use_file_output else output


def _run_create_flow(
    client: Client,
    target: Target,
    known: Mapping[str, Any] | None,
    input: Mapping[str, Any] | None,
    options: CreateOptions,
    validate_input: bool,
) -> Flow[tuple[Prediction, ModelSchema | None]]:
    """What `run()` and `stream()` do to start: check the input when asked (before any file is encoded or
    uploaded, and before anything is created), encode it, and create the prediction, finding it when the create's
    answer is lost. Returns the prediction, and the schema when it was fetched."""
    schema: ModelSchema | None = None
    if validate_input:
        schema = yield from target_schema_flow(client, target, known)
        schema.validate(input)
    encoded = yield from encode_input_flow(client, input, options.file_encoding_strategy)
    prediction = yield from recovering_create_flow(client, target, encoded, options)
    return prediction, schema


def recovering_create_flow(client: Client, target: Target, encoded: Any, options: CreateOptions) -> Flow[Prediction]:
    """Create a prediction; when the answer is lost, find the prediction the create made instead of creating again
    (which could run the model twice). If none can be found, the error stands."""
    sent_at = datetime.datetime.now(datetime.UTC)
    try:
        return (yield from send_create_flow(client, target, encoded, options))
    except (AmbiguousCreateError, ServerError) as exc:
        found = yield from recover_created_flow(client, target, encoded, sent_at)
        if found is None:
            raise
        logger.info("%s lost its answer (%s); carrying on with prediction %s", exc.__class__.__name__, exc, found.id)
        return found


def run(
    client: Client,
    ref: Any,
    input: Mapping[str, Any] | None = None,
    *,
    wait: bool | int = True,
    use_file_output: bool = True,
    timeout: float | None = None,
    cancel_if_abandoned: bool = True,
    validate_input: bool = False,
    **params: Unpack[RunParams],
) -> Any:
    """Run a model and return its output once the prediction has finished.

    Args:
        ref: What to run: `owner/name` (the latest or official version), `owner/name:version`, a 64-character
            version id, a `Model` or a `Version`.
        input: The model's inputs. Local files (`pathlib.Path`, open binary files, bytes) are uploaded or
            inlined (see `file_encoding_strategy`).
        wait: True holds the create request up to 60 s (`Prefer: wait`), or a number of seconds (1-60); False
            creates it without holding. Either way `run` waits until the prediction finishes: when it outlives
            the hold, it follows its event stream if it has one, and otherwise polls (see `Prediction.wait`).
        use_file_output: Return file URLs as `FileOutput`s (False: plain strings).
        timeout: Give up after this many seconds with `PredictionTimeoutError`.
        cancel_if_abandoned: When the run is abandoned (its `timeout` passes, `KeyboardInterrupt`, or, for
            `async_run`, its task is cancelled), cancel the prediction on the server (the default), so that nothing
            runs on for nobody. False leaves it running; `predictions.list()` finds it.
        validate_input: Check `input` against the version's schema before anything is sent (see
            `ModelSchema.validate`): an invalid input raises `InvalidInputError` listing every problem, and no
            file is uploaded and no prediction created. The schema is fetched once per version and client (for
            `owner/name`, that of the model's latest version; the model is looked up again after a minute).
            It needs the model's name: a bare version id raises `InvalidArgumentError` (pass
            `owner/name:version` or a `Version`), since the API has no route to a version's schema without it.
        **params: The options of `predictions.create` (`stream`, `webhook`, `webhook_completed`,
            `webhook_events_filter`, `cancel_after`, `file_encoding_strategy`).

    Returns:
        The output. When the version's schema says the output is an iterator (streamed tokens, for example), an
        iterator over its items.

    Raises:
        InvalidInputError: `validate_input` is on and the input does not fit the model's schema.
        SchemaError: `validate_input` is on and the model has no readable schema (or no version).
        ModelError: The prediction failed (`.prediction` has its `error` and `logs`).
        PredictionCanceledError: It was canceled.
        PredictionTimeoutError: `timeout` expired.
    """
    tracker = _Tracker()
    flow = run_flow(
        client, ref, input, wait=wait, use_file_output=use_file_output, timeout=timeout, params=params,
        tracker=tracker, cancel_if_abandoned=cancel_if_abandoned, validate_input=validate_input,
    )  # fmt: skip
    try:
        return client._drive(flow)
    except KeyboardInterrupt:
        if cancel_if_abandoned:
            _cancel_quietly(client, tracker.prediction)
        raise


async def async_run(
    client: Client,
    ref: Any,
    input: Mapping[str, Any] | None = None,
    *,
    wait: bool | int = True,
    use_file_output: bool = True,
    timeout: float | None = None,
    cancel_if_abandoned: bool = True,
    validate_input: bool = False,
    **params: Unpack[RunParams],
) -> Any:
    """Like `run`, for async code. If the task running it is cancelled, so is the prediction (see
    `cancel_if_abandoned`)."""
    import anyio

    tracker = _Tracker()
    flow = run_flow(
        client, ref, input, wait=wait, use_file_output=use_file_output, timeout=timeout, params=params,
        tracker=tracker, cancel_if_abandoned=cancel_if_abandoned, validate_input=validate_input,
    )  # fmt: skip
    try:
        return await client._adrive(flow)
    except anyio.get_cancelled_exc_class():
        if cancel_if_abandoned:
            with anyio.CancelScope(shield=True), anyio.move_on_after(10):
                await _acancel_quietly(client, tracker.prediction)
        raise


def _cancel_quietly(client: Client, prediction: Prediction | None) -> None:
    """Cancel an abandoned prediction that is still going; a failure to cancel must not hide why it was abandoned."""
    if prediction is not None and not prediction.done:
        try:
            client._request(client.predictions._cancel_call(prediction.id))
        except ReplicateException:
            pass


async def _acancel_quietly(client: Client, prediction: Prediction | None) -> None:
    if prediction is not None and not prediction.done:
        try:
            await client._arequest(client.predictions._cancel_call(prediction.id))
        except ReplicateException:
            pass


def stream(
    client: Client,
    ref: Any,
    input: Mapping[str, Any] | None = None,
    *,
    use_file_output: bool = False,
    timeout: float | None = None,
    cancel_if_abandoned: bool = True,
    validate_input: bool = False,
    **params: Unpack[CreateParams],
) -> Iterator[ServerSentEvent]:
    """Run a model and yield its server-sent events (`output` chunks, `logs`, then `done`) as they happen.

    `str(event)` is the text of an output event, so `for event in stream(...): print(event, end="")` prints
    the output as it is generated. After `timeout` seconds `PredictionTimeoutError` is raised and the prediction
    canceled (unless `cancel_if_abandoned=False`). `validate_input=True` checks the input first, as `run` does.
    Other parameters are those of `predictions.create`.
    """
    from ._stream import stream_prediction

    deadline = deadline_after(timeout)
    prediction = client._drive(_stream_create_flow(client, ref, input, params, validate_input))
    events = stream_prediction(client, prediction, use_file_output=use_file_output, deadline=deadline)
    return _canceling_on_timeout(client, prediction, events) if cancel_if_abandoned else events


def _canceling_on_timeout(
    client: Client, prediction: Prediction, events: Iterator[ServerSentEvent]
) -> Iterator[ServerSentEvent]:
    try:
        yield from events
    except PredictionTimeoutError:
        _cancel_quietly(client, prediction)
        raise


def _stream_create_flow(
    client: Client, ref: Any, input: Mapping[str, Any] | None, params: CreateParams, validate_input: bool
) -> Flow[Prediction]:
    target, known = target_of(ref)
    params["stream"] = True  # ask for the stream URL even where it is not given by default
    options = CreateOptions.build(**params)
    prediction, _ = yield from _run_create_flow(client, target, known, input, options, validate_input)
    return prediction


async def async_stream(
    client: Client,
    ref: Any,
    input: Mapping[str, Any] | None = None,
    *,
    use_file_output: bool = False,
    timeout: float | None = None,
    cancel_if_abandoned: bool = True,
    validate_input: bool = False,
    **params: Unpack[CreateParams],
) -> AsyncIterator[ServerSentEvent]:
    """Like `stream`, for async code: `async for event in async_stream(...)`."""
    from ._stream import astream_prediction

    deadline = deadline_after(timeout)
    prediction = await client._adrive(_stream_create_flow(client, ref, input, params, validate_input))
    try:
        async for event in astream_prediction(client, prediction, use_file_output=use_file_output, deadline=deadline):
            yield event
    except PredictionTimeoutError:
        if cancel_if_abandoned:
            await _acancel_quietly(client, prediction)
        raise
