"""The window's side of training: one engine (with its warm worker), the current run, its progress figures,
and the hook that stores a run into the project when it ends (finished, stopped or failed).

The engine's psygnal signals come from its reader thread; they are connected with ``thread="main"`` and
delivered by a psygnal pump timer. Handlers only record the latest message: widgets and plots read the
figures from the panel's refresh timer (~30 Hz), never per message.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import tempfile
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from PySide6.QtCore import QObject, QTimer, Signal
from PySide6.QtWidgets import QApplication

from core.graph.model import Graph
from core.training.config import TrainingConfig
from core.training.messages import (
    BatchEnd,
    Confusion,
    Device,
    EpochEnd,
    Failed,
    FeatureMaps,
    Finished,
    Gradients,
    Log,
    Phase,
    Weights,
)

PUMP_PROPERTY = "layerbench_psygnal_pump"
WORKER_NICE = 10
"""CPU priority of a run's worker process (Unix nice value): TensorFlow keeps every core busy, and at equal
priority the window's timer ticks wait for the scheduler behind it. The worker still gets all the CPU the
window does not use."""


def lower_priority(pid: int, nice: int = WORKER_NICE) -> None:
    """Make process ``pid`` (each of its threads: Linux sets priorities per thread) at most as urgent as ``nice``."""
    if not hasattr(os, "setpriority"):
        return
    tasks = Path(f"/proc/{pid}/task")
    with contextlib.suppress(OSError):
        ids = [int(t.name) for t in tasks.iterdir()] if tasks.is_dir() else [pid]
        for tid in ids:
            with contextlib.suppress(OSError):
                if os.getpriority(os.PRIO_PROCESS, tid) < nice:
                    os.setpriority(os.PRIO_PROCESS, tid, nice)


def lower_run_priority(run: Any) -> None:
    """Lower the priority of ``run``'s worker process: any kind of run (training, GAN, RL, inspection)."""
    with contextlib.suppress(AttributeError):
        lower_priority(run.worker.process.pid)


def ensure_psygnal_pump() -> None:
    """Make sure queued psygnal callbacks reach the GUI thread (the app installs one; tests may not)."""
    app = QApplication.instance()
    if app is None or app.property(PUMP_PROPERTY):
        return
    import psygnal

    timer = QTimer(app)
    timer.setInterval(15)
    timer.timeout.connect(psygnal.emit_queued)
    timer.start()
    app.setProperty(PUMP_PROPERTY, True)


@dataclass
class Progress:
    """What the progress bar and status line show."""

    phase: str = "idle"
    detail: str = ""
    epoch: int = 0
    epochs: int = 0
    batch: int = 0
    batches: int = 0
    step: int = 0
    device: str = ""
    first_batch: float | None = None
    download: float | None = None
    """How much of a dataset download is done (0..1) while the phase is ``downloading``; None if unknown."""
    started: float = field(default_factory=time.perf_counter)
    recent: deque[tuple[float, int]] = field(default_factory=lambda: deque(maxlen=50))

    def fraction(self) -> float:
        total = self.epochs * max(self.batches, 1)
        return min(1.0, self.step_in_run() / total) if total else 0.0

    def step_in_run(self) -> int:
        return self.epoch * max(self.batches, 1) + self.batch

    def rate(self) -> float:
        """Batches per second over the recent messages."""
        if len(self.recent) < 2:
            return 0.0
        (t0, s0), (t1, s1) = self.recent[0], self.recent[-1]
        return (s1 - s0) / (t1 - t0) if t1 > t0 else 0.0

    def eta(self) -> float | None:
        rate = self.rate()
        total = self.epochs * max(self.batches, 1)
        return (total - self.step_in_run()) / rate if rate > 0 and total else None


class TrainingSession(QObject):
    """Starts runs and follows the current one. Qt signals fire once per run event, not per batch."""

    run_started = Signal(object)
    run_ended = Signal(object, object)  # (run, Finished | Failed)
    phase_changed = Signal(str, str)
    health_changed = Signal(object)  # Gradients message with health != "ok" (or "ok" after a warning)
    logged = Signal(str)

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.engine: Any = None
        self.run: Any = None
        self.config: TrainingConfig | None = None
        self.progress = Progress()
        self.last_gradients: Gradients | None = None
        self.last_features: FeatureMaps | None = None
        self.feature_sample: Any = None
        """The input the run's feature maps come from (sent with its first ``FeatureMaps`` message)."""
        self.weights: list[Weights] = []
        self.confusion: Confusion | None = None
        self.run_dirs: list[Path] = []
        self.on_finished: Callable[[Any, Finished | Failed], None] | None = None
        """Called when a run ends, finished, stopped or failed (a failed run is kept too, with its checkpoint)."""
        self.record: Any = None
        """What the current run is kept as (``core.training.runstore.RunRecord``), given to ``start``."""
        self._health = "ok"

    # ---- engine --------------------------------------------------------------------------------
    def ensure_engine(self) -> Any:
        """The engine, made on first use (it starts warming one worker process at once)."""
        if self.engine is None:
            from core.training.engine import TrainingEngine

            ensure_psygnal_pump()
            self.use_engine(TrainingEngine(warm=1))
        return self.engine

    def use_engine(self, engine: Any) -> None:
        """Start runs with ``engine``. Every run it starts gets a lower-priority worker, whoever starts it: the GAN
        and RL panels start theirs on this same engine (``ensure_engine``), not through ``start``."""
        self.engine = engine
        engine.run_started.connect(lower_run_priority)

    @property
    def running(self) -> bool:
        return self.run is not None and not self.run.done

    def new_run_dir(self) -> Path:
        """A fresh folder for a run's checkpoints (removed on close: a run's checkpoint is kept in the project)."""
        run_dir = Path(tempfile.mkdtemp(prefix="layerbench-run-"))
        self.run_dirs.append(run_dir)
        return run_dir

    def start(self, graph: Graph | dict[str, Any], data: dict[str, Any], config: TrainingConfig,
              run_dir: Path | None = None, resume: bool = False, record: Any = None) -> Any:
        """Train a snapshot of ``graph`` (later edits do not reach this run); ``resume`` continues from the
        checkpoint laid out in ``run_dir`` (``core.training.runstore.prepare_resume``)."""
        engine = self.ensure_engine()
        run_dir = run_dir if run_dir is not None else self.new_run_dir()
        self.record = record
        self.config = config
        self.progress = Progress(phase="starting", epochs=config.epochs)
        self.last_gradients, self.last_features, self.confusion = None, None, None
        self.feature_sample = None
        self.weights = []
        self._health = "ok"
        run = engine.start(graph, data, config, run_dir, resume=resume)  # its worker lowered on run_started
        if resume and record is not None and record.live:
            from core.training.runstore import history_of

            # the run's curves so far; swapped in long before the worker can send its first batch
            run.history = history_of(record.live)
        self.run = run
        self._connect(run)
        self.run_started.emit(run)
        return run

    def _connect(self, run: Any) -> None:
        pairs = ((run.batch_ended, self._on_batch), (run.epoch_ended, self._on_epoch),
                 (run.gradients, self._on_gradients), (run.feature_maps, self._on_features),
                 (run.weights, self.weights.append), (run.confusion, self._on_confusion),
                 (run.phase, self._on_phase), (run.log, self._on_log), (run.device_reported, self._on_device),
                 (run.finished, self._on_end), (run.failed, self._on_end))
        for signal, slot in pairs:
            signal.connect(self._only(run, slot), thread="main")

    def _only(self, run: Any, slot: Callable[[Any], None]) -> Callable[[Any], None]:
        """A slot that ignores messages of an older run still draining."""
        def call(msg: Any) -> None:
            if run is self.run:
                slot(msg)
        return call

    # ---- control -------------------------------------------------------------------------------
    def pause(self) -> None:
        if self.running:
            self.run.pause()
            self.progress.phase = "paused"
            self.phase_changed.emit("paused", "")

    def resume(self) -> None:
        if self.running:
            self.run.resume()
            self.progress.phase = "training"
            self.phase_changed.emit("training", "")

    def stop(self) -> None:
        if self.running:
            self.run.resume()
            self.run.stop()
            self.phase_changed.emit("stopping", "at the end of this batch")

    # ---- handlers ------------------------------------------------------------------------------
    def _on_batch(self, msg: BatchEnd) -> None:
        p = self.progress
        p.epoch, p.batch, p.batches, p.step = msg.epoch, msg.batch + 1, msg.batches, msg.step
        p.recent.append((time.perf_counter(), msg.step))

    def _on_epoch(self, msg: EpochEnd) -> None:
        self.progress.epoch = msg.epoch + 1
        self.progress.batch = 0
        self.progress.epochs = msg.epochs

    def _on_gradients(self, msg: Gradients) -> None:
        self.last_gradients = msg
        if msg.health != self._health:
            self._health = msg.health
            self.health_changed.emit(msg)

    def _on_features(self, msg: FeatureMaps) -> None:
        self.last_features = msg
        if msg.sample is not None:
            self.feature_sample = msg.sample

    def _on_confusion(self, msg: Confusion) -> None:
        self.confusion = msg

    def _on_phase(self, msg: Phase) -> None:
        p = self.progress
        if p.phase == "paused" and msg.phase == "training":
            return
        repeated = msg.phase == p.phase == "downloading" and msg.fraction != 1.0
        p.phase, p.detail = msg.phase, msg.detail
        if msg.phase == "downloading":
            p.download = msg.fraction
            if repeated:  # progress of the same download: the bar shows it, the log gets its start and end
                return
        if msg.phase == "training" and p.first_batch is None:
            p.first_batch = time.perf_counter() - p.started
        if msg.phase == "starting" and msg.detail.startswith("device"):
            p.device = msg.detail.removeprefix("device ").strip()
        self.phase_changed.emit(msg.phase, msg.detail)

    def _on_device(self, msg: Device) -> None:
        self.progress.device = msg.label  # the device actually used, before the first batch

    def _on_log(self, msg: Log) -> None:
        self.logged.emit(f"[{msg.level}] {msg.text}")

    def _on_end(self, msg: Finished | Failed) -> None:
        p = self.progress
        if isinstance(msg, Finished):
            p.phase = "stopped" if msg.stopped else "finished"
            p.device = p.device if getattr(self.run, "device", None) is not None else msg.device
            if msg.time_to_first_batch is not None:
                p.first_batch = msg.time_to_first_batch
        else:
            p.phase, p.detail = "failed", msg.error
        if self.on_finished is not None:
            self.on_finished(self.run, msg)
        self.run_ended.emit(self.run, msg)

    def close(self) -> None:
        """Kill a run still going, end the warm worker, delete the run folders."""
        if self.engine is not None:
            self.engine.close()
            self.engine = None
        for folder in self.run_dirs:
            with contextlib.suppress(OSError):
                shutil.rmtree(folder, ignore_errors=True)
        self.run_dirs = []
