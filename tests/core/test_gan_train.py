"""GAN training: finite losses, sample grids, fixed seeds that change, gradients, stop flag, export."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from core.gan.config import GanConfig
from core.gan.data import real_samples
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
from core.gan.presets import dcgan_digits, dense_2d
from core.gan.toy import modes_covered, ring_modes
from core.gan.trainer import train_gan
from core.training.config import Optimizer

pytestmark = pytest.mark.tf


def _of(messages: list[GanMessage], kind: type) -> list:  # type: ignore[type-arg]
    return [m for m in messages if isinstance(m, kind)]


@pytest.fixture(scope="module")
def digits_run() -> list[GanMessage]:
    config = GanConfig(steps=6, batch_size=16, d_steps=2, sample_every=3, gradients_every=2, sample_count=9,
                       diversity_samples=64, label_smoothing=0.1, seed=1)
    return list(train_gan(*dcgan_digits(latent_dim=8, width=8), real_samples("digits"), config))


def test_a_few_steps_give_finite_losses_and_a_grid_of_the_right_size(digits_run: list[GanMessage]) -> None:
    steps = _of(digits_run, GanStep)
    assert [s.step for s in steps] == list(range(1, 7))
    for s in steps:
        assert np.isfinite([s.d_loss, s.g_loss, s.d_real, s.d_fake]).all()
        assert 0.0 <= s.d_real <= 1.0
        assert 0.0 <= s.d_fake <= 1.0
    samples = _of(digits_run, GanSamples)
    assert [s.step for s in samples] == [0, 3, 6]
    for s in samples:
        assert s.samples.shape == (9, 8, 8, 1)
        assert s.grid is not None
        assert s.grid.shape == (3 * 9 - 1, 3 * 9 - 1, 1)  # 3x3 tiles of 8x8 with 1-pixel gaps


def test_fixed_seed_samples_change_as_training_proceeds(digits_run: list[GanMessage]) -> None:
    first, middle, last = (s.samples for s in _of(digits_run, GanSamples))
    assert np.abs(middle - first).mean() > 1e-4
    assert np.abs(last - middle).mean() > 1e-4


def test_start_diversity_gradients_interpolation_and_finish(digits_run: list[GanMessage]) -> None:
    start = digits_run[0]
    assert isinstance(start, GanStarted)
    assert start.latent_dim == 8
    assert start.sample_shape == (8, 8, 1)
    assert start.real.shape == (512, 8, 8, 1)  # a preview of the real data, to draw beside the samples
    assert all(np.isfinite(d.ratio) and d.ratio >= 0 for d in _of(digits_run, GanDiversity))
    grads = _of(digits_run, GanGradients)
    assert [(g.step, g.network) for g in grads[:2]] == [(2, "generator"), (2, "discriminator")]
    assert grads[0].layers == start.g_layers  # node names: Dense, BatchNormalization, Conv2DTranspose, ...
    assert "conv2d_transpose_1" in grads[0].layers
    for g in grads:
        assert len(g.norms) == len(g.layers)
        assert np.isfinite(g.norms).all()
        assert (g.norms > 0).all()
    (interp,) = _of(digits_run, GanInterpolation)
    assert interp.samples.shape == (10, 8, 8, 1)
    assert isinstance(digits_run[-1], GanFinished)
    assert digits_run[-1].steps == 6
    assert not digits_run[-1].stopped


def test_stop_flag_ends_the_run_after_the_current_step() -> None:
    calls = {"n": 0}

    def stop() -> bool:
        calls["n"] += 1
        return calls["n"] > 3

    config = GanConfig(steps=50, batch_size=8, sample_every=100, gradients_every=100, diversity_samples=16)
    messages = list(train_gan(*dense_2d(hidden=8), real_samples("gan.ring", {"samples": 64}), config, stop))
    assert [m.step for m in _of(messages, GanStep)] == [1, 2, 3]
    finished = messages[-1]
    assert isinstance(finished, GanFinished)
    assert finished.stopped
    assert finished.steps == 3


def test_uniform_prior_and_other_optimizers() -> None:
    config = GanConfig(steps=2, batch_size=8, latent_distribution="uniform", diversity_samples=16,
                       g_optimizer=Optimizer(name="rmsprop", learning_rate=1e-3),
                       d_optimizer=Optimizer(name="sgd", learning_rate=1e-2))
    messages = list(train_gan(*dense_2d(hidden=8), real_samples("gan.ring", {"samples": 64}), config))
    assert len(_of(messages, GanStep)) == 2


@pytest.mark.slow
def test_dense_gan_moves_its_samples_toward_the_ring() -> None:
    fast = Optimizer(name="adam", learning_rate=1e-3, beta_1=0.5)
    config = GanConfig(steps=400, batch_size=128, sample_every=200, gradients_every=1000, diversity_samples=256,
                       sample_count=256, g_optimizer=fast, d_optimizer=fast, seed=0)
    messages = list(train_gan(*dense_2d(), real_samples("gan.ring"), config))
    diversity = _of(messages, GanDiversity)
    assert [d.step for d in diversity] == [0, 200, 400]
    # Measured (seeds 0-3): distance 1.39-1.49 at the start, 0.48-0.76 after 400 steps.
    assert diversity[-1].distance < 0.7 * diversity[0].distance
    assert diversity[0].collapsed  # the untrained generator puts every point near the origin
    assert not diversity[-1].collapsed
    first, *_, last = _of(messages, GanSamples)
    assert modes_covered(first.samples, ring_modes(), sigmas=6) == 0
    assert modes_covered(last.samples, ring_modes(), sigmas=6) >= 4  # measured 6-7 of 8


def test_generator_export_reloads_with_the_same_outputs(tmp_path: Path) -> None:
    import tensorflow as tf

    from core.gan.export import export_generator
    from core.gan.samples import latent
    from core.translate.to_keras import build_model

    generator = build_model(dcgan_digits(latent_dim=6, width=8)[0], name="generator")
    path = export_generator(generator, tmp_path / "generator")
    z = latent(5, 6, seed=2)
    loaded = tf.saved_model.load(path)
    np.testing.assert_allclose(np.asarray(loaded.serve(z)), np.asarray(generator(z, training=False)), atol=1e-5)
    signature = loaded.signatures["serving_default"]
    (spec,) = signature.structured_input_signature[1].values()
    assert tuple(spec.shape) == (None, 6)


@pytest.mark.parametrize(
    ("generator", "discriminator", "source", "shape"),
    [
        ("dcgan_generator", "dcgan_discriminator", "shapes", (28, 28, 1)),
        ("dcgan_digits_generator", "dcgan_digits_discriminator", "digits", (8, 8, 1)),
        ("gan_dense_2d_generator", "gan_dense_2d_discriminator", "gan.ring", (2,)),
    ],
)
def test_bundled_gan_templates_train(generator: str, discriminator: str, source: str,
                                     shape: tuple[int, ...]) -> None:
    from core.catalog.templates import load_template

    config = GanConfig(steps=2, batch_size=8, sample_count=4, diversity_samples=16, interpolation_steps=3)
    options = {"samples": 64} if source != "digits" else {}
    messages = list(train_gan(load_template(generator), load_template(discriminator),
                              real_samples(source, options), config))
    assert all(np.isfinite([s.d_loss, s.g_loss]).all() for s in _of(messages, GanStep))
    assert _of(messages, GanSamples)[-1].samples.shape == (4, *shape)
