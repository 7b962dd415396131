from __future__ import annotations

import datetime
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, BinaryIO, Generator, TextIO, TypeVar, cast

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..types import UNSET, Unset

if TYPE_CHECKING:
    from ..models.file_checksums import FileChecksums
    from ..models.file_urls import FileUrls


T = TypeVar("T", bound="File")


@_attrs_define
class File:
    """A file uploaded through the files API."""

    checksums: FileChecksums
    content_type: str
    created_at: datetime.datetime
    expires_at: datetime.datetime
    id: str
    metadata: Any
    """ The JSON metadata given when the file was created. """
    size: int
    urls: FileUrls
    name: str | Unset = UNSET
    """ The file's name. """
    etag: str | Unset = UNSET
    """ An entity tag for the file's content. """
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        from ..models.file_checksums import FileChecksums  # noqa: PLC0415
        from ..models.file_urls import FileUrls  # noqa: PLC0415

        checksums = self.checksums.to_dict()

        content_type = self.content_type

        created_at = self.created_at.isoformat()

        expires_at = self.expires_at.isoformat()

        id = self.id

        metadata = self.metadata

        size = self.size

        urls = self.urls.to_dict()

        name = self.name

        etag = self.etag

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "checksums": checksums,
                "content_type": content_type,
                "created_at": created_at,
                "expires_at": expires_at,
                "id": id,
                "metadata": metadata,
                "size": size,
                "urls": urls,
            }
        )
        if name is not UNSET:
            field_dict["name"] = name
        if etag is not UNSET:
            field_dict["etag"] = etag

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        from ..models.file_checksums import FileChecksums  # noqa: PLC0415
        from ..models.file_urls import FileUrls  # noqa: PLC0415

        d = dict(src_dict)
        checksums = FileChecksums.from_dict(d.pop("checksums"))

        content_type = d.pop("content_type")

        created_at = datetime.datetime.fromisoformat(d.pop("created_at"))

        expires_at = datetime.datetime.fromisoformat(d.pop("expires_at"))

        id = d.pop("id")

        metadata = d.pop("metadata")

        size = d.pop("size")

        urls = FileUrls.from_dict(d.pop("urls"))

        name = d.pop("name", UNSET)

        etag = d.pop("etag", UNSET)

        file = cls(
            checksums=checksums,
            content_type=content_type,
            created_at=created_at,
            expires_at=expires_at,
            id=id,
            metadata=metadata,
            size=size,
            urls=urls,
            name=name,
            etag=etag,
        )

        file.additional_properties = d
        return file

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
