"""The layer palette: every layer of the catalog by category, with search, drag and double-click.

Dragging an entry carries its type id as ``application/x-layerbench-layer``; the canvas view turns the
drop into an ``AddNode`` (or an insertion when dropped on an edge).
"""

from __future__ import annotations

from collections.abc import Sequence

from PySide6.QtCore import QMimeData, Qt, Signal
from PySide6.QtGui import QFont
from PySide6.QtWidgets import (
    QAbstractItemView,
    QLineEdit,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from core.catalog.registry import by_category
from core.catalog.specs import LayerSpec
from desktop.canvas.view import LAYER_MIME
from desktop.icons import category_icon

TYPE_ROLE = Qt.ItemDataRole.UserRole + 1


def layer_tooltip(spec: LayerSpec) -> str:
    return f"<b>{spec.title}</b> <span style='color:gray'>({spec.category})</span><p>{spec.doc}</p>"


class LayerTree(QTreeWidget):
    """The tree of layers; a drag of a layer entry carries its type id."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setHeaderHidden(True)
        self.setDragEnabled(True)
        self.setDragDropMode(QAbstractItemView.DragDropMode.DragOnly)
        self.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.setIndentation(14)
        self.setUniformRowHeights(True)
        self.setAnimated(True)

    def mimeTypes(self) -> list[str]:
        return [LAYER_MIME]

    def mimeData(self, items: Sequence[QTreeWidgetItem]) -> QMimeData:
        mime = QMimeData()
        type_ids = [i.data(0, TYPE_ROLE) for i in items if i.data(0, TYPE_ROLE)]
        if type_ids:
            mime.setData(LAYER_MIME, str(type_ids[0]).encode())
            mime.setText(str(type_ids[0]))
        return mime


class Palette(QWidget):
    """Search box over the layer tree; ``activated`` is a double-click (or Enter) on a layer."""

    activated = Signal(str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.search = QLineEdit(placeholderText="Search layers…", clearButtonEnabled=True)
        self.tree = LayerTree()
        layout = QVBoxLayout(self)
        layout.setContentsMargins(6, 6, 6, 6)
        layout.setSpacing(6)
        layout.addWidget(self.search)
        layout.addWidget(self.tree)
        self._fill()
        self.search.textChanged.connect(self.filter)
        self.tree.itemActivated.connect(self._on_activated)

    def _fill(self) -> None:
        bold = QFont()
        bold.setBold(True)
        for category, specs in by_category():
            top = QTreeWidgetItem([category])
            top.setIcon(0, category_icon(category))
            top.setFont(0, bold)
            top.setFlags(Qt.ItemFlag.ItemIsEnabled)
            self.tree.addTopLevelItem(top)
            for spec in specs:
                child = QTreeWidgetItem([spec.title])
                child.setIcon(0, category_icon(spec.category))
                child.setData(0, TYPE_ROLE, spec.id)
                child.setToolTip(0, layer_tooltip(spec))
                child.setFlags(Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable | Qt.ItemFlag.ItemIsDragEnabled)
                top.addChild(child)
        self.tree.expandAll()

    def _categories(self) -> list[QTreeWidgetItem]:
        items = (self.tree.topLevelItem(i) for i in range(self.tree.topLevelItemCount()))
        return [i for i in items if i is not None]

    def _layers(self) -> list[tuple[QTreeWidgetItem, QTreeWidgetItem]]:
        """``(category item, layer item)`` pairs in palette order."""
        pairs = []
        for top in self._categories():
            for j in range(top.childCount()):
                child = top.child(j)
                if child is not None:
                    pairs.append((top, child))
        return pairs

    def item_for(self, type_id: str) -> QTreeWidgetItem | None:
        return next((child for _, child in self._layers() if child.data(0, TYPE_ROLE) == type_id), None)

    def filter(self, text: str) -> None:
        needle = text.strip().lower()
        shown: dict[int, int] = {}
        for top, child in self._layers():
            hay = f"{child.text(0)} {child.data(0, TYPE_ROLE)} {top.text(0)}".lower()
            hidden = bool(needle) and needle not in hay
            child.setHidden(hidden)
            shown[id(top)] = shown.get(id(top), 0) + (not hidden)
        for top in self._categories():
            top.setHidden(shown.get(id(top), 0) == 0)
            top.setExpanded(True)

    def visible_types(self) -> list[str]:
        return [str(child.data(0, TYPE_ROLE)) for _, child in self._layers() if not child.isHidden()]

    def _on_activated(self, item: QTreeWidgetItem, column: int) -> None:
        type_id = item.data(0, TYPE_ROLE)
        if type_id:
            self.activated.emit(str(type_id))
