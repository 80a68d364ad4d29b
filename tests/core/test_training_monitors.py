"""Monitors in a real (in-process) run: feature maps, weight statistics, confusion matrix, TensorBoard."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from core.graph.model import Graph
from core.training.messages import Confusion, FeatureMaps, Finished, Gradients, Weights
from tests.conftest import add, link
from tests.core.test_training import mlp, of, train

pytestmark = pytest.mark.tf


def small_cnn() -> Graph:
    g = Graph()
    link(g, add(g, "Input", shape=[28, 28, 1]), add(g, "Conv2D", filters=4, kernel_size=[3, 3], activation="relu"),
         add(g, "Flatten"), add(g, "Dense", units=4, activation="softmax"))
    return g


def test_cnn_monitors(tmp_path: Path) -> None:
    monitors = {"feature_maps": True, "feature_maps_every": 2, "weight_histograms": True, "update_ratios": True,
                "confusion_matrix": True, "gradient_norms": True, "gradient_every": 2, "tensorboard": True}
    result, messages = train(tmp_path, small_cnn(), {"source": "shapes", "options": {"samples": 80}}, epochs=2,
                             batch_size=16, monitors=monitors)
    assert isinstance(result, Finished), result
    maps = of(messages, FeatureMaps)
    assert maps[0].step == 1
    assert [m.step for m in maps[1:3]] == [2, 4]
    (name, fmap), = maps[0].maps.items()
    assert name == "conv2d_1"
    assert fmap.shape == (26, 26, 4)
    weights = of(messages, Weights)
    assert len(weights) == 2
    counts, edges = weights[0].histograms["conv2d_1"]
    assert counts.sum() == 3 * 3 * 4
    assert len(edges) == len(counts) + 1
    assert weights[0].bias_histograms["conv2d_1"][0].sum() == 4
    assert weights[1].update_ratios["dense_1"] > 0
    confusion = of(messages, Confusion)[-1]
    assert confusion.matrix.shape == (4, 4)
    assert confusion.matrix.sum() == 16  # the validation part (20% of 80)
    assert of(messages, Gradients)[0].layers == ["conv2d_1", "dense_1"]
    assert list((tmp_path / "tensorboard").rglob("events.out.tfevents.*"))


def test_monitors_off_send_no_extra_messages(tmp_path: Path) -> None:
    result, messages = train(tmp_path, mlp(2, [4], 2), {"source": "toy.xor", "options": {"samples": 64}}, epochs=1,
                             monitors={"nan_check": False, "batch_messages_every": 2})
    assert isinstance(result, Finished), result
    assert not of(messages, Gradients) + of(messages, Weights) + of(messages, FeatureMaps)
    assert "grad_global_norm" not in result.logs
    assert np.isfinite(result.logs["loss"])
