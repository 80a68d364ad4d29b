"""Multi-worker training with ``MultiWorkerMirroredStrategy`` (cluster from ``TF_CONFIG``) in a custom step loop.

Keras 3's ``fit`` is broken under this strategy with real workers (keras-team/keras#20585, FACTS.md), so the
loop is written on ``tf.distribute`` directly: a distributed dataset, a ``tf.function`` step that calls
``strategy.run`` with a ``GradientTape``, ``tf.nn.compute_average_loss`` over the global batch, the Keras
optimizer's ``apply_gradients`` and ``strategy.reduce``. Every worker ends with the same weights.

It sends what the fit path (``core.training.worker``) sends, through the fit path's own functions: the phases
(``loading data`` with download progress, ``building``, ``compiling``, ``first batch after``), the ``Device``
message naming the strategy and its replicas, and the fit path's callback (``callbacks.make_callback``) driven by
hand: ``BatchEnd``, ``Gradients`` every k steps, ``FeatureMaps``, ``EpochEnd``, ``Weights``, ``Confusion``,
``Checkpoint`` and the NaN/Inf stop naming the first non-finite layer. The fit path's other callbacks are driven
too: the heartbeat's ticks, the job's own, early stopping and TensorBoard's event files (the chief's only).
``Finished`` carries the test part's metrics. Gradient norms need the whole batch's gradient, which only exists
after the replicas' parts are summed, so steps that report them run a second traced step that all-reduces the
gradients itself (see ``_steps``); the other steps cost what they did. A stop is honoured at the end of an epoch:
every worker must run the same steps, so the workers agree on it (``distributed_sync.Vote``).

Metrics are Keras metric objects made from the config's names (as ``compile`` would), created in the strategy's
scope so that their variables are summed across replicas when read; they are reset each epoch, and the
validation and test metrics are computed by each worker on its own copy of that part. With mixed precision the
layers compute in the policy's float type; under ``mixed_float16`` the optimizer is wrapped in a
``LossScaleOptimizer`` as ``compile`` does, and every step all-reduces its gradients first so that all replicas
agree whether they are finite (a replica skipping the update alone would hang the others). Checkpoints are
written per epoch as on the fit path (``checkpoint_seconds``) by the chief; the other workers write theirs to a
temporary folder, removed at the end, as TensorFlow's multi-worker guide asks. A resumed run (``job.resume``)
starts from the chief's checkpoint on every worker (``distributed_sync.start_state``).
"""

from __future__ import annotations

import shutil
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import numpy as np

from core.data.check import fit_to_graph, with_validation
from core.data.download import reporting
from core.data.load import load_dataset
from core.data.recipe import Dataset, Split
from core.graph.model import Graph
from core.training import monitors
from core.training.background import BackgroundCheckpoints
from core.training.build import device_of, make_metrics, make_optimizer, setup_device
from core.training.callbacks import (
    Control,
    Flag,
    RunContext,
    StopRun,
    checkpoint_epoch,
    epoch_messages,
    make_callback,
)
from core.training.checkpoint import RunFolder, save_layer_weights, save_weights
from core.training.config import TrainingConfig
from core.training.distributed_sync import Vote, apply_initial_weights, is_chief, start_state
from core.training.history import History
from core.training.messages import Checkpoint, Finished, Log, Message, Phase
from core.training.run_parts import device_message, download_reporter, tick_callbacks

LOSS_CLASSES = {
    "mse": "MeanSquaredError", "mae": "MeanAbsoluteError", "huber": "Huber",
    "binary_crossentropy": "BinaryCrossentropy", "categorical_crossentropy": "CategoricalCrossentropy",
    "sparse_categorical_crossentropy": "SparseCategoricalCrossentropy",
}  # fmt: skip
METRIC_CLASSES = {
    "mae": "MeanAbsoluteError", "mse": "MeanSquaredError", "auc": "AUC", "precision": "Precision",
    "recall": "Recall", "top_k_categorical_accuracy": "TopKCategoricalAccuracy",
}  # fmt: skip
ACCURACY_CLASSES = {
    "binary_crossentropy": "BinaryAccuracy", "categorical_crossentropy": "CategoricalAccuracy",
    "sparse_categorical_crossentropy": "SparseCategoricalAccuracy",
}  # fmt: skip
"""``accuracy`` as ``compile`` resolves it for each loss (``make_metrics`` keeps it only for these)."""


def metric_objects(keras: Any, config: TrainingConfig, prefix: str = "") -> list[Any]:
    """Keras metric objects for the config's metrics, named as the fit path logs them (``accuracy``, ``mae``)."""
    return [getattr(keras.metrics, ACCURACY_CLASSES[config.loss] if name == "accuracy" else METRIC_CLASSES[name])(
        name=prefix + name) for name in make_metrics(config)]


class _Never:
    def is_set(self) -> bool:
        return False


class _EpochBoundary:
    """The control the callback sees: pause as asked, but no stop mid-epoch (the loop checks it between epochs)."""

    def __init__(self, control: Control) -> None:
        self._control = control
        self.stop: Flag = _Never()

    @property
    def pause(self) -> Flag:
        return self._control.pause


def _dataset(tf: Any, x: Any, y: Any, batch: int, seed: int) -> Any:
    ds = tf.data.Dataset.from_tensor_slices((x, y)).shuffle(len(x), seed=seed).batch(batch, drop_remainder=True)
    options = tf.data.Options()
    options.experimental_distribute.auto_shard_policy = tf.data.experimental.AutoShardPolicy.DATA
    return ds.with_options(options)


def _steps(tf: Any, strategy: Any, model: Any, optimizer: Any, loss_fn: Any, metrics: list[Any],
           global_batch: int, groups: list[list[int]], skip_nonfinite: bool) -> tuple[Any, Any]:
    """(plain step -> (summed loss, metrics), monitored step -> (summed loss, metrics, per-node gradient norms,
    global norm)). The metrics are the epoch's running values, summed over the replicas."""
    variables = model.trainable_variables
    scaling = type(optimizer).__name__ == "LossScaleOptimizer"

    def gradients(x: Any, y: Any) -> tuple[Any, Any, list[Any]]:
        with tf.GradientTape() as tape:
            y_pred = model(x, training=True)
            loss = tf.nn.compute_average_loss(loss_fn(y, y_pred), global_batch_size=global_batch)
            if model.losses:
                loss += tf.nn.scale_regularization_loss(tf.add_n(model.losses))
            scaled = optimizer.scale_loss(loss) if scaling else loss
        grads = tape.gradient(scaled, variables)
        for metric in metrics:
            metric.update_state(y, y_pred)
        return loss, scaled, monitors.zero_if_nonfinite(loss, grads) if skip_nonfinite else grads

    def summed(grads: list[Any]) -> list[Any]:
        """The whole batch's gradients on every replica (the replicas' parts all-reduced)."""
        present = [i for i, g in enumerate(grads) if g is not None]
        total = tf.distribute.get_replica_context().all_reduce(
            tf.distribute.ReduceOp.SUM, [tf.convert_to_tensor(grads[i]) for i in present])
        whole: list[Any] = [None] * len(grads)
        for i, g in zip(present, total):
            whole[i] = g
        return whole

    def apply_whole(whole: list[Any]) -> None:
        share = 1.0 / strategy.num_replicas_in_sync  # the optimizer sums the replicas' gradients again
        optimizer.apply_gradients(zip([None if g is None else g * share for g in whole], variables))

    def plain(x: Any, y: Any) -> Any:
        loss, _scaled, grads = gradients(x, y)
        if scaling:  # all replicas must see the same gradients to agree on skipping a non-finite step
            apply_whole(summed(grads))
        else:
            optimizer.apply_gradients(zip(grads, variables))
        return loss

    def monitored(x: Any, y: Any) -> tuple[Any, Any, Any]:
        loss, scaled, grads = gradients(x, y)
        whole = summed(grads)
        per_node, global_norm = monitors.gradient_l2(whole, groups)
        unscale = tf.cast(loss, tf.float32) / tf.maximum(tf.cast(scaled, tf.float32), 1e-30)
        apply_whole(whole)
        return loss, per_node * unscale, global_norm * unscale

    def results() -> dict[str, Any]:
        return {metric.name: metric.result() for metric in metrics}

    @tf.function  # type: ignore[untyped-decorator]
    def plain_step(batch: Any) -> Any:
        loss = strategy.reduce(tf.distribute.ReduceOp.SUM, strategy.run(plain, args=batch), axis=None)
        return loss, results()

    @tf.function  # type: ignore[untyped-decorator]
    def monitored_step(batch: Any) -> Any:
        loss, per_node, global_norm = strategy.run(monitored, args=batch)
        first = strategy.experimental_local_results  # the same on every replica after the all-reduce
        return (strategy.reduce(tf.distribute.ReduceOp.SUM, loss, axis=None), results(), first(per_node)[0],
                first(global_norm)[0])

    return plain_step, monitored_step


def _evaluator(tf: Any, keras: Any, model: Any, loss_fn: Any, config: TrainingConfig, batch: int, prefix: str,
               callbacks: Any) -> Callable[[Split], dict[str, float]]:
    """A function giving ``<prefix>loss`` and the metrics on a split, as ``evaluate`` does (regularization losses
    included); each worker computes them on its own copy. Test batches reach ``callbacks`` (the heartbeat ticks)."""
    metrics = metric_objects(keras, config, prefix=prefix)

    @tf.function  # type: ignore[untyped-decorator]
    def part(x: Any, y: Any) -> Any:
        y_pred = model(x, training=False)
        for metric in metrics:
            metric.update_state(y, y_pred)
        total = tf.reduce_sum(tf.cast(loss_fn(y, y_pred), tf.float32))
        if model.losses:  # evaluate adds them to every batch's mean loss
            total += tf.cast(tf.add_n(model.losses), tf.float32) * tf.cast(tf.shape(x)[0], tf.float32)
        return total

    def run(split: Split) -> dict[str, float]:
        for metric in metrics:
            metric.reset_state()
        callbacks.on_test_begin()
        total = 0.0
        for i, at in enumerate(range(0, len(split.x), batch)):
            total += float(part(split.x[at:at + batch], split.y[at:at + batch]))
            callbacks.on_test_batch_end(i)
        callbacks.on_test_end()
        return {prefix + "loss": total / len(split.x), **{m.name: float(m.result()) for m in metrics}}

    return run


def _checkpoints(strategy: Any, model: Any, folder: RunFolder, send: Callable[[Message], None]) -> tuple[
        BackgroundCheckpoints, Path | None]:
    """The chief checkpoints into the run folder; the others into a temporary folder (returned, to remove)."""
    if is_chief(strategy):
        return BackgroundCheckpoints(model, folder, send), None
    scratch = Path(tempfile.mkdtemp(prefix="layerbench-worker-checkpoint-"))
    return BackgroundCheckpoints(model, RunFolder(scratch),
                                 lambda m: None if isinstance(m, Checkpoint) else send(m)), scratch


def _data(job: Any, config: TrainingConfig, graph: Graph, send: Callable[[Message], None]) -> Dataset:
    """The data fitted to the graph, with the fit path's phase and download progress messages."""
    send(Phase("loading data"))
    with reporting(download_reporter(send)):
        raw = load_dataset(job.data)
    return with_validation(fit_to_graph(raw, graph, config.loss), config.validation_split)


def _extra_callbacks(keras: Any, job: Any, ctx: RunContext, model: Any, metrics: list[Any], chief: bool) -> Any:
    """The fit path's other callbacks, driven by hand: heartbeat ticks, the job's own, early stopping and
    TensorBoard (the chief's only: one set of event files per run)."""
    out = [*tick_callbacks(ctx), *(make() for make in job.callbacks)]
    es = ctx.config.early_stopping
    if es.enabled:  # no compiled metrics for Keras to read the direction from: the metric objects give it
        name = es.monitor.removeprefix("val_")
        up = [getattr(m, "_direction", "down") == "up" for m in metrics if m.name == name]
        mode = "min" if name == "loss" else ("max" if up == [True] else "min" if up else "auto")
        out.append(keras.callbacks.EarlyStopping(monitor=es.monitor, patience=es.patience, min_delta=es.min_delta,
                                                 restore_best_weights=es.restore_best_weights, mode=mode))
    if ctx.config.monitors.tensorboard and chief:
        from core.training.tensorboard import tensorboard_callback

        out.append(tensorboard_callback(ctx))
    model.stop_training = False
    return keras.callbacks.CallbackList(out, model=model)


def train_multi_worker(job: Any, send: Callable[[Message], None], control: Control) -> Message:
    """Train ``job`` (a ``worker.Job``) as one worker of the cluster in ``TF_CONFIG``; returns ``Finished``, or
    ``Failed`` when the loss became non-finite. Every worker must be given the same job (``resume`` included)."""
    config = TrainingConfig.from_dict(job.config)
    policy = setup_device(config.device, config.mixed_precision)
    import keras
    import tensorflow as tf

    strategy = tf.distribute.MultiWorkerMirroredStrategy()  # before any other TensorFlow op
    send(Log("info", f"MultiWorkerMirroredStrategy with {strategy.num_replicas_in_sync} replicas"))
    if policy != "float32":
        scaling = ", dynamic loss scaling" if policy == "mixed_float16" else ""
        send(Log("info", f"mixed precision: {policy} (variables stay float32{scaling})"))
    keras.utils.set_random_seed(config.seed or 0)  # every worker shuffles alike
    graph = Graph.from_dict(job.graph)
    data = _data(job, config, graph, send)
    global_batch = config.batch_size_for(len(data.train))
    folder = RunFolder(Path(job.run_dir))
    folder.path.mkdir(parents=True, exist_ok=True)
    send(Phase("building"))
    with strategy.scope():
        from core.translate.to_keras import build_model

        model = build_model(graph)
        apply_initial_weights(strategy, model, job.initial_weights)
        optimizer = make_optimizer(config.optimizer)
        if policy == "mixed_float16":  # as compile does: float16 gradients underflow without loss scaling
            optimizer = keras.optimizers.LossScaleOptimizer(optimizer)
        optimizer.build(model.trainable_variables)
        loss_fn = getattr(keras.losses, LOSS_CLASSES[config.loss])(reduction=None)
        metrics = metric_objects(keras, config)
    send(replace(device_message(model, strategy), strategy="MultiWorkerMirroredStrategy"))
    names, groups = monitors.layer_groups(model, model.trainable_variables)
    steps = _steps(tf, strategy, model, optimizer, loss_fn, metrics, global_batch, groups, config.monitors.nan_check)
    ds = _dataset(tf, data.train.x, data.train.y, global_batch, config.seed or 0)
    val = (data.validation.x, data.validation.y) if len(data.validation) else (data.train.x[:1000],
                                                                                data.train.y[:1000])
    ctx = RunContext(config, send, _EpochBoundary(control), model, folder, History(), names,
                     sample=data.train.x[:64], train_x=data.train.x, eval_x=val[0], eval_y=val[1],
                     classes=data.classes, batches=int(ds.cardinality()))
    start = start_state(job, strategy, folder, model, optimizer, ctx)
    ctx.checkpoints, scratch = _checkpoints(strategy, model, folder, send)
    callbacks = _extra_callbacks(keras, job, ctx, model, metrics, is_chief(strategy))
    evaluate = _evaluator(tf, keras, model, loss_fn, config, global_batch, "val_", callbacks)
    send(Phase("compiling", "tracing the graph until the first batch"))
    try:
        _loop(ctx, _Loop(strategy.experimental_distribute_dataset(ds), steps, metrics, optimizer, model, callbacks,
                         (lambda: evaluate(data.validation)) if len(data.validation) else None, Vote(strategy)),
              start, control)
    except StopRun:
        if ctx.diverged is None:
            raise
        send(Phase("finished"))
        return ctx.diverged.failure()
    finally:
        ctx.checkpoints.flush()
        if scratch is not None:
            shutil.rmtree(scratch, ignore_errors=True)
    test = {}
    if len(data.test) and not ctx.stopped:  # as the fit path: the test part once, at the end of a full run
        test = _evaluator(tf, keras, model, loss_fn, config, global_batch, "", callbacks)(data.test)
    return _finish(ctx, model, test)


@dataclass
class _Loop:
    """What the epochs need besides the run's context."""

    dist: Any
    steps: tuple[Any, Any]
    metrics: list[Any]
    optimizer: Any
    model: Any
    callbacks: Any
    validation: Callable[[], dict[str, float]] | None
    vote: Vote


def _loop(ctx: RunContext, run: _Loop, start: int, control: Control) -> None:
    """The epochs from ``start``, through the fit path's callback; raises ``StopRun`` when the loss became
    non-finite. Stop and early stopping are agreed by all workers at the end of each epoch."""
    plain, monitored = run.steps
    m = ctx.config.monitors
    cb, others = make_callback(ctx), run.callbacks
    cb.on_train_begin()
    others.on_train_begin()
    for epoch in range(start, ctx.config.epochs):
        cb.on_epoch_begin(epoch)
        others.on_epoch_begin(epoch)
        for metric in run.metrics:
            metric.reset_state()
        total, values, logs = 0.0, {}, dict[str, Any]()
        for i, batch in enumerate(run.dist):
            if m.gradient_norms and (ctx.step + 1) % m.gradient_every == 0:  # on_batch counts this step
                loss, values, per_node, global_norm = monitored(batch)
                logs = {"grad_norms": np.asarray(per_node), "grad_global_norm": float(global_norm)}
            else:
                (loss, values), logs = plain(batch), {}
            total += float(loss)
            batch_logs = {"loss": total / (i + 1), **{k: float(v) for k, v in values.items()}, **logs}
            cb.on_train_batch_end(i, batch_logs)  # running means, as in fit
            others.on_train_batch_end(i, batch_logs)
        epoch_logs = {"loss": total / max(1, ctx.batches), **{k: float(v) for k, v in values.items()}}
        if "grad_global_norm" in logs:  # fit's epoch logs are its last step's (dropped if that step had no norms)
            epoch_logs["grad_global_norm"] = float(logs["grad_global_norm"])
        if run.validation is not None:
            epoch_logs.update(run.validation())
        epoch_messages(cb, epoch, epoch_logs)
        checkpoint_epoch(ctx, run.optimizer, epoch)
        others.on_epoch_end(epoch, epoch_logs)
        stop, early = run.vote(control.stop.is_set(), bool(getattr(run.model, "stop_training", False)))
        if stop or early:  # every worker leaves after the same epoch
            ctx.stopped = stop
            break
    others.on_train_end()  # early stopping puts the best weights back here, before the last checkpoint (as fit)
    if ctx.unsaved:  # the last checkpoint was skipped (checkpoint_seconds) and the run ends here
        ctx.checkpoints.save(run.optimizer, ctx.history, ctx.epochs_done, ctx.step, wait=True)


def _finish(ctx: RunContext, model: Any, test: dict[str, float]) -> Message:
    save_weights(model, ctx.folder.final_weights)
    save_layer_weights(model, ctx.folder.layer_weights)
    ctx.history.to_npz(ctx.folder.history)
    ctx.send(Phase("finished"))
    last = {k: float(v.data[-1]) for k, v in ctx.history.epoch.values.items() if len(v)}
    return Finished(last, ctx.epochs_done, ctx.stopped, str(ctx.folder.final_weights), str(ctx.folder.history),
                    device_of(model), ctx.first_batch_at, time.perf_counter() - ctx.started_at, test)
