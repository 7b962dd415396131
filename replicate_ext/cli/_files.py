"""`replicate-ext files list|upload|get|delete|download`."""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import TYPE_CHECKING

from ._common import EXIT_OK, Context, UsageError, add_command, add_group, items, show_deleted, show_list
from ._render import Column

if TYPE_CHECKING:
    from replicate_ext import File

__all__ = ["register"]

FILE_COLUMNS = (
    Column("id", 40),
    Column("name", 40),
    Column("type", 24),
    Column("size", 12),
    Column("created_at", 27),
)


def register(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    group = add_group(commands, "files", "upload, list, show, download and delete files")
    add_command(group, "list", _list, "list your files", limit=True)
    upload = add_command(group, "upload", _upload, "upload a file (streamed)")
    upload.add_argument("path", metavar="PATH", type=Path)
    upload.add_argument("--name", metavar="FILENAME", help="the name to store it under (default: the file's)")
    upload.add_argument("--content-type", metavar="TYPE", help="its MIME type (default: guessed from the name)")
    upload.add_argument("--metadata", metavar="JSON", help="a JSON object stored with the file")
    get = add_command(group, "get", _get, "show a file")
    get.add_argument("id", metavar="ID")
    delete = add_command(group, "delete", _delete, "delete a file")
    delete.add_argument("id", metavar="ID")
    download = add_command(
        group,
        "download",
        _download,
        "download a file's content",
        description="Download a file's content (through its signed download URL) into PATH, or into the current "
        "folder under its name; prints the path written.",
    )
    download.add_argument("id", metavar="ID")
    download.add_argument("-o", "--output", metavar="PATH", type=Path, help="a file, or a folder to put it in")


def show_file(ctx: Context, file: File) -> None:
    if ctx.json:
        ctx.out.json(file.to_dict())
        return
    ctx.out.record(
        [
            ("id", file.id),
            ("name", file.name),
            ("content_type", file.content_type),
            ("size", file.size),
            ("sha256", file.checksums.get("sha256")),
            ("created_at", file.created_at),
            ("expires_at", file.expires_at),
            ("url", file.urls.get("get")),
        ]
    )


def _list(ctx: Context) -> int:
    from replicate_ext import paginate

    # files.list() with no cursor fetches every page; starting from the first page's URL goes one page at a time,
    # so --limit stops early.
    first = f"{ctx.client.base_url}files"
    found = items(paginate(ctx.client.files.list, cursor=first), ctx.args.limit)
    return show_list(ctx, found, FILE_COLUMNS, _row, "files")


def _row(file: File) -> list[str]:
    return [file.id, file.name or "", file.content_type, str(file.size), file.created_at or ""]


def _upload(ctx: Context) -> int:
    args = ctx.args
    metadata = None
    if args.metadata is not None:
        try:
            metadata = json.loads(args.metadata)
        except ValueError as exc:
            raise UsageError(f"--metadata must be a JSON object: {exc}.") from exc
        if not isinstance(metadata, dict):
            raise UsageError('--metadata must be a JSON object, such as \'{"purpose": "test"}\'.')
    if not args.path.is_file():
        raise UsageError(f"{args.path} is not a file.")
    file = ctx.client.files.create(args.path, filename=args.name, content_type=args.content_type, metadata=metadata)
    show_file(ctx, file)
    return EXIT_OK


def _get(ctx: Context) -> int:
    show_file(ctx, ctx.client.files.get(ctx.args.id))
    return EXIT_OK


def _delete(ctx: Context) -> int:
    ctx.client.files.delete(ctx.args.id)
    return show_deleted(ctx, "file", ctx.args.id)


def _download(ctx: Context) -> int:
    args = ctx.args
    file = ctx.client.files.get(args.id)
    content = ctx.client.files.download(file)
    target = args.output if args.output is not None else Path.cwd()
    if target.is_dir():
        name = Path(file.name or "").name  # the stored name, without any folder in it
        target = target / (name if name not in ("", ".", "..") else file.id)
    with ctx.out.transfer(target.name) as progress:
        written = content.save(target, progress=progress)
    if ctx.json:
        ctx.out.json(file.to_dict() | {"path": str(written)})
    else:
        ctx.out.write(f"{written}\n")
    return EXIT_OK
