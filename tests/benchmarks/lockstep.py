"""Two training processes that take turns batch by batch, so that both are timed under the same machine.

On a shared 2-core machine an epoch of the same code varies by +-15 % from minute to minute (other tenants,
clock and cache pressure), far more than the 3 % an engine-vs-plain target asks to resolve, and runs timed one
after the other see different machines. Here the engine's worker process (started by ``TrainingEngine.start``
exactly as the GUI starts it, with ``Job.callbacks`` adding the turn-taking) and a plain Keras script in its
own process hand a token back and forth through two named pipes at every batch end: while one trains a batch
the other is blocked in ``read``, so each batch of one is next in time to a batch of the other.

Each side times its own share: from the moment it gets the token back to its next batch end, which covers the
step, Keras's per-batch work and every callback before ours (the engine's stream, its messages through the
pipe to the parent); at an epoch boundary that share also holds the epoch's end (messages, weight statistics,
checkpoint snapshot) and the next epoch's start. A checkpoint the engine writes in a background thread is
waited for before the token is passed on, so its cost stays on the engine's side. An epoch's time is the sum
of the shares that end in that epoch; the first epoch (tracing) is left out.

One piece is timed apart and left out of both sides: the wait from an epoch's begin to its first batch, where
Keras makes the epoch's ``tf.data`` iterator over the arrays (the same call on the same arrays on both sides,
code the engine does not touch). On this machine that wait is ~10 ms in most epochs and 0.5-2.6 s in one
epoch of four or five, at random on either side, which swung the per-epoch ratios by +-50 % and their median
by several per cent from run to run. ``data_waits`` returns it, so a benchmark can report it.

The callback is a pickled factory (``functools.partial`` of a function here), like the fault-injection
callbacks of ``tests/hardening/worker_faults.py``: only the parent's own code can hand it to a worker.
"""

from __future__ import annotations

import functools
import json
import os
import select
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

TIMEOUT = 300.0
"""Seconds a side waits for the token before it gives up (the other side died)."""
CHECKPOINT_THREAD = "layerbench-checkpoint"
"""The name of the engine's background checkpoint writer (``core.training.background``)."""
TOKEN, DONE = b"t", b"d"


def prepare(folder: Path) -> None:
    """The two named pipes the sides pass the token through."""
    for side in ("plain", "engine"):
        os.mkfifo(folder / f"to-{side}")


def factory(folder: Path, side: str, first: bool) -> Callable[[], Any]:
    """The callback factory for ``side`` (``first``: this side trains the first batch)."""
    return functools.partial(_callback, str(folder), side, first)


def shares(folder: Path, side: str) -> list[list[float]]:
    """Per epoch, the seconds of each share ``side`` timed (written when its training ended)."""
    return list(json.loads((folder / f"{side}.json").read_text())["shares"])


def data_waits(folder: Path, side: str) -> list[float]:
    """Per epoch after the first, the seconds from the epoch's begin to its first batch (Keras's iterator)."""
    return list(json.loads((folder / f"{side}.json").read_text())["waits"])[1:]


def epoch_times(folder: Path, side: str) -> list[float]:
    """Per epoch after the first, the sum of its shares less the wait for Keras's data iterator."""
    return [sum(epoch) - wait for epoch, wait in zip(shares(folder, side)[1:], data_waits(folder, side), strict=True)]


class _Turns:
    """The token: wait for it, pass it on, and tell the other side when this one has finished."""

    def __init__(self, folder: str, side: str) -> None:
        other = "engine" if side == "plain" else "plain"
        # O_RDWR: opening a FIFO does not block waiting for the other end, and writes never hit a closed reader
        self.inbox = os.open(os.path.join(folder, f"to-{side}"), os.O_RDWR)
        self.outbox = os.open(os.path.join(folder, f"to-{other}"), os.O_RDWR)
        self.alone = False

    def wait(self) -> None:
        if self.alone:
            return
        ready, _, _ = select.select([self.inbox], [], [], TIMEOUT)
        if not ready:
            raise TimeoutError(f"lockstep: no token for {TIMEOUT:.0f} s (the other side died?)")
        if os.read(self.inbox, 1) == DONE:
            self.alone = True

    def give(self, what: bytes = TOKEN) -> None:
        if not self.alone:
            os.write(self.outbox, what)


def _callback(folder: str, side: str, first: bool) -> Any:
    import keras

    class LockStep(keras.callbacks.Callback):  # type: ignore[misc]
        def __init__(self) -> None:
            super().__init__()
            self.turns = _Turns(folder, side)
            self.epochs: list[list[float]] = []
            self.waits: list[float] = []
            self.resumed = self.begun = 0.0

        def on_train_begin(self, logs: Any = None) -> None:
            if not first:
                self.turns.give()  # "ready": the first side starts once both have built their models
                self.turns.wait()
            else:
                self.turns.wait()
            self.resumed = time.perf_counter()

        def on_epoch_begin(self, epoch: int, logs: Any = None) -> None:
            self.epochs.append([])
            self.begun = time.perf_counter()

        def on_train_batch_begin(self, batch: int, logs: Any = None) -> None:
            if batch == 0:
                self.waits.append(time.perf_counter() - self.begun)

        def on_train_batch_end(self, batch: int, logs: Any = None) -> None:
            for thread in threading.enumerate():
                if thread.name == CHECKPOINT_THREAD:
                    thread.join()  # the engine's background checkpoint is the engine's time
            self.epochs[-1].append(time.perf_counter() - self.resumed)
            self.turns.give()
            self.turns.wait()
            self.resumed = time.perf_counter()

        def on_train_end(self, logs: Any = None) -> None:
            Path(folder, f"{side}.json").write_text(json.dumps({"shares": self.epochs, "waits": self.waits}))
            self.turns.give(DONE)
            self.turns.alone = True

    return LockStep()
