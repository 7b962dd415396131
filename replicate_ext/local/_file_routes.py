"""Handlers of the files API: upload (streamed to disk), get, list, delete, signed download."""

from __future__ import annotations

import asyncio
from typing import Any

from starlette.requests import Request
from starlette.responses import FileResponse, Response

from ._errors import ProblemError
from ._handlers import HandlerBase
from ._http import (
    json_response,
    not_found,
)
from ._state import (
    paginate_by_time,
)

__all__ = ["FileRoutes"]


class FileRoutes(HandlerBase):
    """Handlers of the files API: upload (streamed to disk), get, list, delete, signed download."""

    async def files_create(self, request: Request) -> Response:
        length = request.headers.get("content-length")
        if length is not None and length.isdigit() and int(length) > self.files.max_upload_bytes + 64 * 1024:
            raise ProblemError(
                413,
                "Request Entity Too Large",
                f"The upload is larger than the limit of {self.files.max_upload_bytes} bytes.",
            )
        file_id, parser = self.files.new_upload(request.headers.get("content-type", ""))
        try:
            async for chunk in request.stream():
                parser.write(chunk)
            parser.finish()
        except ProblemError:
            parser.close()
            (self.files.uploads / file_id).unlink(missing_ok=True)
            raise
        except Exception as exc:
            parser.close()
            (self.files.uploads / file_id).unlink(missing_ok=True)
            raise ProblemError(400, "Invalid file upload", f"The multipart body could not be read: {exc}") from None
        stored = self.files.finish_upload(file_id, parser, self.store.clock.now())
        self.store.files.add(stored.id, stored, stored.created_at)
        return json_response(self.files.as_dict(stored), 201)

    def _file(self, request: Request) -> Any:
        file_id = request.path_params["file_id"]
        stored = self.store.files.by_id.get(file_id)
        if stored is None:
            raise not_found(f"The file {file_id}")
        return stored

    async def files_get(self, request: Request) -> Response:
        return json_response(self.files.as_dict(self._file(request)))

    async def files_list(self, request: Request) -> Response:
        page, next_cursor, prev = paginate_by_time(
            self.store.files.items,
            self.store.files.times,
            cursor=self._cursor(request),
            page_size=self.config.page_size,
        )
        return json_response(self._page(request, [self.files.as_dict(f) for f in page], next_cursor, prev))

    async def files_delete(self, request: Request) -> Response:
        stored = self._file(request)
        self.store.files.remove(stored.id)
        await asyncio.to_thread(stored.path.unlink, True)
        return Response(status_code=204)

    async def files_download(self, request: Request) -> Response:
        file_id = request.path_params["file_id"]
        params = request.query_params
        self.files.check_signature(
            file_id, params.get("owner", ""), params.get("expiry", ""), params.get("signature", "")
        )
        stored = self._file(request)
        return FileResponse(
            stored.path,
            media_type="application/octet-stream",
            filename=stored.name,
            headers={"x-content-type": stored.content_type},
        )
