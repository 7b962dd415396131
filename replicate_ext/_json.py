"""Comparing JSON values as JSON does: `true` is not `1`, while `1` and `1.0` are the same number."""

from __future__ import annotations

from typing import Any

__all__ = ["same_json"]


def same_json(a: Any, b: Any) -> bool:
    """Whether two decoded JSON values are equal as JSON: booleans equal only booleans (Python's `True == 1` does
    not hold here), objects and arrays compare member by member, and a value whose `==` fails is not equal."""
    if isinstance(a, bool) or isinstance(b, bool):
        return isinstance(a, bool) and isinstance(b, bool) and a == b
    if isinstance(a, dict) or isinstance(b, dict):
        return (
            isinstance(a, dict)
            and isinstance(b, dict)
            and a.keys() == b.keys()
            and all(same_json(a[k], b[k]) for k in a)
        )
    if isinstance(a, list | tuple) or isinstance(b, list | tuple):
        return (
            isinstance(a, list | tuple)
            and isinstance(b, list | tuple)
            and len(a) == len(b)
            and all(same_json(x, y) for x, y in zip(a, b, strict=True))
        )
    try:
        return bool(a == b)
    except Exception:  # a value whose == fails (a numpy array compared with a list, say)
        return False
