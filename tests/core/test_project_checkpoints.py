"""Checkpoints kept in the project file: weights shared with the run's when equal, optimizer slots, a save and
load round trip, and the run-store helpers that need no TensorFlow (status text, history merge, graph check)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from core.project.errors import ProjectError
from core.project.project import Project
from core.training.checkpoint import RunFolder
from core.training.history import History
from core.training.runstore import (
    comparable_graph,
    find_resumable,
    merged_history,
    prepare_resume,
    status_text,
    tensorboard_dir,
)

W = {"dense_1": [np.ones((2, 3), "float32"), np.zeros(3, "float32")]}


def stopped_project(tmp_path: Path) -> tuple[Project, str]:
    project = Project(name="p")
    run = project.add_run(label="Run 1", status="stopped",
                          info={"config": {"epochs": 5}, "graph": {"nodes": [], "edges": []}, "epochs": 2,
                                "checkpoint": {"epoch": 2, "step": 8, "partial": True}})
    project.set_weights(run.id, W)
    project.set_checkpoint(run.id, W, {"v0": np.arange(3.0)})
    project.set_history(run.id, {"epoch/x": np.array([1.0, 2.0]), "epoch/loss": np.array([0.5, 0.4]),
                                 "batch/x": np.arange(1.0, 9.0), "batch/loss": np.linspace(1, 0.2, 8)})
    return project, run.id


def test_equal_checkpoint_weights_are_stored_once_and_survive_a_save(tmp_path: Path) -> None:
    project, run_id = stopped_project(tmp_path)
    run = project.run(run_id)
    assert run.checkpoints["last"]["main"] == run.weights["main"]
    assert run.checkpoints["last"]["optimizer"].endswith("last-optimizer.npz")
    path = project.save(tmp_path / "p.layerbench")
    again = Project.load(path)
    np.testing.assert_array_equal(again.weights(run_id, checkpoint="last")["dense_1"][0], W["dense_1"][0])
    np.testing.assert_array_equal(again.optimizer_state(run_id)["v0"], np.arange(3.0))
    assert status_text(again.run(run_id)) == "stopped at epoch 2/5"


def test_new_final_weights_leave_the_shared_checkpoint_alone(tmp_path: Path) -> None:
    project, run_id = stopped_project(tmp_path)
    project.set_weights(run_id, {"dense_1": [np.full((2, 3), 7, "float32"), np.zeros(3, "float32")]})
    assert project.weights(run_id)["dense_1"][0][0, 0] == 7
    assert project.weights(run_id, checkpoint="last")["dense_1"][0][0, 0] == 1
    project.drop_checkpoints(run_id)
    again = Project.load(project.save(tmp_path / "p.layerbench"))
    assert not again.run(run_id).checkpoints
    with pytest.raises(ProjectError):
        again.weights(run_id, checkpoint="last")


def test_prepare_resume_lays_out_a_run_folder(tmp_path: Path) -> None:
    project, run_id = stopped_project(tmp_path)
    project.data = {"source": "toy.xor"}
    plan = prepare_resume(project, run_id, tmp_path / "run")
    folder = RunFolder(tmp_path / "run")
    assert folder.has_checkpoint() and folder.state()["epoch"] == 2 and folder.state()["partial"]
    assert plan.start_epoch == 2 and plan.config.epochs == 5 and plan.data == {"source": "toy.xor"}
    assert list(History.from_npz(folder.history).epoch.x.data) == [1.0, 2.0]
    assert list(History.from_npz(folder.history).batch.x.data) == list(range(1, 9))  # batches per epoch unknown

    project.run(run_id).info["batches"] = 3  # 2 epochs of 3 batches, then 2 batches of the third: stopped
    prepare_resume(project, run_id, tmp_path / "run3")
    folder = RunFolder(tmp_path / "run3")
    assert folder.state()["step"] == 6  # the third epoch trains again from its first batch
    assert list(History.from_npz(folder.history).batch.x.data) == [1, 2, 3, 4, 5, 6]
    assert find_resumable(project).id == run_id
    project.run(run_id).status = "finished"
    with pytest.raises(ProjectError, match="only a stopped or failed run"):
        prepare_resume(project, run_id, tmp_path / "again")


def test_history_continues_after_the_workers_own(tmp_path: Path) -> None:
    worker = History()
    for step in (1, 2, 3, 4):
        worker.batch.add(step, {"loss": 1.0 / step})
    worker.epoch.add(1, {"loss": 0.4})
    folder = RunFolder(tmp_path)
    worker.to_npz(folder.history)
    live = History()
    for step in (3, 4, 5, 6):
        live.batch.add(step, {"loss": 9.0, "accuracy": 0.5})
    merged = merged_history(folder, live.arrays())
    assert list(merged["batch/x"]) == [1, 2, 3, 4, 5, 6]
    assert merged["batch/loss"][3] == 0.25 and merged["batch/loss"][4] == 9.0
    assert np.isnan(merged["batch/accuracy"][0]) and merged["batch/accuracy"][5] == 0.5


def test_moving_nodes_is_not_a_graph_change_but_params_are() -> None:
    a = {"nodes": [{"id": "n1", "type": "Dense", "params": {"units": 4}, "ui": {"x": 0, "y": 0}}], "edges": []}
    moved = {"nodes": [{"id": "n1", "type": "Dense", "params": {"units": 4}, "ui": {"x": 9, "y": 9}}], "edges": []}
    wider = {"nodes": [{"id": "n1", "type": "Dense", "params": {"units": 8}, "ui": {"x": 0, "y": 0}}], "edges": []}
    assert comparable_graph(a) == comparable_graph(moved) != comparable_graph(wider)


def test_tensorboard_folder_beside_the_project(tmp_path: Path) -> None:
    project = Project(name="p")
    project.save(tmp_path / "mnist.layerbench")
    first = tensorboard_dir(project, "Run 1 — Adam, lr 0.001", "abc123")
    assert first == tmp_path / "mnist.tensorboard" / "Run-1-Adam-lr-0.001"
    first.mkdir(parents=True)
    assert tensorboard_dir(project, "Run 1 — Adam, lr 0.001", "abc123").name == "Run-1-Adam-lr-0.001-abc123"


def test_a_hung_run_ended_by_the_watchdog_is_kept_with_its_checkpoint(tmp_path: Path) -> None:
    from core.training.checkpoint import SEP
    from core.training.config import TrainingConfig
    from core.training.messages import Failed
    from core.training.runstore import RunRecord, store_run, why_not_resumable

    folder = RunFolder(tmp_path / "run")
    folder.path.mkdir()
    np.savez(folder.checkpoint_layers, **{f"dense_1{SEP}0": W["dense_1"][0], f"dense_1{SEP}1": W["dense_1"][1]})
    np.savez(folder.optimizer, v0=np.arange(2.0))
    worker = History()
    worker.epoch.add(1, {"loss": 0.5})
    worker.to_npz(folder.history)
    folder.write_state(epoch=1, step=4, partial=False)
    live = History()
    live.epoch.add(1, {"loss": 0.5})
    live.epoch.add(2, {"loss": 0.4})  # an epoch after the last checkpoint, seen by the parent only
    hung = Failed("no message from the training process for 600 s (watchdog: 600 s); it was ended as hung; "
                  "the last checkpoint is kept", kind="hung")
    project = Project(name="p")
    config = TrainingConfig.from_dict({"epochs": 5})
    run_id = store_run(project, hung, RunRecord(config, folder.path, live.arrays(), 4, {"nodes": [1]}, {"source": "x"}))
    run = project.run(run_id)
    assert status_text(run).startswith("failed: no message from the training process")
    assert run.info["failure"] == "hung" and run.info["checkpoint"] == {"epoch": 1, "step": 4, "partial": False}
    assert list(project.history(run_id)["epoch/x"]) == [1.0, 2.0] and run.info["epochs"] == 2
    np.testing.assert_array_equal(project.weights(run_id)["dense_1"][0], W["dense_1"][0])
    assert run.checkpoints["last"]["main"] == run.weights["main"]
    np.testing.assert_array_equal(project.optimizer_state(run_id)["v0"], np.arange(2.0))
    assert why_not_resumable(run) is None
