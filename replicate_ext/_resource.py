"""`ApiObject`: what every object the API returns offers besides its fields.

The objects of the classic 1.x package are pydantic (v1) models, and code written for it turns them into data
with `.dict()` and `.json()`. Ours are plain classes with `to_dict()`; this base gives them the same two methods
with pydantic's parameters and meanings, built on `to_dict()`.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from typing import Any

__all__ = ["ApiObject", "IncludeExclude"]

# A set of field names, or a mapping from a field name to True (the whole field) or to the same for its members
# (pydantic's form: `exclude={"urls": {"stream"}}`, and `{"__all__": ...}` for every item of a list).
IncludeExclude = set[str] | set[int] | Mapping[Any, Any]


class ApiObject:
    """The `dict()` / `json()` of every API object (pydantic v1's, over `to_dict()`)."""

    __slots__ = ()

    def to_dict(self) -> dict[str, Any]:
        """The object as the API's JSON would have it (nested objects as dicts)."""
        raise NotImplementedError

    def dict(
        self,
        *,
        include: IncludeExclude | None = None,
        exclude: IncludeExclude | None = None,
        by_alias: bool = False,
        skip_defaults: bool | None = None,
        exclude_unset: bool = False,
        exclude_defaults: bool = False,
        exclude_none: bool = False,
    ) -> dict[str, Any]:
        """The fields as a dict, as pydantic's `dict()` gives them (1.x): `include` and `exclude` pick fields (and
        members of nested ones); `exclude_none` drops fields that are None. The field names are the API's, so
        `by_alias` changes nothing, and a field the API left out is None here, so `exclude_unset` and
        `exclude_defaults` (and the older `skip_defaults`) drop the fields that are None, as `exclude_none` does.
        """
        del by_alias  # the names are the API's own: there are no aliases
        drop_none = exclude_none or exclude_unset or exclude_defaults or bool(skip_defaults)
        picked = _pick(self.to_dict(), include, exclude)
        return {key: value for key, value in picked.items() if not (drop_none and value is None)}

    def json(
        self,
        *,
        include: IncludeExclude | None = None,
        exclude: IncludeExclude | None = None,
        by_alias: bool = False,
        skip_defaults: bool | None = None,
        exclude_unset: bool = False,
        exclude_defaults: bool = False,
        exclude_none: bool = False,
        encoder: Callable[[Any], Any] | None = None,
        models_as_dict: bool = True,
        **dumps_kwargs: Any,
    ) -> str:
        """`dict()` (same arguments) as a JSON string; `encoder` turns what JSON cannot hold into what it can,
        and other keyword arguments go to `json.dumps`. Nested objects are always written as JSON objects, so
        `models_as_dict` changes nothing."""
        del models_as_dict
        data = self.dict(
            include=include, exclude=exclude, by_alias=by_alias, skip_defaults=skip_defaults,
            exclude_unset=exclude_unset, exclude_defaults=exclude_defaults, exclude_none=exclude_none,
        )  # fmt: skip
        return json.dumps(data, default=encoder or str, **dumps_kwargs)


def _pick(value: Any, include: Any, exclude: Any) -> Any:
    """`value` with pydantic's include/exclude applied, recursively through dicts and lists."""
    if include is None and exclude is None:
        return value
    if isinstance(value, dict):
        keys = [key for key in value if _wanted(key, include, exclude)]
        return {key: _pick(value[key], _below(include, key), _below(exclude, key)) for key in keys}
    if isinstance(value, list):
        indexes = [index for index in range(len(value)) if _wanted(index, include, exclude)]
        return [_pick(value[index], _below(include, index), _below(exclude, index)) for index in indexes]
    return value


def _wanted(key: Any, include: Any, exclude: Any) -> bool:
    if include is not None and key not in include and "__all__" not in include:
        return False
    if exclude is None:
        return True
    if isinstance(exclude, Mapping):
        spec = exclude.get(key, exclude.get("__all__"))
        return spec is not True and spec is not ...  # a nested spec excludes members, not the field
    return key not in exclude


def _below(spec: Any, key: Any) -> Any:
    """The part of an include/exclude spec that applies inside the field `key` (None: all of it)."""
    if not isinstance(spec, Mapping):
        return None
    inner = spec.get(key, spec.get("__all__"))
    return None if inner is True or inner is ... else inner
