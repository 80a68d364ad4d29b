"""Runs kept in the project: the list to rename, delete, re-open, resume and tick for overlaying curves.

Every run that ends is kept (``keep``, through ``core.training.runstore``): finished, stopped or failed, with
its config, graph snapshot, final metrics, device, history and weights; a stopped or failed run also keeps its
last checkpoint, so "Resume" (button and context menu) trains its remaining epochs and the same run continues.
Adding a run is not an undoable command (it never was): the document is marked modified, nothing is saved,
so unsaved edits stay as they are. Deleting one asks first and is an undoable command (``DeleteRun``) on the
document's stack: its record goes back in place, with its weights and history (their bytes stay in the project
until it is saved without the run).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
from PySide6.QtCore import QPoint, Qt, Signal
from PySide6.QtWidgets import (
    QHBoxLayout,
    QInputDialog,
    QLabel,
    QMenu,
    QMessageBox,
    QPushButton,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from core.graph.undo import Command
from core.training.config import TrainingConfig
from core.training.messages import Failed, Finished
from core.training.runstore import (
    RunRecord,
    default_label,
    graph_changed,
    resume_record,
    status_text,
    why_not_resumable,
)
from core.training.runstore import store_run as keep_run

COLUMNS = ("Run", "Status", "Loss", "Val. loss", "Accuracy", "Val. acc.", "Device", "Started")
__all__ = ["COLUMNS", "RunsPanel", "default_label", "keep", "store_run"]


def store_run(project: Any, history: dict[str, np.ndarray], config: TrainingConfig, result: Finished | Failed,
              batches: int, label: str = "", graph: dict[str, Any] | None = None,
              run_dir: str | Path | None = None) -> str:
    """Keep a run in ``project`` from its parts (its id); ``keep`` does it for the session's current run."""
    return keep_run(project, result, RunRecord(config, run_dir, history, batches, graph, label=label))


def keep(project: Any, run: Any, result: Finished | Failed, session: Any) -> str:
    """Keep the session's run that just ended (or update the stored run it resumed); returns the run id."""
    record = session.record or RunRecord(session.config, graph=run.job.graph, data=run.job.data)
    record.run_dir, record.live = run.job.run_dir, run.history.arrays()
    record.batches = session.progress.batches or record.batches
    return keep_run(project, result, record)


class DeleteRun(Command):
    """Remove a run from the project; undo puts the same record back at its place in the list."""

    def __init__(self, project: Any, run_id: str, notify: Callable[[], None] | None = None) -> None:
        self.project, self.run, self.notify = project, project.run(run_id), notify
        self.index = project.runs.index(self.run)
        self.text = f"Delete run {self.run.label or self.run.id}"

    def redo(self) -> None:
        self.index = self.project.runs.index(self.run)
        self.project.runs.remove(self.run)
        self._notify()

    def undo(self) -> None:
        self.project.runs.insert(min(self.index, len(self.project.runs)), self.run)
        self._notify()

    def _notify(self) -> None:
        if self.notify is not None:
            self.notify()


def details(run: Any) -> str:
    """The tooltip of a run: its status, checkpoint, TensorBoard folder and error in full."""
    info = run.info
    lines = [f"{run.label or run.id} ({run.id}): {status_text(run)}"]
    if "checkpoint" in info:
        lines.append(f"checkpoint after epoch {info['checkpoint']['epoch']}: Resume trains the remaining epochs")
    if info.get("tensorboard"):
        lines.append(f"TensorBoard: tensorboard --logdir \"{Path(info['tensorboard']).parent}\" "
                     f"(this run: {info['tensorboard']})")
    if info.get("error"):
        lines.append(str(info["error"]))
    return "\n".join(lines)


class RunsPanel(QWidget):
    """``overlay_changed`` carries the ticked run ids; ``reopened`` a run id to show as the current run;
    ``resume_requested`` a stopped or failed run to train on from its checkpoint."""

    overlay_changed = Signal(list)
    reopened = Signal(str)
    resume_requested = Signal(str)
    changed = Signal()

    def __init__(self, project: Callable[[], Any], push: Callable[[Command], str | None] | None = None,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.project = project
        self.push = push
        """Pushes a command on the document's undo stack (None: deletions are not undoable)."""
        self.tree = QTreeWidget()
        self.tree.setObjectName("runs_list")
        self.tree.setHeaderLabels(list(COLUMNS))
        self.tree.setRootIsDecorated(False)
        self.tree.setAlternatingRowColors(True)
        self.tree.itemChanged.connect(self._item_changed)
        self.tree.itemDoubleClicked.connect(
            lambda item, _col: self.reopened.emit(item.data(0, Qt.ItemDataRole.UserRole)))
        self.tree.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        self.tree.customContextMenuRequested.connect(self._context_menu)
        self.tree.itemSelectionChanged.connect(self._selection_changed)
        self.hint = QLabel("Tick runs to overlay their curves; double-click to re-open one.")
        self.hint.setWordWrap(True)
        buttons = QHBoxLayout()
        self.buttons: dict[str, QPushButton] = {}
        for text, slot in (("Open", self.reopen_selected), ("Rename…", self.rename_selected),
                           ("Resume", self.resume_selected), ("Delete", self.delete_selected)):
            button = QPushButton(text)
            button.setObjectName(f"runs_{text.rstrip('…').lower()}")
            button.clicked.connect(slot)
            buttons.addWidget(button)
            self.buttons[text.rstrip("…").lower()] = button
        self.buttons["resume"].setEnabled(False)
        self.buttons["resume"].setToolTip("Train the remaining epochs of a stopped or failed run from its checkpoint")
        buttons.addStretch(1)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(2, 2, 2, 2)
        layout.addWidget(self.hint)
        layout.addWidget(self.tree, 1)
        layout.addLayout(buttons)
        self._filling = False

    # ---- list ----------------------------------------------------------------------------------
    def refresh(self) -> None:
        project = self.project()
        ticked = set(self.ticked())
        self._filling = True
        self.tree.clear()
        for run in reversed(project.runs if project is not None else []):
            logs = run.info.get("logs", {})
            cells = [run.label or run.id, status_text(run), _num(logs.get("loss")), _num(logs.get("val_loss")),
                     _num(logs.get("accuracy")), _num(logs.get("val_accuracy")), str(run.info.get("device", "")),
                     run.created.replace("T", " ")[:16]]
            item = QTreeWidgetItem(cells)
            item.setData(0, Qt.ItemDataRole.UserRole, run.id)
            item.setFlags(item.flags() | Qt.ItemFlag.ItemIsUserCheckable | Qt.ItemFlag.ItemIsEditable)
            item.setCheckState(0, Qt.CheckState.Checked if run.id in ticked else Qt.CheckState.Unchecked)
            for col in (0, 1):
                item.setToolTip(col, details(run))
            self.tree.addTopLevelItem(item)
        for col in range(len(COLUMNS)):
            self.tree.resizeColumnToContents(col)
        self._filling = False
        self._selection_changed()

    def items(self) -> list[QTreeWidgetItem]:
        found = (self.tree.topLevelItem(i) for i in range(self.tree.topLevelItemCount()))
        return [item for item in found if item is not None]

    def item_for(self, run_id: str) -> QTreeWidgetItem | None:
        return next((i for i in self.items() if i.data(0, Qt.ItemDataRole.UserRole) == run_id), None)

    def ticked(self) -> list[str]:
        return [i.data(0, Qt.ItemDataRole.UserRole) for i in self.items() if i.checkState(0) == Qt.CheckState.Checked]

    def set_ticked(self, run_id: str, on: bool) -> None:
        item = self.item_for(run_id)
        if item is not None:
            item.setCheckState(0, Qt.CheckState.Checked if on else Qt.CheckState.Unchecked)

    def _item_changed(self, item: QTreeWidgetItem, column: int) -> None:
        if self._filling:
            return
        run_id = item.data(0, Qt.ItemDataRole.UserRole)
        project = self.project()
        if column == 0 and project is not None:
            label = item.text(0).strip()
            run = project.run(run_id)
            if label and label != run.label:
                run.label = label
                self.changed.emit()
        self.overlay_changed.emit(self.ticked())

    def _selected(self) -> str | None:
        items = self.tree.selectedItems()
        return items[0].data(0, Qt.ItemDataRole.UserRole) if items else None

    def _selection_changed(self) -> None:
        run_id, project = self._selected(), self.project()
        ok = bool(run_id) and project is not None and why_not_resumable(project.run(run_id)) is None
        self.buttons["resume"].setEnabled(ok)

    def context_menu(self, run_id: str) -> QMenu:
        """Open, Rename…, Resume (only for a run that can be resumed) and Delete for ``run_id``."""
        menu = QMenu(self)
        reason = why_not_resumable(self.project().run(run_id))
        for text, slot in (("Open", self.reopened.emit), ("Rename…", self._rename_dialog),
                           ("Resume", self.resume_requested.emit), ("Delete", self.delete)):
            action = menu.addAction(text)
            action.setObjectName(f"runs_menu_{text.rstrip('…').lower()}")
            action.triggered.connect(lambda _=False, slot=slot: slot(run_id))
            if text == "Resume":
                action.setEnabled(reason is None)
                action.setToolTip(reason or "Train the remaining epochs from the run's checkpoint")
        return menu

    def _context_menu(self, pos: QPoint) -> None:
        item = self.tree.itemAt(pos)
        if item is not None:
            self.context_menu(item.data(0, Qt.ItemDataRole.UserRole)).exec(self.tree.viewport().mapToGlobal(pos))

    # ---- actions -------------------------------------------------------------------------------
    def resume_selected(self) -> None:
        run_id = self._selected()
        if run_id:
            self.resume_requested.emit(run_id)

    def plan_resume(self, run_id: str, session: Any, current_graph: dict[str, Any]) -> Any:
        """Lay out ``run_id``'s checkpoint for the session: ``(plan, record, run_dir)``; ``"fresh"`` when the
        graph was edited since and the user chose to train it afresh; None (with a message) otherwise."""
        project = self.project()
        run = project.run(run_id)
        reason = why_not_resumable(run)
        if reason is not None:
            self.message(reason)
            return None
        if graph_changed(run, current_graph):
            return "fresh" if self.ask_start_fresh(run.label or run.id) else None
        run_dir = session.new_run_dir()
        plan, record = resume_record(project, run_id, run_dir)
        return plan, record, run_dir

    def ask_start_fresh(self, label: str) -> bool:
        """The graph changed since the run: its checkpoint does not fit; offer a fresh run instead."""
        answer = QMessageBox.question(
            self, "Resume run", f"The graph was edited since {label} trained it, so its checkpoint no longer fits "
            "the graph. Start a fresh run of the edited graph instead?",
            QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.Cancel, QMessageBox.StandardButton.Cancel)
        return answer == QMessageBox.StandardButton.Yes

    def message(self, text: str) -> None:
        self.hint.setText(text)

    def reopen_selected(self) -> None:
        run_id = self._selected()
        if run_id:
            self.reopened.emit(run_id)

    def rename(self, run_id: str, label: str) -> None:
        project = self.project()
        project.run(run_id).label = label.strip() or project.run(run_id).label
        self.refresh()
        self.changed.emit()
        self.overlay_changed.emit(self.ticked())

    def rename_selected(self) -> None:
        run_id = self._selected()
        if run_id:
            self._rename_dialog(run_id)

    def _rename_dialog(self, run_id: str) -> None:
        label, ok = QInputDialog.getText(self, "Rename run", "Name:", text=self.project().run(run_id).label)
        if ok:
            self.rename(run_id, label)

    def delete(self, run_id: str, confirm: bool = True) -> bool:
        """Delete a run after asking (``confirm``); one undoable step when the panel can push. True: deleted."""
        project = self.project()
        run = project.run(run_id)
        if confirm and not self.ask_delete(run.label or run.id):
            return False
        if self.push is None:
            project.remove_run(run_id)
            self._runs_changed()
        else:
            self.push(DeleteRun(project, run_id, self._runs_changed))
        return True

    def ask_delete(self, label: str) -> bool:
        undo = " Edit ▸ Undo brings it back." if self.push is not None else " This cannot be undone."
        answer = QMessageBox.question(
            self, "Delete run", f"Delete the run “{label}” with its curves and weights?{undo}",
            QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.Cancel, QMessageBox.StandardButton.Cancel)
        return answer == QMessageBox.StandardButton.Yes

    def _runs_changed(self) -> None:
        self.refresh()
        self.changed.emit()
        self.overlay_changed.emit(self.ticked())

    def delete_selected(self) -> None:
        run_id = self._selected()
        if run_id:
            self.delete(run_id)


def _num(value: Any) -> str:
    return f"{float(value):.4g}" if isinstance(value, int | float) else ""
