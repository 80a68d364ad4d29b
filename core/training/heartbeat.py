"""The worker's side of the watchdog: one locked ``send`` for every thread, and a heartbeat that means progress.

The parent (``engine.TrainingRun``) ends a run whose worker sends nothing for ``watchdog`` seconds. A thread
that simply beat every few seconds would keep a deadlocked run alive (the thread runs while the main thread is
stuck in a kernel), so ``Pulse`` beats only when the main thread is demonstrably getting on:

- the main thread sent a message or finished a batch (``tick``, from a tiny Keras callback) since the last
  beat — nothing needs to be sent when other messages already flow; or
- the main thread is in a phase known to be long and silent without being stuck — ``loading data``,
  ``building`` and ``compiling`` (Keras traces the graph until the first batch; 335 s for a 1,000-layer chain,
  FACTS.md) — for at most ``LONG_PHASE_LIMIT`` seconds per phase.

So a frozen process (stopped, stuck in the kernel, swapped to death) is caught in every phase; a main thread stuck
in training is caught after ``watchdog`` seconds without a finished batch; a main thread stuck in one of the long
phases is caught after ``LONG_PHASE_LIMIT``. One legitimately silent step (a single batch, the first validation
pass's tracing) must fit in ``watchdog``, hence its generous default. Pause is not this module's concern: the
parent does not count time while the run is paused.

``Pulse`` also gathers ``BatchEnd`` and ``Gradients`` messages and sends them at most every ``COALESCE`` seconds
as one ``Coalesced`` message: sending each through the pipe (pickling it, waking the parent's reader) cost the
training thread ~0.3 ms on this 2-core machine while training, 7 % of a 4.5 ms batch of the benchmark CNN.
Any other message, a heartbeat and ``close`` send what is gathered first, so order is kept. In the worker the
run's callback itself hands its batches over every ``COALESCE`` seconds (``callbacks.flush_batches``), so a
``BatchEnd`` reaches the parent 0.1-0.2 s after its batch: at once for a run's first batch and with the next
other message (an epoch's end, a stop's checkpoint); on pause, with the next heartbeat.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any

from core.training.messages import BatchEnd, Coalesced, Gradients, Heartbeat, Phase

HEARTBEAT = 5.0
"""Seconds between heartbeat checks (the parent asks for less when its watchdog is short)."""
LONG_PHASES = frozenset({"loading data", "building", "compiling"})
GATHERED = (BatchEnd, Gradients)
"""What a run may send at every batch: gathered into one ``Coalesced`` send."""
COALESCE = 0.1
"""Seconds over which ``GATHERED`` messages are gathered into one send (10 sends a second at most)."""
LONG_PHASE_LIMIT = 3600.0
"""Seconds a long phase may beat without progress; after that only real progress keeps the run alive."""


class Pulse:
    """A thread-safe ``send`` (``pulse(msg)``) that counts the main thread's progress, plus the heartbeat thread.

    ``tick()`` marks progress without a message (a batch whose ``BatchEnd`` is skipped by
    ``batch_messages_every``). Sends from other threads (background checkpoints, the heartbeat) take the same
    lock (two threads writing to one pipe would interleave their bytes) but do not count as progress.
    """

    def __init__(self, send: Callable[[Any], None], interval: float = HEARTBEAT, coalesce: float = COALESCE) -> None:
        self._send = send
        self.interval = interval
        self.coalesce = coalesce
        self._gathered: list[BatchEnd | Gradients] = []
        self._flushed_at = -float("inf")
        self._lock = threading.Lock()
        self._main = threading.current_thread()
        self.progress = 0
        self._checked = 0
        self.phase = "starting"
        self._phase_at = self._sent_at = time.monotonic()
        self._closed = threading.Event()
        self._thread = threading.Thread(target=self._beat, name="layerbench-heartbeat", daemon=True)

    def __call__(self, msg: Any) -> None:
        if threading.current_thread() is self._main:
            self.progress += 1
            if isinstance(msg, Phase) and msg.phase != self.phase:
                self.phase, self._phase_at = msg.phase, time.monotonic()
        with self._lock:
            now = time.monotonic()
            frequent = type(msg) in GATHERED
            if frequent:
                self._gathered.append(msg)
                if now - self._flushed_at < self.coalesce:
                    return
                self._flushed_at = now
            self._flush()
            if not frequent:
                self._send(msg)
            self._sent_at = now

    def _flush(self) -> None:
        """Send the gathered messages (one as itself, several as ``Coalesced``); under the lock."""
        if len(self._gathered) == 1:
            self._send(self._gathered[0])
        elif self._gathered:
            self._send(Coalesced.of(self._gathered))
        self._gathered = []

    def tick(self) -> None:
        self.progress += 1

    def start(self) -> Pulse:
        self._thread.start()
        return self

    def close(self) -> None:
        """Send what is gathered; no heartbeat after this (waits for one being sent): the caller may close the
        pipe next."""
        with self._lock:
            try:
                self._flush()
            except (OSError, ValueError):  # the pipe is gone: the parent has ended the run
                self._gathered = []
            self._closed.set()

    def due(self, now: float) -> Heartbeat | None:
        """The heartbeat to send at ``now``, or None (something was sent lately, or no sign of progress)."""
        advanced, self._checked = self.progress != self._checked, self.progress
        if now - self._sent_at < self.interval:
            return None
        in_long_phase = self.phase in LONG_PHASES and now - self._phase_at < LONG_PHASE_LIMIT
        return Heartbeat(self.phase, self.progress) if advanced or in_long_phase else None

    def _beat(self) -> None:
        while not self._closed.wait(self.interval):
            beat = self.due(time.monotonic())
            if beat is None:
                continue
            with self._lock:
                if self._closed.is_set():
                    return
                try:
                    self._flush()
                    self._send(beat)
                except (OSError, ValueError):  # the pipe is gone: the parent has ended the run
                    return
                self._sent_at = time.monotonic()


def tick_callback(tick: Callable[[], None]) -> Any:
    """A Keras callback calling ``tick`` after every test and predict batch (keras imported lazily). Training
    batches count through the run's own callback (``callbacks.flush_batches``): a message or a tick each."""
    import keras

    class Ticks(keras.callbacks.Callback):  # type: ignore[misc]
        def on_test_batch_end(self, batch: int, logs: Any = None) -> None:
            tick()

        def on_predict_batch_end(self, batch: int, logs: Any = None) -> None:
            tick()

    return Ticks()
