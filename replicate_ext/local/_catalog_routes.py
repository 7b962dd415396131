"""Handlers of the catalog: account, hardware, collections, models, versions, search, the webhook secret."""

from __future__ import annotations

import json

from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response

from ._errors import ProblemError
from ._handlers import HARDWARE, HandlerBase
from ._http import (
    NAME_PATTERN,
    body_object,
    body_string,
    json_response,
    not_found,
    read_json,
)
from ._state import (
    Model,
)

__all__ = ["CatalogRoutes"]


class CatalogRoutes(HandlerBase):
    """Handlers of the catalog: account, hardware, collections, models, versions, search, the webhook secret."""

    async def account_get(self, request: Request) -> Response:
        return json_response(self.account())

    async def hardware_list(self, request: Request) -> Response:
        return json_response(list(HARDWARE))

    async def collections_list(self, request: Request) -> Response:
        items = [
            {"name": c.name, "slug": c.slug, "description": c.description} for c in self.store.collections.values()
        ]
        return json_response(self._offset_page(request, items))

    async def collections_get(self, request: Request) -> Response:
        slug = request.path_params["collection_slug"]
        collection = self.store.collections.get(slug)
        if collection is None:
            raise not_found(f"The collection {slug!r}")
        models = [self.store.models[n].as_dict(self.web_base) for n in collection.models if n in self.store.models]
        return json_response(
            {
                "name": collection.name,
                "slug": collection.slug,
                "description": collection.description,
                "full_description": None,
                "models": models,
            }
        )

    async def webhooks_default_secret_get(self, request: Request) -> Response:
        return json_response({"key": self.config.webhook_secret})

    def _matching_models(self, query: str) -> list[Model]:
        words = query.lower().split()
        found = []
        for model in self.store.models.values():
            text = f"{model.owner}/{model.name} {model.description or ''} {model.readme or ''}".lower()
            if all(word in text for word in words):
                found.append(model)
        return found

    async def search(self, request: Request) -> Response:
        try:
            return self._search(request)
        except ProblemError as problem:
            # openapi.yaml documents this operation's 400 and 500 bodies as application/json, unlike the rest.
            return Response(json.dumps(problem.body()), status_code=problem.status, media_type="application/json")

    def _search(self, request: Request) -> Response:
        query = request.query_params.get("query")
        if query is None or not query.strip():
            raise ProblemError(400, "Invalid parameter", "query: this parameter is required.")
        limit_text = request.query_params.get("limit", "20")
        try:
            limit = int(limit_text)
        except ValueError:
            limit = 0
        if not 1 <= limit <= 50:
            raise ProblemError(400, "Invalid parameter", f"limit: must be an integer from 1 to 50, not {limit_text!r}.")
        models = self._matching_models(query)[:limit]
        words = query.lower().split()
        collections = [
            {"name": c.name, "slug": c.slug, "description": c.description, "models": c.models}
            for c in self.store.collections.values()
            if all(w in f"{c.slug} {c.name} {c.description}".lower() for w in words)
        ][:limit]
        return json_response(
            {
                "query": query,
                "models": [
                    {
                        "model": m.as_dict(self.web_base),
                        "metadata": {"generated_description": m.description, "score": 1.0, "tags": [m.owner]},
                    }
                    for m in models
                ],
                "collections": collections,
                "pages": [],
            }
        )

    async def models_list(self, request: Request) -> Response:
        sort_by = request.query_params.get("sort_by", "latest_version_created_at")
        direction = request.query_params.get("sort_direction", "desc")
        if sort_by not in ("model_created_at", "latest_version_created_at"):
            raise ProblemError(
                400, "Invalid parameter", "sort_by: must be 'model_created_at' or 'latest_version_created_at'."
            )
        if direction not in ("asc", "desc"):
            raise ProblemError(400, "Invalid parameter", "sort_direction: must be 'asc' or 'desc'.")
        models = sorted(
            self.store.models.values(),
            key=(lambda m: (m.created_at, m.full_name))
            if sort_by == "model_created_at"
            else (lambda m: (m.sort_time, m.full_name)),
            reverse=direction == "desc",
        )
        return json_response(self._offset_page(request, [m.as_dict(self.web_base) for m in models]))

    async def models_search(self, request: Request) -> Response:
        body = await request.body()
        try:
            query = body.decode("utf-8").strip()
        except UnicodeDecodeError:
            raise ProblemError(400, "Invalid request body", "The search query must be UTF-8 text.") from None
        if not query:
            raise ProblemError(400, "Invalid request body", "Send the search query as the text/plain body.")
        models = [m.as_dict(self.web_base) for m in self._matching_models(query)]
        return json_response(self._offset_page(request, models))

    async def models_create(self, request: Request) -> Response:
        allowed = {
            "owner", "name", "visibility", "hardware", "description", "github_url",
            "paper_url", "license_url", "cover_image_url",
        }  # fmt: skip
        data = body_object(await read_json(request), allowed, {"owner", "name", "visibility", "hardware"})
        owner = body_string(data, "owner", required=True) or ""
        name = body_string(data, "name", required=True) or ""
        if owner != self.config.username:
            raise ProblemError(
                403, "Forbidden", f"owner: you can only create models under your account, {self.config.username!r}."
            )
        if not NAME_PATTERN.match(name):
            raise ProblemError(
                422,
                "Invalid request body",
                "name: use lower-case letters, digits, dashes, underscores and dots.",
            )
        visibility = body_string(data, "visibility", required=True)
        if visibility not in ("public", "private"):
            raise ProblemError(422, "Invalid request body", "visibility: must be 'public' or 'private'.")
        hardware = body_string(data, "hardware", required=True)
        if hardware not in {h["sku"] for h in HARDWARE}:
            raise ProblemError(422, "Invalid request body", f"hardware: {hardware!r} is not a known hardware SKU.")
        if self.store.model(owner, name) is not None:
            raise ProblemError(409, "Conflict", f"The model {owner}/{name} already exists.")
        model = Model(
            owner=owner,
            name=name,
            created_at=self.store.clock.now(),
            visibility=visibility,
            hardware=hardware or "cpu",
            description=body_string(data, "description"),
            github_url=body_string(data, "github_url"),
            paper_url=body_string(data, "paper_url"),
            license_url=body_string(data, "license_url"),
            cover_image_url=body_string(data, "cover_image_url"),
        )
        self.store.add_model(model)
        return json_response(model.as_dict(self.web_base), 201)

    async def models_get(self, request: Request) -> Response:
        return json_response(self._model(request).as_dict(self.web_base))

    async def models_update(self, request: Request) -> Response:
        model = self._model(request)
        allowed = {"description", "github_url", "license_url", "paper_url", "readme", "weights_url"}
        data = body_object(await read_json(request), allowed)
        self._own(model)
        for name in sorted(data):
            value = body_string(data, name)
            setattr(model, name, value)
        return json_response(model.as_dict(self.web_base))

    async def models_delete(self, request: Request) -> Response:
        model = self._model(request)
        self._own(model)
        if model.versions:
            raise ProblemError(409, "Conflict", "A model with versions cannot be deleted; delete its versions first.")
        self.store.remove_model(model)
        return Response(status_code=204)

    async def models_examples_list(self, request: Request) -> Response:
        model = self._model(request)
        return json_response(self._offset_page(request, [job.as_dict() for job in model.examples]))

    async def models_readme_get(self, request: Request) -> Response:
        model = self._model(request)
        if not model.readme:
            raise not_found(f"A README for {model.full_name}")
        return PlainTextResponse(model.readme)

    async def models_versions_list(self, request: Request) -> Response:
        model = self._model(request)
        return json_response(self._offset_page(request, [v.as_dict() for v in reversed(model.versions)]))

    async def models_versions_get(self, request: Request) -> Response:
        model = self._model(request)
        return json_response(self._version(request, model).as_dict())

    async def models_versions_delete(self, request: Request) -> Response:
        model = self._model(request)
        version = self._version(request, model)
        self._own(model)
        model.versions.remove(version)
        if self.store.versions.get(version.id, (None,))[0] is model:
            del self.store.versions[version.id]
        return Response(status_code=202)
