"""Runs that persist, in the window: a stopped run kept with its checkpoint and resumed from the runs list
(the same run continues), a crashed run kept as failed, unsaved edits untouched, a run whose graph was edited
since refused (or trained afresh), and a CLI-trained run overlaid with its batches at epoch positions."""

from __future__ import annotations

import os
import signal
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QMessageBox

from core.graph.commands import MoveNodes
from core.project.project import Project
from core.training.config import TrainingConfig
from core.training.messages import Failed, Finished
from desktop.panels.runs import store_run
from tests.desktop.test_training_panel import chain, configure, open_window

TIMEOUT = 120_000
XOR = {"source": "toy.xor", "options": {"samples": 2000}}  # 1600 training samples: 50 batches of 32 per epoch


def mlp_graph() -> Any:
    from core.graph.model import Graph

    return chain(Graph(), ("Input", {"shape": [2]}), ("Dense", {"units": 8, "activation": "tanh"}),
                 ("Dense", {"units": 2, "activation": "softmax"}))


def stored_stopped_run(project: Any, tmp_path: Path, graph: dict[str, Any]) -> str:
    """A stopped run with a checkpoint, stored without training (for the list's own behaviour)."""
    config = TrainingConfig.from_dict({"epochs": 4})
    result = Finished({"loss": 0.3}, 1, True, str(tmp_path / "final.weights.h5"), "", "CPU:0", 1.0, 2.0)
    run_id = store_run(project, {"epoch/x": np.array([1.0])}, config, result, batches=5, graph=graph)
    project.set_checkpoint(run_id, {"dense_1": [np.zeros((2, 8), "float32")]}, {"v0": np.zeros(1)})
    project.run(run_id).info["checkpoint"] = {"epoch": 1, "step": 5, "partial": False}
    return run_id


@pytest.mark.tf
@pytest.mark.slow
def test_stop_keep_and_resume_from_the_runs_list(qtbot: Any, tf_guard: Any) -> None:
    w, docks = open_window(qtbot, mlp_graph())
    try:
        docks.panel.data.set_recipe(XOR)
        configure(docks, epochs=3)
        node = w.document.graph.nodes[0]
        moved = node.y + 40
        w.editor.push(MoveNodes(w.document.graph, {node.id: (node.x, node.y)}, {node.id: (node.x, moved)}))
        undo_depth = w.document.stack.index

        qtbot.mouseClick(docks.panel.start_button, Qt.MouseButton.LeftButton)
        run = docks.session.run
        run.epoch_ended.connect(lambda msg: run.stop() if msg.epoch == 0 else None)
        qtbot.waitUntil(lambda: len(docks.runs.items()) == 1, timeout=TIMEOUT)
        project = docks.project()
        [stored] = project.runs
        assert stored.status == "stopped"
        item = docks.runs.items()[0]
        assert item.text(1) == "stopped at epoch 1/3"
        assert "checkpoint after epoch 1" in item.toolTip(1)
        assert w.document.is_modified() and w.document.stack.index >= undo_depth  # nothing undone or saved
        assert w.document.graph.node(node.id).y == moved and w.document.stack.can_undo()

        docks.runs.tree.setCurrentItem(item)
        resume = docks.runs.buttons["resume"]
        assert resume.isEnabled()
        menu = docks.runs.context_menu(stored.id)
        assert next(a for a in menu.actions() if a.text() == "Resume").isEnabled()
        checkpoint = project.weights(stored.id, checkpoint="last")
        qtbot.mouseClick(resume, Qt.MouseButton.LeftButton)
        assert docks.session.running
        qtbot.waitUntil(lambda: not docks.session.running and project.run(stored.id).status == "finished",
                        timeout=TIMEOUT)
        assert [r.id for r in project.runs] == [stored.id]  # the same run continued
        assert list(docks.session.run.history.epoch.x.data) == [1.0, 2.0, 3.0]  # live curves: the whole run
        assert docks.runs.items()[0].text(1) == "finished"
        assert list(project.history(stored.id)["epoch/x"]) == [1.0, 2.0, 3.0]
        final = project.weights(stored.id)
        assert any(not np.array_equal(a, b) for k in checkpoint for a, b in zip(checkpoint[k], final[k]))
        assert not project.run(stored.id).checkpoints
        tf_guard()
    finally:
        docks.close()
        w.document.mark_saved()
        w.projects.timer.stop()


@pytest.mark.tf
@pytest.mark.slow
def test_a_crashed_run_is_kept_as_failed(qtbot: Any, tf_guard: Any) -> None:
    w, docks = open_window(qtbot, mlp_graph())
    try:
        docks.panel.data.set_recipe(XOR)
        configure(docks, epochs=50, **{"monitors.tensorboard": True})
        qtbot.mouseClick(docks.panel.start_button, Qt.MouseButton.LeftButton)
        run = docks.session.run
        run.epoch_ended.connect(lambda msg: os.kill(run.worker.process.pid, signal.SIGKILL) if msg.epoch == 1
                                else None)
        qtbot.waitUntil(lambda: len(docks.runs.items()) == 1, timeout=TIMEOUT)
        assert isinstance(run.result, Failed)
        [stored] = docks.project().runs
        assert stored.status == "failed"
        assert docks.runs.items()[0].text(1).startswith("failed: the training process was ended by SIGKILL")
        assert len(docks.project().history(stored.id)["epoch/x"]) >= 2  # the history so far
        log_dir = Path(stored.info["tensorboard"])  # a project never saved: under the user data folder
        assert log_dir.parent.parent == Path(os.environ["LAYERBENCH_DATA_DIR"]) / "tensorboard"
        assert list(log_dir.glob("events.out.tfevents.*"))
        assert f"TensorBoard event files: {log_dir}" in w.log.toPlainText()
        assert str(log_dir) in docks.runs.items()[0].toolTip(1)
        tf_guard()
    finally:
        docks.close()
        w.document.mark_saved()
        w.projects.timer.stop()


def test_resume_of_an_edited_graph_asks_and_can_be_refused(qtbot: Any, window: Any, tmp_path: Path,
                                                           dialogs: list[tuple[str, str]],
                                                           monkeypatch: pytest.MonkeyPatch) -> None:
    from desktop.panels.training_docks import install_training_docks

    docks = install_training_docks(window)
    project = docks.project()
    run_id = stored_stopped_run(project, tmp_path, window.document.graph.to_dict())
    docks.runs.refresh()
    assert docks.runs.items()[0].text(1) == "stopped at epoch 1/4"
    node = next(n for n in window.document.graph.nodes if n.type == "Conv2D")
    window.document.graph.set_params(node.id, {"filters": 3})
    started: list[str] = []
    monkeypatch.setattr(docks, "_begin", lambda *a, **k: started.append("resume"))
    monkeypatch.setattr(docks, "start", lambda: started.append("fresh"))
    monkeypatch.setattr(QMessageBox, "question", lambda *a, **k: QMessageBox.StandardButton.Cancel)
    docks.resume(run_id)
    assert started == []
    monkeypatch.setattr(QMessageBox, "question", lambda *a, **k: QMessageBox.StandardButton.Yes)
    docks.resume(run_id)
    assert started == ["fresh"]
    window.document.graph.set_params(node.id, {"filters": 8})
    docks.resume(run_id)
    assert started == ["fresh", "resume"]


def test_a_finished_run_cannot_be_resumed(qtbot: Any, window: Any, tmp_path: Path) -> None:
    from desktop.panels.training_docks import install_training_docks

    docks = install_training_docks(window)
    project = docks.project()
    config = TrainingConfig.from_dict({"epochs": 2})
    result = Finished({"loss": 0.3}, 2, False, str(tmp_path / "final.weights.h5"), "", "CPU:0", 1.0, 2.0)
    run_id = store_run(project, {"epoch/x": np.array([1.0, 2.0])}, config, result, batches=5)
    docks.runs.refresh()
    docks.runs.tree.setCurrentItem(docks.runs.item_for(run_id))
    assert not docks.runs.buttons["resume"].isEnabled()
    menu = docks.runs.context_menu(run_id)
    assert not next(a for a in menu.actions() if a.text() == "Resume").isEnabled()


@pytest.mark.tf
@pytest.mark.slow
def test_a_cli_run_overlays_with_batches_at_epoch_positions(qtbot: Any, tmp_path: Path, window: Any,
                                                            capsys: pytest.CaptureFixture[str]) -> None:
    import subprocess
    import sys

    from desktop.panels.training_docks import install_training_docks

    path = tmp_path / "p.layerbench"
    Project(graphs={"main": mlp_graph()}, data={"source": "toy.xor", "options": {"samples": 200}},
            training={"epochs": 2, "batch_size": 40}).save(path)
    done = subprocess.run([sys.executable, "-c", "import sys; from core.cli import main; sys.exit(main())",
                           "train", str(path)], capture_output=True, text=True, timeout=300, check=False)
    assert done.returncode == 0, done.stderr
    assert window.projects.load_path(path)
    docks = install_training_docks(window)
    docks.tick()
    [run] = docks.project().runs
    assert run.info["batches"] == 4
    docks.reopen(run.id)
    [curves] = [c for c in docks.curves() if c.key == run.id]
    assert curves.batches == 4
    docks.dashboard.tabs.setCurrentWidget(docks.dashboard.metrics)
    qtbot.waitUntil(docks.host.shown)
    docks.tick()
    x, _y = docks.dashboard.metrics.plots["loss"].data[f"{run.id}:batch/loss"]
    assert x[-1] == pytest.approx(2.0) and x[3] == pytest.approx(1.0)  # 8 batches over 2 epochs
