"""The hardware models can run on."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import httpx

from ._http import Call
from ._resource import ApiObject

if TYPE_CHECKING:
    from ._client import Client

__all__ = ["Hardware", "HardwareNamespace"]


@dataclass(frozen=True)
class Hardware(ApiObject):
    """A kind of hardware: its `sku` (what the API takes, such as "gpu-t4") and a display `name`."""

    sku: str
    name: str
    extra: dict[str, Any] = field(default_factory=dict, compare=False)

    @property
    def id(self) -> str:
        """The `sku` (the 1.x name, deprecated there too)."""
        return self.sku

    def to_dict(self) -> dict[str, Any]:
        return {"sku": self.sku, "name": self.name} | self.extra


HardwareList = list[Hardware]


class HardwareNamespace:
    """`hardware.list()`: the hardware available for models and deployments."""

    def __init__(self, client: Client) -> None:
        self._client = client

    def _call(self) -> Call[HardwareList]:
        from replicate_api.api.hardware import hardware_list
        from replicate_api.models import Hardware as ApiHardware

        def parse(response: httpx.Response) -> HardwareList:
            items = json.loads(response.content)
            if not isinstance(items, list):
                raise TypeError(f"expected a JSON array, got {type(items).__name__}")
            result = []
            for item in items:
                data = ApiHardware.from_dict(item)
                result.append(Hardware(str(data.sku), str(data.name), dict(data.additional_properties)))
            return result

        return Call("hardware.list", hardware_list._get_kwargs(), parse)

    def list(self) -> HardwareList:
        """Every kind of hardware."""
        return self._client._request(self._call())

    async def async_list(self) -> HardwareList:
        """Like `list`, for async code."""
        return await self._client._arequest(self._call())
