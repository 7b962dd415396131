from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, BinaryIO, Generator, TextIO, TypeVar, cast

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..types import UNSET, Unset

if TYPE_CHECKING:
    from ..models.prediction import Prediction
    from ..models.version import Version


T = TypeVar("T", bound="Model")


@_attrs_define
class Model:
    """A model: a name, its metadata and its versions."""

    cover_image_url: None | str | Unset = UNSET
    default_example: None | Prediction | Unset = UNSET
    description: None | str | Unset = UNSET
    github_url: None | str | Unset = UNSET
    is_official: bool | Unset = UNSET
    latest_version: None | Unset | Version = UNSET
    license_url: None | str | Unset = UNSET
    name: str | Unset = UNSET
    owner: str | Unset = UNSET
    paper_url: None | str | Unset = UNSET
    run_count: int | Unset = UNSET
    url: str | Unset = UNSET
    visibility: str | Unset = UNSET
    """ Known values: public, private. Others may appear. """
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        from ..models.prediction import Prediction  # noqa: PLC0415
        from ..models.version import Version  # noqa: PLC0415

        cover_image_url: None | str | Unset
        if isinstance(self.cover_image_url, Unset):
            cover_image_url = UNSET
        else:
            cover_image_url = self.cover_image_url

        default_example: dict[str, Any] | None | Unset
        if isinstance(self.default_example, Unset):
            default_example = UNSET
        elif isinstance(self.default_example, Prediction):
            default_example = self.default_example.to_dict()
        else:
            default_example = self.default_example

        description: None | str | Unset
        if isinstance(self.description, Unset):
            description = UNSET
        else:
            description = self.description

        github_url: None | str | Unset
        if isinstance(self.github_url, Unset):
            github_url = UNSET
        else:
            github_url = self.github_url

        is_official = self.is_official

        latest_version: dict[str, Any] | None | Unset
        if isinstance(self.latest_version, Unset):
            latest_version = UNSET
        elif isinstance(self.latest_version, Version):
            latest_version = self.latest_version.to_dict()
        else:
            latest_version = self.latest_version

        license_url: None | str | Unset
        if isinstance(self.license_url, Unset):
            license_url = UNSET
        else:
            license_url = self.license_url

        name = self.name

        owner = self.owner

        paper_url: None | str | Unset
        if isinstance(self.paper_url, Unset):
            paper_url = UNSET
        else:
            paper_url = self.paper_url

        run_count = self.run_count

        url = self.url

        visibility = self.visibility

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update({})
        if cover_image_url is not UNSET:
            field_dict["cover_image_url"] = cover_image_url
        if default_example is not UNSET:
            field_dict["default_example"] = default_example
        if description is not UNSET:
            field_dict["description"] = description
        if github_url is not UNSET:
            field_dict["github_url"] = github_url
        if is_official is not UNSET:
            field_dict["is_official"] = is_official
        if latest_version is not UNSET:
            field_dict["latest_version"] = latest_version
        if license_url is not UNSET:
            field_dict["license_url"] = license_url
        if name is not UNSET:
            field_dict["name"] = name
        if owner is not UNSET:
            field_dict["owner"] = owner
        if paper_url is not UNSET:
            field_dict["paper_url"] = paper_url
        if run_count is not UNSET:
            field_dict["run_count"] = run_count
        if url is not UNSET:
            field_dict["url"] = url
        if visibility is not UNSET:
            field_dict["visibility"] = visibility

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        from ..models.prediction import Prediction  # noqa: PLC0415
        from ..models.version import Version  # noqa: PLC0415

        d = dict(src_dict)

        def _parse_cover_image_url(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        cover_image_url = _parse_cover_image_url(d.pop("cover_image_url", UNSET))

        def _parse_default_example(data: object) -> None | Prediction | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            try:
                if not isinstance(data, dict):
                    raise TypeError()
                default_example_type_0 = Prediction.from_dict(data)

                return default_example_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(None | Prediction | Unset, data)

        default_example = _parse_default_example(d.pop("default_example", UNSET))

        def _parse_description(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        description = _parse_description(d.pop("description", UNSET))

        def _parse_github_url(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        github_url = _parse_github_url(d.pop("github_url", UNSET))

        is_official = d.pop("is_official", UNSET)

        def _parse_latest_version(data: object) -> None | Unset | Version:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            try:
                if not isinstance(data, dict):
                    raise TypeError()
                latest_version_type_0 = Version.from_dict(data)

                return latest_version_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(None | Unset | Version, data)

        latest_version = _parse_latest_version(d.pop("latest_version", UNSET))

        def _parse_license_url(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        license_url = _parse_license_url(d.pop("license_url", UNSET))

        name = d.pop("name", UNSET)

        owner = d.pop("owner", UNSET)

        def _parse_paper_url(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        paper_url = _parse_paper_url(d.pop("paper_url", UNSET))

        run_count = d.pop("run_count", UNSET)

        url = d.pop("url", UNSET)

        visibility = d.pop("visibility", UNSET)

        model = cls(
            cover_image_url=cover_image_url,
            default_example=default_example,
            description=description,
            github_url=github_url,
            is_official=is_official,
            latest_version=latest_version,
            license_url=license_url,
            name=name,
            owner=owner,
            paper_url=paper_url,
            run_count=run_count,
            url=url,
            visibility=visibility,
        )

        model.additional_properties = d
        return model

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
