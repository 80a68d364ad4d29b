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
A stop is honoured at the end of an epoch (every worker must run the same steps); there are no checkpoints.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from core.data.check import fit_to_graph
from core.data.load import load_dataset
from core.data.recipe import Dataset
from core.graph.model import Graph
from core.training import monitors
from core.training.build import device_of, make_optimizer, setup_device
from core.training.callbacks import Control, Flag, RunContext, StopRun, epoch_messages, make_callback
from core.training.checkpoint import RunFolder, save_layer_weights, save_weights
from core.training.config import TrainingConfig
from core.training.history import History
from core.training.messages import Finished, Log, Message, Phase

LOSS_CLASSES = {
    "mse": "MeanSquaredError", "mae": "MeanAbsoluteError", "huber": "Huber",
    "binary_crossentropy": "BinaryCrossentropy", "categorical_crossentropy": "CategoricalCrossentropy",
    "sparse_categorical_crossentropy": "SparseCategoricalCrossentropy",
}  # fmt: skip


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


def _steps(tf: Any, strategy: Any, model: Any, optimizer: Any, loss_fn: Any, global_batch: int,
           groups: list[list[int]], skip_nonfinite: bool) -> tuple[Any, Any]:
    """(plain step -> summed loss, monitored step -> (summed loss, per-node gradient norms, global norm))."""
    variables = model.trainable_variables

    def gradients(x: Any, y: Any) -> tuple[Any, list[Any]]:
        with tf.GradientTape() as tape:
            per_example = loss_fn(y, model(x, training=True))
            loss = tf.nn.compute_average_loss(per_example, global_batch_size=global_batch)
            if model.losses:
                loss += tf.nn.scale_regularization_loss(tf.add_n(model.losses))
        grads = tape.gradient(loss, variables)
        return loss, monitors.zero_if_nonfinite(loss, grads) if skip_nonfinite else grads

    def plain(x: Any, y: Any) -> Any:
        loss, grads = gradients(x, y)
        optimizer.apply_gradients(zip(grads, variables))
        return loss

    def monitored(x: Any, y: Any) -> tuple[Any, Any, Any]:
        loss, grads = gradients(x, y)
        present = [i for i, g in enumerate(grads) if g is not None]
        summed = tf.distribute.get_replica_context().all_reduce(
            tf.distribute.ReduceOp.SUM, [tf.convert_to_tensor(grads[i]) for i in present])
        whole: list[Any] = [None] * len(grads)
        for i, g in zip(present, summed):
            whole[i] = g
        per_node, global_norm = monitors.gradient_l2(whole, groups)
        share = 1.0 / strategy.num_replicas_in_sync  # the optimizer sums the replicas' gradients again
        optimizer.apply_gradients(zip([None if g is None else g * share for g in whole], variables))
        return loss, per_node, global_norm

    @tf.function  # type: ignore[untyped-decorator]
    def plain_step(batch: Any) -> Any:
        return strategy.reduce(tf.distribute.ReduceOp.SUM, strategy.run(plain, args=batch), axis=None)

    @tf.function  # type: ignore[untyped-decorator]
    def monitored_step(batch: Any) -> Any:
        loss, per_node, global_norm = strategy.run(monitored, args=batch)
        first = strategy.experimental_local_results  # the same on every replica after the all-reduce
        return strategy.reduce(tf.distribute.ReduceOp.SUM, loss, axis=None), first(per_node)[0], first(global_norm)[0]

    return plain_step, monitored_step


def _validation_loss(tf: Any, model: Any, loss_fn: Any, data: Dataset, batch: int) -> Any:
    """A function giving the mean loss on the validation part (each worker computes it on its own copy)."""
    if not len(data.validation):
        return None
    fn = tf.function(lambda x, y: tf.reduce_sum(loss_fn(y, model(x, training=False))))
    x, y = data.validation.x, data.validation.y
    return lambda: sum(float(fn(x[i:i + batch], y[i:i + batch])) for i in range(0, len(x), batch)) / len(x)


def train_multi_worker(job: Any, send: Callable[[Message], None], control: Control) -> Message:
    """Train ``job`` (a ``worker.Job``) as one worker of the cluster in ``TF_CONFIG``; returns ``Finished``, or
    ``Failed`` when the loss became non-finite."""
    from core.training.worker import with_validation

    config = TrainingConfig.from_dict(job.config)
    setup_device(config.device)
    import keras
    import tensorflow as tf

    strategy = tf.distribute.MultiWorkerMirroredStrategy()  # before any other TensorFlow op
    send(Log("info", f"MultiWorkerMirroredStrategy with {strategy.num_replicas_in_sync} replicas"))
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
        optimizer.build(model.trainable_variables)
        loss_fn = getattr(keras.losses, LOSS_CLASSES[config.loss])(reduction=None)
    names, groups = monitors.layer_groups(model, model.trainable_variables)
    steps = _steps(tf, strategy, model, optimizer, loss_fn, global_batch, groups, config.monitors.nan_check)
    ds = _dataset(tf, data.train.x, data.train.y, global_batch, config.seed or 0)
    val = (data.validation.x, data.validation.y) if len(data.validation) else (data.train.x[:1000],
                                                                                data.train.y[:1000])
    ctx = RunContext(config, send, _EpochBoundary(control), model, folder, History(), names,
                     sample=data.train.x[:64], eval_x=val[0], eval_y=val[1], classes=data.classes,
                     batches=int(ds.cardinality()))
    send(Phase("compiling"))
    try:
        _loop(ctx, strategy.experimental_distribute_dataset(ds), steps,
              _validation_loss(tf, model, loss_fn, data, global_batch), control)
    except StopRun:
        if ctx.diverged is None:
            raise
        send(Phase("finished"))
        return ctx.diverged.failure()
    return _finish(ctx, model)


def _loop(ctx: RunContext, dist: Any, steps: tuple[Any, Any], val_loss: Callable[[], float] | None,
          control: Control) -> None:
    """The epochs, through the fit path's callback; raises ``StopRun`` when the loss became non-finite."""
    plain, monitored = steps
    m = ctx.config.monitors
    cb = make_callback(ctx)
    for epoch in range(ctx.config.epochs):
        cb.on_epoch_begin(epoch)
        total = 0.0
        for i, batch in enumerate(dist):
            if m.gradient_norms and (ctx.step + 1) % m.gradient_every == 0:  # on_batch counts this step
                loss, per_node, global_norm = monitored(batch)
                logs: dict[str, Any] = {"grad_norms": np.asarray(per_node), "grad_global_norm": float(global_norm)}
            else:
                loss, logs = plain(batch), {}
            total += float(loss)
            cb.on_train_batch_end(i, {"loss": total / (i + 1), **logs})  # the epoch's running mean, as in fit
        logs = {"loss": total / max(1, ctx.batches)}
        if val_loss is not None:
            logs["val_loss"] = val_loss()
        epoch_messages(cb, epoch, logs)
        ctx.epochs_done = epoch + 1
        if control.stop.is_set():  # all workers must run the same steps: stop at an epoch boundary
            ctx.stopped = True
            break


def _finish(ctx: RunContext, model: Any) -> Message:
    save_weights(model, ctx.folder.final_weights)
    save_layer_weights(model, ctx.folder.layer_weights)
    ctx.history.to_npz(ctx.folder.history)
    ctx.send(Phase("finished"))
    last = {k: float(v.data[-1]) for k, v in ctx.history.epoch.values.items() if len(v)}
    return Finished(last, ctx.epochs_done, ctx.stopped, str(ctx.folder.final_weights), str(ctx.folder.history),
                    device_of(model), ctx.first_batch_at, time.perf_counter() - ctx.started_at)
