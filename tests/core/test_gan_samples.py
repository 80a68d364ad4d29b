"""Latent vectors, grids, interpolation paths and the diversity measures (NumPy only)."""

from __future__ import annotations

import numpy as np
import pytest

from core.gan.samples import diversity_ratio, latent, latent_path, mean_pairwise_distance, nearest_distance, tile
from core.gan.toy import modes_covered, ring_modes, ring_of_gaussians


def test_latent_is_reproducible_and_follows_the_prior() -> None:
    a, b = latent(500, 4, "normal", seed=3), latent(500, 4, "normal", seed=3)
    np.testing.assert_array_equal(a, b)
    assert abs(float(a.std()) - 1.0) < 0.1
    u = latent(500, 4, "uniform", seed=3)
    assert u.min() >= -1.0
    assert u.max() <= 1.0
    with pytest.raises(ValueError, match="distribution"):
        latent(2, 2, "cauchy")


def test_tile_lays_out_images_in_a_grid() -> None:
    images = np.arange(10 * 8 * 8, dtype="float32").reshape(10, 8, 8, 1)
    grid = tile(images)  # 4 columns, 3 rows, 1-pixel gaps
    assert grid.shape == (3 * 9 - 1, 4 * 9 - 1, 1)
    assert grid.min() == 0.0
    assert grid.max() == 1.0


def test_slerp_keeps_the_norm_and_ends_at_both_seeds() -> None:
    z = latent(2, 64, seed=1)
    path = latent_path(z[0], z[1], 9, "slerp")
    np.testing.assert_allclose(path[0], z[0], atol=1e-5)
    np.testing.assert_allclose(path[-1], z[1], atol=1e-5)
    linear_mid = np.linalg.norm(latent_path(z[0], z[1], 9, "linear")[4])
    assert np.linalg.norm(path[4]) > linear_mid  # the straight line dips toward the origin


def test_diversity_ratio_drops_for_a_collapsed_generator() -> None:
    real = ring_of_gaussians(400, seed=0)
    healthy = ring_of_gaussians(400, seed=1)
    collapsed = ring_modes()[0] + np.random.default_rng(0).normal(0, 0.05, (400, 2))
    assert 0.9 < diversity_ratio(healthy, real) < 1.1
    assert diversity_ratio(collapsed, real) < 0.1
    assert nearest_distance(healthy, real) < nearest_distance(collapsed, real)
    assert modes_covered(healthy, ring_modes()) == 8
    assert modes_covered(collapsed, ring_modes()) == 1
    assert mean_pairwise_distance(np.zeros((5, 3))) == 0.0


def test_tile_with_the_real_data_range_keeps_grids_comparable() -> None:
    faint = np.full((4, 2, 2, 1), 0.1, dtype="float32")  # a barely trained tanh generator
    grid = tile(faint, value_range=(-1.0, 1.0))
    assert grid[0, 0, 0] == pytest.approx(0.55)  # not stretched to full contrast
    assert tile(np.full((1, 2, 2), 5.0), value_range=(-1.0, 1.0)).max() == 1.0  # clipped
