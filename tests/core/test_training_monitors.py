"""Monitors in a real (in-process) run: feature maps, weight statistics, confusion matrix, TensorBoard."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from core.graph.model import Graph
from core.training.messages import BatchEnd, Confusion, FeatureMaps, Finished, Gradients, Weights
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
    batches = of(messages, BatchEnd)
    assert [b.step for b in batches] == list(range(1, 9))
    # norms are computed on every 2nd step only: the other steps carry none (not a 0)
    assert [b.step for b in batches if "grad_global_norm" in b.logs] == [2, 4, 6, 8]
    assert all(b.logs["grad_global_norm"] > 0 for b in batches if "grad_global_norm" in b.logs)
    assert list((tmp_path / "tensorboard").rglob("events.out.tfevents.*"))


def test_monitors_off_send_no_extra_messages(tmp_path: Path) -> None:
    result, messages = train(tmp_path, mlp(2, [4], 2), {"source": "toy.xor", "options": {"samples": 64}}, epochs=1,
                             monitors={"nan_check": False, "batch_messages_every": 2})
    assert isinstance(result, Finished), result
    assert not of(messages, Gradients) + of(messages, Weights) + of(messages, FeatureMaps)
    assert "grad_global_norm" not in result.logs
    assert np.isfinite(result.logs["loss"])


def pooling_cnn() -> Graph:
    g = Graph()
    link(g, add(g, "Input", shape=[28, 28, 1]), add(g, "ZeroPadding2D", top=1, bottom=1, left=1, right=1),
         add(g, "Conv2D", filters=3, kernel_size=[3, 3], activation="relu"), add(g, "MaxPooling2D"),
         add(g, "BatchNormalization"), add(g, "AveragePooling2D"), add(g, "GlobalAveragePooling2D"),
         add(g, "Dense", units=4, activation="softmax"))
    return g


SHAPES = {"source": "shapes", "options": {"samples": 40}}


def training_inputs(graph: Graph, recipe: dict[str, object]) -> np.ndarray:
    from core.data.check import fit_to_graph
    from core.data.load import load_dataset

    return np.asarray(fit_to_graph(load_dataset(recipe), graph, "sparse_categorical_crossentropy").train.x)


def layer_output(graph: Graph, weights: Path, node: str, x: np.ndarray) -> np.ndarray:
    """``node``'s output on ``x`` computed directly, from the run's final weights."""
    import keras

    from core.training.checkpoint import apply_layer_weights, load_layer_weights
    from core.translate.to_keras import build_model

    model = build_model(graph)
    apply_layer_weights(model, load_layer_weights(weights))
    return np.asarray(keras.Model(model.inputs[0], model.get_layer(node).output)(x, training=False))


def test_pooling_padding_and_normalisation_maps_on_the_chosen_sample(tmp_path: Path) -> None:
    """Every spatial layer is shown (global pooling is not spatial), computed on ``feature_map_sample``: the last
    map (after the last step) equals the layer's output on that sample under the final weights."""
    graph = pooling_cnn()
    monitors = {"feature_maps": True, "feature_maps_every": 4, "feature_map_sample": 5}
    result, messages = train(tmp_path, graph, SHAPES, epochs=1, batch_size=8, monitors=monitors)
    assert isinstance(result, Finished), result
    maps = of(messages, FeatureMaps)
    assert [m.step for m in maps] == [1, 4]  # 32 training samples (the recipe keeps 20% for validation)
    assert {name: m.shape for name, m in maps[0].maps.items()} == {
        "zero_padding2d_1": (30, 30, 1), "conv2d_1": (28, 28, 3), "max_pooling2d_1": (14, 14, 3),
        "batch_normalization_1": (14, 14, 3), "average_pooling2d_1": (7, 7, 3)}
    x = training_inputs(graph, SHAPES)
    assert len(x) == 32
    np.testing.assert_array_equal(maps[0].sample, x[5])  # the input itself, sent once
    assert maps[1].sample is None
    for node in ("max_pooling2d_1", "average_pooling2d_1"):
        direct = layer_output(graph, tmp_path / "weights.npz", node, x[5:6])[0]
        np.testing.assert_allclose(maps[-1].maps[node], direct, rtol=1e-5, atol=1e-6)
        other = layer_output(graph, tmp_path / "weights.npz", node, x[:1])[0]
        assert not np.allclose(maps[-1].maps[node], other)  # sample 0 would look different


def test_feature_sample_past_the_end_is_the_last_with_a_warning() -> None:
    from core.training.callbacks import RunContext, feature_sample
    from core.training.config import TrainingConfig
    from core.training.history import History
    from core.training.messages import Log

    sent: list[object] = []
    x = np.arange(12, dtype="float32").reshape(6, 2)
    config = TrainingConfig.from_dict({"monitors": {"feature_map_sample": 9}})
    ctx = RunContext(config, sent.append, None, None, None, History(), train_x=x)  # type: ignore[arg-type]
    np.testing.assert_array_equal(feature_sample(ctx), x[5:6])
    (log,) = sent
    assert isinstance(log, Log)
    assert log.level == "warning"
    assert "sample 9" in log.text
    assert "showing sample 5" in log.text
    ctx.config = TrainingConfig.from_dict({"monitors": {"feature_map_sample": 2}})
    np.testing.assert_array_equal(feature_sample(ctx), x[2:3])
    with pytest.raises(ValueError, match="feature_map_sample"):
        TrainingConfig.from_dict({"monitors": {"feature_map_sample": -1}})


def test_large_inputs_are_sent_downsampled() -> None:
    from core.training.monitors import thumbnail

    image = np.random.default_rng(0).random((300, 200, 3))
    small = thumbnail(image)
    assert small.shape == (100, 100, 3)
    assert small.dtype == np.float32
    np.testing.assert_allclose(small, image[::3, ::2].astype("float32"))
    assert thumbnail(np.ones((28, 28, 1))).shape == (28, 28, 1)


def test_one_dimensional_layers_are_spatial_and_the_cap_keeps_convolutions() -> None:
    import keras

    from core.training.monitors import feature_map_fn, spatial_layers

    x = keras.Input((20, 2))
    h = keras.layers.Conv1D(3, 3, name="c1")(x)
    h = keras.layers.MaxPooling1D(name="p1")(h)
    h = keras.layers.GlobalAveragePooling1D(name="g1")(h)
    model = keras.Model(x, keras.layers.Dense(2, name="d")(h))
    assert [layer.name for layer in spatial_layers(model)] == ["c1", "p1"]
    names, fn = feature_map_fn(model) or ([], None)
    out = fn(np.ones((1, 20, 2), "float32"))
    from core.training.monitors import as_maps

    assert {k: v.shape for k, v in as_maps(names, out).items()} == {"c1": (1, 18, 3), "p1": (1, 9, 3)}

    image = keras.Input((8, 8, 1))
    layers = [keras.layers.Activation("relu", name="a0"), keras.layers.Conv2D(2, 3, padding="same", name="k1"),
              keras.layers.BatchNormalization(name="n1"), keras.layers.MaxPooling2D(1, name="m1"),
              keras.layers.Conv2D(2, 3, padding="same", name="k2"), keras.layers.ZeroPadding2D(0, name="z1")]
    h = image
    for layer in layers:
        h = layer(h)
    cnn = keras.Model(image, h)
    names, _fn = feature_map_fn(cnn, max_layers=4) or ([], None)
    assert names == ["k1", "m1", "k2", "z1"]  # in model order; the element-wise layers go first


def test_norms_only_on_every_kth_step() -> None:
    """The wrapper computes gradient norms on steps k, 2k, … only (zeros in between), after a resumed count."""
    import keras

    from core.training.monitors import attach_groups, monitored
    from core.translate.to_keras import build_model

    inner = build_model(mlp(2, [4], 2))
    model = monitored(inner, gradient_norms=True, skip_nonfinite=True, every=3)
    model.compile(optimizer=keras.optimizers.SGD(0.1), loss="sparse_categorical_crossentropy")
    model.optimizer.build(model.trainable_variables)
    attach_groups(model, inner)
    x, y = np.random.default_rng(0).random((8, 2), dtype="float32"), np.array([0, 1] * 4)
    norms = [float(model.train_on_batch(x, y, return_dict=True)["grad_global_norm"]) for _ in range(7)]
    assert [n > 0 for n in norms] == [False, False, True, False, False, True, False]
    model.monitor_step.assign(4)  # a run resumed after step 4: the next report is at step 6
    norms = [float(model.train_on_batch(x, y, return_dict=True)["grad_global_norm"]) for _ in range(3)]
    assert [n > 0 for n in norms] == [False, True, False]


def test_nan_guard_catches_a_nan_between_gradient_reports(tmp_path: Path) -> None:
    """Norms every 2nd step; a weight turned NaN after step 2 makes step 3 (no norms) non-finite: still caught."""
    import threading

    import keras

    from core.training.messages import Failed
    from core.training.worker import Job, run_job

    class Poison(keras.callbacks.Callback):  # type: ignore[misc]
        def on_train_batch_end(self, batch: int, logs: object = None) -> None:
            if batch == 1:
                kernel = self.model.inner.get_layer("dense_1").kernel
                kernel.assign(np.full(kernel.shape, np.nan, "float32"))

    class Control:
        stop, pause = threading.Event(), threading.Event()

    messages: list[object] = []
    config = {"epochs": 2, "batch_size": 8, "monitors": {"gradient_norms": True, "gradient_every": 2}}
    job = Job(mlp(2, [4], 2).to_dict(), {"source": "toy.xor", "options": {"samples": 64}}, config, str(tmp_path),
              callbacks=(Poison,))
    result = run_job(job, messages.append, Control())
    assert isinstance(result, Failed), result
    assert result.kind == "diverged"
    assert "at step 3" in result.error
    assert result.node == "dense_1"
    assert [g.step for g in of(messages, Gradients)] == [2]  # type: ignore[arg-type]
