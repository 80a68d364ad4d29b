"""Runs kept in the project: the list to rename, delete, re-open and tick for overlaying curves.

A finished (or stopped) run is stored with ``store_run``: its config, final metrics, device, history
arrays and weights go into the ``core.project.Project`` (saved with the project file).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QHBoxLayout,
    QInputDialog,
    QLabel,
    QPushButton,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from core.training.checkpoint import RunFolder, load_layer_weights
from core.training.config import OPTIMIZER_TITLES, TrainingConfig
from core.training.messages import Finished

COLUMNS = ("Run", "Status", "Loss", "Val. loss", "Accuracy", "Val. acc.", "Device", "Started")


def default_label(project: Any, config: TrainingConfig) -> str:
    n = len(project.runs) + 1
    opt = OPTIMIZER_TITLES.get(config.optimizer.name, config.optimizer.name)
    return f"Run {n} — {opt}, lr {config.optimizer.learning_rate:g}"


def store_run(project: Any, history: dict[str, np.ndarray], config: TrainingConfig, result: Finished,
              batches: int, label: str = "", graph: dict[str, Any] | None = None) -> str:
    """Keep a run in ``project``: config, final metrics, history, weights and the graph it trained (its id)."""
    info = {"config": config.to_dict(), "graph": graph or {}, "logs": result.logs, "test_logs": result.test_logs,
            "device": result.device, "epochs": result.epochs_done, "batches": batches, "seconds": result.seconds,
            "time_to_first_batch": result.time_to_first_batch}
    run = project.add_run(label=label or default_label(project, config),
                          status="stopped" if result.stopped else "finished", info=info)
    project.set_history(run.id, history)
    folder = RunFolder(Path(result.weights_path).parent)
    if folder.layer_weights.exists():
        project.set_weights(run.id, load_layer_weights(folder.layer_weights))
    return str(run.id)


class RunsPanel(QWidget):
    """``overlay_changed`` carries the ticked run ids; ``reopened`` a run id to show as the current run."""

    overlay_changed = Signal(list)
    reopened = Signal(str)
    changed = Signal()

    def __init__(self, project: Callable[[], Any], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.project = project
        self.tree = QTreeWidget()
        self.tree.setObjectName("runs_list")
        self.tree.setHeaderLabels(list(COLUMNS))
        self.tree.setRootIsDecorated(False)
        self.tree.setAlternatingRowColors(True)
        self.tree.itemChanged.connect(self._item_changed)
        self.tree.itemDoubleClicked.connect(
            lambda item, _col: self.reopened.emit(item.data(0, Qt.ItemDataRole.UserRole)))
        self.hint = QLabel("Tick runs to overlay their curves; double-click to re-open one.")
        self.hint.setWordWrap(True)
        buttons = QHBoxLayout()
        for text, slot in (("Open", self.reopen_selected), ("Rename…", self.rename_selected),
                           ("Delete", self.delete_selected)):
            button = QPushButton(text)
            button.setObjectName(f"runs_{text.rstrip('…').lower()}")
            button.clicked.connect(slot)
            buttons.addWidget(button)
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
            cells = [run.label or run.id, run.status, _num(logs.get("loss")), _num(logs.get("val_loss")),
                     _num(logs.get("accuracy")), _num(logs.get("val_accuracy")), str(run.info.get("device", "")),
                     run.created.replace("T", " ")[:16]]
            item = QTreeWidgetItem(cells)
            item.setData(0, Qt.ItemDataRole.UserRole, run.id)
            item.setFlags(item.flags() | Qt.ItemFlag.ItemIsUserCheckable | Qt.ItemFlag.ItemIsEditable)
            item.setCheckState(0, Qt.CheckState.Checked if run.id in ticked else Qt.CheckState.Unchecked)
            self.tree.addTopLevelItem(item)
        for col in range(len(COLUMNS)):
            self.tree.resizeColumnToContents(col)
        self._filling = False

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

    # ---- actions -------------------------------------------------------------------------------
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
        if not run_id:
            return
        label, ok = QInputDialog.getText(self, "Rename run", "Name:", text=self.project().run(run_id).label)
        if ok:
            self.rename(run_id, label)

    def delete(self, run_id: str) -> None:
        self.project().remove_run(run_id)
        self.refresh()
        self.changed.emit()
        self.overlay_changed.emit(self.ticked())

    def delete_selected(self) -> None:
        run_id = self._selected()
        if run_id:
            self.delete(run_id)


def _num(value: Any) -> str:
    return f"{float(value):.4g}" if isinstance(value, int | float) else ""
