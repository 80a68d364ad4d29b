"""Multi-worker training with ``MultiWorkerMirroredStrategy`` (cluster from ``TF_CONFIG``) in a custom step loop.

Keras 3's ``fit`` is broken under this strategy with real workers (keras-team/keras#20585, FACTS.md), so the
loop is written on ``tf.distribute`` directly: a distributed dataset, a ``tf.function`` step that calls
``strategy.run`` with a ``GradientTape``, ``tf.nn.compute_average_loss`` over the global batch, the Keras
optimizer's ``apply_gradients`` and ``strategy.reduce``. Every worker ends with the same weights.

The loop drives the fit path's own callback (``callbacks.make_callback``) by hand, so the messages and monitors
are the same: ``BatchEnd``, ``Gradients`` every k steps, ``FeatureMaps``, ``EpochEnd``, ``Weights``,
``Confusion`` and the NaN/Inf stop naming the first non-finite layer. Gradient norms need the whole batch's
gradient, which only exists after the replicas' parts are summed, so steps that report them run a second
traced step that all-reduces the gradients itself (see ``_steps``); the other steps cost what they did.
A stop is honoured at the end of an epoch (every worker must run the same steps).

Metrics are Keras metric objects made from the config's names (as ``compile`` would), created in the strategy's
scope so that their variables are summed across replicas when read; they are reset each epoch, and the
validation metrics are computed by each worker on its own copy of the validation part. With mixed precision the
layers compute in the policy's float type; under ``mixed_float16`` the optimizer is wrapped in a
``LossScaleOptimizer`` as ``compile`` does, and every step all-reduces its gradients first so that all replicas
agree whether they are finite (a replica skipping the update alone would hang the others). Checkpoints are
written per epoch as on the fit path (``checkpoint_seconds``) by the chief; the other workers write theirs to a
temporary folder, removed at the end, as TensorFlow's multi-worker guide asks.
"""

from __future__ import annotations

import shutil
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from core.data.check import fit_to_graph, with_validation
from core.data.load import load_dataset
from core.data.recipe import Dataset
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
from core.training.history import History
from core.training.messages import Checkpoint, Finished, Log, Message, Phase

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


def is_chief(strategy: Any) -> bool:
    """The worker that writes checkpoints: the ``chief`` task, else worker 0 (or a process without a cluster)."""
    resolver = getattr(strategy, "cluster_resolver", None)
    task_type = getattr(resolver, "task_type", None)
    if resolver is None or task_type is None:
        return True
    if task_type == "chief":
        return True
    return task_type == "worker" and resolver.task_id == 0 and "chief" not in resolver.cluster_spec().as_dict()


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


def _validation(tf: Any, keras: Any, model: Any, loss_fn: Any, config: TrainingConfig, data: Dataset,
                batch: int) -> Callable[[], dict[str, float]] | None:
    """A function giving ``val_loss`` and the validation metrics (each worker computes them on its own copy)."""
    if not len(data.validation):
        return None
    metrics = metric_objects(keras, config, prefix="val_")

    @tf.function  # type: ignore[untyped-decorator]
    def part(x: Any, y: Any) -> Any:
        y_pred = model(x, training=False)
        for metric in metrics:
            metric.update_state(y, y_pred)
        return tf.reduce_sum(tf.cast(loss_fn(y, y_pred), tf.float32))

    def run() -> dict[str, float]:
        for metric in metrics:
            metric.reset_state()
        x, y = data.validation.x, data.validation.y
        total = sum(float(part(x[i:i + batch], y[i:i + batch])) for i in range(0, len(x), batch))
        return {"val_loss": total / len(x), **{m.name: float(m.result()) for m in metrics}}

    return run


def _checkpoints(strategy: Any, model: Any, folder: RunFolder, send: Callable[[Message], None]) -> tuple[
        BackgroundCheckpoints, Path | None]:
    """The chief checkpoints into the run folder; the others into a temporary folder (returned, to remove)."""
    if is_chief(strategy):
        return BackgroundCheckpoints(model, folder, send), None
    scratch = Path(tempfile.mkdtemp(prefix="layerbench-worker-checkpoint-"))
    return BackgroundCheckpoints(model, RunFolder(scratch),
                                 lambda m: None if isinstance(m, Checkpoint) else send(m)), scratch


def train_multi_worker(job: Any, send: Callable[[Message], None], control: Control) -> Message:
    """Train ``job`` (a ``worker.Job``) as one worker of the cluster in ``TF_CONFIG``; returns ``Finished``, or
    ``Failed`` when the loss became non-finite."""
    config = TrainingConfig.from_dict(job.config)
    policy = setup_device(config.device, config.mixed_precision)
    import keras
    import tensorflow as tf

    strategy = tf.distribute.MultiWorkerMirroredStrategy()  # before any other TensorFlow op
    send(Log("info", f"MultiWorkerMirroredStrategy with {strategy.num_replicas_in_sync} replicas"))
    if policy != "float32":
        scaling = ", dynamic loss scaling" if policy == "mixed_float16" else ""
        send(Log("info", f"mixed precision: {policy} (variables stay float32{scaling})"))
    keras.utils.set_random_seed(config.seed or 0)
    graph = Graph.from_dict(job.graph)
    data = with_validation(fit_to_graph(load_dataset(job.data), graph, config.loss), config.validation_split)
    global_batch = config.batch_size_for(len(data.train))
    folder = RunFolder(Path(job.run_dir))
    folder.path.mkdir(parents=True, exist_ok=True)
    send(Phase("building"))
    with strategy.scope():
        from core.translate.to_keras import build_model

        model = build_model(graph)
        optimizer = make_optimizer(config.optimizer)
        if policy == "mixed_float16":  # as compile does: float16 gradients underflow without loss scaling
            optimizer = keras.optimizers.LossScaleOptimizer(optimizer)
        optimizer.build(model.trainable_variables)
        loss_fn = getattr(keras.losses, LOSS_CLASSES[config.loss])(reduction=None)
        metrics = metric_objects(keras, config)
    names, groups = monitors.layer_groups(model, model.trainable_variables)
    steps = _steps(tf, strategy, model, optimizer, loss_fn, metrics, global_batch, groups, config.monitors.nan_check)
    ds = _dataset(tf, data.train.x, data.train.y, global_batch, config.seed or 0)
    val = (data.validation.x, data.validation.y) if len(data.validation) else (data.train.x[:1000],
                                                                                data.train.y[:1000])
    ctx = RunContext(config, send, _EpochBoundary(control), model, folder, History(), names,
                     sample=data.train.x[:64], train_x=data.train.x, eval_x=val[0], eval_y=val[1],
                     classes=data.classes, batches=int(ds.cardinality()))
    ctx.checkpoints, scratch = _checkpoints(strategy, model, folder, send)
    send(Phase("compiling"))
    try:
        _loop(ctx, strategy.experimental_distribute_dataset(ds), steps, metrics, optimizer,
              _validation(tf, keras, model, loss_fn, config, data, global_batch), control)
    except StopRun:
        if ctx.diverged is None:
            raise
        send(Phase("finished"))
        return ctx.diverged.failure()
    finally:
        ctx.checkpoints.flush()
        if scratch is not None:
            shutil.rmtree(scratch, ignore_errors=True)
    return _finish(ctx, model)


def _loop(ctx: RunContext, dist: Any, steps: tuple[Any, Any], metrics: list[Any], optimizer: Any,
          validation: Callable[[], dict[str, float]] | None, control: Control) -> None:
    """The epochs, through the fit path's callback; raises ``StopRun`` when the loss became non-finite."""
    plain, monitored = steps
    m = ctx.config.monitors
    cb = make_callback(ctx)
    for epoch in range(ctx.config.epochs):
        cb.on_epoch_begin(epoch)
        for metric in metrics:
            metric.reset_state()
        total, values = 0.0, {}
        for i, batch in enumerate(dist):
            if m.gradient_norms and (ctx.step + 1) % m.gradient_every == 0:  # on_batch counts this step
                loss, values, per_node, global_norm = monitored(batch)
                logs: dict[str, Any] = {"grad_norms": np.asarray(per_node), "grad_global_norm": float(global_norm)}
            else:
                (loss, values), logs = plain(batch), {}
            total += float(loss)
            metric_logs = {name: float(value) for name, value in values.items()}
            cb.on_train_batch_end(i, {"loss": total / (i + 1), **metric_logs, **logs})  # running means, as in fit
        epoch_logs = {"loss": total / max(1, ctx.batches), **{k: float(v) for k, v in values.items()}}
        if validation is not None:
            epoch_logs.update(validation())
        epoch_messages(cb, epoch, epoch_logs)
        checkpoint_epoch(ctx, optimizer, epoch)
        if control.stop.is_set():  # all workers must run the same steps: stop at an epoch boundary
            ctx.stopped = True
            break
    if ctx.unsaved:  # the last checkpoint was skipped (checkpoint_seconds) and the run ends here
        ctx.checkpoints.save(optimizer, ctx.history, ctx.epochs_done, ctx.step, wait=True)


def _finish(ctx: RunContext, model: Any) -> Message:
    save_weights(model, ctx.folder.final_weights)
    save_layer_weights(model, ctx.folder.layer_weights)
    ctx.history.to_npz(ctx.folder.history)
    ctx.send(Phase("finished"))
    last = {k: float(v.data[-1]) for k, v in ctx.history.epoch.values.items() if len(v)}
    return Finished(last, ctx.epochs_done, ctx.stopped, str(ctx.folder.final_weights), str(ctx.folder.history),
                    device_of(model), ctx.first_batch_at, time.perf_counter() - ctx.started_at)
