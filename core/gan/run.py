"""Parent side of a GAN run: ``start_gan`` starts ``Job(kind="gan")`` in one of the engine's workers and returns a
``GanRun`` — a ``TrainingRun`` with GAN signals and buffers on top (emitted from the reader thread).

Buffers (see ``core.gan.record.GanCurves``): ``history.batch`` holds d_loss, g_loss, d_real, d_fake per step;
``history.gradients`` holds ``generator/<node>`` and ``discriminator/<node>`` norms; ``diversity`` holds the
ratio and distance per sample step.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from psygnal import Signal

from core.gan.config import GanConfig
from core.gan.messages import (
    GanDiversity,
    GanFinished,
    GanGradients,
    GanInterpolation,
    GanSamples,
    GanStarted,
    GanStep,
)
from core.gan.record import GanCurves
from core.graph.model import Graph
from core.training.engine import TrainingEngine, TrainingRun
from core.training.history import Series
from core.training.messages import Message
from core.training.worker import Job


class GanRun(TrainingRun):
    """A training run whose worker trains a GAN."""

    gan_started = Signal(object)
    gan_step = Signal(object)
    gan_samples = Signal(object)
    gan_diversity = Signal(object)
    gan_gradients = Signal(object)
    gan_interpolation = Signal(object)
    gan_finished = Signal(object)

    _GAN_SIGNALS: dict[type, str] = {
        GanStarted: "gan_started", GanStep: "gan_step", GanSamples: "gan_samples", GanDiversity: "gan_diversity",
        GanGradients: "gan_gradients", GanInterpolation: "gan_interpolation", GanFinished: "gan_finished",
    }  # fmt: skip

    def __init__(self, job: Job, worker: Any, grace: float) -> None:
        super().__init__(job, worker, grace)
        self.curves = GanCurves(self.history)

    @property
    def diversity(self) -> Series:
        return self.curves.diversity

    @property
    def started_info(self) -> GanStarted | None:
        return self.curves.started

    @property
    def last_samples(self) -> GanSamples | None:
        return self.curves.last_samples

    @property
    def interpolation(self) -> GanInterpolation | None:
        return self.curves.interpolation

    def _dispatch(self, msg: Message) -> None:
        name = self._GAN_SIGNALS.get(type(msg))
        if name is None:
            super()._dispatch(msg)
            return
        self.curves.add(msg)
        getattr(self, name).emit(msg)


def _as_dict(graph: Graph | dict[str, Any]) -> dict[str, Any]:
    return graph.to_dict() if isinstance(graph, Graph) else dict(graph)


def start_gan(
    engine: TrainingEngine, generator: Graph | dict[str, Any], discriminator: Graph | dict[str, Any],
    data: dict[str, Any], config: GanConfig | dict[str, Any], run_dir: str | Path,
) -> GanRun:
    """Snapshot both graphs and the config now and start training them in one of the engine's workers.

    ``data`` is ``{"source": "digits" | "shapes" | "gan.ring" | ..., "options": {...}}``.
    """
    cfg = config if isinstance(config, GanConfig) else GanConfig.from_dict(config)
    graphs = {"generator": _as_dict(generator), "discriminator": _as_dict(discriminator)}
    job = Job(graphs, dict(data), cfg.to_dict(), str(run_dir), kind="gan")
    run = GanRun(job, engine.pool.take(), engine.grace)
    refilled: list[bool] = []

    def refill(_msg: object) -> None:  # a new warm worker once this one is busy training, not during its start
        if not refilled:
            refilled.append(True)
            engine.pool.refill()

    for signal in (run.gan_step, run.finished, run.failed):
        signal.connect(refill)
    run.start()
    engine.runs.append(run)
    engine.run_started.emit(run)
    return run
