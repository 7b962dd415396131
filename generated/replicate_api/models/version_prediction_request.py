from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, BinaryIO, Generator, TextIO, TypeVar, cast

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..models.version_prediction_request_webhook_events_filter_item import (
    VersionPredictionRequestWebhookEventsFilterItem,
    check_version_prediction_request_webhook_events_filter_item,
)
from ..types import UNSET, Unset

T = TypeVar("T", bound="VersionPredictionRequest")


@_attrs_define
class VersionPredictionRequest:
    input_: Any
    """ The model's input: keys and values as its version's schema describes. """
    version: str
    stream: bool | Unset = UNSET
    webhook: str | Unset = UNSET
    webhook_events_filter: list[VersionPredictionRequestWebhookEventsFilterItem] | Unset = UNSET

    def to_dict(self) -> dict[str, Any]:
        input_ = self.input_

        version = self.version

        stream = self.stream

        webhook = self.webhook

        webhook_events_filter: list[str] | Unset = UNSET
        if not isinstance(self.webhook_events_filter, Unset):
            webhook_events_filter = []
            for webhook_events_filter_item_data in self.webhook_events_filter:
                webhook_events_filter_item: str = webhook_events_filter_item_data
                webhook_events_filter.append(webhook_events_filter_item)

        field_dict: dict[str, Any] = {}

        field_dict.update(
            {
                "input": input_,
                "version": version,
            }
        )
        if stream is not UNSET:
            field_dict["stream"] = stream
        if webhook is not UNSET:
            field_dict["webhook"] = webhook
        if webhook_events_filter is not UNSET:
            field_dict["webhook_events_filter"] = webhook_events_filter

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        d = dict(src_dict)
        input_ = d.pop("input")

        version = d.pop("version")

        stream = d.pop("stream", UNSET)

        webhook = d.pop("webhook", UNSET)

        _webhook_events_filter = d.pop("webhook_events_filter", UNSET)
        webhook_events_filter: list[VersionPredictionRequestWebhookEventsFilterItem] | Unset = UNSET
        if _webhook_events_filter is not UNSET:
            webhook_events_filter = []
            for webhook_events_filter_item_data in _webhook_events_filter:
                webhook_events_filter_item = check_version_prediction_request_webhook_events_filter_item(
                    webhook_events_filter_item_data
                )

                webhook_events_filter.append(webhook_events_filter_item)

        version_prediction_request = cls(
            input_=input_,
            version=version,
            stream=stream,
            webhook=webhook,
            webhook_events_filter=webhook_events_filter,
        )

        return version_prediction_request
