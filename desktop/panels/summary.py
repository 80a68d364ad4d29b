"""The model summary: a live table like Keras's ``model.summary()`` with totals and a memory estimate."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QObject, QPersistentModelIndex, Qt, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QSpinBox,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from core.catalog.common import fmt
from core.graph.model import Graph
from core.translate.shapes import GraphInfo, NodeInfo
from desktop.icons import category_icon
from desktop.theme import colors

COLUMNS = ("Layer", "Type", "Output shape", "Params", "FLOPs", "Receptive field")
ID_ROLE = Qt.ItemDataRole.UserRole + 1


def human_bytes(n: float) -> str:
    for unit in ("B", "KB", "MB", "GB"):
        if n < 1024 or unit == "GB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1024
    return f"{n:.1f} GB"


def human_count(n: int) -> str:
    if n >= 1_000_000_000:
        return f"{n / 1e9:.2f} G"
    if n >= 1_000_000:
        return f"{n / 1e6:.2f} M"
    if n >= 1_000:
        return f"{n / 1e3:.1f} k"
    return str(n)


def _cells(info: NodeInfo) -> tuple[str, str, str, str]:
    if info.error is not None:
        return "invalid", "", "", ""
    shape = fmt(info.outputs[0]) if info.outputs else "?"
    rf = f"{info.rf.size} px" if info.rf is not None else ""
    return shape, f"{info.params:,}", human_count(info.flops) if info.flops else "", rf


class SummaryModel(QAbstractTableModel):
    """One row per node in graph order; rebuilt (model reset) after each inference."""

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.rows: list[tuple[str, str, tuple[str, ...]]] = []
        """``(node id, category, cells)`` per row."""

    def set_rows(self, rows: list[tuple[str, str, tuple[str, ...]]]) -> None:
        self.beginResetModel()
        self.rows = rows
        self.endResetModel()

    def rowCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self.rows)

    def columnCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(COLUMNS)

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.DisplayRole:
            return COLUMNS[section]
        return None

    def data(self, index: QModelIndex | QPersistentModelIndex, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        node_id, category, cells = self.rows[index.row()]
        col = index.column()
        if role == Qt.ItemDataRole.DisplayRole:
            return cells[col]
        if role == ID_ROLE:
            return node_id
        if role == Qt.ItemDataRole.DecorationRole and col == 1:
            return category_icon(category)
        if role == Qt.ItemDataRole.TextAlignmentRole and col in (3, 4):
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        if role == Qt.ItemDataRole.ForegroundRole and cells[col] == "invalid":
            return colors().error
        return None


class SummaryPanel(QWidget):
    """Rows in graph order; ``node_clicked`` when a row is clicked."""

    node_clicked = Signal(str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.model = SummaryModel(self)
        self.table = QTableView()
        self.table.setModel(self.model)
        self.table.verticalHeader().hide()
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setAlternatingRowColors(True)
        self.table.setShowGrid(False)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        header.setResizeContentsPrecision(100)  # sizing reads 100 rows, not every row of a large model
        header.setStretchLastSection(False)
        self.table.verticalHeader().setDefaultSectionSize(self.fontMetrics().height() + 8)
        self.totals = QLabel()
        self.totals.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.batch = QSpinBox(minimum=1, maximum=65536, value=32, prefix="batch ")
        self.batch.setToolTip("Batch size for the activation-memory estimate")
        self.memory = QLabel()
        foot = QHBoxLayout()
        foot.addWidget(self.totals, 1)
        foot.addWidget(self.memory)
        foot.addWidget(self.batch)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addWidget(self.table)
        layout.addLayout(foot)
        self.graph: Graph | None = None
        self.info: GraphInfo | None = None
        self.table.clicked.connect(self._on_clicked)
        self.batch.valueChanged.connect(self._update_memory)

    def show_info(self, graph: Graph, info: GraphInfo) -> None:
        self.graph, self.info = graph, info
        order = info.order or [n.id for n in graph.nodes]
        rows: list[tuple[str, str, tuple[str, ...]]] = []
        for node_id in order:
            node = graph.node(node_id)
            cells = (node.name, node.spec.title, *_cells(info.nodes.get(node_id, NodeInfo(blocked=True))))
            rows.append((node_id, node.spec.category, cells))
        resize = len(rows) != len(self.model.rows)
        self.model.set_rows(rows)
        if resize:
            self.table.resizeColumnsToContents()
        self.totals.setText(
            f"Total params: <b>{info.total_params:,}</b> (trainable {info.trainable:,}, "
            f"non-trainable {info.non_trainable:,}) · FLOPs per sample: <b>{human_count(info.flops)}</b>"
        )
        self._update_memory()

    def _update_memory(self) -> None:
        if self.info is None:
            return
        mem = self.info.activation_bytes(self.batch.value())
        self.memory.setText(f"Activations: <b>{human_bytes(mem)}</b> at")

    def row_of(self, node_id: str) -> int:
        return next((i for i, (nid, _, _) in enumerate(self.model.rows) if nid == node_id), -1)

    def cell_text(self, node_id: str, column: str) -> str:
        row = self.row_of(node_id)
        return self.model.rows[row][2][COLUMNS.index(column)] if row >= 0 else ""

    def _on_clicked(self, index: QModelIndex) -> None:
        if index.isValid():
            self.node_clicked.emit(str(self.model.rows[index.row()][0]))
