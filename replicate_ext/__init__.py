"""replicate_ext: a typed, fast client for Replicate's HTTP API.

The generated low-level client is the `replicate_api` package; this package is the ergonomic layer on top.
"""

from ._version import __version__

__all__ = ["__version__"]
