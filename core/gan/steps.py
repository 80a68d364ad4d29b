"""The compiled GAN update: k discriminator steps then one generator step, in one ``tf.function``.

Written with ``tf.GradientTape`` rather than ``fit`` because the two networks take turns with their own
optimizers and losses. The discriminator may end in a logit (any activation but sigmoid) or a probability.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from core.gan.config import GanConfig
from core.training.build import make_optimizer

EPS = 1e-7


def ends_in_sigmoid(model: Any) -> bool:
    """True when the model's last layer squashes with a sigmoid (so it outputs probabilities, not logits)."""
    import keras

    return getattr(model.layers[-1], "activation", None) is keras.activations.sigmoid


def layer_groups(model: Any) -> tuple[list[str], list[list[int]]]:
    """Node names of the layers holding trainable weights, and for each the indices into
    ``model.trainable_variables`` (a node's helper layers, named ``node__0``, count as the node)."""
    index = {id(v): i for i, v in enumerate(model.trainable_variables)}
    groups: dict[str, list[int]] = {}
    for layer in model.layers:
        node = layer.name.split("__")[0]
        for v in layer.trainable_variables:
            if id(v) in index:
                groups.setdefault(node, []).append(index[id(v)])
    return list(groups), list(groups.values())


def group_norms(per_variable: np.ndarray, groups: list[list[int]]) -> np.ndarray:
    """Per-layer L2 norms from per-variable norms."""
    return np.array([float(np.sqrt(np.sum(per_variable[g] ** 2))) for g in groups], dtype="float32")


class GanSteps:
    """Holds both networks, their optimizers and the compiled training step."""

    def __init__(self, generator: Any, discriminator: Any, data: np.ndarray, config: GanConfig,
                 latent_dim: int) -> None:
        import tensorflow as tf

        self.g, self.d, self.config, self.latent_dim = generator, discriminator, config, latent_dim
        self.g_opt = make_optimizer(config.g_optimizer)
        self.d_opt = make_optimizer(config.d_optimizer)
        self.g_opt.build(generator.trainable_variables)
        self.d_opt.build(discriminator.trainable_variables)
        self.logits = not ends_in_sigmoid(discriminator)
        self.data = tf.constant(data, dtype=tf.float32)
        self.rng = tf.random.Generator.from_seed(config.seed)
        self.real_label = 1.0 - config.label_smoothing
        # Norms are computed every step: measured free (within noise) and one trace instead of two.
        self._step = tf.function(self._train_step)
        spec = tf.TensorSpec((None, latent_dim), tf.float32)
        self._sample = tf.function(lambda z: self.g(z, training=False), input_signature=[spec])

    def trace(self) -> None:
        """Compile every step variant now (before the first step), so none is traced in the middle of a run."""
        self._step.get_concrete_function()
        self._sample.get_concrete_function()

    def sample(self, z: np.ndarray) -> np.ndarray:
        """Generator outputs in inference mode for latent vectors (compiled, any batch size)."""
        return np.asarray(self._sample(np.asarray(z, dtype="float32")))

    def run(self, with_grads: bool = False) -> dict[str, np.ndarray]:
        """One generator update after k discriminator updates: ``scalars`` (d_loss, g_loss, D(x), D(G(z))) and,
        ``with_grads``, ``d_norms`` and ``g_norms`` per trainable variable, as NumPy arrays."""
        out = self._step()
        keys = ("scalars", "d_norms", "g_norms") if with_grads else ("scalars",)
        return {k: np.asarray(out[k]) for k in keys}

    # ---- inside the tf.function ------------------------------------------------------------------
    def _z(self, n: int) -> Any:
        if self.config.latent_distribution == "uniform":
            return self.rng.uniform((n, self.latent_dim), -1.0, 1.0)
        return self.rng.normal((n, self.latent_dim))

    def _bce(self, label: float, out: Any) -> Any:
        import tensorflow as tf

        labels = tf.fill(tf.shape(out), label)
        if self.logits:
            return tf.reduce_mean(tf.nn.sigmoid_cross_entropy_with_logits(labels=labels, logits=out))
        p = tf.clip_by_value(out, EPS, 1.0 - EPS)
        return -tf.reduce_mean(labels * tf.math.log(p) + (1.0 - labels) * tf.math.log(1.0 - p))

    def _prob(self, out: Any) -> Any:
        import tensorflow as tf

        return tf.reduce_mean(tf.sigmoid(out) if self.logits else out)

    def _d_step(self) -> tuple[Any, Any, Any, list[Any]]:
        import tensorflow as tf

        n = self.config.batch_size
        idx = self.rng.uniform((n,), 0, tf.shape(self.data, out_type=tf.int64)[0], dtype=tf.int64)
        real = tf.gather(self.data, idx)
        fake = self.g(self._z(n), training=True)
        variables = self.d.trainable_variables
        with tf.GradientTape() as tape:
            out_real = self.d(real, training=True)
            out_fake = self.d(fake, training=True)
            loss = self._bce(self.real_label, out_real) + self._bce(0.0, out_fake)
            total = loss + tf.add_n([loss * 0.0, *self.d.losses])
        grads = tape.gradient(total, variables)
        self.d_opt.apply(grads, variables)
        return loss, self._prob(out_real), self._prob(out_fake), grads

    def _g_step(self) -> tuple[Any, list[Any]]:
        import tensorflow as tf

        variables = self.g.trainable_variables
        with tf.GradientTape() as tape:
            out = self.d(self.g(self._z(self.config.batch_size), training=True), training=True)
            loss = self._bce(1.0, out)  # non-saturating: maximise log D(G(z)) rather than minimise log(1 - D)
            total = loss + tf.add_n([loss * 0.0, *self.g.losses])
        grads = tape.gradient(total, variables)
        self.g_opt.apply(grads, variables)
        return loss, grads

    def _train_step(self) -> dict[str, Any]:
        import tensorflow as tf

        for _ in range(self.config.d_steps):
            d_loss, d_real, d_fake, d_grads = self._d_step()
        g_loss, g_grads = self._g_step()
        return {
            "scalars": tf.stack([d_loss, g_loss, d_real, d_fake]),
            "d_norms": tf.stack([_norm(g) for g in d_grads]),
            "g_norms": tf.stack([_norm(g) for g in g_grads]),
        }


def _norm(grad: Any) -> Any:
    import tensorflow as tf

    return tf.constant(0.0) if grad is None else tf.norm(tf.cast(grad, tf.float32))
