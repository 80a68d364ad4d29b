"""The multi-worker custom loop sends the fit path's monitor messages (one local worker, in-process; two
loopback workers are in test_training_distributed.py)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from core.training.messages import (
    BatchEnd,
    Confusion,
    Device,
    EpochEnd,
    Failed,
    FeatureMaps,
    Finished,
    Gradients,
    Log,
    Message,
    Phase,
    Weights,
)
from tests.core.test_training import Control, mlp, of, train
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
    # as in fit, an epoch's logs hold its last step's global norm when that step computed one (step 8 did)
    assert set(of(messages, EpochEnd)[-1].logs) == {"loss", "accuracy", "grad_global_norm", "val_loss", "val_accuracy"}


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


def event_tags(folder: Path) -> dict[str, list[int]]:
    """TensorBoard tag -> the steps written, from the event files in ``folder``."""
    import tensorflow as tf

    tags: dict[str, list[int]] = {}
    for path in sorted(folder.glob("events.out.tfevents.*")):
        for event in tf.compat.v1.train.summary_iterator(str(path)):
            for value in event.summary.value:
                tags.setdefault(value.tag, []).append(int(event.step))
    return tags


def phases(messages: list[Message]) -> list[tuple[str, str, float | None]]:
    """The Phase messages, with the seconds of ``first batch after 1.23 s`` left out."""
    return [(p.phase, p.detail.split(" after ")[0], p.fraction) for p in of(messages, Phase)]


def test_loop_sends_the_fit_path_phases_device_tensorboard_and_test_metrics(tmp_path: Path,
                                                                           monkeypatch: pytest.MonkeyPatch) -> None:
    """Run for run against the fit path (full-batch gradient descent, L2 and activity penalties, a test part): the
    same phases (download progress included), a Device message before the first batch naming the strategy, the
    same TensorBoard tags and steps, and the same epoch, validation and test numbers in the end."""
    from core.data import download
    from core.training import distributed, worker

    real = worker.load_dataset

    def downloading(recipe: dict[str, object]) -> object:
        for done in (0, 400_000, 1_000_000):
            download._report(download.Download("XOR", done, 1_000_000, finished=done == 1_000_000))
        return real(recipe)

    monkeypatch.setattr(worker, "load_dataset", downloading)
    monkeypatch.setattr(distributed, "load_dataset", downloading)
    penalty = {"l1": 0.0, "l2": 0.01}
    graph = mlp(2, [8], 2, kernel_regularizer=penalty, activity_regularizer={"l1": 0.01, "l2": 0.0})
    data = {"source": "toy.xor", "options": {"samples": 64}, "preprocess": {"test": 0.2}}
    config = {"epochs": 2, "seed": 3, "optimizer": {"name": "gd", "learning_rate": 0.5},
              "monitors": {"tensorboard": True, "gradient_norms": True, "gradient_every": 1}}
    fit, fit_messages = train(tmp_path / "fit", graph, data, **config)
    loop, loop_messages = train(tmp_path / "loop", graph, data, strategy="multi-worker", **config)
    assert isinstance(fit, Finished), fit
    assert isinstance(loop, Finished), loop
    assert phases(loop_messages) == phases(fit_messages)
    assert ("downloading", "downloading XOR: 0.4 / 1.0 MB", 0.4) in phases(loop_messages)
    (device,) = of(loop_messages, Device)
    (fit_device,) = of(fit_messages, Device)
    assert (device.strategy, device.replicas, device.device) == ("MultiWorkerMirroredStrategy", 1, fit_device.device)
    assert loop_messages.index(device) < loop_messages.index(of(loop_messages, BatchEnd)[0])
    for a, b in zip(of(fit_messages, EpochEnd), of(loop_messages, EpochEnd), strict=True):
        assert set(b.logs) == set(a.logs)
        for key, value in a.logs.items():
            assert b.logs[key] == pytest.approx(value, rel=1e-4), key
    assert set(loop.test_logs) == set(fit.test_logs) == {"loss", "accuracy"}
    for key, value in fit.test_logs.items():
        assert loop.test_logs[key] == pytest.approx(value, rel=1e-4), key
    assert loop.time_to_first_batch is not None
    tags = event_tags(tmp_path / "loop" / "tensorboard")
    assert tags == event_tags(tmp_path / "fit" / "tensorboard")
    assert tags["batch/loss"] == [1, 2]
    assert tags["gradients/dense_1"] == [1, 2]
    assert tags["val_loss"] == [0, 1]


def test_early_stopping_ends_the_loop_as_it_ends_fit(tmp_path: Path) -> None:
    """``val_accuracy`` goes up (Keras cannot tell without compiled metrics: the loop says so), no epoch improves
    by 10, so both paths stop after two epochs of ten and put back the first epoch's weights."""
    config = {"epochs": 10, "seed": 3, "optimizer": {"name": "gd", "learning_rate": 0.5},
              "early_stopping": {"enabled": True, "monitor": "val_accuracy", "patience": 1, "min_delta": 10.0}}
    data = {"source": "toy.xor", "options": {"samples": 64}}
    fit, _ = train(tmp_path / "fit", mlp(2, [8], 2), data, **config)
    loop, messages = train(tmp_path / "loop", mlp(2, [8], 2), data, strategy="multi-worker", **config)
    assert isinstance(fit, Finished), fit
    assert isinstance(loop, Finished), loop
    assert (loop.epochs_done, loop.stopped) == (fit.epochs_done, fit.stopped) == (2, False)
    assert len(of(messages, EpochEnd)) == 2
    with np.load(tmp_path / "fit" / "weights.npz") as a, np.load(tmp_path / "loop" / "weights.npz") as b:
        for key in a.files:
            np.testing.assert_allclose(b[key], a[key], rtol=1e-5, atol=1e-7)


class Pulsed:
    """A ``send`` with the heartbeat's ``tick`` (as ``core.training.heartbeat.Pulse`` has in a worker process)."""

    def __init__(self) -> None:
        self.messages: list[Message] = []
        self.ticks = 0

    def __call__(self, msg: Message) -> None:
        self.messages.append(msg)

    def tick(self) -> None:
        self.ticks += 1


def test_loop_ticks_the_heartbeat_as_fit_does(tmp_path: Path) -> None:
    """Every training batch is progress for the heartbeat, as a message or a tick, and every validation batch
    ticks (else a run with rare BatchEnd messages would look hung to the watchdog): 4 + 1 per epoch, both paths."""
    from core.training.worker import Job, run_job

    counts = []
    for name, strategy in (("fit", "none"), ("loop", "multi-worker")):
        send = Pulsed()
        job = Job(mlp(2, [4], 2).to_dict(), {"source": "toy.xor", "options": {"samples": 80}},
                  {"epochs": 2, "batch_size": 16, "strategy": strategy, "monitors": {"batch_messages_every": 100}},
                  str(tmp_path / name))
        assert isinstance(run_job(job, send, Control()), Finished)
        counts.append(send.ticks + sum(isinstance(m, BatchEnd) for m in send.messages))
    assert counts == [10, 10]


def test_loop_starts_from_initial_weights_as_fit_does(tmp_path: Path) -> None:
    """``Job.initial_weights`` (a ``.npz`` by layer name, as projects store them): both paths start from them, so
    the first full batch has the same loss, and not the loss of fresh weights."""
    from core.training.worker import Job, run_job

    data = {"source": "toy.xor", "options": {"samples": 64}}
    config = {"epochs": 3, "seed": 3, "optimizer": {"name": "gd", "learning_rate": 0.5}}
    trained, _ = train(tmp_path / "trained", mlp(2, [8], 2), data, **config)
    assert isinstance(trained, Finished), trained
    first_losses = []
    for name, strategy in (("fresh", "multi-worker"), ("fit", "none"), ("loop", "multi-worker")):
        messages: list[Message] = []
        job = Job(mlp(2, [8], 2).to_dict(), data, {**config, "epochs": 1, "strategy": strategy}, str(tmp_path / name),
                  initial_weights=None if name == "fresh" else str(tmp_path / "trained" / "weights.npz"))
        assert isinstance(run_job(job, messages.append, Control()), Finished)
        first_losses.append(of(messages, BatchEnd)[0].logs["loss"])
    fresh, fit, loop = first_losses
    assert loop == pytest.approx(fit, rel=1e-5)
    assert abs(loop - fresh) > 1e-3
