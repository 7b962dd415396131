"""replicate_ext accepts everything the classic `replicate` 1.x package accepts, compared programmatically.

For every public method of 1.x's `Client`, its namespaces (nested ones included) and its objects, every
parameter 1.x accepts (each overload's, and the keys of the `**params` TypedDicts) must be accepted by ours the
same way: a positional parameter at the same position under the same name, a keyword under the same name.
Every public attribute of 1.x (the fields of its pydantic objects included) must exist on ours. The deliberate
differences are the rows of the README's "Differences from replicate 1.x" table, and nothing else may differ.
"""

from __future__ import annotations

import importlib
import inspect
import pathlib
import re
import sys
import typing
from collections.abc import Callable, Iterator
from typing import Any

import typing_extensions

import replicate_ext

README = pathlib.Path(__file__).parents[2] / "README.md"

# The name the README table uses, 1.x's class, ours, and one of ours (for attributes set on instances).
Pair = tuple[str, type, type, object]


def _pairs() -> list[Pair]:
    from replicate_ext._deployments import DeploymentPredictions, DeploymentsPredictions
    from replicate_ext._models import ModelsPredictions
    from replicate_ext._versions import Versions
    from replicate_ext._webhooks import WebhooksDefault

    v1mod = {name: importlib.import_module(f"replicate.{name}") for name in (
        "client", "model", "prediction", "deployment", "training", "file", "collection", "hardware", "account",
        "webhook", "version", "pagination", "helpers",
    )}  # fmt: skip
    client = v1mod["client"].Client(api_token="r8_x")
    ours = replicate_ext.Client(api_token="r8_x")
    namespaces = ["models", "predictions", "deployments", "trainings", "files", "collections", "hardware", "accounts",
                  "webhooks"]  # fmt: skip
    pairs: list[Pair] = [("Client", v1mod["client"].Client, replicate_ext.Client, ours)]
    for name in namespaces:
        pairs.append((f"client.{name}", type(getattr(client, name)), type(getattr(ours, name)), getattr(ours, name)))
    pairs += [
        ("client.models.predictions", type(client.models.predictions), ModelsPredictions, ours.models.predictions),
        (
            "client.deployments.predictions",
            type(client.deployments.predictions),
            DeploymentsPredictions,
            ours.deployments.predictions,
        ),
        ("client.webhooks.default", type(client.webhooks.default), WebhooksDefault, ours.webhooks.default),
        ("Model.versions", v1mod["version"].Versions, Versions, None),
        ("Deployment.predictions", v1mod["deployment"].DeploymentPredictions, DeploymentPredictions, None),
        ("Prediction", v1mod["prediction"].Prediction, replicate_ext.Prediction, None),
        ("Model", v1mod["model"].Model, replicate_ext.Model, None),
        ("Version", v1mod["version"].Version, replicate_ext.Version, None),
        ("Training", v1mod["training"].Training, replicate_ext.Training, None),
        ("Deployment", v1mod["deployment"].Deployment, replicate_ext.Deployment, None),
        ("Collection", v1mod["collection"].Collection, replicate_ext.Collection, None),
        ("Hardware", v1mod["hardware"].Hardware, replicate_ext.Hardware, None),
        ("Account", v1mod["account"].Account, replicate_ext.Account, None),
        ("File", v1mod["file"].File, replicate_ext.File, None),
        ("Page", v1mod["pagination"].Page, replicate_ext.Page, None),
        ("FileOutput", v1mod["helpers"].FileOutput, replicate_ext.FileOutput, None),
    ]
    return pairs


# -- reading signatures -------------------------------------------------------------------------------------------


def _typed_dict_keys(annotation: Any, func: Callable[..., Any]) -> list[str] | None:
    """The keys of `**params: Unpack[SomeTypedDict]` (None for a plain `**kwargs`)."""
    if isinstance(annotation, str):
        match = re.fullmatch(r"(?:typing_extensions\.|typing\.)?Unpack\[['\"]?([\w.]+)['\"]?\]", annotation.strip())
        if match is None:
            return None
        first, *rest = match.group(1).split(".")
        # The name may be imported for type checkers only: then look for it in the package's other modules.
        package = func.__module__.split(".", 1)[0]
        scopes = [func.__globals__] + [vars(m) for n, m in sorted(sys.modules.items()) if n.startswith(package)]
        value = next(scope[first] for scope in scopes if first in scope)
        for part in rest:
            value = getattr(value, part)
        annotation = value
    else:
        args = typing.get_args(annotation)
        if typing.get_origin(annotation) not in (typing.Unpack, typing_extensions.Unpack) or not args:
            return None
        annotation = args[0]
        if isinstance(annotation, typing.ForwardRef | str):
            return _typed_dict_keys(f"Unpack[{getattr(annotation, '__forward_arg__', annotation)}]", func)
    return sorted(annotation.__required_keys__ | annotation.__optional_keys__)


def _shapes(func: Callable[..., Any]) -> Iterator[inspect.Signature]:
    """The call shapes a function documents: its overloads, or else its own signature."""
    overloads = list(typing.get_overloads(func)) + list(typing_extensions.get_overloads(func))
    for each in overloads or [func]:
        yield inspect.signature(each)


def _accepted(func: Callable[..., Any]) -> tuple[set[tuple[int, str]], set[str]]:
    """Our function's (position, name) pairs and keyword names, over all its documented shapes."""
    positional: set[tuple[int, str]] = set()
    keywords: set[str] = set()
    for shape in _shapes(func):
        for index, param in enumerate(p for p in shape.parameters.values() if p.name not in ("self", "cls")):
            if param.kind in (param.POSITIONAL_ONLY, param.POSITIONAL_OR_KEYWORD):
                positional.add((index, param.name))
            if param.kind in (param.POSITIONAL_OR_KEYWORD, param.KEYWORD_ONLY):
                keywords.add(param.name)
            if param.kind is param.VAR_KEYWORD:
                keys = _typed_dict_keys(param.annotation, func)
                keywords.update(keys if keys is not None else ["**"])
    return positional, keywords


def _mismatches(where: str, theirs: Callable[..., Any], ours: Callable[..., Any]) -> list[str]:
    found: list[str] = []
    positional, keywords = _accepted(ours)
    for shape in _shapes(theirs):
        params = [p for p in shape.parameters.values() if p.name not in ("self", "cls")]
        for index, param in enumerate(params):
            if param.kind in (param.POSITIONAL_ONLY, param.POSITIONAL_OR_KEYWORD):
                if (index, param.name) not in positional:
                    found.append(f"{where}: positional #{index + 1} {param.name!r}")
            if param.kind in (param.POSITIONAL_OR_KEYWORD, param.KEYWORD_ONLY) and not (
                param.name in keywords or "**" in keywords
            ):
                found.append(f"{where}: keyword {param.name!r}")
            if param.kind is param.VAR_KEYWORD:
                for key in _typed_dict_keys(param.annotation, theirs) or []:
                    if key not in keywords and "**" not in keywords:
                        found.append(f"{where}: keyword {key!r} (from **{param.name})")
    return found


# -- the surface --------------------------------------------------------------------------------------------------

PYDANTIC_MEMBERS = frozenset(
    {"Config", "construct", "copy", "dict", "from_orm", "json", "parse_file", "parse_obj", "parse_raw", "schema",
     "schema_json", "update_forward_refs", "validate"}
)  # fmt: skip


def _members(cls: type) -> Iterator[tuple[str, Any]]:
    seen: set[str] = set()
    for name in dir(cls):
        if not name.startswith("_") and not name.startswith("model_"):
            seen.add(name)
            yield name, inspect.getattr_static(cls, name)
    for name in getattr(cls, "__fields__", {}):  # pydantic fields are attributes of the instances
        if name not in seen:
            yield name, None


def _has_attribute(cls: type, name: str, instance: object) -> bool:
    if hasattr(cls, name) or (instance is not None and hasattr(instance, name)):
        return True
    # Instance attributes set in __init__ (and declared in the class body, as our objects do).
    return any(name in getattr(klass, "__annotations__", {}) for klass in cls.__mro__)


def differences() -> dict[str, str]:
    """Every way ours differs from 1.x's surface, as `where: what` -> the README's reason (or "" if not listed)."""
    found: list[str] = []
    for label, theirs, ours, instance in _pairs():
        for name, value in _members(theirs):
            where = f"{label}.{name}"
            if not _has_attribute(ours, name, instance):
                found.append(f"{where}: missing")
                continue
            ours_value = inspect.getattr_static(ours, name, None)
            if callable(value) and not isinstance(value, type) and callable(ours_value):
                found += _mismatches(where, getattr(theirs, name), getattr(ours, name))
    listed = readme_differences()
    return {line: _reason(line.split(":", 1)[0], listed) for line in found}


def _reason(where: str, listed: dict[str, str]) -> str:
    """The README's reason for a difference at `where` ("" when it is not listed); `*.member` rows cover every
    object's `member`."""
    return listed.get(where) or listed.get("*." + where.rsplit(".", 1)[-1], "")


def readme_differences() -> dict[str, str]:
    """The README table: `| 1.x | ours | why |` rows whose first cell names `where` in backticks."""
    text = README.read_text(encoding="utf-8")
    section = text.split("### Differences from replicate 1.x", 1)[1].split("\n#", 1)[0]
    rows: dict[str, str] = {}
    for line in section.splitlines():
        cells = [cell.strip() for cell in line.strip().strip("|").split("|")]
        if len(cells) == 3 and cells[0].startswith("`"):
            for where in re.findall(r"`([^`]+)`", cells[0]):
                rows[where] = cells[2]
    return rows


def test_every_parameter_and_attribute_of_1x_is_ours_too() -> None:
    unlisted = sorted(line for line, reason in differences().items() if not reason)
    assert unlisted == [], "\n".join(["1.x accepts what replicate_ext does not:", *unlisted])


def test_the_readme_lists_no_name_that_does_not_differ() -> None:
    # Rows that name members (`Class.member`, `*.member`) must each match a difference; rows about behaviour
    # name calls (`validate(...)`) and are checked by the tests of that behaviour.
    differing = {line.split(":", 1)[0] for line in differences()}
    members = [where for where in readme_differences() if re.fullmatch(r"[\w*]+(\.\w+)+", where)]
    stale = [
        where for where in members
        if where not in differing and not (where.startswith("*.") and any(d.endswith(where[1:]) for d in differing))
    ]  # fmt: skip
    assert members and stale == [], f"README rows for what no longer differs: {stale}"
