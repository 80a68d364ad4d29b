"""Training in-process through the worker's ``run_job`` (the spawned path is in test_training_engine.py)."""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from core.graph.model import Graph
from core.training.checkpoint import RunFolder, apply_layer_weights, load_layer_weights
from core.training.messages import BatchEnd, Checkpoint, EpochEnd, Failed, Finished, Gradients, Log, Message
from core.training.worker import Job, run_job
from tests.conftest import add, link

pytestmark = pytest.mark.tf


class Control:
    def __init__(self) -> None:
        self.stop = threading.Event()
        self.pause = threading.Event()


def mlp(inputs: int, hidden: list[int], outputs: int, activation: str = "tanh", out: str = "softmax",
        **dense: Any) -> Graph:
    g = Graph()
    nodes = [add(g, "Input", shape=[inputs])]
    nodes += [add(g, "Dense", units=u, activation=activation, **dense) for u in hidden]
    nodes.append(add(g, "Dense", units=outputs, activation=out))
    link(g, *nodes)
    return g


def train(tmp: Path, graph: Graph, data: dict[str, Any], control: Control | None = None, resume: bool = False,
          **config: Any) -> tuple[Message, list[Message]]:
    messages: list[Message] = []
    job = Job(graph.to_dict(), data, config, str(tmp), resume=resume)
    result = run_job(job, messages.append, control or Control())
    return result, messages


def of(messages: list[Message], kind: type) -> list[Any]:
    return [m for m in messages if isinstance(m, kind)]


def first_loss(messages: list[Message]) -> float:
    return float(of(messages, BatchEnd)[0].logs["loss"])


def weights_of(graph: Graph, path: str) -> list[np.ndarray]:
    from core.translate.to_keras import build_model

    model = build_model(graph)
    if path.endswith(".npz"):
        apply_layer_weights(model, load_layer_weights(Path(path)))
    else:
        model.load_weights(path)
    return [np.asarray(w) for w in model.get_weights()]


@pytest.mark.parametrize("source", ["toy.xor", "toy.circle"])
def test_toy_sets_reach_95_percent(tmp_path: Path, source: str) -> None:
    result, _ = train(tmp_path, mlp(2, [16], 2), {"source": source, "options": {"samples": 400, "noise": 0.05}},
                      epochs=12, batch_size=16, optimizer={"name": "adam", "learning_rate": 0.05})
    assert isinstance(result, Finished), result
    assert result.logs["val_accuracy"] >= 0.95
    assert Path(result.weights_path).exists()
    assert result.device


OPTIMIZERS = {"gd": 0.5, "sgd": 0.1, "momentum": 0.05, "nesterov": 0.05, "adagrad": 0.1, "rmsprop": 0.01,
              "adam": 0.01, "adamw": 0.01}


@pytest.mark.parametrize("name", list(OPTIMIZERS))
def test_each_optimizer_lowers_the_loss(tmp_path: Path, name: str) -> None:
    data = {"source": "toy.gaussians", "options": {"samples": 200}, "preprocess": {"validation": 0.0}}
    result, messages = train(tmp_path, mlp(2, [8], 2), data,
                             epochs=6, optimizer={"name": name, "learning_rate": OPTIMIZERS[name]})
    assert isinstance(result, Finished), result
    assert result.logs["loss"] < first_loss(messages)
    if name == "gd":  # full batch: one step per epoch
        assert {m.batches for m in of(messages, BatchEnd)} == {1}


@pytest.mark.parametrize(("loss", "source", "units", "out"), [
    ("mse", "toy.outliers", 1, "linear"),
    ("mae", "toy.outliers", 1, "linear"),
    ("huber", "toy.outliers", 1, "linear"),
    ("binary_crossentropy", "toy.gaussians", 1, "sigmoid"),
    ("categorical_crossentropy", "toy.gaussians", 2, "softmax"),
    ("sparse_categorical_crossentropy", "toy.gaussians", 2, "softmax"),
])
def test_each_loss_lowers_the_loss(tmp_path: Path, loss: str, source: str, units: int, out: str) -> None:
    graph = mlp(2 if source != "toy.outliers" else 1, [8], units, out=out)
    options = {"samples": 200, "outliers": 0.0} if source == "toy.outliers" else {"samples": 200}
    data = {"source": source, "options": options, "preprocess": {"validation": 0.0}}
    result, messages = train(tmp_path, graph, data, epochs=5, loss=loss,
                             optimizer={"learning_rate": 0.03})
    assert isinstance(result, Finished), result
    assert result.logs["loss"] < first_loss(messages)


def test_schedules_and_clipping_train(tmp_path: Path) -> None:
    settings = (({"kind": "exponential", "decay_steps": 5}, "clipnorm"), ({"kind": "cosine", "decay_steps": 20},
                                                                         "clipvalue"))
    for i, (schedule, clip) in enumerate(settings):
        result, _ = train(tmp_path / str(i), mlp(2, [8], 2), {"source": "toy.gaussians", "options": {"samples": 100}},
                          epochs=2, optimizer={"name": "sgd", "learning_rate": 0.1, clip: 0.5, "schedule": schedule})
        assert isinstance(result, Finished), result


def _first_kernel(tmp: Path, reg: dict[str, float]) -> np.ndarray:
    graph = mlp(2, [32], 2, activation="relu", kernel_regularizer=reg)
    data = {"source": "toy.gaussians", "options": {"samples": 300}, "preprocess": {"validation": 0.0}}
    result, _ = train(tmp, graph, data, epochs=12, optimizer={"learning_rate": 0.02})
    assert isinstance(result, Finished), result
    return weights_of(graph, result.weights_path)[0]


def test_l1_zeroes_weights_and_l2_shrinks_them(tmp_path: Path) -> None:
    plain = _first_kernel(tmp_path / "none", {"l1": 0.0, "l2": 0.0})
    l1 = _first_kernel(tmp_path / "l1", {"l1": 0.01, "l2": 0.0})
    l2 = _first_kernel(tmp_path / "l2", {"l1": 0.0, "l2": 0.05})
    near_zero = lambda w: float((np.abs(w) < 0.02).mean())  # noqa: E731
    assert near_zero(l1) > near_zero(plain) + 0.1
    assert np.linalg.norm(l2) < 0.8 * np.linalg.norm(plain)


def test_dropout_is_active_in_training_only() -> None:
    from core.training.monitors import monitored
    from core.translate.to_keras import build_model

    g = Graph()
    link(g, add(g, "Input", shape=[64]), add(g, "Dropout", rate=0.5))
    inner = build_model(g)
    model = monitored(inner, gradient_norms=True, skip_nonfinite=True)
    x = np.ones((4, 64), "float32")
    assert np.array_equal(np.asarray(model(x, training=False)), x)
    dropped = np.asarray(model(x, training=True))
    assert 0.2 < (dropped == 0).mean() < 0.8


def _gradient_ratio(tmp: Path, activation: str, init: str) -> tuple[float, Gradients]:
    graph = mlp(2, [16] * 19, 2, activation=activation, kernel_initializer=init)
    data = {"source": "toy.gaussians", "options": {"samples": 32}, "preprocess": {"validation": 0.0}}
    result, messages = train(tmp, graph, data, epochs=1,
                             batch_size=16, monitors={"gradient_norms": True, "gradient_every": 1})
    assert isinstance(result, Finished), result
    grads = of(messages, Gradients)[0]
    assert len(grads.layers) == 20
    return grads.norms[0] / grads.norms[-1], grads


@pytest.mark.slow
def test_deep_sigmoid_gradients_vanish_relu_he_do_not(tmp_path: Path) -> None:
    ratio, grads = _gradient_ratio(tmp_path / "sigmoid", "sigmoid", "glorot_uniform")
    assert ratio < 1e-4
    assert grads.health == "vanishing"
    ratio, grads = _gradient_ratio(tmp_path / "relu", "relu", "he_normal")
    assert ratio > 1e-2
    assert grads.health == "ok"


def test_huge_initialisation_is_flagged_exploding(tmp_path: Path) -> None:
    graph = mlp(1, [32] * 6, 1, activation="relu", out="linear", kernel_initializer="ones")
    result, messages = train(tmp_path, graph, {"source": "toy.outliers", "options": {"samples": 64}}, epochs=1,
                             loss="mse", optimizer={"name": "sgd", "learning_rate": 1e-9},
                             monitors={"gradient_norms": True, "gradient_every": 1, "nan_check": False})
    grads = of(messages, Gradients)
    assert grads, result
    assert grads[0].health == "exploding"


def test_diverging_run_is_stopped_naming_the_layer(tmp_path: Path) -> None:
    graph = mlp(1, [32, 32, 32], 1, activation="relu", out="linear")
    result, messages = train(tmp_path, graph, {"source": "toy.outliers", "options": {"samples": 256}}, epochs=20,
                             loss="mse", optimizer={"name": "sgd", "learning_rate": 50.0})
    assert isinstance(result, Failed), result
    assert result.kind == "diverged"
    assert result.node in {n.name for n in graph.nodes}
    assert result.node in result.error
    assert len(of(messages, EpochEnd)) < 20


def test_stop_mid_epoch_and_resume_from_checkpoint(tmp_path: Path) -> None:
    control = Control()
    messages: list[Message] = []

    def send(msg: Message) -> None:
        messages.append(msg)
        if isinstance(msg, BatchEnd) and msg.epoch == 1 and msg.batch == 2:
            control.stop.set()

    graph = mlp(2, [8], 2)
    data = {"source": "toy.xor", "options": {"samples": 400}}
    config = {"epochs": 4, "batch_size": 16, "checkpoint_seconds": 0}
    result = run_job(Job(graph.to_dict(), data, config, str(tmp_path)), send, control)
    assert isinstance(result, Finished), result
    assert result.stopped
    batches = of(messages, BatchEnd)
    assert batches[-1].epoch == 1
    assert batches[-1].batch <= 3  # honoured at the next batch
    state = RunFolder(tmp_path).state()
    assert state["epoch"] == 1
    assert state["partial"]
    saved = weights_of(graph, str(RunFolder(tmp_path).checkpoint_layers))

    resumed, later = train(tmp_path, graph, data, resume=True, **config)
    assert isinstance(resumed, Finished), resumed
    assert any(isinstance(m, Log) and "resumed after epoch 1" in m.text for m in later)
    assert [m.epoch for m in of(later, EpochEnd)] == [1, 2, 3]
    assert of(later, BatchEnd)[0].step == batches[-1].step + 1
    assert resumed.epochs_done == 4
    # training continued from the checkpointed weights, not from a fresh initialisation
    fresh = mlp(2, [8], 2)
    assert not np.allclose(saved[0], weights_of(fresh, str(RunFolder(tmp_path).checkpoint_layers))[0])
    assert len(of(later, Checkpoint)) == 3


def test_data_graph_mismatch_is_refused(tmp_path: Path) -> None:
    result, _ = train(tmp_path, mlp(3, [4], 2), {"source": "toy.xor"}, epochs=1)
    assert isinstance(result, Failed)
    assert result.kind == "data"
    assert "(2,)" in result.error
    assert "(3,)" in result.error


def test_mixed_precision_trains(tmp_path: Path) -> None:
    result, messages = train(tmp_path, mlp(2, [8], 2), {"source": "toy.gaussians", "options": {"samples": 64}},
                             epochs=1, mixed_precision=True)
    assert isinstance(result, Finished), result
    assert any(isinstance(m, Log) and "mixed_" in m.text for m in messages)
    import keras

    keras.mixed_precision.set_global_policy("float32")


def test_mae_ignores_outliers_that_pull_mse(tmp_path: Path) -> None:
    """On a line with upward outliers, the MSE fit's intercept moves up; the MAE fit stays near the true 1."""
    data = {"source": "toy.outliers", "options": {"samples": 300, "outliers": 0.15, "noise": 0.05},
            "preprocess": {"validation": 0.0}}
    intercepts = {}
    for loss in ("mse", "mae"):
        graph = mlp(1, [], 1, out="linear")
        result, _ = train(tmp_path / loss, graph, data, epochs=25, loss=loss, batch_size=30,
                          optimizer={"name": "adam", "learning_rate": 0.1})
        assert isinstance(result, Finished), result
        _kernel, bias = weights_of(graph, result.weights_path)
        intercepts[loss] = float(bias[0])
    assert abs(intercepts["mae"] - 1.0) < 0.3
    assert intercepts["mse"] - 1.0 > 0.6


def test_short_epochs_are_checkpointed_at_most_every_checkpoint_seconds(tmp_path: Path) -> None:
    result, messages = train(tmp_path, mlp(2, [4], 2), {"source": "toy.xor", "options": {"samples": 64}},
                             epochs=4, checkpoint_seconds=1e6)
    assert isinstance(result, Finished), result
    assert [m.epoch for m in of(messages, Checkpoint)] == [3]  # only the last epoch
    assert RunFolder(tmp_path).state()["epoch"] == 4
