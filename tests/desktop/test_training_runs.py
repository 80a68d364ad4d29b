"""The runs list on runs stored in the project (no training process): rename, delete (asked, undoable),
re-open (with its learning-rate curve and its gradient colours on the canvas), overlay, and that runs survive
saving the project."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
from PySide6.QtCore import Qt

from core.project import Project
from core.training.config import TrainingConfig
from core.training.messages import Finished
from desktop.panels.runs import store_run
from desktop.panels.training_docks import install_training_docks
from tests.desktop.test_plots import filled_history


def fake_run(project: Any, tmp: Path, optimizer: str, steps: int) -> str:
    config = TrainingConfig.from_dict({"optimizer": {"name": optimizer}})
    result = Finished({"loss": 0.1, "val_loss": 0.2}, 10, False, str(tmp / "final.weights.h5"),
                      str(tmp / "history.npz"), "/device:CPU:0", 1.5, 3.0)
    return store_run(project, filled_history(steps).arrays(), config, result, batches=30)


def test_runs_list_rename_delete_reopen_overlay(qtbot: Any, window: Any, tmp_path: Path) -> None:
    docks = install_training_docks(window)
    project = docks.project()
    first = fake_run(project, tmp_path, "adam", 300)
    second = fake_run(project, tmp_path, "sgd", 600)
    docks.runs.refresh()
    assert [i.text(0) for i in docks.runs.items()] == ["Run 2 — SGD (mini-batch), lr 0.001",
                                                       "Run 1 — Adam, lr 0.001"]
    docks.runs.rename(first, "Adam baseline")
    assert project.run(first).label == "Adam baseline"
    assert window.document.is_modified()

    docks.docks["dashboard"].raise_()
    docks.dashboard.tabs.setCurrentWidget(docks.dashboard.metrics)
    qtbot.waitUntil(docks.host.shown)
    docks.runs.set_ticked(first, True)
    docks.runs.set_ticked(second, True)
    docks.tick()
    loss = docks.dashboard.metrics.plots["loss"]
    assert {f"{first}:batch/loss", f"{second}:batch/loss"} <= set(loss.curves)
    legend = [label.text for _s, label in loss.legend.items]
    assert "Adam baseline: validation" in legend

    docks.runs.tree.setCurrentItem(docks.runs.item_for(second))
    qtbot.mouseClick(docks.runs.findChild(type(docks.panel.start_button), "runs_open"), Qt.MouseButton.LeftButton)
    assert docks.current == second
    assert docks.panel.form.config().optimizer.name == "sgd"
    docks.tick()
    assert f"{second}:epoch/val_loss" in loss.curves
    np.testing.assert_array_equal(loss.data[f"{second}:batch/loss"][1], project.history(second)["batch/loss"])

    docks.runs.ask_delete = lambda _label: True  # type: ignore[method-assign]
    docks.runs.delete(first)
    assert [r.id for r in project.runs] == [second]
    docks.tick()
    assert not any(k.startswith(first) for k in loss.curves)

    path = project.save(tmp_path / "p.layerbench")
    again = Project.load(path)
    assert [r.label for r in again.runs] == [project.run(second).label]
    assert len(again.history(second)["batch/loss"]) == 600
    docks.close()


def test_delete_asks_and_one_undo_brings_the_run_back(qtbot: Any, window: Any, tmp_path: Path) -> None:
    docks = install_training_docks(window)
    project = docks.project()
    first = fake_run(project, tmp_path, "adam", 300)
    second = fake_run(project, tmp_path, "sgd", 300)
    docks.runs.refresh()
    asked: list[str] = []
    answer = False
    docks.runs.ask_delete = lambda label: asked.append(label) or answer  # type: ignore[method-assign]

    docks.runs.tree.setCurrentItem(docks.runs.item_for(first))
    qtbot.mouseClick(docks.runs.buttons["delete"], Qt.MouseButton.LeftButton)
    assert asked == [project.run(first).label]
    assert [r.id for r in project.runs] == [first, second]  # "Cancel": nothing deleted

    answer = True
    qtbot.mouseClick(docks.runs.buttons["delete"], Qt.MouseButton.LeftButton)
    assert [r.id for r in project.runs] == [second]
    assert docks.runs.item_for(first) is None
    assert window.document.stack.undo_text().startswith("Delete run Run 1")
    window.actions_by_id["edit.undo"].trigger()
    assert [r.id for r in project.runs] == [first, second]
    assert docks.runs.item_for(first) is not None
    assert len(project.history(first)["batch/loss"]) == 300  # its curves came back with it
    window.actions_by_id["edit.redo"].trigger()
    assert [r.id for r in project.runs] == [second]
    docks.close()


def test_a_reopened_run_shows_its_learning_rate_and_colours_the_canvas(qtbot: Any, window: Any,
                                                                      tmp_path: Path) -> None:
    docks = install_training_docks(window)
    project = docks.project()
    arrays = {k: v for k, v in filled_history(300).arrays().items() if not k.startswith("grad/")}
    steps = np.arange(10, 301, 10)  # gradients of the window's layers (input -> conv2d_1 -> conv2d_2)
    arrays |= {"grad/x": steps, "grad/conv2d_1": np.full(len(steps), 1e-9), "grad/conv2d_2": np.full(len(steps), 0.5)}
    config = TrainingConfig.from_dict({"optimizer": {"name": "sgd", "learning_rate": 0.1,
                                                     "schedule": {"kind": "exponential", "decay_rate": 0.5,
                                                                  "decay_steps": 30}}})
    result = Finished({"loss": 0.1}, 10, False, str(tmp_path / "w.h5"), str(tmp_path / "h.npz"), "CPU:0", 1.0, 2.0)
    run_id = store_run(project, arrays, config, result, batches=30)
    plain = store_run(project, {k: v for k, v in arrays.items() if not k.startswith("grad/")}, config, result,
                      batches=30)  # no gradient history
    docks.runs.refresh()
    docks.docks["dashboard"].raise_()
    docks.dashboard.tabs.setCurrentWidget(docks.dashboard.metrics)
    qtbot.waitUntil(docks.host.shown)

    docks.reopen(run_id)
    docks.tick()
    plot = docks.dashboard.metrics.plots["learning_rate"]
    _x, y = plot.data[f"{run_id}:epoch/learning_rate"]
    np.testing.assert_allclose(y, 0.1 * 0.5 ** np.arange(1, 11))  # epoch k ends at step 30k: halved each epoch
    assert docks.overlay.status == {"conv2d_1": "vanishing", "conv2d_2": "ok"}
    assert "conv2d_1" in docks.overlay.halos

    docks.reopen(plain)  # a run without gradients leaves the canvas uncoloured
    docks.tick()
    assert docks.overlay.status == {}
    assert not docks.overlay.halos
    assert f"{plain}:epoch/learning_rate" in plot.data
    docks.close()

