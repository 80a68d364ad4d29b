"""GAN training speed: steps per second of ``core.gan.trainer`` against a plain hand-written Keras GAN loop
on the same networks, measured in the same run.

Target: at least 0.9x the hand-written loop's steps per second, i.e. seconds per step at most 1/0.9 of its.
The hand-written loop is the usual alternating one: a ``tf.function`` step with ``GradientTape`` that updates
the discriminator on a real batch (from a shuffled, repeated ``tf.data`` pipeline) and a generated batch, then
the generator with the non-saturating loss; two Adam optimizers; no messages, no per-step loss read-out.
Ours also reads the four scalars (d_loss, g_loss, D(x), D(G(z))) every step and turns them into a message.
Rows: the DCGAN for 8x8 digits (batch 64) and the dense 2-D GAN (batch 128) with reporting switched to
its rarest setting, and the DCGAN with the default reporting (samples every 50 steps, gradient norms every 25)
as an informational row against the same baseline; and, informational, the dense GAN against a hand-written loop
that gathers its real batches from a constant tensor as ours does (no ``tf.data``: the pure overhead of ours).
"""

from __future__ import annotations

import time
from typing import Any

import numpy as np

from core.gan.config import GanConfig
from core.gan.data import real_samples
from core.gan.messages import GanStep
from core.gan.presets import dcgan_digits, dense_2d
from core.gan.trainer import build_pair, train_gan
from core.graph.model import Graph
from core.training.config import Optimizer
from tests.benchmarks.common import Row, median

WARMUP = 20
STEPS = 300
MAX_RATIO = 1 / 0.9
ADAM = Optimizer(name="adam", learning_rate=2e-4, beta_1=0.5)


def plain_step(generator: Any, discriminator: Any, latent_dim: int, batch: int, data: Any = None) -> Any:
    """The hand-written alternating GAN step on two Keras models (what a Keras user would write). With ``data``
    (a constant tensor) the step takes no argument and gathers its real batch at random from it."""
    import keras
    import tensorflow as tf

    bce = keras.losses.BinaryCrossentropy(from_logits=True)
    g_opt = keras.optimizers.Adam(learning_rate=2e-4, beta_1=0.5)
    d_opt = keras.optimizers.Adam(learning_rate=2e-4, beta_1=0.5)

    @tf.function
    def step(real: Any = None) -> tuple[Any, Any]:
        if data is not None:
            real = tf.gather(data, tf.random.uniform((batch,), 0, tf.shape(data, out_type=tf.int64)[0], tf.int64))
        fake = generator(tf.random.normal((batch, latent_dim)), training=True)
        with tf.GradientTape() as tape:
            out_real = discriminator(real, training=True)
            out_fake = discriminator(fake, training=True)
            d_loss = bce(tf.ones_like(out_real), out_real) + bce(tf.zeros_like(out_fake), out_fake)
        grads = tape.gradient(d_loss, discriminator.trainable_variables)
        d_opt.apply_gradients(zip(grads, discriminator.trainable_variables))
        with tf.GradientTape() as tape:
            out = discriminator(generator(tf.random.normal((batch, latent_dim)), training=True), training=True)
            g_loss = bce(tf.ones_like(out), out)
        grads = tape.gradient(g_loss, generator.trainable_variables)
        g_opt.apply_gradients(zip(grads, generator.trainable_variables))
        return d_loss, g_loss

    return step


def _plain_loop(generator: Graph, discriminator: Graph, data: np.ndarray, batch: int, pipeline: bool = True) -> Any:
    """A function running one hand-written step on its own copy of the networks; real batches come from a
    ``tf.data`` pipeline, or (``pipeline=False``) are gathered at random from a constant tensor as ours are."""
    import keras
    import tensorflow as tf

    keras.utils.set_random_seed(0)
    g_model, d_model = build_pair(generator, discriminator)
    latent_dim = int(g_model.inputs[0].shape[-1])
    if not pipeline:
        return plain_step(g_model, d_model, latent_dim, batch, tf.constant(data))
    step = plain_step(g_model, d_model, latent_dim, batch)
    dataset = tf.data.Dataset.from_tensor_slices(data).shuffle(len(data)).repeat().batch(batch, drop_remainder=True)
    batches = iter(dataset.prefetch(tf.data.AUTOTUNE))
    return lambda: step(next(batches))


def paired_seconds_per_step(generator: Graph, discriminator: Graph, data: np.ndarray, batch: int,
                            reporting: bool = False, pipeline: bool = True) -> tuple[list[float], list[float]]:
    """Per-step seconds of ``train_gan`` and of the hand-written loop, one step of each in turn.

    Interleaving step by step means both see the same load, which on a shared machine drifts by 2x within
    seconds; the time of one of our steps runs from the end of a hand-written step to the next ``GanStep``.
    """
    plain = _plain_loop(generator, discriminator, data, batch, pipeline)
    every = {} if reporting else {"sample_every": 10**6, "gradients_every": 10**6}
    config = GanConfig(steps=WARMUP + STEPS, batch_size=batch, g_optimizer=ADAM, d_optimizer=ADAM,
                       interpolation_steps=2, diversity_samples=64, **every)
    ours: list[float] = []
    theirs: list[float] = []
    resumed = 0.0
    for msg in train_gan(generator, discriminator, data, config):
        if not isinstance(msg, GanStep):
            continue
        arrived = time.perf_counter()
        plain()
        done = time.perf_counter()
        if msg.step > WARMUP:
            ours.append(arrived - resumed)
            theirs.append(done - arrived)
        resumed = time.perf_counter()
    return ours, theirs


def window_median(times: list[float], window: int = 50) -> float:
    """Median over windows of ``window`` consecutive steps of the mean step time: includes what happens every
    few steps (samples, gradient norms) yet ignores a window slowed by another process."""
    means = [sum(times[i : i + window]) / window for i in range(0, len(times) - window + 1, window)]
    return median(means)


def _row(figure: str, pair: tuple[Graph, Graph], data: np.ndarray, batch: int, reporting: bool = False,
         checked: bool = True, pipeline: bool = True) -> Row:
    ours, plain = paired_seconds_per_step(*pair, data, batch, reporting, pipeline)
    if reporting:  # reports come every 25/50 steps: a median of per-step times would hide them
        ours_s, plain_s = window_median(ours), window_median(plain)
    else:
        ours_s, plain_s = median(ours), median(plain)
    target = ">= 0.9x the steps/s of a hand-written Keras GAN loop" if checked else "informational"
    return Row(figure, target, ours_s, baseline=plain_s, max_ratio=MAX_RATIO if checked else None, repeats=STEPS)


def run() -> list[Row]:
    digits = real_samples("digits")
    ring = real_samples("gan.ring")
    return [
        _row("GAN step, DCGAN 8x8 digits, batch 64 (s/step)", dcgan_digits(), digits, 64),
        _row("GAN step, dense 2-D ring, batch 128 (s/step)", dense_2d(), ring, 128),
        _row("GAN step with default reporting, DCGAN digits (s/step)", dcgan_digits(), digits, 64,
             reporting=True, checked=False),
        _row("GAN step, dense 2-D ring vs a loop gathering from a constant (s/step)", dense_2d(), ring, 128,
             checked=False, pipeline=False),
    ]


if __name__ == "__main__":
    for row in run():
        ratio = f"{row.ratio:.3f}" if row.ratio else "-"
        print(f"{row.figure}: {row.median * 1e3:.2f} ms vs {(row.baseline or 0) * 1e3:.2f} ms, ratio {ratio}, "
              f"steps/s ratio {1 / row.ratio if row.ratio else 0:.3f}, ok={row.ok}")
