"""The multi-worker loop's monitored step (gradients all-reduced by the loop, norms computed, the optimizer given
each replica's share) against its plain step, interleaved step by step on the small CNN of bench_training.

Measured with one local worker (one replica): it shows the cost of the extra traced work, not of the second
all-reduce between machines, which grows with the model's size and the network. The loop runs the monitored
step only every ``gradient_every`` steps (10 by default), so a run pays about a tenth of the difference.
"""

from __future__ import annotations

import time

import numpy as np

from tests.benchmarks.bench_training import DATA, cnn
from tests.benchmarks.common import Row, median


def step_rows(steps: int = 150) -> list[Row]:
    import keras
    import tensorflow as tf

    from core.data.load import load_dataset
    from core.training import monitors
    from core.training.distributed import _dataset, _steps
    from core.translate.to_keras import build_model

    strategy = tf.distribute.MultiWorkerMirroredStrategy()
    keras.utils.set_random_seed(0)
    data = load_dataset(DATA)
    with strategy.scope():
        model = build_model(cnn())
        optimizer = keras.optimizers.Adam()
        optimizer.build(model.trainable_variables)
        loss_fn = keras.losses.SparseCategoricalCrossentropy(reduction=None)
    _, groups = monitors.layer_groups(model, model.trainable_variables)
    plain, monitored = _steps(tf, strategy, model, optimizer, loss_fn, [], 32, groups, True)
    batches = iter(strategy.experimental_distribute_dataset(_dataset(tf, data.train.x, data.train.y, 32, 0).repeat()))
    float(plain(next(batches))[0])  # tracing, both
    float(monitored(next(batches))[0])
    plain_s, monitored_s = [], []
    for _ in range(steps):
        t0 = time.perf_counter()
        float(plain(next(batches))[0])
        t1 = time.perf_counter()
        loss, _metrics, per_node, _ = monitored(next(batches))
        float(loss), np.asarray(per_node)
        monitored_s.append(time.perf_counter() - t1)
        plain_s.append(t1 - t0)
    return [Row("multi-worker step with gradient norms (1 worker, small CNN)", "<= 1.15 of the plain step",
                median(monitored_s), baseline=median(plain_s), max_ratio=1.15, repeats=steps)]


def run() -> list[Row]:
    return step_rows()


if __name__ == "__main__":
    for row in run():
        print(row, "ok" if row.ok else "MISSED", f"ratio {row.ratio:.3f}" if row.ratio else "")
