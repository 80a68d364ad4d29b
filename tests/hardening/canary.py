"""A canary for "nothing we load runs code": anything here that gets called writes the marker file.

Hostile Keras configs point at ``Boom``/``boom`` in this module; the fuzz tests check the marker never appears.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

MARKER_ENV = "LAYERBENCH_CANARY_MARKER"


def boom(*args: Any, **kwargs: Any) -> None:
    """Writes the marker: code from a file ran."""
    Path(os.environ.get(MARKER_ENV, "canary-ran.txt")).write_text("code from a file ran\n")


class Boom:
    """Writes the marker when built (a custom layer class named in a hostile config)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        boom()

    @classmethod
    def from_config(cls, config: Any) -> Boom:
        return cls()
