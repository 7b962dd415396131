from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, BinaryIO, Generator, TextIO, TypeVar, cast

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..types import UNSET, Unset

if TYPE_CHECKING:
    from ..models.deployment_release import DeploymentRelease


T = TypeVar("T", bound="Deployment")


@_attrs_define
class Deployment:
    """A named, configured endpoint that runs a fixed model version."""

    current_release: DeploymentRelease | Unset = UNSET
    name: str | Unset = UNSET
    owner: str | Unset = UNSET
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        from ..models.deployment_release import DeploymentRelease  # noqa: PLC0415

        current_release: dict[str, Any] | Unset = UNSET
        if not isinstance(self.current_release, Unset):
            current_release = self.current_release.to_dict()

        name = self.name

        owner = self.owner

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update({})
        if current_release is not UNSET:
            field_dict["current_release"] = current_release
        if name is not UNSET:
            field_dict["name"] = name
        if owner is not UNSET:
            field_dict["owner"] = owner

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        from ..models.deployment_release import DeploymentRelease  # noqa: PLC0415

        d = dict(src_dict)
        _current_release = d.pop("current_release", UNSET)
        current_release: DeploymentRelease | Unset
        if isinstance(_current_release, Unset):
            current_release = UNSET
        else:
            current_release = DeploymentRelease.from_dict(_current_release)

        name = d.pop("name", UNSET)

        owner = d.pop("owner", UNSET)

        deployment = cls(
            current_release=current_release,
            name=name,
            owner=owner,
        )

        deployment.additional_properties = d
        return deployment

    @property
    def additional_keys(self) -> list[str]:
        return list(self.additional_properties.keys())

    def __getitem__(self, key: str) -> Any:
        return self.additional_properties[key]

    def __setitem__(self, key: str, value: Any) -> None:
        self.additional_properties[key] = value

    def __delitem__(self, key: str) -> None:
        del self.additional_properties[key]

    def __contains__(self, key: str) -> bool:
        return key in self.additional_properties
