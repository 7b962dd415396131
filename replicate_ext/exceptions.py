"""The exceptions of replicate_ext (also importable as `replicate_ext.exceptions`, as in replicate 1.x).

The tree is drawn in `replicate_ext._exceptions`.
"""

from ._exceptions import *  # noqa: F403
from ._exceptions import __all__ as __all__
