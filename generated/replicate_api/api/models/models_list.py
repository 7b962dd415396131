from http import HTTPStatus
from typing import Any, cast
from urllib.parse import quote

import httpx

from ... import errors
from ...client import AuthenticatedClient, Client
from ...models.models_list_sort_by import ModelsListSortBy, check_models_list_sort_by
from ...models.models_list_sort_direction import ModelsListSortDirection, check_models_list_sort_direction
from ...models.paginated_models import PaginatedModels
from ...models.problem import Problem
from ...types import UNSET, Response, Unset


def _get_kwargs(
    *,
    sort_by: ModelsListSortBy | Unset = "latest_version_created_at",
    sort_direction: ModelsListSortDirection | Unset = "desc",
) -> dict[str, Any]:

    params: dict[str, Any] = {}

    json_sort_by: str | Unset = UNSET
    if not isinstance(sort_by, Unset):
        json_sort_by = sort_by

    params["sort_by"] = json_sort_by

    json_sort_direction: str | Unset = UNSET
    if not isinstance(sort_direction, Unset):
        json_sort_direction = sort_direction

    params["sort_direction"] = json_sort_direction

    params = {k: v for k, v in params.items() if v is not UNSET and v is not None}

    _kwargs: dict[str, Any] = {
        "method": "get",
        "url": "/models",
        "params": params,
    }

    return _kwargs


def _parse_response(*, client: AuthenticatedClient | Client, response: httpx.Response) -> PaginatedModels | Problem:
    if response.status_code == 200:
        response_200 = PaginatedModels.from_dict(response.json())

        return response_200

    response_default = Problem.from_dict(response.json())

    return response_default


def _build_response(
    *, client: AuthenticatedClient | Client, response: httpx.Response
) -> Response[PaginatedModels | Problem]:
    return Response(
        status_code=HTTPStatus(response.status_code),
        content=response.content,
        headers=response.headers,
        parsed=_parse_response(client=client, response=response),
    )


def sync_detailed(
    *,
    client: AuthenticatedClient | Client,
    sort_by: ModelsListSortBy | Unset = "latest_version_created_at",
    sort_direction: ModelsListSortDirection | Unset = "desc",
) -> Response[PaginatedModels | Problem]:
    """List public models

    Args:
        sort_by (ModelsListSortBy | Unset):  Default: 'latest_version_created_at'.
        sort_direction (ModelsListSortDirection | Unset):  Default: 'desc'.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[PaginatedModels | Problem]
    """

    kwargs = _get_kwargs(
        sort_by=sort_by,
        sort_direction=sort_direction,
    )

    response = client.get_httpx_client().request(
        **kwargs,
    )

    return _build_response(client=client, response=response)


def sync(
    *,
    client: AuthenticatedClient | Client,
    sort_by: ModelsListSortBy | Unset = "latest_version_created_at",
    sort_direction: ModelsListSortDirection | Unset = "desc",
) -> PaginatedModels | Problem | None:
    """List public models

    Args:
        sort_by (ModelsListSortBy | Unset):  Default: 'latest_version_created_at'.
        sort_direction (ModelsListSortDirection | Unset):  Default: 'desc'.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        PaginatedModels | Problem
    """

    return sync_detailed(
        client=client,
        sort_by=sort_by,
        sort_direction=sort_direction,
    ).parsed


async def asyncio_detailed(
    *,
    client: AuthenticatedClient | Client,
    sort_by: ModelsListSortBy | Unset = "latest_version_created_at",
    sort_direction: ModelsListSortDirection | Unset = "desc",
) -> Response[PaginatedModels | Problem]:
    """List public models

    Args:
        sort_by (ModelsListSortBy | Unset):  Default: 'latest_version_created_at'.
        sort_direction (ModelsListSortDirection | Unset):  Default: 'desc'.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[PaginatedModels | Problem]
    """

    kwargs = _get_kwargs(
        sort_by=sort_by,
        sort_direction=sort_direction,
    )

    response = await client.get_async_httpx_client().request(**kwargs)

    return _build_response(client=client, response=response)


async def asyncio(
    *,
    client: AuthenticatedClient | Client,
    sort_by: ModelsListSortBy | Unset = "latest_version_created_at",
    sort_direction: ModelsListSortDirection | Unset = "desc",
) -> PaginatedModels | Problem | None:
    """List public models

    Args:
        sort_by (ModelsListSortBy | Unset):  Default: 'latest_version_created_at'.
        sort_direction (ModelsListSortDirection | Unset):  Default: 'desc'.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        PaginatedModels | Problem
    """

    return (
        await asyncio_detailed(
            client=client,
            sort_by=sort_by,
            sort_direction=sort_direction,
        )
    ).parsed
