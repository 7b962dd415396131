from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, BinaryIO, Generator, TextIO, TypeVar, cast

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..types import UNSET, Unset

if TYPE_CHECKING:
    from ..models.model import Model
    from ..models.search_model_metadata import SearchModelMetadata


T = TypeVar("T", bound="SearchModelResult")


@_attrs_define
class SearchModelResult:
    metadata: SearchModelMetadata
    model: Model
    """ A model: a name, its metadata and its versions. """
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        from ..models.model import Model  # noqa: PLC0415
        from ..models.search_model_metadata import SearchModelMetadata  # noqa: PLC0415

        metadata = self.metadata.to_dict()

        model = self.model.to_dict()

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "metadata": metadata,
                "model": model,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        from ..models.model import Model  # noqa: PLC0415
        from ..models.search_model_metadata import SearchModelMetadata  # noqa: PLC0415

        d = dict(src_dict)
        metadata = SearchModelMetadata.from_dict(d.pop("metadata"))

        model = Model.from_dict(d.pop("model"))

        search_model_result = cls(
            metadata=metadata,
            model=model,
        )

        search_model_result.additional_properties = d
        return search_model_result

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
