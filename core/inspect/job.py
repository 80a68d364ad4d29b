"""The recurrent inspector as a run kind of the training engine (``Job(kind="rnn_inspect")``), so the window
never imports TensorFlow: the worker builds the graph, loads weights if given, traces one sample and sends
an ``RnnTraced`` message; ``start_rnn_inspection`` is the parent side.

The job carries the graph, ``config = {"sample": nested list, "target": nested list | None, "loss": str,
"layer": node name | None}`` and optionally ``initial_weights`` (a ``.npz`` of layer weights as projects store
them, or a Keras ``.weights.h5``).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from psygnal import Signal

from core.graph.model import Graph
from core.inspect.rnn import RnnTrace, inspect_model
from core.training.engine import TrainingEngine, TrainingRun
from core.training.messages import Finished, Message, Phase
from core.training.worker import Job


@dataclass(frozen=True)
class RnnTraced:
    """The inspector's result for one sample."""

    trace: RnnTrace


def _model(job: Job) -> Any:
    from core.training.checkpoint import apply_layer_weights, load_layer_weights
    from core.translate.to_keras import build_model

    model = build_model(Graph.from_dict(job.graph))
    if job.initial_weights:
        if job.initial_weights.endswith(".npz"):
            apply_layer_weights(model, load_layer_weights(Path(job.initial_weights)))
        else:
            model.load_weights(job.initial_weights)
    return model


def run_rnn_inspect_job(job: Job, send: Callable[[Any], None], control: Any) -> Message:
    """The worker's entry for ``Job(kind="rnn_inspect")``."""
    started = time.perf_counter()
    send(Phase("building"))
    model = _model(job)
    cfg = job.config
    target = cfg.get("target")
    send(Phase("training", "tracing one sample through the recurrent layer"))
    trace = inspect_model(model, np.asarray(cfg["sample"]), None if target is None else np.asarray(target),
                          str(cfg.get("loss", "mse")), cfg.get("layer"))
    send(RnnTraced(trace))
    send(Phase("finished"))
    return Finished({"loss": trace.loss, "falloff": trace.falloff, "max_error": trace.max_error}, 0, False, "", "",
                    "cpu", None, time.perf_counter() - started)


class RnnInspection(TrainingRun):
    """An inspection in a worker process; ``traced`` carries the ``RnnTraced`` message."""

    traced = Signal(object)

    def __init__(self, job: Job, worker: Any, grace: float) -> None:
        super().__init__(job, worker, grace)
        self.trace: RnnTrace | None = None

    def _dispatch(self, msg: Message) -> None:
        if isinstance(msg, RnnTraced):
            self.trace = msg.trace
            self.traced.emit(msg)
            return
        super()._dispatch(msg)


def start_rnn_inspection(
    engine: TrainingEngine, graph: Graph | dict[str, Any], sample: np.ndarray, target: np.ndarray | None = None,
    loss: str = "mse", layer: str | None = None, weights: str | None = None,
) -> RnnInspection:
    """Trace ``sample`` through the graph's recurrent layer in one of the engine's workers."""
    graph_dict = graph.to_dict() if isinstance(graph, Graph) else dict(graph)
    config = {"sample": np.asarray(sample).tolist(), "target": None if target is None else np.asarray(target).tolist(),
              "loss": loss, "layer": layer}
    job = Job(graph_dict, {}, config, "", initial_weights=weights, kind="rnn_inspect")
    run = RnnInspection(job, engine.pool.take(), engine.grace)
    run.start()
    engine.runs.append(run)
    engine.run_started.emit(run)
    return run
