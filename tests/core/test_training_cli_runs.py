"""``layerbench train`` keeps every run in the project like the app does: batches per epoch and gradient
history for overlays, stopped and failed runs with their checkpoint, ``--resume``, TensorBoard event files."""

from __future__ import annotations

import os
import signal
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from core import cli
from core.project.project import Project
from core.training import cli as train_cli
from core.training.runstore import status_text, why_not_resumable
from tests.core.test_training import mlp

pytestmark = [pytest.mark.tf, pytest.mark.slow]

XOR = {"source": "toy.xor", "options": {"samples": 200}}  # 160 training samples: 4 batches of 40 per epoch


def make_project(path: Path, epochs: int = 3, **training: Any) -> Path:
    settings = {"epochs": epochs, "batch_size": 40, "checkpoint_seconds": 0, "optimizer": {"learning_rate": 0.05},
                "monitors": {"gradient_norms": True, "gradient_every": 1}} | training
    Project(graphs={"main": mlp(2, [8], 2)}, data=XOR, training=settings).save(path)
    return path


def ctrl_c_after_first_epoch(monkeypatch: pytest.MonkeyPatch) -> None:
    """Press Ctrl-C (a real SIGINT to this process) when the first epoch has been printed."""
    original = train_cli.Printer.epoch

    def epoch(self: Any, msg: Any) -> None:
        original(self, msg)
        if msg.epoch == 0:
            os.kill(os.getpid(), signal.SIGINT)

    monkeypatch.setattr(train_cli.Printer, "epoch", epoch)


def test_cli_run_keeps_batches_gradients_and_test_logs(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = make_project(tmp_path / "p.layerbench", epochs=2)
    assert cli.main(["train", str(path)]) == 0
    run = Project.load(path).runs[-1]
    assert run.status == "finished"
    assert run.info["batches"] == 4
    history = Project.load(path).history(run.id)
    assert history["batch/x"][-1] / run.info["batches"] == 2.0  # batch x positions fall on epochs
    assert any(k.startswith("grad/") for k in history)
    assert len(history["grad/x"]) == 8
    assert run.info["graph"]["nodes"] and run.info["data"] == XOR
    assert not run.checkpoints and "checkpoint" not in run.info  # a finished run needs no checkpoint


def test_ctrl_c_keeps_a_stopped_run_and_resume_finishes_it(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                            capsys: pytest.CaptureFixture[str]) -> None:
    path = make_project(tmp_path / "p.layerbench")
    with monkeypatch.context() as patch:
        ctrl_c_after_first_epoch(patch)
        assert cli.main(["train", str(path)]) == 0
    project = Project.load(path)
    [run] = project.runs
    assert run.status == "stopped"
    assert status_text(run) == "stopped at epoch 1/3"
    assert why_not_resumable(run) is None
    assert run.info["checkpoint"]["epoch"] == 1
    checkpoint = project.weights(run.id, checkpoint="last")
    assert project.optimizer_state(run.id)  # the optimizer's slots travel with the checkpoint
    assert list(project.history(run.id)["epoch/x"]) == [1.0]

    assert cli.main(["train", str(path), "--resume"]) == 0
    err = capsys.readouterr().err
    assert "resuming" in err and "after epoch 1 of 3" in err
    project = Project.load(path)
    [run] = project.runs  # the same run continued, not a new one
    assert run.status == "finished" and run.info["epochs"] == 3 and run.info["resumed"] == 1
    history = project.history(run.id)
    assert list(history["epoch/x"]) == [1.0, 2.0, 3.0]
    assert np.all(np.diff(history["batch/x"]) > 0)
    assert list(history["batch/x"]) == list(range(1, 13))  # 3 epochs of 4 batches: the stopped epoch again
    final = project.weights(run.id)
    assert any(not np.array_equal(a, b) for name in checkpoint for a, b in zip(checkpoint[name], final[name]))
    assert not run.checkpoints

    status = cli.main(["train", str(path), "--resume"])
    assert status == 1
    assert "no stopped or failed run" in capsys.readouterr().err


def test_resume_refuses_an_edited_graph(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                        capsys: pytest.CaptureFixture[str]) -> None:
    path = make_project(tmp_path / "p.layerbench")
    with monkeypatch.context() as patch:
        ctrl_c_after_first_epoch(patch)
        assert cli.main(["train", str(path)]) == 0
    project = Project.load(path)
    dense = next(n for n in project.main.nodes if n.type == "Dense")
    project.main.set_params(dense.id, {"units": 16})
    project.save(path)
    assert cli.main(["train", str(path), "--resume", project.runs[0].id]) == 1
    assert "the graph was edited since run" in capsys.readouterr().err


def test_a_failed_run_is_kept_with_its_reason(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "p.layerbench"
    Project(graphs={"main": mlp(1, [32, 32, 32], 1, activation="relu", out="linear")},
            data={"source": "toy.outliers", "options": {"samples": 256}},
            training={"epochs": 20, "loss": "mse", "optimizer": {"name": "sgd", "learning_rate": 50.0}}).save(path)
    assert cli.main(["train", str(path)]) == 1
    err = capsys.readouterr().err
    assert "training failed" in err and "kept in the project" in err
    [run] = Project.load(path).runs
    assert run.status == "failed"
    assert status_text(run).startswith("failed: the loss became NaN or infinite")
    assert run.info["failure"] == "diverged"


def test_tensorboard_event_files_in_a_folder_beside_the_project(tmp_path: Path,
                                                                 capsys: pytest.CaptureFixture[str]) -> None:
    import tensorflow as tf

    path = make_project(tmp_path / "proj.layerbench", epochs=2,
                        monitors={"tensorboard": True, "gradient_norms": True, "gradient_every": 1,
                                  "weight_histograms": True})
    assert cli.main(["train", str(path)]) == 0
    err = capsys.readouterr().err
    run = Project.load(path).runs[-1]
    log_dir = Path(run.info["tensorboard"])
    assert log_dir.parent == tmp_path / "proj.tensorboard"
    assert f"TensorBoard event files: {log_dir}" in err
    events = sorted(log_dir.glob("events.out.tfevents.*"))
    assert events
    tags: dict[str, list[int]] = {}
    histograms: dict[str, np.ndarray] = {}
    for event in tf.compat.v1.train.summary_iterator(str(events[0])):
        for value in event.summary.value:
            tags.setdefault(value.tag, []).append(event.step)
            if value.tag.startswith("weights/"):
                assert value.metadata.plugin_data.plugin_name == "histograms"
                histograms[value.tag] = tf.make_ndarray(value.tensor)
    assert tags["loss"] == [0, 1] and tags["val_loss"] == [0, 1]
    assert tags["batch/loss"] == list(range(1, 9))
    grads = [t for t in tags if t.startswith("gradients/") and t != "gradients/global_norm"]
    assert len(grads) == 2 and tags["gradients/global_norm"] == list(range(1, 9))
    assert len([t for t in tags if t.startswith("weights/")]) == 2
    counts = {tag: h[:, 2].sum() for tag, h in histograms.items()}
    assert sorted(counts.values()) == [18, 24]  # Dense 2->8: 16 + 8 weights; Dense 8->2: 16 + 2


def test_a_run_stored_by_another_command_meanwhile_stays(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                         capsys: pytest.CaptureFixture[str]) -> None:
    path = make_project(tmp_path / "p.layerbench", epochs=2)
    original = train_cli.Printer.epoch

    def epoch(self: Any, msg: Any) -> None:  # while this run trains, another command stores its run
        original(self, msg)
        if msg.epoch == 0:
            other = Project.load(path)
            other.add_run("other", label="from another command", status="finished")
            other.save(path)

    monkeypatch.setattr(train_cli.Printer, "epoch", epoch)
    assert cli.main(["train", str(path)]) == 0
    runs = Project.load(path).runs
    assert len(runs) == 2 and runs[0].id == "other"
    assert runs[1].status == "finished" and runs[1].info["epochs"] == 2
