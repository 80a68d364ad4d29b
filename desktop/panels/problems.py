"""The problems list: every validation error, each pointing at its node when it has one."""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QListWidget, QListWidgetItem, QStyle, QWidget

from core.graph.model import Graph
from core.translate.shapes import GraphInfo

ID_ROLE = Qt.ItemDataRole.UserRole + 1


class ProblemsPanel(QListWidget):
    """``node_clicked`` names the node of the clicked problem; ``count_changed`` feeds the dock title."""

    node_clicked = Signal(str)
    count_changed = Signal(int)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWordWrap(True)
        self.setAlternatingRowColors(True)
        self.itemClicked.connect(self._on_clicked)
        self.itemActivated.connect(self._on_clicked)

    def show_info(self, graph: Graph, info: GraphInfo) -> None:
        self.clear()
        icon = self.style().standardIcon(QStyle.StandardPixmap.SP_MessageBoxWarning)
        for error in info.errors:
            item = QListWidgetItem(icon, str(error))
            if error.node_id is not None and graph.has_node(error.node_id):
                item.setData(ID_ROLE, error.node_id)
                item.setToolTip(f"Click to show {graph.node(error.node_id).name}")
            self.addItem(item)
        if not info.errors and len(graph):
            ok = QListWidgetItem(self.style().standardIcon(QStyle.StandardPixmap.SP_DialogApplyButton),
                                 "No problems: the network can be built.")
            ok.setFlags(Qt.ItemFlag.ItemIsEnabled)
            self.addItem(ok)
        self.count_changed.emit(len(info.errors))

    def _on_clicked(self, item: QListWidgetItem) -> None:
        node_id = item.data(ID_ROLE)
        if node_id:
            self.node_clicked.emit(str(node_id))
