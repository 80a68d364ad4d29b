"""A GAN run as a run kind of the training engine (``Job(kind="gan")``), worker side.

``run_gan_job`` runs in the engine's worker process. It streams the GAN messages (``core.gan.messages``)
between the engine's ``Phase`` messages and returns the engine's ``Finished`` or ``Failed`` (which the worker
sends last), so the parent handles the end, a crash or Stop like any other run. The job carries
``graph = {"generator": ..., "discriminator": ...}``, ``data = {"source", "options", "scale"}`` and
``config = GanConfig`` as a dict.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from core.gan.config import GanConfig
from core.gan.data import real_samples
from core.gan.messages import GanFinished, GanStarted, GanStep
from core.gan.trainer import GENERATOR_WEIGHTS, train_gan
from core.graph.errors import GraphError
from core.training.callbacks import PAUSE_POLL, Control
from core.training.messages import Failed, Finished, Message, Phase
from core.training.worker import Job

Send = Callable[[Any], None]


def _should_stop(control: Control) -> Callable[[], bool]:
    """Checked before every step: waits while paused, True once Stop was asked for."""

    def check() -> bool:
        while control.pause.is_set() and not control.stop.is_set():
            time.sleep(PAUSE_POLL)
        return bool(control.stop.is_set())

    return check


def _graphs(job: Job) -> tuple[dict[str, Any], dict[str, Any]]:
    graphs = job.graph
    if "generator" not in graphs or "discriminator" not in graphs:
        raise GraphError("a GAN run needs a generator graph and a discriminator graph")
    return graphs["generator"], graphs["discriminator"]


def run_gan_job(job: Job, send: Send, control: Control) -> Message:
    """The worker's entry for ``Job(kind="gan")``."""
    from core.training.build import setup_device

    started = time.perf_counter()
    config = GanConfig.from_dict(job.config)
    generator, discriminator = _graphs(job)
    send(Phase("starting", f"device {config.device}"))
    setup_device(config.device)
    send(Phase("loading data"))
    data = real_samples(str(job.data.get("source", "gan.ring")), job.data.get("options") or {},
                        str(job.data.get("scale", "auto")))
    send(Phase("building"))
    messages = train_gan(generator, discriminator, data, config, _should_stop(control),
                         weights_dir=job.run_dir or None)
    first: float | None = None
    last: GanStep | None = None
    end: GanFinished | None = None
    for msg in messages:
        if isinstance(msg, GanStep):
            if first is None:
                first = time.perf_counter() - started
                send(Phase("training"))
            if not (math.isfinite(msg.d_loss) and math.isfinite(msg.g_loss)):
                send(msg)
                return Failed(f"the GAN losses became NaN or infinite at step {msg.step}; the run was stopped "
                              "(try lower learning rates)", kind="diverged")
            last = msg
        elif isinstance(msg, GanFinished):
            end = msg
        send(msg)
        if isinstance(msg, GanStarted):
            send(Phase("compiling", "tracing the generator and discriminator steps"))
    send(Phase("finished"))
    return _finished(config, last, end, first, time.perf_counter() - started)


def _finished(config: GanConfig, last: GanStep | None, end: GanFinished | None, first: float | None,
              seconds: float) -> Finished:
    logs = {} if last is None else {"d_loss": last.d_loss, "g_loss": last.g_loss, "d_real": last.d_real,
                                    "d_fake": last.d_fake}
    weights = str(Path(end.weights_dir) / GENERATOR_WEIGHTS) if end and end.weights_dir else ""
    return Finished(logs, end.steps if end else 0, end.stopped if end else False, weights, "", config.device,
                    first, seconds)
