"""Faults (and a hold) that happen inside the training worker, handed to it as Keras callback factories
(``Job.callbacks``).

A factory is a ``functools.partial`` of a function of this module: it pickles by name, and the worker imports this
module and calls it to make the callback. Nothing here can come from a project file (those hold JSON only).
"""

from __future__ import annotations

import functools
import os
import time
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


def hold_until(path: str) -> Callable[[], Any]:
    """A factory of a callback that holds the run just before its first batch until the file ``path`` exists."""
    return functools.partial(_hold_callback, path)


def _hold_callback(path: str) -> Any:
    import keras

    class HoldBeforeFirstBatch(keras.callbacks.Callback):  # type: ignore[misc]
        def on_train_begin(self, logs: Any = None) -> None:
            while not os.path.exists(path):
                time.sleep(0.02)

    return HoldBeforeFirstBatch()


def segfault_at_batch(batch: int) -> Callable[[], Any]:
    """A factory of a callback that reads address 0 in the worker (a real SIGSEGV, as a crashing native library
    would cause) once ``batch`` batches have ended."""
    return functools.partial(_segfault_callback, batch)


def _segfault_callback(batch: int) -> Any:
    import ctypes

    import keras

    class SegfaultAt(keras.callbacks.Callback):  # type: ignore[misc]
        steps = 0

        def on_train_batch_end(self, index: int, logs: Any = None) -> None:
            self.steps += 1
            if self.steps >= batch:
                ctypes.string_at(0)  # reads address 0: the kernel sends SIGSEGV

    return SegfaultAt()
