"""The account the API token belongs to."""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from typing import TYPE_CHECKING, Any

from ._http import Call
from ._resource import ApiObject

if TYPE_CHECKING:
    from replicate_api.models import Account as ApiAccount

    from ._client import Client

__all__ = ["Account", "Accounts"]


@dataclass(frozen=True)
class Account(ApiObject):
    """A user or organization account."""

    type: str
    """"user" or "organization"."""
    username: str
    name: str | None = None
    github_url: str | None = None
    avatar_url: str | None = None
    extra: dict[str, Any] = field(default_factory=dict, compare=False)

    def to_dict(self) -> dict[str, Any]:
        data = {f.name: getattr(self, f.name) for f in fields(self) if f.name != "extra"}
        return data | self.extra

    @classmethod
    def _from_api(cls, data: ApiAccount) -> Account:
        from ._predictions import _given

        return cls(
            type=data.type_,
            username=data.username,
            name=_given(data.name),
            github_url=_given(data.github_url),
            avatar_url=_given(data.avatar_url),
            extra=dict(data.additional_properties),
        )


class Accounts:
    """`accounts.current()`: who the API token belongs to."""

    def __init__(self, client: Client) -> None:
        self._client = client

    def _call(self) -> Call[Account]:
        from replicate_api.api.account import account_get
        from replicate_api.models import Account as ApiAccountModel

        from ._client import json_parser

        parse = json_parser(ApiAccountModel.from_dict)
        return Call("account.get", account_get._get_kwargs(), lambda r: Account._from_api(parse(r)))

    def current(self) -> Account:
        """The account of the API token in use."""
        return self._client._request(self._call())

    async def async_current(self) -> Account:
        """Like `current`, for async code."""
        return await self._client._arequest(self._call())
