"""Handlers of `/_local/*` (stats, faults, web pages) and of the delivery origin (files, streams)."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import FileResponse, Response

from ._errors import ProblemError
from ._faults import Faults
from ._handlers import HandlerBase
from ._http import (
    json_response,
    not_found,
    read_json,
)

__all__ = ["AdminRoutes"]


class AdminRoutes(HandlerBase):
    """Handlers of `/_local/*` (stats, faults, web pages) and of the delivery origin (files, streams)."""

    async def _stats(self, request: Request) -> Response:
        return json_response(self.stats.snapshot())

    async def _reset_stats(self, request: Request) -> Response:
        self.stats.reset()
        return json_response(self.stats.snapshot())

    async def _faults_get(self, request: Request) -> Response:
        return json_response(self.config.faults.to_dict())

    async def _faults_put(self, request: Request) -> Response:
        data = await read_json(request)
        try:
            faults = Faults.from_mapping(data)
        except ValueError as exc:
            raise ProblemError(422, "Invalid fault configuration", str(exc)) from None
        self.set_faults(faults)
        return json_response(faults.to_dict())

    async def _web_prediction(self, request: Request) -> Response:
        job = self.store.predictions.by_id.get(request.path_params["prediction_id"])
        if job is None:
            raise not_found("The prediction")
        return json_response(job.as_dict())

    async def _web_model(self, request: Request) -> Response:
        return json_response(self._model(request).as_dict(self.web_base))

    async def _delivery_file(self, request: Request) -> Response:
        path = self.files.delivery_path(request.path_params["token"], request.path_params["filename"])
        if path is None:
            raise not_found("The file")
        return FileResponse(path)

    async def _stream(self, request: Request) -> Response:
        from ._sse import stream_response

        prediction_id = request.path_params["prediction_id"]
        job = self.store.predictions.by_id.get(prediction_id) or self.store.trainings.by_id.get(prediction_id)
        if job is None:
            raise not_found(f"The prediction {prediction_id}")
        return stream_response(request, job, self.injector, self.stats)
