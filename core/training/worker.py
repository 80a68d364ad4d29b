"""The child side of a run: build the model from a graph snapshot, train, stream messages, checkpoint.

``run_job`` is the whole run and can be called in-process (tests do); ``child_main`` is the entry point of
the spawned worker process: it imports TensorFlow while it waits for a job (the warm worker), runs one job
and exits, so GPU memory is returned when the run ends.
"""

from __future__ import annotations

import os
import sys
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from core.data.check import fit_to_graph, with_validation
from core.data.download import reporting
from core.data.errors import DataError
from core.data.load import load_dataset
from core.data.recipe import Dataset
from core.graph.errors import GraphError
from core.graph.model import Graph
from core.training.background import BackgroundCheckpoints
from core.training.build import device_of, make_loss, make_metrics, make_optimizer, setup_device, strategy_for
from core.training.callbacks import Control, RunContext, StopRun, make_callback
from core.training.checkpoint import (
    RunFolder,
    apply_layer_weights,
    load_layer_weights,
    save_layer_weights,
    save_weights,
)
from core.training.config import TrainingConfig, describe_error
from core.training.heartbeat import COALESCE, HEARTBEAT, Pulse
from core.training.history import History
from core.training.messages import Failed, Finished, Log, Message, Phase, floats
from core.training.run_parts import device_message, download_reporter, resume_from_checkpoint, tick_callbacks


@dataclass(frozen=True)
class Job:
    """One run: JSON-able graph, data recipe and config, plus where to write and what to resume from."""

    graph: dict[str, Any]
    data: dict[str, Any]
    config: dict[str, Any]
    run_dir: str
    resume: bool = False
    initial_weights: str | None = None
    virtual_cpus: int = 0
    kind: str = "train"
    """``train`` (supervised, this module) or another run kind of ``RUN_KINDS`` (``rl``, ``gan``, ``rnn_inspect``)."""
    heartbeat: float = HEARTBEAT
    """Seconds between the worker's heartbeat checks (``core.training.heartbeat``); the engine sets it."""
    callbacks: tuple[Callable[[], Any], ...] = ()
    """Factories of extra Keras callbacks, called in the worker (the fault-injection tests use this). Only the
    parent's own code can fill it: a project file gives JSON (graph, data, config), never a callable."""


RUN_KINDS: dict[str, str] = {
    "rl": "core.rl.runner:run_rl_job", "gan": "core.gan.job:run_gan_job",
    "rnn_inspect": "core.inspect.job:run_rnn_inspect_job",
}
"""Run kinds besides supervised training: ``module:function`` taking ``(job, send, control)``."""


def _compile(model: Any, config: TrainingConfig) -> None:
    model.compile(optimizer=make_optimizer(config.optimizer), loss=make_loss(config.loss),
                  metrics=make_metrics(config))
    model.optimizer.build(model.trainable_variables)  # before the first step: traces once, not twice (FACTS.md)


def _build(job: Job, config: TrainingConfig, graph: Graph) -> tuple[Any, Any, list[str]]:
    """(training model, inner functional model, gradient-norm layer names)."""
    from core.training.monitors import attach_groups, monitored
    from core.translate.to_keras import build_model

    inner = build_model(graph)
    if job.initial_weights and job.initial_weights.endswith(".npz"):
        apply_layer_weights(inner, load_layer_weights(Path(job.initial_weights)))
    elif job.initial_weights:
        inner.load_weights(job.initial_weights)
    m = config.monitors
    if not (m.gradient_norms or m.nan_check):
        _compile(inner, config)
        return inner, inner, []
    model = monitored(inner, m.gradient_norms, skip_nonfinite=m.nan_check, every=m.gradient_every)
    _compile(model, config)
    return model, inner, attach_groups(model, inner)


def _fit(job: Job, config: TrainingConfig, data: Dataset, ctx: RunContext, model: Any, start: int) -> None:
    batch = config.batch_size_for(len(data.train))
    ctx.batches = -(-len(data.train) // batch)
    val = (data.validation.x, data.validation.y) if len(data.validation) else None
    ctx.send(Phase("compiling", "tracing the graph until the first batch"))
    try:
        model.fit(data.train.x, data.train.y, batch_size=batch, epochs=config.epochs, initial_epoch=start,
                  validation_data=val, shuffle=True, verbose=0, callbacks=_callbacks(job, config, ctx))
    except StopRun:
        if ctx.stopped:
            ctx.checkpoints.save(model.optimizer, ctx.history, ctx.epoch, ctx.step, partial=True, wait=True)
    else:
        if ctx.unsaved:  # early stopping ended the run after an epoch left unsaved
            ctx.checkpoints.save(model.optimizer, ctx.history, ctx.epochs_done, ctx.step, wait=True)
    ctx.checkpoints.flush()


def _callbacks(job: Job, config: TrainingConfig, ctx: RunContext) -> list[Any]:
    import keras

    out = [make_callback(ctx), *tick_callbacks(ctx), *(make() for make in job.callbacks)]
    es = config.early_stopping
    if es.enabled:
        out.append(keras.callbacks.EarlyStopping(monitor=es.monitor, patience=es.patience, min_delta=es.min_delta,
                                                 restore_best_weights=es.restore_best_weights))
    if config.monitors.tensorboard:
        from core.training.tensorboard import tensorboard_callback

        out.append(tensorboard_callback(ctx))
    return out


def _finish(ctx: RunContext, model: Any, inner: Any, data: Dataset) -> Message:
    if ctx.diverged is not None:
        return ctx.diverged.failure()
    save_weights(inner, ctx.folder.final_weights)
    save_layer_weights(inner, ctx.folder.layer_weights)
    ctx.history.to_npz(ctx.folder.history)
    test: dict[str, float] = {}
    if len(data.test) and not ctx.stopped:
        test = floats(model.evaluate(data.test.x, data.test.y, verbose=0, return_dict=True,
                                     callbacks=tick_callbacks(ctx)))
    last = {k: float(v.data[-1]) for k, v in ctx.history.epoch.values.items() if len(v)}
    return Finished(last, ctx.epochs_done, ctx.stopped, str(ctx.folder.final_weights), str(ctx.folder.history),
                    device_of(model), ctx.first_batch_at, time.perf_counter() - ctx.started_at, test)


def _setup(job: Job, config: TrainingConfig, send: Callable[[Message], None]) -> tuple[Graph, Dataset]:
    """Devices first (before TensorFlow initialises), then the seed, the graph and the data fitted to it."""
    policy = setup_device(config.device, config.mixed_precision, job.virtual_cpus)
    import keras

    if policy != "float32":
        send(Log("info", f"mixed precision: {policy} (variables stay float32)"))
    if config.seed is not None:
        keras.utils.set_random_seed(config.seed)
    send(Phase("loading data"))
    graph = Graph.from_dict(job.graph)
    with reporting(download_reporter(send)):
        raw = load_dataset(job.data)
    data = with_validation(fit_to_graph(raw, graph, config.loss), config.validation_split)
    return graph, data


def _context(config: TrainingConfig, send: Callable[[Message], None], control: Control, inner: Any,
             folder: RunFolder, names: list[str], data: Dataset) -> RunContext:
    val = len(data.validation) > 0
    ctx = RunContext(config, send, control, inner, folder, History(), names, sample=data.train.x[:64],
                     train_x=data.train.x,
                     eval_x=data.validation.x if val else data.train.x[:1000],
                     eval_y=data.validation.y if val else data.train.y[:1000], classes=data.classes)
    ctx.checkpoints = BackgroundCheckpoints(inner, folder, send)
    if getattr(send, "tick", None) is not None:  # the worker process: messages go through a pipe
        ctx.gather = COALESCE
    return ctx


def train(job: Job, send: Callable[[Message], None], control: Control) -> Message:
    """Run ``job`` to the end and return (and send) its ``Finished`` or ``Failed`` message."""
    config = TrainingConfig.from_dict(job.config)
    send(Phase("starting", f"device {config.device}"))
    if config.strategy == "multi-worker":
        from core.training.distributed import train_multi_worker

        return train_multi_worker(job, send, control)
    graph, data = _setup(job, config, send)
    send(Phase("building"))
    folder = RunFolder(Path(job.run_dir))
    folder.path.mkdir(parents=True, exist_ok=True)
    strategy = strategy_for(config)
    if config.strategy != "none":
        send(Log("info", f"{type(strategy).__name__} with {strategy.num_replicas_in_sync} replicas"))
    with strategy.scope():
        model, inner, names = _build(job, config, graph)
    send(device_message(model, strategy if config.strategy != "none" else None))
    ctx = _context(config, send, control, inner, folder, names, data)
    start = resume_from_checkpoint(job.resume, folder, model, inner, ctx)
    ctx.epochs_done = start
    _fit(job, config, data, ctx, model, start)
    result = _finish(ctx, model, inner, data)
    send(Phase("finished"))
    return result


def _runner(kind: str) -> Callable[[Job, Callable[[Message], None], Control], Message]:
    """The function that runs a job of ``kind`` (imported on use: RL code loads only for RL runs)."""
    if kind == "train":
        return train
    import importlib

    module, _, name = RUN_KINDS[kind].partition(":")
    runner: Callable[[Job, Callable[[Message], None], Control], Message] = getattr(
        importlib.import_module(module), name)
    return runner


def run_job(job: Job, send: Callable[[Message], None], control: Control) -> Message:
    """``train`` with every error turned into a ``Failed`` message (sent as the last message)."""
    try:
        result = _runner(job.kind)(job, send, control)
    except ValidationError as exc:
        result = Failed(f"training settings: {describe_error(exc)}", kind="config")
    except DataError as exc:
        result = Failed(exc.message, exc.where, kind="data")
    except GraphError as exc:
        result = Failed(exc.message, exc.node_id, kind="graph")
    except Exception as exc:
        result = Failed(f"{type(exc).__name__}: {exc}", stderr=traceback.format_exc()[-4000:])
    send(result)
    return result


def warm_up() -> None:
    """Train a two-weight model for one step: the first real run then skips Keras's one-time costs (module
    imports, the first ``tf.function`` traces). This fixes the devices as ``auto``; jobs asking for other
    devices get a worker without warm-up (``WorkerPool.take(warm=False)``)."""
    import keras
    import numpy as np

    setup_device("auto")
    model = keras.Sequential([keras.Input((2,)), keras.layers.Dense(2)])
    model.compile(optimizer="adam", loss="mse", metrics=["accuracy"])
    model.optimizer.build(model.trainable_variables)
    zeros = np.zeros((4, 2), "float32")
    model.fit(zeros, zeros, batch_size=2, epochs=1, verbose=0, validation_data=(zeros, zeros))


def child_main(conn: Any, stop: Any, pause: Any, stderr_path: str, warm: bool = True) -> None:
    """Entry point of the spawned worker: redirect stderr, import TensorFlow (and warm up), run one job, exit."""
    fd = os.open(stderr_path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
    os.dup2(fd, 2)
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    import keras  # noqa: F401  (the import is most of the start-up time)
    import tensorflow as tf

    tf.config.list_physical_devices()  # loads the GPU driver now
    if warm:
        warm_up()
    conn.send("ready")
    job = conn.recv()
    if job is None:
        return

    class _Control:
        def __init__(self) -> None:
            self.stop, self.pause = stop, pause

    pulse = Pulse(conn.send, job.heartbeat).start()
    try:
        run_job(job, pulse, _Control())
    finally:
        pulse.close()
        conn.close()
        sys.stderr.flush()
        os._exit(0)  # skip TensorFlow's slow interpreter teardown; everything is written and sent
