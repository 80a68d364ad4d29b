"""Re-opening a stored run from the runs list: no edit (and no modified document) when the run trained with the
project's settings; otherwise one undoable edit named after the run, kept apart from the form edits around it."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QPushButton

from core.training.config import TrainingConfig
from core.training.messages import Finished
from desktop.panels.run_settings import normalised
from desktop.panels.runs import store_run
from desktop.panels.training_docks import TrainingDocks, install_training_docks
from tests.desktop.test_plots import filled_history


def stored(project: Any, tmp: Path, settings: dict[str, Any]) -> str:
    result = Finished({"loss": 0.1}, 10, False, str(tmp / "w.h5"), str(tmp / "h.npz"), "CPU:0", 1.0, 2.0)
    return store_run(project, filled_history(30).arrays(), TrainingConfig.from_dict(settings), result, batches=3)


def open_from_list(qtbot: Any, docks: TrainingDocks, run_id: str) -> None:
    """Select the run in the runs list and press its Open button."""
    docks.runs.refresh()
    docks.runs.tree.setCurrentItem(docks.runs.item_for(run_id))
    qtbot.mouseClick(docks.runs.findChild(QPushButton, "runs_open"), Qt.MouseButton.LeftButton)
    assert docks.current == run_id


def optimizer_shown(docks: TrainingDocks) -> tuple[str, float]:
    config = docks.panel.form.config()
    return config.optimizer.name, config.optimizer.learning_rate


def test_a_run_with_the_projects_settings_reopens_without_an_edit(qtbot: Any, window: Any, tmp_path: Path) -> None:
    docks = install_training_docks(window)
    project = docks.project()
    try:
        assert project.training == {}  # a fresh project: its settings are the defaults the form shows
        same_as_defaults = stored(project, tmp_path, {})
        stack, before = window.document.stack, len(window.document.stack)
        window.document.mark_saved()
        open_from_list(qtbot, docks, same_as_defaults)
        assert len(stack) == before and not stack.can_undo()
        assert not window.document.is_modified()
        assert project.training == {}

        settings = {"optimizer": {"name": "sgd", "learning_rate": 0.05}, "epochs": 3}
        project.training.update(TrainingConfig.from_dict(settings).to_dict())  # settings written in full
        docks.panel.form.set_values(project.training)
        same_as_written = stored(project, tmp_path, settings)
        open_from_list(qtbot, docks, same_as_written)
        assert len(stack) == before and not window.document.is_modified()
        assert optimizer_shown(docks) == ("sgd", 0.05)
    finally:
        docks.close()


def test_a_run_with_other_settings_is_one_named_undoable_edit(qtbot: Any, window: Any, tmp_path: Path) -> None:
    docks = install_training_docks(window)
    project = docks.project()
    try:
        stored(project, tmp_path, {})
        other = stored(project, tmp_path, {"optimizer": {"name": "sgd", "learning_rate": 0.1}, "epochs": 4})
        stack, before = window.document.stack, len(window.document.stack)
        window.document.mark_saved()
        open_from_list(qtbot, docks, other)
        assert len(stack) == before + 1
        assert stack.undo_text() == "Use settings of Run 2"
        assert window.document.is_modified()
        assert optimizer_shown(docks) == ("sgd", 0.1) and docks.panel.form.config().epochs == 4
        assert project.training["optimizer"]["name"] == "sgd" and project.training["epochs"] == 4

        # a form edit after it is a step of its own, not merged into the re-open
        lr = docks.panel.form.editors["optimizer.learning_rate"]
        lr.selectAll()
        qtbot.keyClicks(lr, "0.25")
        assert stack.undo_text().startswith("Edit training settings") and len(stack) == before + 2
        assert project.training["optimizer"]["learning_rate"] == 0.25
        window.actions_by_id["edit.undo"].trigger()
        assert optimizer_shown(docks) == ("sgd", 0.1) and stack.undo_text() == "Use settings of Run 2"

        window.actions_by_id["edit.undo"].trigger()  # back to the project's own settings, in the form too
        assert optimizer_shown(docks) == ("adam", 0.001) and docks.panel.form.config().epochs == 10
        assert normalised(project.training) == TrainingConfig().to_dict()
        assert not window.document.is_modified()
        window.actions_by_id["edit.redo"].trigger()
        assert optimizer_shown(docks) == ("sgd", 0.1) and project.training["epochs"] == 4
    finally:
        docks.close()


def test_a_renamed_run_names_the_edit_by_its_name(qtbot: Any, window: Any, tmp_path: Path) -> None:
    docks = install_training_docks(window)
    project = docks.project()
    try:
        run_id = stored(project, tmp_path, {"batch_size": 8})
        docks.runs.rename(run_id, "Small batches")
        open_from_list(qtbot, docks, run_id)
        assert window.document.stack.undo_text() == "Use settings of Small batches"
        assert docks.panel.form.config().batch_size == 8
    finally:
        docks.close()
