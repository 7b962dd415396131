"""Handlers of predictions, trainings and deployments: creating, reading, listing, canceling."""

from __future__ import annotations

import asyncio
import hashlib
import urllib.parse
from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from ._errors import InputValidationError, ProblemError
from ._handlers import HandlerBase
from ._http import (
    NAME_PATTERN,
    body_integer,
    body_object,
    body_string,
    json_response,
    parse_cancel_after,
    parse_prefer,
    read_json,
)
from ._runtime import JobKind
from ._state import (
    Deployment,
    Job,
    Model,
    Release,
    Version,
    new_id,
    paginate_by_time,
)
from ._webhooks import WEBHOOK_EVENTS

__all__ = ["JobRoutes"]


class JobRoutes(HandlerBase):
    """Handlers of predictions, trainings and deployments: creating, reading, listing, canceling."""

    async def predictions_create(self, request: Request) -> Response:
        prefer, cancel_after = self._job_headers(request)
        data = body_object(
            await read_json(request),
            {"version", "input", "stream", "webhook", "webhook_events_filter"},
            {"version", "input"},
        )
        reference = body_string(data, "version", required=True) or ""
        version_id = reference.rpartition(":")[2]
        found = self.store.versions.get(version_id)
        if found is None or (":" in reference and found[0].full_name != reference.rpartition(":")[0]):
            raise ProblemError(422, "Invalid version", f"version: {reference!r} is not a model version on this server.")
        model, version = found
        return await self._create_prediction(data, model, version, prefer, cancel_after)

    async def models_predictions_create(self, request: Request) -> Response:
        prefer, cancel_after = self._job_headers(request)
        model = self._model(request)
        data = body_object(await read_json(request), {"input", "stream", "webhook", "webhook_events_filter"}, {"input"})
        version = model.latest_version
        if version is None:
            raise ProblemError(422, "Model has no versions", f"The model {model.full_name} has no version to run.")
        return await self._create_prediction(data, model, version, prefer, cancel_after)

    async def deployments_predictions_create(self, request: Request) -> Response:
        prefer, cancel_after = self._job_headers(request)
        deployment = self._deployment(request)
        data = body_object(await read_json(request), {"input", "stream", "webhook", "webhook_events_filter"}, {"input"})
        found = self.store.versions.get(deployment.current.version)
        if found is None:
            raise ProblemError(
                422, "Invalid deployment", "The deployment's version no longer exists; update the deployment."
            )
        model, version = found
        return await self._create_prediction(
            data, model, version, prefer, cancel_after, deployment=f"{deployment.owner}/{deployment.name}"
        )

    def _job_headers(self, request: Request) -> tuple[float | None, float | None]:
        prefer = parse_prefer(request.headers.get("prefer"))
        cancel_after = parse_cancel_after(request.headers.get("cancel-after"), self.config.min_cancel_after)
        return prefer, cancel_after

    def _webhook(self, data: dict[str, Any]) -> tuple[str | None, frozenset[str]]:
        webhook = body_string(data, "webhook")
        if webhook is not None:
            parsed = urllib.parse.urlsplit(webhook)
            if parsed.scheme not in ("http", "https") or not parsed.netloc:
                raise ProblemError(422, "Invalid request body", "webhook: must be an http(s) URL.")
        events = data.get("webhook_events_filter")
        if events is None:
            return webhook, frozenset(WEBHOOK_EVENTS)
        if not isinstance(events, list) or any(e not in WEBHOOK_EVENTS for e in events):
            raise ProblemError(
                422, "Invalid request body", f"webhook_events_filter: must be a list of {', '.join(WEBHOOK_EVENTS)}."
            )
        return webhook, frozenset(events)

    def _validated(self, version: Version, kind: JobKind, raw: Any) -> Any:
        try:
            return version.spec.check_input(kind, raw)
        except InputValidationError as exc:
            raise ProblemError(422, "Input validation failed", f"input.{exc}" if exc.field else str(exc)) from None

    async def _create_prediction(
        self,
        data: dict[str, Any],
        model: Model,
        version: Version,
        prefer: float | None,
        cancel_after: float | None,
        deployment: str | None = None,
    ) -> Response:
        if "stream" in data and not isinstance(data["stream"], bool):
            raise ProblemError(422, "Invalid request body", "stream: must be a boolean.")
        prepared = self._validated(version, "prediction", data["input"])
        webhook, events = self._webhook(data)
        job_id = new_id()
        stream_url = f"{self.delivery_base}/v1/streams/{job_id}" if version.spec.streams else None
        job = Job(
            id=job_id,
            kind="prediction",
            model=model,
            version=version,
            input=data["input"],
            created_at=self.store.clock.now(),
            api_base=self.api_base,
            stream_url=stream_url,
            deployment=deployment,
            webhook=webhook,
            webhook_events=events,
        )
        self.store.predictions.add(job.id, job, job.created_at)
        self.stats.predictions_created += 1
        model.run_count += 1
        job.listeners.append(self._remember_example)
        return await self._launch(job, prepared, prefer, cancel_after)

    async def _launch(self, job: Job, prepared: Any, prefer: float | None, cancel_after: float | None) -> Response:
        self.webhooks.attach(job)
        self.runtimes.submit(job, prepared)
        if cancel_after is not None:
            job.deadline = job.created_at + cancel_after
            job.cancel_timer = asyncio.get_running_loop().call_later(cancel_after, self.runtimes.cancel, job)
        if prefer is not None and not job.terminal:
            try:
                await asyncio.wait_for(job.done.wait(), timeout=prefer)
            except TimeoutError:
                pass
        return json_response(job.as_dict(), 201)

    def _remember_example(self, job: Job, what: str) -> None:
        if what == "completed" and job.status == "succeeded" and not job.model.examples:
            job.model.examples.append(job)

    async def predictions_get(self, request: Request) -> Response:
        return json_response(self._job(request, "prediction").as_dict())

    async def predictions_cancel(self, request: Request) -> Response:
        return await self._cancel(self._job(request, "prediction"))

    async def _cancel(self, job: Job) -> Response:
        self.runtimes.cancel(job)
        if not job.terminal:
            # A running predictor stops at its next Python instruction (or await); give it a moment so the
            # answer usually shows `canceled`, as Replicate's does for a prediction that stops promptly.
            try:
                await asyncio.wait_for(job.done.wait(), timeout=1.0)
            except TimeoutError:
                pass
        return json_response(job.as_dict())

    def _list_jobs(self, request: Request, kind: str) -> Response:
        collection = self.store.predictions if kind == "prediction" else self.store.trainings
        after = self._time_filter(request, "created_after")
        before = self._time_filter(request, "created_before")
        source = request.query_params.get("source")
        if source is not None and source != "web":
            raise ProblemError(400, "Invalid parameter", "source: the only accepted value is 'web'.")
        if source == "web":  # everything here was created through the API
            return json_response(self._page(request, [], None, None))
        page, next_cursor, prev = paginate_by_time(
            collection.items,
            collection.times,
            cursor=self._cursor(request),
            page_size=self.config.page_size,
            after=after,
            before=before,
        )
        return json_response(self._page(request, [job.as_dict() for job in page], next_cursor, prev))

    async def predictions_list(self, request: Request) -> Response:
        return self._list_jobs(request, "prediction")

    async def trainings_create(self, request: Request) -> Response:
        model = self._model(request)
        version = self._version(request, model)
        data = body_object(
            await read_json(request),
            {"destination", "input", "webhook", "webhook_events_filter"},
            {"destination", "input"},
        )
        destination_name = body_string(data, "destination", required=True) or ""
        owner, _, name = destination_name.partition("/")
        destination = self.store.model(owner, name)
        if destination is None:
            raise ProblemError(404, "Not found", "The specified training destination does not exist")
        if not version.spec.trainable:
            raise ProblemError(
                422, "Version cannot be trained", f"The version {version.id} has no train() method to run."
            )
        prepared = self._validated(version, "training", data["input"])
        webhook, events = self._webhook(data)
        job = Job(
            id=new_id(),
            kind="training",
            model=model,
            version=version,
            input=data["input"],
            created_at=self.store.clock.now(),
            api_base=self.api_base,
            stream_url=None,
            webhook=webhook,
            webhook_events=events,
            destination=destination,
        )
        self.store.trainings.add(job.id, job, job.created_at)
        self.stats.trainings_created += 1
        return await self._launch(job, prepared, None, None)

    async def _on_trained(self, job: Job, result: Any) -> dict[str, Any]:
        """Publish a training's weights as a new version of its destination; the training's output."""
        weights_value = result.get("weights") if isinstance(result, dict) else result
        if not isinstance(weights_value, str):
            raise TypeError("train() must return the weights as a pathlib.Path (or a URL string).")
        weights_path = None
        if weights_value.startswith("data:"):
            weights_path = await asyncio.to_thread(self.files.write_data_uri, weights_value)
        else:
            try:
                internal = self.files.internal_path(weights_value, self.store.files.by_id)
            except InputValidationError:
                internal = None
            if internal is not None:
                weights_path = internal[0]
        destination = job.destination
        if destination is None:  # set when the training was created
            raise RuntimeError("The training has no destination.")
        digest = hashlib.sha256(f"{job.version.id}:{job.id}:{weights_value}".encode()).hexdigest()
        version = Version(
            id=digest,
            created_at=self.store.clock.now(),
            spec=job.version.spec,
            openapi_schema=job.version.openapi_schema,
            cog_version=job.version.cog_version,
            weights=weights_path,
            weights_url=weights_value,
        )
        self.store.add_version(destination, version)
        self.runtimes.open(version)
        return {"version": f"{destination.full_name}:{version.id}", "weights": weights_value}

    async def trainings_get(self, request: Request) -> Response:
        return json_response(self._job(request, "training").as_dict())

    async def trainings_cancel(self, request: Request) -> Response:
        return await self._cancel(self._job(request, "training"))

    async def trainings_list(self, request: Request) -> Response:
        return self._list_jobs(request, "training")

    def _deployment_version(self, model_name: str, version_id: str) -> Model:
        owner, _, name = model_name.partition("/")
        model = self.store.model(owner, name)
        if model is None:
            raise ProblemError(422, "Invalid request body", f"model: {model_name!r} does not exist.")
        if not any(v.id == version_id for v in model.versions):
            raise ProblemError(
                422, "Invalid request body", f"version: {version_id!r} is not a version of {model_name}."
            )
        return model

    async def deployments_list(self, request: Request) -> Response:
        items = [d.as_dict(self.account()) for d in reversed(self.store.deployments.values())]  # newest first
        return json_response(self._offset_page(request, items))

    async def deployments_create(self, request: Request) -> Response:
        fields = {"name", "model", "version", "hardware", "min_instances", "max_instances"}
        data = body_object(await read_json(request), fields, fields)
        name = body_string(data, "name", required=True) or ""
        if not NAME_PATTERN.match(name):
            raise ProblemError(422, "Invalid request body", "name: use lower-case letters, digits, dashes and dots.")
        model_name = body_string(data, "model", required=True) or ""
        version_id = body_string(data, "version", required=True) or ""
        hardware = body_string(data, "hardware", required=True) or ""
        min_instances = body_integer(data, "min_instances", 0, 5) or 0
        max_instances = body_integer(data, "max_instances", 0, 20) or 0
        if max_instances < min_instances:
            raise ProblemError(422, "Invalid request body", "max_instances: must not be less than min_instances.")
        self._deployment_version(model_name, version_id)
        key = f"{self.config.username}/{name}"
        if key in self.store.deployments:
            raise ProblemError(409, "Conflict", f"The deployment {key} already exists.")
        release = Release(1, model_name, version_id, self.store.clock.now(), hardware, min_instances, max_instances)
        deployment = Deployment(owner=self.config.username, name=name, releases=[release])
        self.store.deployments[key] = deployment
        return json_response(deployment.as_dict(self.account()))

    async def deployments_get(self, request: Request) -> Response:
        return json_response(self._deployment(request).as_dict(self.account()))

    async def deployments_update(self, request: Request) -> Response:
        deployment = self._deployment(request)
        data = body_object(await read_json(request), {"version", "hardware", "min_instances", "max_instances"})
        current = deployment.current
        version_id = body_string(data, "version") or current.version
        hardware = body_string(data, "hardware") or current.hardware
        min_instances = body_integer(data, "min_instances", 0, 5)
        max_instances = body_integer(data, "max_instances", 0, 20)
        low = current.min_instances if min_instances is None else min_instances
        high = current.max_instances if max_instances is None else max_instances
        if high < low:
            raise ProblemError(422, "Invalid request body", "max_instances: must not be less than min_instances.")
        self._deployment_version(current.model, version_id)
        release = Release(current.number + 1, current.model, version_id, self.store.clock.now(), hardware, low, high)
        deployment.releases.append(release)
        return json_response(deployment.as_dict(self.account()))

    async def deployments_delete(self, request: Request) -> Response:
        deployment = self._deployment(request)
        del self.store.deployments[f"{deployment.owner}/{deployment.name}"]
        return Response(status_code=204)
