"""Faults that happen inside the training worker, handed to it as Keras callback factories (``Job.callbacks``).

A factory is a ``functools.partial`` of a function of this module: it pickles by name, and the worker imports this
module and calls it to make the callback. Nothing here can come from a project file (those hold JSON only).
"""

from __future__ import annotations

import functools
import os
from collections.abc import Callable
from typing import Any


def abort_at_batch(batch: int) -> Callable[[], Any]:
    """A factory of a callback that calls ``os.abort()`` in the worker once ``batch`` batches have ended."""
    return functools.partial(_abort_callback, batch)


def _abort_callback(batch: int) -> Any:
    import keras

    class AbortAt(keras.callbacks.Callback):  # type: ignore[misc]
        steps = 0

        def on_train_batch_end(self, index: int, logs: Any = None) -> None:
            self.steps += 1
            if self.steps >= batch:
                os.abort()  # SIGABRT from inside, as a failing assertion in a native library would

    return AbortAt()
