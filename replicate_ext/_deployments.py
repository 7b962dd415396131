"""Deployments: the `Deployment` object, the `deployments` namespace, and predictions through a deployment."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, TypedDict, Unpack, overload

from ._exceptions import InvalidArgumentError
from ._http import Call
from ._pagination import Page, page_call
from ._predictions import CreateOptions, CreateParams, Prediction, Target, _given, _iso, create_flow
from ._resource import ApiObject

if TYPE_CHECKING:
    from replicate_api.models import Deployment as ApiDeployment

    from ._accounts import Account
    from ._client import Client

__all__ = [
    "Deployment",
    "DeploymentConfiguration",
    "DeploymentPredictions",
    "DeploymentRelease",
    "DeploymentSettings",
    "DeploymentUpdates",
    "Deployments",
    "DeploymentsPredictions",
]


class DeploymentUpdates(TypedDict, total=False):
    """What `deployments.update` can change (at least one)."""

    version: str
    hardware: str
    min_instances: int
    max_instances: int


class DeploymentSettings(TypedDict):
    """What `deployments.create` needs."""

    name: str
    model: str
    version: str
    hardware: str
    min_instances: int
    max_instances: int


@dataclass(frozen=True)
class DeploymentConfiguration:
    """The hardware and scaling of a deployment release."""

    hardware: str | None = None
    min_instances: int | None = None
    max_instances: int | None = None


@dataclass(frozen=True)
class DeploymentRelease:
    """One release of a deployment: which version it runs, and how."""

    number: int | None = None
    model: str | None = None
    version: str | None = None
    created_at: str | None = None
    created_by: Account | None = None
    configuration: DeploymentConfiguration = field(default_factory=DeploymentConfiguration)


class Deployment(ApiObject):
    """A deployment: a named endpoint running one model version on chosen hardware."""

    Release = DeploymentRelease  # 1.x's name for the class of `current_release`

    owner: str
    name: str
    current_release: DeploymentRelease | None

    def __init__(
        self,
        owner: str,
        name: str,
        current_release: DeploymentRelease | None = None,
        *,
        client: Client | None = None,
        **extra: Any,
    ) -> None:
        self.owner = owner
        self.name = name
        self.current_release = current_release
        self.extra = extra
        self._client = client

    @classmethod
    def _from_api(cls, data: ApiDeployment, client: Client | None) -> Deployment:
        from ._accounts import Account

        release = _given(data.current_release)
        current: DeploymentRelease | None = None
        if release is not None:
            config = _given(release.configuration)
            creator = _given(release.created_by)
            current = DeploymentRelease(
                number=_given(release.number),
                model=_given(release.model),
                version=_given(release.version),
                created_at=_iso(_given(release.created_at)),
                created_by=Account._from_api(creator) if creator is not None else None,
                configuration=DeploymentConfiguration(
                    hardware=_given(config.hardware) if config is not None else None,
                    min_instances=_given(config.min_instances) if config is not None else None,
                    max_instances=_given(config.max_instances) if config is not None else None,
                ),
            )
        return cls(
            _given(data.owner) or "", _given(data.name) or "", current, client=client, **data.additional_properties
        )

    @property
    def id(self) -> str:
        """The deployment's name as `owner/name`."""
        return f"{self.owner}/{self.name}"

    @property
    def username(self) -> str:
        """The deployment's owner (the 1.x name, deprecated there too; use `owner`)."""
        return self.owner

    def to_dict(self) -> dict[str, Any]:
        release = self.current_release
        data: dict[str, Any] | None = None
        if release is not None:
            data = dataclasses.asdict(release)
            data["created_by"] = release.created_by.to_dict() if release.created_by is not None else None
        return {"owner": self.owner, "name": self.name, "current_release": data, **self.extra}

    @property
    def predictions(self) -> DeploymentPredictions:
        """Predictions through this deployment: `deployment.predictions.create(input={...})`."""
        if self._client is None:
            raise InvalidArgumentError("This deployment is not attached to a client; get it through a Client.")
        return DeploymentPredictions(self._client, self.owner, self.name)

    def __repr__(self) -> str:
        number = self.current_release.number if self.current_release else None
        return f"Deployment(id={self.id!r}, release={number!r})"


def deployment_name(value: str | tuple[str, str] | Deployment, *args: str) -> tuple[str, str]:
    """Accept `"owner/name"`, `("owner", "name")`, `owner, name`, or a `Deployment`."""
    from ._models import model_name

    if isinstance(value, Deployment):
        return value.owner, value.name
    return model_name(value, *args)


class Deployments:
    """The `deployments` namespace: `list`, `get`, `create`, `update`, `delete`, and `predictions`."""

    CreateDeploymentParams = DeploymentSettings  # 1.x's names of the TypedDicts
    UpdateDeploymentParams = DeploymentUpdates

    def __init__(self, client: Client) -> None:
        self._client = client
        self.predictions = DeploymentsPredictions(client)
        """Create a prediction through a deployment: `deployments.predictions.create(deployment=..., input=...)`."""

    def _deployment_call(self, operation: str, kwargs: Mapping[str, Any], idempotent: bool = True) -> Call[Deployment]:
        from replicate_api.models import Deployment as ApiDeploymentModel

        from ._client import json_parser

        parse = json_parser(ApiDeploymentModel.from_dict)
        client = self._client
        return Call(operation, kwargs, lambda r: Deployment._from_api(parse(r), client), idempotent=idempotent)

    def _list_call(self, cursor: str | None) -> Call[Page[Deployment]]:
        from replicate_api.api.deployments import deployments_list
        from replicate_api.models import Deployment as ApiDeploymentModel

        client = self._client
        kwargs: Mapping[str, Any] = {"method": "get", "url": cursor} if cursor else deployments_list._get_kwargs()
        return page_call(
            "deployments.list",
            kwargs,
            lambda data: Deployment._from_api(ApiDeploymentModel.from_dict(data), client),
            client,
        )

    def _get_call(self, owner: str, name: str) -> Call[Deployment]:
        from replicate_api.api.deployments import deployments_get

        return self._deployment_call("deployments.get", deployments_get._get_kwargs(owner, name))

    def _create_call(self, fields: dict[str, Any]) -> Call[Deployment]:
        from replicate_api.api.deployments import deployments_create
        from replicate_api.models import DeploymentCreateRequest

        from ._models import model_name

        name = fields["name"]
        if isinstance(name, str) and "/" in name:
            name = name.split("/", 1)[1]  # 1.x accepted "owner/name"; the API wants the name alone
        model = fields["model"]
        owner_model = "/".join(model_name(model))
        body = DeploymentCreateRequest(
            name=name,
            model=owner_model,
            version=_version_id(fields["version"]),
            hardware=fields["hardware"],
            min_instances=_instances(fields["min_instances"], "min_instances"),
            max_instances=_instances(fields["max_instances"], "max_instances"),
        )
        return self._deployment_call("deployments.create", deployments_create._get_kwargs(body=body), False)

    def _update_call(self, owner: str, name: str, fields: dict[str, Any]) -> Call[Deployment]:
        from replicate_api.api.deployments import deployments_update
        from replicate_api.models import DeploymentUpdateRequest

        given = {key: value for key, value in fields.items() if value is not None}
        if not given:
            raise InvalidArgumentError("update needs at least one of version, hardware, min_instances, max_instances.")
        if "version" in given:
            given["version"] = _version_id(given["version"])
        for key in ("min_instances", "max_instances"):
            if key in given:
                given[key] = _instances(given[key], key)
        kwargs = deployments_update._get_kwargs(owner, name, body=DeploymentUpdateRequest(**given))
        return self._deployment_call("deployments.update", kwargs)

    def _delete_call(self, owner: str, name: str) -> Call[None]:
        from replicate_api.api.deployments import deployments_delete

        kwargs = deployments_delete._get_kwargs(owner, name)
        return Call("deployments.delete", kwargs, lambda r: None, expects="nothing")

    def list(self, cursor: str | None = None) -> Page[Deployment]:
        """List your deployments, one page at a time."""
        return self._client._request(self._list_call(cursor))

    async def async_list(self, cursor: str | None = None) -> Page[Deployment]:
        """Like `list`, for async code."""
        return await self._client._arequest(self._list_call(cursor))

    def get(self, name: str | tuple[str, str], *args: str) -> Deployment:
        """Get a deployment: `deployments.get("owner/name")`."""
        return self._client._request(self._get_call(*deployment_name(name, *args)))

    async def async_get(self, name: str | tuple[str, str], *args: str) -> Deployment:
        """Like `get`, for async code."""
        return await self._client._arequest(self._get_call(*deployment_name(name, *args)))

    def create(
        self, *, name: str, model: str, version: str, hardware: str, min_instances: int, max_instances: int
    ) -> Deployment:
        """Create a deployment of `model` at `version` on `hardware`, scaling between the instance bounds."""
        fields = {
            "name": name, "model": model, "version": version, "hardware": hardware,
            "min_instances": min_instances, "max_instances": max_instances,
        }  # fmt: skip
        return self._client._request(self._create_call(fields))

    async def async_create(
        self, *, name: str, model: str, version: str, hardware: str, min_instances: int, max_instances: int
    ) -> Deployment:
        """Like `create`, for async code."""
        fields = {
            "name": name, "model": model, "version": version, "hardware": hardware,
            "min_instances": min_instances, "max_instances": max_instances,
        }  # fmt: skip
        return await self._client._arequest(self._create_call(fields))

    @overload
    def update(
        self, deployment_owner: str | tuple[str, str] | Deployment, **params: Unpack[DeploymentUpdates]
    ) -> Deployment: ...
    @overload
    def update(
        self, deployment_owner: str, deployment_name: str, **params: Unpack[DeploymentUpdates]
    ) -> Deployment: ...
    def update(self, *args: Any, **kwargs: Any) -> Deployment:
        """Make a new release of a deployment with the fields given changed (`version`, `hardware`,
        `min_instances`, `max_instances`).

        `update("owner/name", version=...)`; the 1.x forms `update(owner, name, ...)` and
        `update(deployment_owner=..., deployment_name=..., ...)` work too.
        """
        owner, name, fields = _update_arguments(args, kwargs)
        return self._client._request(self._update_call(owner, name, fields))

    @overload
    async def async_update(
        self, deployment_owner: str | tuple[str, str] | Deployment, **params: Unpack[DeploymentUpdates]
    ) -> Deployment: ...
    @overload
    async def async_update(
        self, deployment_owner: str, deployment_name: str, **params: Unpack[DeploymentUpdates]
    ) -> Deployment: ...
    async def async_update(self, *args: Any, **kwargs: Any) -> Deployment:
        """Like `update`, for async code."""
        owner, name, fields = _update_arguments(args, kwargs)
        return await self._client._arequest(self._update_call(owner, name, fields))

    @overload
    def delete(self, deployment_owner: str | tuple[str, str] | Deployment) -> bool: ...
    @overload
    def delete(self, deployment_owner: str, deployment_name: str) -> bool: ...
    def delete(self, *args: Any, **kwargs: Any) -> bool:
        """Delete a deployment (`"owner/name"`, or owner and name as in 1.x); True when done."""
        from ._models import owner_and_name

        self._client._request(self._delete_call(*owner_and_name(args, kwargs, _NAMES, deployment_name)))
        return True

    @overload
    async def async_delete(self, deployment_owner: str | tuple[str, str] | Deployment) -> bool: ...
    @overload
    async def async_delete(self, deployment_owner: str, deployment_name: str) -> bool: ...
    async def async_delete(self, *args: Any, **kwargs: Any) -> bool:
        """Like `delete`, for async code."""
        from ._models import owner_and_name

        await self._client._arequest(self._delete_call(*owner_and_name(args, kwargs, _NAMES, deployment_name)))
        return True


# How 1.x names a deployment's parts: update(deployment_owner, deployment_name, ...).
_NAMES = ("deployment", "deployment_owner", "deployment_name")


def _update_arguments(args: tuple[Any, ...], kwargs: dict[str, Any]) -> tuple[str, str, dict[str, Any]]:
    from ._models import owner_and_name

    fields = {key: kwargs.pop(key) for key in DeploymentUpdates.__optional_keys__ if key in kwargs}
    owner, name = owner_and_name(args, kwargs, _NAMES, deployment_name)
    return owner, name, fields


def _version_id(value: Any) -> str:
    from ._versions import Version

    if isinstance(value, Version):
        return value.id
    if not isinstance(value, str) or not value:
        raise InvalidArgumentError(f"version must be a version id, got {value!r}.")
    return value.rsplit(":", 1)[-1]


def _instances(value: Any, name: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise InvalidArgumentError(f"{name} must be a whole number, zero or more; got {value!r}.")
    return value


class DeploymentsPredictions:
    """`deployments.predictions.create(deployment="owner/name", input={...})`."""

    def __init__(self, client: Client) -> None:
        self._client = client

    def create(
        self,
        deployment: str | tuple[str, str] | Deployment,
        input: Mapping[str, Any] | None = None,
        **params: Unpack[CreateParams],
    ) -> Prediction:
        """Create a prediction through a deployment. See `Predictions.create` for the options."""
        return DeploymentPredictions(self._client, *deployment_name(deployment)).create(input, **params)

    async def async_create(
        self,
        deployment: str | tuple[str, str] | Deployment,
        input: Mapping[str, Any] | None = None,
        **params: Unpack[CreateParams],
    ) -> Prediction:
        """Like `create`, for async code."""
        return await DeploymentPredictions(self._client, *deployment_name(deployment)).async_create(input, **params)


class DeploymentPredictions:
    """Predictions through one deployment: `deployment.predictions.create(input={...})`."""

    def __init__(self, client: Client, owner: str, name: str) -> None:
        self._client = client
        self._target = Target("deployment", owner, name)

    def create(
        self,
        input: Mapping[str, Any] | None = None,
        **params: Unpack[CreateParams],
    ) -> Prediction:
        """Create a prediction through this deployment. See `Predictions.create` for the options."""
        options = CreateOptions.build(**params)
        return self._client._drive(create_flow(self._client, self._target, input, options))

    async def async_create(
        self,
        input: Mapping[str, Any] | None = None,
        **params: Unpack[CreateParams],
    ) -> Prediction:
        """Like `create`, for async code."""
        options = CreateOptions.build(**params)
        return await self._client._adrive(create_flow(self._client, self._target, input, options))
