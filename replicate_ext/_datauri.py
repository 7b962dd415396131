"""`data:` URIs (RFC 2397): decoding the ones models return, and encoding files sent inline."""

from __future__ import annotations

import base64
import binascii
import urllib.parse
from dataclasses import dataclass

__all__ = ["DataURI", "encode_data_uri", "parse_data_uri"]


class DataURIError(ValueError):
    """A `data:` URI that does not follow RFC 2397."""


@dataclass(frozen=True)
class DataURI:
    media_type: str
    """The declared media type with its parameters, `text/plain;charset=US-ASCII` when none is given."""
    data: bytes

    @property
    def mime_type(self) -> str:
        """The media type without parameters, such as `image/png`."""
        return self.media_type.split(";", 1)[0].strip().lower()


def parse_data_uri(uri: str) -> DataURI:
    """Decode `data:[<media type>][;base64],<data>`.

    RFC 2397: without `;base64` the data is percent-encoded text (so `data:,hello%20world` is `hello world`);
    with it, the data is base64 (whitespace, which some encoders insert, is ignored; missing padding is added).
    """
    if not uri[:5].lower() == "data:":
        raise DataURIError("not a data: URI")
    head, comma, payload = uri[5:].partition(",")
    if not comma:
        raise DataURIError("a data: URI needs a ',' between its media type and its data")
    params = head.split(";")
    is_base64 = len(params) > 1 and params[-1].strip().lower() == "base64"
    if is_base64:
        params = params[:-1]
    media_type = ";".join(params).strip() or "text/plain;charset=US-ASCII"
    if media_type.startswith(";"):
        media_type = "text/plain" + media_type
    if is_base64:
        text = "".join(urllib.parse.unquote(payload).split())
        text += "=" * (-len(text) % 4)
        try:
            data = base64.b64decode(text, validate=True)
        except (binascii.Error, ValueError) as exc:
            raise DataURIError(f"the base64 data of a data: URI is not valid: {exc}") from exc
    else:
        data = urllib.parse.unquote_to_bytes(payload)
    return DataURI(media_type, data)


def encode_data_uri(data: bytes, media_type: str) -> str:
    """A base64 `data:` URI for `data`."""
    return f"data:{media_type};base64,{base64.b64encode(data).decode('ascii')}"
