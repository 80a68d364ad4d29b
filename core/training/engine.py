"""The parent side of training: start a run in a worker process and turn its messages into psygnal signals.

A reader thread receives the worker's messages, appends them to the run's ``History`` buffers and emits
signals from that thread (the desktop connects with ``thread="main"``). A worker that dies without a last
message (segfault, abort, out of memory, killed) becomes a ``failed`` signal carrying the tail of its stderr;
nothing is raised in the parent.

The watchdog: a run whose worker sends nothing for ``watchdog`` seconds (heartbeats included) is killed and
ends with a ``Failed`` of kind ``hung``. The worker beats only while its main thread makes progress or is in a
phase known to be long (``core.training.heartbeat`` says why and how), so a frozen process or a deadlocked main
thread is caught while a slow compile is not. Time spent paused does not count (pause is legitimate silence),
nor does the worker's start-up before it reports ready (importing TensorFlow), which has its own, longer bound
``STARTUP_WATCHDOG``. The default of ten minutes is generous on purpose: one batch or the first validation
pass's tracing is silent and must fit in it.
"""

from __future__ import annotations

import dataclasses
import signal as signals
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from psygnal import Signal

from core.graph.model import Graph
from core.training.config import TrainingConfig
from core.training.heartbeat import HEARTBEAT
from core.training.history import History
from core.training.messages import (
    BatchEnd,
    Checkpoint,
    Coalesced,
    Confusion,
    Device,
    EpochEnd,
    Failed,
    FeatureMaps,
    Finished,
    Gradients,
    Heartbeat,
    Log,
    Message,
    Phase,
    Weights,
)
from core.training.pool import WorkerPool, WorkerProcess
from core.training.worker import Job

STOP_GRACE = 10.0
WATCHDOG = 600.0
"""Seconds without any message from a running worker after which it is ended as hung (None or 0: never)."""
STARTUP_WATCHDOG = 300.0
"""The same bound before the worker has reported ready (importing TensorFlow, loading GPU drivers)."""
POLL = 0.1
SIGNAL_OF: dict[type, str] = {
    Device: "device_reported", BatchEnd: "batch_ended", EpochEnd: "epoch_ended", Gradients: "gradients",
    FeatureMaps: "feature_maps", Weights: "weights", Confusion: "confusion", Checkpoint: "checkpointed", Log: "log",
    Phase: "phase", Finished: "finished", Failed: "failed",
}  # fmt: skip


EXIT_HINTS: dict[int, str] = {
    signals.SIGKILL: " (often: out of memory)",
    signals.SIGABRT: " (it aborted: an internal error in TensorFlow or a library it uses; see the stderr tail)",
}


def describe_exit(code: int | None) -> str:
    if code is None:
        return "the training process stopped answering"
    if code < 0:
        try:
            name = signals.Signals(-code).name
        except ValueError:
            name = f"signal {-code}"
        hint = EXIT_HINTS.get(-code, "")
        return f"the training process was ended by {name}{hint}"
    return f"the training process exited with code {code}"


class TrainingRun:
    """One run in its own process. Signals are emitted from the reader thread."""

    batch_ended = Signal(object)
    epoch_ended = Signal(object)
    gradients = Signal(object)
    feature_maps = Signal(object)
    weights = Signal(object)
    confusion = Signal(object)
    checkpointed = Signal(object)
    log = Signal(object)
    phase = Signal(object)
    device_reported = Signal(object)
    finished = Signal(object)
    failed = Signal(object)

    def __init__(self, job: Job, worker: WorkerProcess, grace: float = STOP_GRACE,
                 watchdog: float | None = WATCHDOG) -> None:
        self.job = job
        self.worker = worker
        self.grace = grace
        self.watchdog = watchdog
        """Seconds of silence after which the worker is ended as hung (None or 0: never); set before ``start``."""
        self.history = History()
        self.result: Finished | Failed | None = None
        self.current_phase = "starting"
        self.device: Device | None = None
        """Where the run trains, as soon as the worker has built the model (before the first batch)."""
        self._done = threading.Event()
        self._killed_after_stop = False
        self._heard_at = time.monotonic()
        self._ready = False
        self._hung_after: float | None = None
        self._unreadable = ""
        self._timer: threading.Timer | None = None
        self._reader = threading.Thread(target=self._read, name="layerbench-run-reader", daemon=True)

    def start(self) -> TrainingRun:
        beat = min(HEARTBEAT, self.watchdog / 4) if self.watchdog else HEARTBEAT
        self._heard_at = time.monotonic()
        self.worker.conn.send(dataclasses.replace(self.job, heartbeat=beat))
        self._reader.start()
        return self

    # ---- control ---------------------------------------------------------------------------------
    def stop(self) -> None:
        """Stop at the next batch; the process is killed if it has not ended after ``grace`` seconds."""
        self.worker.stop.set()
        if self._timer is None and not self._done.is_set():
            self._timer = threading.Timer(self.grace, self._hard_kill)
            self._timer.daemon = True
            self._timer.start()

    def pause(self) -> None:
        self.worker.pause.set()

    def resume(self) -> None:
        self.worker.pause.clear()

    @property
    def paused(self) -> bool:
        return bool(self.worker.pause.is_set())

    def kill(self) -> None:
        self.worker.kill()

    def _hard_kill(self) -> None:
        if not self._done.is_set():
            self._killed_after_stop = True
            self.worker.kill()

    def wait(self, timeout: float | None = None) -> Finished | Failed | None:
        self._done.wait(timeout)
        return self.result

    @property
    def done(self) -> bool:
        return self._done.is_set()

    # ---- reader ------------------------------------------------------------------------------------
    def _read(self) -> None:
        try:
            while self.result is None:
                msg = self._next()
                if msg is None:
                    break
                for one in msg.messages() if isinstance(msg, Coalesced) else (msg,):
                    self._dispatch(one)
            if self.result is None:
                self._dispatch(self._crash())
        finally:
            self.worker.process.join(timeout=self.grace)
            if self.worker.alive():
                self.worker.kill()
            if self._timer is not None:
                self._timer.cancel()
            self.worker.dispose()
            self._done.set()

    def _next(self) -> Message | Coalesced | None:
        conn = self.worker.conn
        while True:
            try:
                if conn.poll(POLL):
                    msg: Message | Coalesced | str = conn.recv()
                    self._heard_at, self._ready = time.monotonic(), True  # "ready" or anything: TF is imported
                    if not isinstance(msg, str | Heartbeat):
                        return msg
                    continue
            except (EOFError, OSError):
                return None
            except Exception as exc:  # a message that cannot be unpickled here (mismatched code, a broken object)
                self._unreadable = f"{type(exc).__name__}: {exc}"
                self.worker.kill()
                return None
            if not self.worker.alive() and not conn.poll(0):
                return None
            if self._silent_too_long():
                return None

    def _silent_too_long(self) -> bool:
        """The watchdog: kill a worker that has been silent for too long (time paused does not count)."""
        now = time.monotonic()
        if not self.watchdog or self.paused:
            self._heard_at = now
            return False
        limit = self.watchdog if self._ready else max(self.watchdog, STARTUP_WATCHDOG)
        if now - self._heard_at <= limit:
            return False
        self._hung_after = now - self._heard_at
        self.worker.kill()
        return True

    def _crash(self) -> Failed:
        self.worker.process.join(timeout=2)
        code = self.worker.process.exitcode
        if self._unreadable:
            return Failed(f"a message from the training process could not be read ({self._unreadable}); the run "
                          "was ended; the last checkpoint is kept", kind="crashed", stderr=self.worker.stderr_tail())
        if self._hung_after is not None and not self._killed_after_stop:
            return Failed(f"no message from the training process for {self._hung_after:.0f} s (watchdog: "
                          f"{self.watchdog:g} s); it was ended as hung; the last checkpoint is kept",
                          kind="hung", stderr=self.worker.stderr_tail())
        if self._killed_after_stop:
            return Failed(f"the run did not stop within {self.grace:g} s and was ended; the last checkpoint is kept",
                          kind="killed", stderr=self.worker.stderr_tail())
        return Failed(describe_exit(code), kind="crashed", stderr=self.worker.stderr_tail())

    def _dispatch(self, msg: Message) -> None:
        if isinstance(msg, BatchEnd):
            self.history.batch.add(msg.step, msg.logs)
        elif isinstance(msg, EpochEnd):
            self.history.epoch.add(msg.epoch + 1, msg.logs)
        elif isinstance(msg, Gradients):
            self.history.gradients.add(msg.step, dict(zip(msg.layers, msg.norms)))
        elif isinstance(msg, Phase):
            self.current_phase = msg.phase
        elif isinstance(msg, Device):
            self.device = msg
        elif isinstance(msg, Finished | Failed):
            self.result = msg
            self._done.set()
        name = SIGNAL_OF.get(type(msg))
        if name is not None:
            getattr(self, name).emit(msg)


class TrainingEngine:
    """Starts runs; keeps one warm worker so that Start trains within a second or two on small models."""

    run_started = Signal(object)

    def __init__(self, warm: int = 1, grace: float = STOP_GRACE, watchdog: float | None = WATCHDOG) -> None:
        self.pool = WorkerPool(warm)
        self.grace = grace
        self.watchdog = watchdog
        """The watchdog of the runs started from now on (``TrainingRun.watchdog``)."""
        self.runs: list[TrainingRun] = []

    def start(
        self, graph: Graph | dict[str, Any], data: dict[str, Any], config: TrainingConfig | dict[str, Any],
        run_dir: str | Path, *, resume: bool = False, initial_weights: str | None = None, virtual_cpus: int = 0,
        callbacks: tuple[Callable[[], Any], ...] = (),
    ) -> TrainingRun:
        """Snapshot the graph and config now (later edits do not affect the run) and start training.

        ``callbacks``: factories of extra Keras callbacks called in the worker (``Job.callbacks``; tests use it)."""
        graph_dict = graph.to_dict() if isinstance(graph, Graph) else graph
        config_dict = config.to_dict() if isinstance(config, TrainingConfig) else TrainingConfig.from_dict(
            config).to_dict()
        job = Job(graph_dict, dict(data), config_dict, str(run_dir), resume, initial_weights, virtual_cpus,
                  callbacks=tuple(callbacks))
        settings = TrainingConfig.from_dict(config_dict)
        fixed_devices = settings.device == "auto" and not virtual_cpus and settings.strategy != "multi-worker"
        run = TrainingRun(job, self.pool.take(warm=fixed_devices), self.grace, self.watchdog)
        run.batch_ended.connect(self._refill_once(run))
        run.finished.connect(self._refill_once(run))
        run.failed.connect(self._refill_once(run))
        run.start()
        self.runs.append(run)
        self.run_started.emit(run)
        return run

    def _refill_once(self, run: TrainingRun) -> Any:
        def refill(_msg: object) -> None:
            if not getattr(run, "_refilled", False):
                run._refilled = True  # type: ignore[attr-defined]
                self.pool.refill()

        return refill

    def close(self) -> None:
        """Stop every run and end the warm worker."""
        for run in self.runs:
            if not run.done:
                run.kill()
        self.pool.close()
