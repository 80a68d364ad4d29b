"""The model summary: a live table like Keras's ``model.summary()`` with totals and a memory estimate."""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QSpinBox,
    QTableWidget,
    QTableWidgetItem,
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


class SummaryPanel(QWidget):
    """Rows in graph order; ``node_clicked`` when a row is clicked."""

    node_clicked = Signal(str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.table = QTableWidget(0, len(COLUMNS))
        self.table.setHorizontalHeaderLabels(COLUMNS)
        self.table.verticalHeader().hide()
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setAlternatingRowColors(True)
        self.table.setShowGrid(False)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
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
        self.table.cellClicked.connect(self._on_clicked)
        self.batch.valueChanged.connect(self._update_memory)

    def show_info(self, graph: Graph, info: GraphInfo) -> None:
        self.graph, self.info = graph, info
        order = info.order or [n.id for n in graph.nodes]
        self.table.setRowCount(len(order))
        for row, node_id in enumerate(order):
            node = graph.node(node_id)
            cells = (node.name, node.spec.title, *_cells(info.nodes.get(node_id, NodeInfo(blocked=True))))
            for col, text in enumerate(cells):
                item = QTableWidgetItem(text)
                item.setData(ID_ROLE, node_id)
                if col in (3, 4):
                    item.setTextAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
                if col == 1:
                    item.setIcon(category_icon(node.spec.category))
                if text == "invalid":
                    item.setForeground(colors().error)
                self.table.setItem(row, col, item)
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
        for row in range(self.table.rowCount()):
            item = self.table.item(row, 0)
            if item is not None and item.data(ID_ROLE) == node_id:
                return row
        return -1

    def cell_text(self, node_id: str, column: str) -> str:
        row = self.row_of(node_id)
        item = self.table.item(row, COLUMNS.index(column)) if row >= 0 else None
        return item.text() if item is not None else ""

    def _on_clicked(self, row: int, column: int) -> None:
        item = self.table.item(row, 0)
        if item is not None:
            self.node_clicked.emit(str(item.data(ID_ROLE)))
