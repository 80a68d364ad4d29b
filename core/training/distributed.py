"""Multi-worker training with ``MultiWorkerMirroredStrategy`` (cluster from ``TF_CONFIG``) in a custom step loop.

Keras 3's ``fit`` is broken under this strategy with real workers (keras-team/keras#20585, FACTS.md), so the
loop is written on ``tf.distribute`` directly: a distributed dataset, a ``tf.function`` step that calls
``strategy.run`` with a ``GradientTape``, ``tf.nn.compute_average_loss`` over the global batch, the Keras
optimizer's ``apply_gradients`` and ``strategy.reduce``. Every worker ends with the same weights.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from core.data.check import fit_to_graph
from core.data.load import load_dataset
from core.graph.model import Graph
from core.training.build import device_of, make_optimizer, setup_device
from core.training.callbacks import Control
from core.training.checkpoint import RunFolder, save_layer_weights, save_weights
from core.training.config import TrainingConfig
from core.training.history import History
from core.training.messages import BatchEnd, EpochEnd, Finished, Log, Message, Phase

LOSS_CLASSES = {
    "mse": "MeanSquaredError", "mae": "MeanAbsoluteError", "huber": "Huber",
    "binary_crossentropy": "BinaryCrossentropy", "categorical_crossentropy": "CategoricalCrossentropy",
    "sparse_categorical_crossentropy": "SparseCategoricalCrossentropy",
}  # fmt: skip


def _dataset(tf: Any, x: Any, y: Any, batch: int, seed: int) -> Any:
    ds = tf.data.Dataset.from_tensor_slices((x, y)).shuffle(len(x), seed=seed).batch(batch, drop_remainder=True)
    options = tf.data.Options()
    options.experimental_distribute.auto_shard_policy = tf.data.experimental.AutoShardPolicy.DATA
    return ds.with_options(options)


def _step_fn(tf: Any, strategy: Any, model: Any, optimizer: Any, loss_fn: Any, global_batch: int) -> Any:
    def replica_step(x: Any, y: Any) -> Any:
        with tf.GradientTape() as tape:
            per_example = loss_fn(y, model(x, training=True))
            loss = tf.nn.compute_average_loss(per_example, global_batch_size=global_batch)
            if model.losses:
                loss += tf.nn.scale_regularization_loss(tf.add_n(model.losses))
        grads = tape.gradient(loss, model.trainable_variables)
        optimizer.apply_gradients(zip(grads, model.trainable_variables))
        return loss

    @tf.function  # type: ignore[untyped-decorator]
    def step(batch: Any) -> Any:
        per_replica = strategy.run(replica_step, args=batch)
        return strategy.reduce(tf.distribute.ReduceOp.SUM, per_replica, axis=None)

    return step


def train_multi_worker(job: Any, send: Callable[[Message], None], control: Control) -> Message:
    """Train ``job`` (a ``worker.Job``) as one worker of the cluster in ``TF_CONFIG``; returns ``Finished``."""
    config = TrainingConfig.from_dict(job.config)
    setup_device(config.device)
    import keras
    import tensorflow as tf

    strategy = tf.distribute.MultiWorkerMirroredStrategy()  # before any other TensorFlow op
    send(Log("info", f"MultiWorkerMirroredStrategy with {strategy.num_replicas_in_sync} replicas"))
    keras.utils.set_random_seed(config.seed or 0)
    graph = Graph.from_dict(job.graph)
    data = fit_to_graph(load_dataset(job.data), graph, config.loss)
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
    step = _step_fn(tf, strategy, model, optimizer, loss_fn, global_batch)
    ds = _dataset(tf, data.train.x, data.train.y, global_batch, config.seed or 0)
    return _loop(config, ds, strategy, step, model, folder, send, control)


def _loop(config: TrainingConfig, ds: Any, strategy: Any, step: Any, model: Any, folder: RunFolder,
          send: Callable[[Message], None], control: Control) -> Message:
    history, started, steps, first = History(), time.perf_counter(), 0, None
    send(Phase("compiling"))
    batches = int(ds.cardinality())
    epoch = 0
    for epoch in range(config.epochs):
        t0, total = time.perf_counter(), 0.0
        for i, batch in enumerate(strategy.experimental_distribute_dataset(ds)):
            loss = float(step(batch))
            steps, total = steps + 1, total + loss
            if first is None:
                first = time.perf_counter() - started
                send(Phase("training", f"first batch after {first:.2f} s"))
            history.batch.add(steps, {"loss": loss})
            send(BatchEnd(epoch, i, steps, {"loss": loss}, batches))
        logs = {"loss": total / max(1, batches)}
        history.epoch.add(epoch + 1, logs)
        send(EpochEnd(epoch, logs, time.perf_counter() - t0, config.epochs))
        if control.stop.is_set():  # all workers must run the same steps: stop at an epoch boundary
            break
    save_weights(model, folder.final_weights)
    save_layer_weights(model, folder.layer_weights)
    history.to_npz(folder.history)
    send(Phase("finished"))
    last = {k: float(v.data[-1]) for k, v in history.epoch.values.items() if len(v)}
    return Finished(last, epoch + 1, control.stop.is_set(), str(folder.final_weights), str(folder.history),
                    device_of(model), first, time.perf_counter() - started)
