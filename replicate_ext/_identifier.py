"""Model, version and deployment references: parsing `owner/name`, `owner/name:version` and version ids."""

from __future__ import annotations

import re
from dataclasses import dataclass

from ._exceptions import InvalidReferenceError

__all__ = ["ModelRef", "parse_model_name", "parse_ref"]

# Owner and model names on Replicate: letters, digits, dashes, underscores and dots.
_NAME = r"[A-Za-z0-9][A-Za-z0-9._-]*"
_REF = re.compile(rf"^(?P<owner>{_NAME})/(?P<name>{_NAME})(?::(?P<version>[A-Za-z0-9]+))?$")
_VERSION_ID = re.compile(r"^[0-9a-f]{64}$")


@dataclass(frozen=True, slots=True)
class ModelRef:
    """A parsed reference. `owner`/`name` are None for a bare version id; `version` is None for a model."""

    owner: str | None
    name: str | None
    version: str | None

    @property
    def model(self) -> str | None:
        return f"{self.owner}/{self.name}" if self.owner else None

    def __str__(self) -> str:
        if self.owner is None:
            return self.version or ""
        return f"{self.owner}/{self.name}" + (f":{self.version}" if self.version else "")


def parse_ref(ref: str) -> ModelRef:
    """Parse `owner/name`, `owner/name:version` or a bare 64-character version id."""
    if not isinstance(ref, str):
        raise InvalidReferenceError(
            f"A model reference must be a string like 'owner/name' or 'owner/name:version', got {type(ref).__name__}."
        )
    text = ref.strip()
    if _VERSION_ID.match(text):
        return ModelRef(None, None, text)
    match = _REF.match(text)
    if match is None:
        raise InvalidReferenceError(
            f"{ref!r} is not a model reference. Use 'owner/name' (for example 'stability-ai/sdxl'), "
            "'owner/name:version' with the version's id, or a 64-character version id."
        )
    return ModelRef(match["owner"], match["name"], match["version"])


def parse_model_name(value: str, what: str = "model") -> tuple[str, str]:
    """Parse `owner/name` (no version) into its two parts."""
    ref = parse_ref(value) if isinstance(value, str) else None
    if ref is None or ref.owner is None or ref.name is None or ref.version is not None:
        raise InvalidReferenceError(f"{value!r} is not a {what} name: use 'owner/name', without a version.")
    return ref.owner, ref.name
