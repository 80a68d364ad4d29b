"""Train a GAN: alternating updates streamed as messages (losses per step, fixed-seed samples, diversity,
per-layer gradient norms, a latent interpolation at the end).

``train_gan`` is a plain generator of messages so it runs anywhere: inside the training engine's worker
process (see ``core.gan.run``), in a test, or in a script. It honours ``should_stop`` before every step.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import Any

import numpy as np

from core.gan.check import GanShapes, check_gan
from core.gan.config import GanConfig
from core.gan.messages import (
    GanDiversity,
    GanFinished,
    GanGradients,
    GanInterpolation,
    GanMessage,
    GanSamples,
    GanStarted,
    GanStep,
)
from core.gan.samples import grid_for, latent, latent_path, mean_pairwise_distance, nearest_distance
from core.gan.steps import GanSteps, group_norms, layer_groups
from core.graph.errors import GraphError
from core.graph.model import Graph

REAL_PREVIEW = 512
GENERATOR_WEIGHTS = "generator.weights.h5"
DISCRIMINATOR_WEIGHTS = "discriminator.weights.h5"


def as_graph(graph: Graph | Mapping[str, Any]) -> Graph:
    return graph if isinstance(graph, Graph) else Graph.from_dict(graph)


def check_data(data: np.ndarray, shapes: GanShapes) -> np.ndarray:
    """Real samples as float32 shaped like the discriminator's input (reshaped when only the layout differs)."""
    want = shapes.sample_shape
    x = np.asarray(data, dtype="float32")
    if tuple(x.shape[1:]) != want:
        if x.ndim >= 2 and int(np.prod(x.shape[1:])) == int(np.prod(want)):
            return x.reshape((len(x), *want))
        raise GraphError(f"the data's samples have shape {tuple(x.shape[1:])} but the discriminator takes {want}")
    return x


def build_pair(generator: Graph, discriminator: Graph) -> tuple[Any, Any]:
    """Both Keras models, named 'generator' and 'discriminator' (layers named after their nodes)."""
    from core.translate.to_keras import build_model

    return build_model(generator, name="generator"), build_model(discriminator, name="discriminator")


class _Reporter:
    """Turns the state of a run into messages: samples, diversity and gradient norms."""

    def __init__(self, steps: GanSteps, data: np.ndarray, config: GanConfig, latent_dim: int) -> None:
        self.steps, self.config, self.latent_dim = steps, config, latent_dim
        rng = np.random.default_rng(config.seed)
        self.real = data[rng.choice(len(data), min(len(data), config.diversity_samples), replace=False)]
        self.real_spread = mean_pairwise_distance(self.real)
        self.value_range = (float(data.min()), float(data.max()))
        self.fixed = latent(config.sample_count, latent_dim, config.latent_distribution, config.seed)
        self.g_names, self.g_groups = layer_groups(steps.g)
        self.d_names, self.d_groups = layer_groups(steps.d)
        self._probe_seed = config.seed + 1

    def samples(self, step: int) -> GanSamples:
        out = self.steps.sample(self.fixed)
        return GanSamples(step, out, grid_for(out, self.value_range))

    def diversity(self, step: int) -> GanDiversity:
        self._probe_seed += 1
        z = latent(len(self.real), self.latent_dim, self.config.latent_distribution, self._probe_seed)
        fake = self.steps.sample(z)
        ratio = mean_pairwise_distance(fake) / self.real_spread if self.real_spread > 0 else 0.0
        return GanDiversity(step, ratio, nearest_distance(fake, self.real), ratio < self.config.collapse_ratio)

    def gradients(self, step: int, out: Mapping[str, np.ndarray]) -> list[GanGradients]:
        return [
            GanGradients(step, "generator", self.g_names, group_norms(out["g_norms"], self.g_groups)),
            GanGradients(step, "discriminator", self.d_names, group_norms(out["d_norms"], self.d_groups)),
        ]

    def interpolation(self) -> GanInterpolation:
        z1 = self.fixed[1] if len(self.fixed) > 1 else -self.fixed[0]
        path = self.steps.sample(latent_path(self.fixed[0], z1, self.config.interpolation_steps, "slerp"))
        return GanInterpolation(path, grid_for(path, self.value_range), "slerp")


def train_gan(
    generator: Graph | Mapping[str, Any],
    discriminator: Graph | Mapping[str, Any],
    data: np.ndarray,
    config: GanConfig | None = None,
    should_stop: Callable[[], bool] = lambda: False,
    weights_dir: str | None = None,
) -> Iterator[GanMessage]:
    """Check, build and train the pair on ``data`` (real samples), yielding messages as it goes.

    With ``weights_dir`` both networks' weights are saved there at the end (``generator.weights.h5``,
    ``discriminator.weights.h5``), also when the run was stopped.
    """
    import keras

    config = config or GanConfig()
    g_graph, d_graph = as_graph(generator), as_graph(discriminator)
    shapes = check_gan(g_graph, d_graph, config.latent_dim)
    real = check_data(data, shapes)
    keras.utils.set_random_seed(config.seed)
    g_model, d_model = build_pair(g_graph, d_graph)
    steps = GanSteps(g_model, d_model, real, config, shapes.latent_dim)
    report = _Reporter(steps, real, config, shapes.latent_dim)
    preview = real[np.random.default_rng(config.seed).permutation(len(real))[:REAL_PREVIEW]]
    yield GanStarted(shapes.latent_dim, shapes.sample_shape, preview, report.g_names, report.d_names)
    steps.trace()
    yield report.samples(0)
    yield report.diversity(0)
    done, stopped = 0, False
    for step in range(1, config.steps + 1):
        if should_stop():
            stopped = True
            break
        yield from _one_step(steps, report, step, config)
        done = step
    if done % config.sample_every:
        yield report.samples(done)
        yield report.diversity(done)
    yield report.interpolation()
    yield GanFinished(done, stopped, _export(g_model, config, stopped), _save(g_model, d_model, weights_dir))


def _export(g_model: Any, config: GanConfig, stopped: bool) -> str | None:
    if not config.export_dir or stopped:
        return None
    from core.gan.export import export_generator

    return export_generator(g_model, config.export_dir)


def _save(g_model: Any, d_model: Any, weights_dir: str | None) -> str | None:
    if weights_dir is None:
        return None
    from core.training.checkpoint import save_layer_weights, save_weights

    folder = Path(weights_dir)
    folder.mkdir(parents=True, exist_ok=True)
    for model, role in ((g_model, "generator"), (d_model, "discriminator")):
        save_weights(model, folder / f"{role}.weights.h5")
        save_layer_weights(model, folder / layer_weights_file(role))  # NumPy only: readable without Keras
    return str(folder)


def layer_weights_file(role: str) -> str:
    """File name of a network's per-layer weights (``.npz``, layer name -> arrays) in a run folder."""
    return f"{role}.layers.npz"


def _one_step(steps: GanSteps, report: _Reporter, step: int, config: GanConfig) -> Iterator[GanMessage]:
    with_grads = step % config.gradients_every == 0
    out = steps.run(with_grads)
    d_loss, g_loss, d_real, d_fake = (float(v) for v in out["scalars"])
    yield GanStep(step, d_loss, g_loss, d_real, d_fake)
    if with_grads:
        yield from report.gradients(step, out)
    if step % config.sample_every == 0:
        yield report.samples(step)
        yield report.diversity(step)
