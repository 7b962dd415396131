"""The API origin's route table: one list drives the router, the per-route statistics and the route classes."""

from __future__ import annotations

import re
from dataclasses import dataclass

__all__ = ["API_ROUTES", "RouteInfo", "classify"]


@dataclass(frozen=True)
class RouteInfo:
    """One operation: its path template, methods, handler name and whether it creates a job."""

    path: str
    methods: tuple[str, ...]
    handler: str
    creates: bool = False
    public: bool = False  # served without authentication


API_ROUTES: tuple[RouteInfo, ...] = (
    RouteInfo("/v1/account", ("GET",), "account_get"),
    RouteInfo("/v1/collections", ("GET",), "collections_list"),
    RouteInfo("/v1/collections/{collection_slug}", ("GET",), "collections_get"),
    RouteInfo("/v1/deployments", ("GET",), "deployments_list"),
    RouteInfo("/v1/deployments", ("POST",), "deployments_create"),
    RouteInfo("/v1/deployments/{deployment_owner}/{deployment_name}", ("GET",), "deployments_get"),
    RouteInfo("/v1/deployments/{deployment_owner}/{deployment_name}", ("PATCH",), "deployments_update"),
    RouteInfo("/v1/deployments/{deployment_owner}/{deployment_name}", ("DELETE",), "deployments_delete"),
    RouteInfo(
        "/v1/deployments/{deployment_owner}/{deployment_name}/predictions",
        ("POST",),
        "deployments_predictions_create",
        creates=True,
    ),
    RouteInfo("/v1/files", ("GET",), "files_list"),
    RouteInfo("/v1/files", ("POST",), "files_create"),
    RouteInfo("/v1/files/{file_id}", ("GET",), "files_get"),
    RouteInfo("/v1/files/{file_id}", ("DELETE",), "files_delete"),
    RouteInfo("/v1/files/{file_id}/download", ("GET",), "files_download", public=True),
    RouteInfo("/v1/hardware", ("GET",), "hardware_list"),
    RouteInfo("/v1/models", ("GET",), "models_list"),
    RouteInfo("/v1/models", ("POST",), "models_create"),
    RouteInfo("/v1/models", ("QUERY",), "models_search"),
    RouteInfo("/v1/models/{model_owner}/{model_name}", ("GET",), "models_get"),
    RouteInfo("/v1/models/{model_owner}/{model_name}", ("PATCH",), "models_update"),
    RouteInfo("/v1/models/{model_owner}/{model_name}", ("DELETE",), "models_delete"),
    RouteInfo("/v1/models/{model_owner}/{model_name}/examples", ("GET",), "models_examples_list"),
    RouteInfo(
        "/v1/models/{model_owner}/{model_name}/predictions", ("POST",), "models_predictions_create", creates=True
    ),
    RouteInfo("/v1/models/{model_owner}/{model_name}/readme", ("GET",), "models_readme_get"),
    RouteInfo("/v1/models/{model_owner}/{model_name}/versions", ("GET",), "models_versions_list"),
    RouteInfo("/v1/models/{model_owner}/{model_name}/versions/{version_id}", ("GET",), "models_versions_get"),
    RouteInfo("/v1/models/{model_owner}/{model_name}/versions/{version_id}", ("DELETE",), "models_versions_delete"),
    RouteInfo(
        "/v1/models/{model_owner}/{model_name}/versions/{version_id}/trainings",
        ("POST",),
        "trainings_create",
        creates=True,
    ),
    RouteInfo("/v1/predictions", ("GET",), "predictions_list"),
    RouteInfo("/v1/predictions", ("POST",), "predictions_create", creates=True),
    RouteInfo("/v1/predictions/{prediction_id}", ("GET",), "predictions_get"),
    RouteInfo("/v1/predictions/{prediction_id}/cancel", ("POST",), "predictions_cancel"),
    RouteInfo("/v1/search", ("GET",), "search", public=True),
    RouteInfo("/v1/trainings", ("GET",), "trainings_list"),
    RouteInfo("/v1/trainings/{training_id}", ("GET",), "trainings_get"),
    RouteInfo("/v1/trainings/{training_id}/cancel", ("POST",), "trainings_cancel"),
    RouteInfo("/v1/webhooks/default/secret", ("GET",), "webhooks_default_secret_get"),
)

_READ_METHODS = frozenset({"GET", "HEAD", "QUERY"})
_COMPILED = tuple((re.compile("^" + re.sub(r"\{\w+\}", "[^/]+", info.path) + "$"), info) for info in API_ROUTES)


def classify(method: str, path: str) -> tuple[str, str, RouteInfo | None]:
    """The statistics key (`"POST /v1/predictions"`), route class and route of a request.

    A path that matches a template with another method keeps the template (`"PUT /v1/predictions"`);
    a path that matches nothing is `"GET (unmatched)"`.
    """
    template = None
    found = None
    for pattern, info in _COMPILED:
        if pattern.match(path):
            template = info.path
            if method in info.methods or (method == "HEAD" and "GET" in info.methods):
                found = info
                break
    key = f"{method} {template or '(unmatched)'}"
    if method in _READ_METHODS:
        route_class = "read"
    elif found is not None and found.creates:
        route_class = "create"
    else:
        route_class = "write"
    return key, route_class, found
