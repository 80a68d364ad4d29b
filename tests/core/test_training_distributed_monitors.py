"""The multi-worker custom loop sends the fit path's monitor messages (one local worker, in-process; two
loopback workers are in test_training_distributed.py)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from core.training.messages import (
    BatchEnd,
    Confusion,
    EpochEnd,
    Failed,
    FeatureMaps,
    Finished,
    Gradients,
    Log,
    Weights,
)
from tests.core.test_training import mlp, of, train
from tests.core.test_training_monitors import small_cnn

pytestmark = pytest.mark.tf

MONITORS = {"feature_maps": True, "feature_maps_every": 2, "weight_histograms": True, "update_ratios": True,
            "confusion_matrix": True, "gradient_norms": True, "gradient_every": 2}


def test_multi_worker_loop_sends_the_fit_path_monitors(tmp_path: Path) -> None:
    result, messages = train(tmp_path, small_cnn(), {"source": "shapes", "options": {"samples": 80}}, epochs=2,
                             batch_size=16, validation_split=0.2, monitors=MONITORS, strategy="multi-worker")
    assert isinstance(result, Finished), result
    assert any("MultiWorkerMirroredStrategy with 1 replicas" in m.text for m in of(messages, Log))
    assert [m.step for m in of(messages, BatchEnd)] == list(range(1, 9))  # 64 training samples, 4 per epoch
    grads = of(messages, Gradients)
    assert [g.step for g in grads] == [2, 4, 6, 8]
    assert all(g.layers == ["conv2d_1", "dense_1"] for g in grads)
    for g in grads:
        assert g.global_norm == pytest.approx(float(np.linalg.norm(g.norms)), rel=1e-5)
        assert min(g.norms) > 0
    maps = of(messages, FeatureMaps)
    assert [m.step for m in maps] == [1, 2, 4, 6, 8]
    assert maps[0].maps["conv2d_1"].shape == (26, 26, 4)
    weights = of(messages, Weights)
    assert [w.epoch for w in weights] == [0, 1]
    assert weights[0].histograms["conv2d_1"][0].sum() == 3 * 3 * 4
    assert weights[0].bias_histograms["conv2d_1"][0].sum() == 4
    assert weights[1].update_ratios["dense_1"] > 0
    confusion = of(messages, Confusion)
    assert [c.epoch for c in confusion] == [0, 1]
    assert confusion[-1].matrix.shape == (4, 4)
    assert confusion[-1].matrix.sum() == 16  # the validation part (20% of 80)
    assert set(of(messages, EpochEnd)[-1].logs) == {"loss", "accuracy", "val_loss", "val_accuracy"}


def test_gradient_norms_match_the_fit_path(tmp_path: Path) -> None:
    """Full-batch gradient descent: both paths see the same batch and the same weights, so the same norms."""
    config = {"epochs": 3, "loss": "sparse_categorical_crossentropy", "seed": 3,
              "optimizer": {"name": "gd", "learning_rate": 0.5},
              "monitors": {"gradient_norms": True, "gradient_every": 1}}
    data = {"source": "toy.xor", "options": {"samples": 64}}
    graph = mlp(2, [8, 8], 2)
    fit, fit_messages = train(tmp_path / "fit", graph, data, **config)
    loop, loop_messages = train(tmp_path / "loop", graph, data, strategy="multi-worker", **config)
    assert isinstance(fit, Finished), fit
    assert isinstance(loop, Finished), loop
    fit_grads, loop_grads = of(fit_messages, Gradients), of(loop_messages, Gradients)
    assert [g.step for g in loop_grads] == [1, 2, 3]
    assert loop_grads[0].layers == fit_grads[0].layers == ["dense_1", "dense_2", "dense_3"]
    for a, b in zip(fit_grads, loop_grads):
        np.testing.assert_allclose(b.norms, a.norms, rtol=1e-4)
        assert b.global_norm == pytest.approx(a.global_norm, rel=1e-4)
    assert loop.logs["loss"] == pytest.approx(fit.logs["loss"], rel=1e-4)


def test_divergence_stops_the_loop_and_names_the_layer(tmp_path: Path) -> None:
    graph = mlp(1, [32, 32, 32], 1, activation="relu", out="linear")
    result, messages = train(tmp_path, graph, {"source": "toy.outliers", "options": {"samples": 256}}, epochs=20,
                             loss="mse", optimizer={"name": "sgd", "learning_rate": 50.0}, strategy="multi-worker")
    assert isinstance(result, Failed), result
    assert result.kind == "diverged"
    assert result.node in {n.name for n in graph.nodes}
    assert f"in {result.node} (" in result.error
    assert len(of(messages, EpochEnd)) < 20


def test_stop_is_honoured_at_the_end_of_the_epoch(tmp_path: Path) -> None:
    """Every worker must run the same steps, so a stop asked mid-epoch lets the epoch finish (unlike fit)."""
    from core.training.worker import Job, run_job
    from tests.core.test_training import Control

    control, messages = Control(), []

    def send(msg: object) -> None:
        messages.append(msg)
        if isinstance(msg, BatchEnd) and msg.step == 2:
            control.stop.set()

    job = Job(mlp(2, [4], 2).to_dict(), {"source": "toy.xor", "options": {"samples": 160}},
              {"epochs": 5, "batch_size": 32, "strategy": "multi-worker"}, str(tmp_path))
    result = run_job(job, send, control)
    assert isinstance(result, Finished), result
    assert (result.stopped, result.epochs_done) == (True, 1)
    assert [m.step for m in of(messages, BatchEnd)] == [1, 2, 3, 4]  # 128 training samples: the whole epoch
    assert len(of(messages, EpochEnd)) == 1
