"""`replicate-ext models get|list|search|schema|create|delete`."""

from __future__ import annotations

import argparse
import functools
import json
from collections.abc import Iterable
from typing import TYPE_CHECKING

from ._common import EXIT_OK, Context, UsageError, add_command, add_group, items, show_deleted, show_list
from ._render import Column

if TYPE_CHECKING:
    from replicate_ext import InputField, Model

__all__ = ["register"]

MODEL_COLUMNS = (Column("model", 40), Column("visibility", 10), Column("runs", 12), Column("description", 60))
INPUT_COLUMNS = (
    Column("input", 30),
    Column("type", 16),
    Column("default", 24),
    Column("range or choices", 30),
    Column("description", 60),
)


def register(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    group = add_group(commands, "models", "find models, show their inputs, create and delete them")
    get = add_command(group, "get", _get, "show a model")
    get.add_argument("model", metavar="OWNER/NAME")
    listing = add_command(group, "list", _list, "list public models", limit=True)
    listing.add_argument("--sort-by", choices=("model_created_at", "latest_version_created_at"))
    listing.add_argument("--sort-direction", choices=("asc", "desc"))
    search = add_command(group, "search", _search, "search public models", limit=True)
    search.add_argument("query", metavar="QUERY")
    schema = add_command(
        group,
        "schema",
        _schema,
        "show a model's inputs and output",
        description="Show the inputs of a model's version (name, type, default, range or choices, description) "
        "and the kind of its output; --json gives the schema as an object.",
    )
    schema.add_argument("ref", metavar="REF", help="owner/name (its latest version) or owner/name:version")
    create = add_command(group, "create", _create, "create a model")
    create.add_argument("model", metavar="OWNER/NAME")
    create.add_argument("--visibility", choices=("public", "private"), required=True)
    create.add_argument("--hardware", required=True, metavar="SKU", help="see `replicate-ext hardware list`")
    create.add_argument("--description")
    create.add_argument("--github-url", metavar="URL")
    create.add_argument("--paper-url", metavar="URL")
    create.add_argument("--license-url", metavar="URL")
    create.add_argument("--cover-image-url", metavar="URL")
    delete = add_command(group, "delete", _delete, "delete a model (private, without versions)")
    delete.add_argument("model", metavar="OWNER/NAME")


def show_model(ctx: Context, model: Model) -> None:
    if ctx.json:
        ctx.out.json(model.to_dict())
        return
    latest = model.latest_version
    ctx.out.record(
        [
            ("model", model.id),
            ("description", model.description),
            ("visibility", model.visibility),
            ("runs", model.run_count),
            ("latest_version", latest.id if latest is not None else None),
            ("url", model.url),
        ]
    )


def _models(ctx: Context, found: Iterable[Model]) -> int:
    return show_list(ctx, found, MODEL_COLUMNS, _model_row, "models")


def _model_row(model: Model) -> list[str]:
    return [model.id, model.visibility or "", str(model.run_count or 0), model.description or ""]


def _get(ctx: Context) -> int:
    show_model(ctx, ctx.client.models.get(ctx.args.model))
    return EXIT_OK


def _list(ctx: Context) -> int:
    from replicate_ext import paginate

    args = ctx.args
    pages = paginate(ctx.client.models.list, sort_by=args.sort_by, sort_direction=args.sort_direction)
    return _models(ctx, items(pages, args.limit))


def _search(ctx: Context) -> int:
    from replicate_ext import paginate

    pages = paginate(functools.partial(ctx.client.models.search, ctx.args.query))
    return _models(ctx, items(pages, ctx.args.limit))


def _schema(ctx: Context) -> int:
    schema = ctx.client.models.schema(ctx.args.ref)
    if ctx.json:
        ctx.out.json(schema.to_dict())
        return EXIT_OK
    rows = [[f.name, _type(f), _default(f), _limits(f), f.description or ""] for f in schema.inputs]
    if ctx.out.terminal():
        ctx.out.table(INPUT_COLUMNS, rows, wrap=True)
        ctx.out.record([("output", schema.output.kind)])
    else:  # stable lines for scripts, each saying what it describes
        ctx.out.table(INPUT_COLUMNS, (["input", *row] for row in rows))
        ctx.out.write(f"output\t{schema.output.kind}\n")
    return EXIT_OK


def _type(f: InputField) -> str:
    if f.type == "array" and f.items is not None:
        return f"list of {f.items.type}"
    return f.type + (" or null" if f.nullable else "")


def _default(f: InputField) -> str:
    if f.required:
        return "(required)"
    if not f.has_default or f.default is None:
        return ""
    return f.default if isinstance(f.default, str) else json.dumps(f.default)


def _limits(f: InputField) -> str:
    if f.choices is not None:
        return ", ".join(c if isinstance(c, str) else json.dumps(c) for c in f.choices)
    parts = []
    low = _number(f.minimum) if f.minimum is not None else None
    high = _number(f.maximum) if f.maximum is not None else None
    if low is not None and high is not None:
        parts.append(f"{low} to {high}")
    elif low is not None:
        parts.append(f">= {low}")
    elif high is not None:
        parts.append(f"<= {high}")
    if f.exclusive_minimum is not None:
        parts.append(f"> {_number(f.exclusive_minimum)}")
    if f.exclusive_maximum is not None:
        parts.append(f"< {_number(f.exclusive_maximum)}")
    if f.min_length is not None or f.max_length is not None:
        parts.append(f"length {f.min_length or 0} to {f.max_length if f.max_length is not None else 'any'}")
    if f.pattern:
        parts.append(f"matches {f.pattern}")
    return "; ".join(parts)


def _number(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else str(value)


def _create(ctx: Context) -> int:
    args = ctx.args
    owner, slash, name = args.model.partition("/")
    if not slash:
        raise UsageError(f"Name the new model as OWNER/NAME, got {args.model!r}.")
    details = {
        "description": args.description,
        "github_url": args.github_url,
        "paper_url": args.paper_url,
        "license_url": args.license_url,
        "cover_image_url": args.cover_image_url,
    }
    model = ctx.client.models.create(
        owner,
        name,
        visibility=args.visibility,
        hardware=args.hardware,
        **{key: value for key, value in details.items() if value is not None},
    )
    show_model(ctx, model)
    return EXIT_OK


def _delete(ctx: Context) -> int:
    ctx.client.models.delete(ctx.args.model)
    return show_deleted(ctx, "model", ctx.args.model)
