"""The runs list on runs stored in the project (no training process): rename, delete, re-open, overlay,
and that runs survive saving the project."""

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

    docks.runs.delete(first)
    assert [r.id for r in project.runs] == [second]
    docks.tick()
    assert not any(k.startswith(first) for k in loss.curves)

    path = project.save(tmp_path / "p.layerbench")
    again = Project.load(path)
    assert [r.label for r in again.runs] == [project.run(second).label]
    assert len(again.history(second)["batch/loss"]) == 600
    docks.close()
