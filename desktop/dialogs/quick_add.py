"""Quick add (Ctrl+K): type part of a layer's name, pick with the arrow keys, Enter adds it."""

from __future__ import annotations

from PySide6.QtCore import QEvent, QObject, Qt
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import QDialog, QLineEdit, QListWidget, QListWidgetItem, QVBoxLayout, QWidget

from core.catalog.registry import all_specs
from desktop.icons import category_icon
from desktop.panels.palette import layer_tooltip

TYPE_ROLE = Qt.ItemDataRole.UserRole + 1


def rank(query: str, title: str, type_id: str) -> int | None:
    """Lower is better; ``None`` when the layer does not match at all."""
    q, t, i = query.lower(), title.lower(), type_id.lower()
    if not q:
        return 3
    if t.startswith(q) or i.startswith(q):
        return 0
    if q in t or q in i:
        return 1
    it = iter(t)
    return 2 if all(ch in it for ch in q) else None


class QuickAddDialog(QDialog):
    """A search field over every layer; ``type_id`` is the chosen layer after ``exec``."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Quick add layer")
        self.type_id: str | None = None
        self.search = QLineEdit(placeholderText="Layer name, e.g. conv, dense, dropout…")
        self.list = QListWidget()
        self.list.setMinimumHeight(260)
        layout = QVBoxLayout(self)
        layout.addWidget(self.search)
        layout.addWidget(self.list)
        self.resize(420, 360)
        self.search.textChanged.connect(self.filter)
        self.search.installEventFilter(self)
        self.search.returnPressed.connect(self.accept)
        self.list.itemActivated.connect(lambda _: self.accept())
        self.filter("")

    def filter(self, text: str) -> None:
        self.list.clear()
        scored = [(r, s.title, s) for s in all_specs() if (r := rank(text.strip(), s.title, s.id)) is not None]
        for _, _, spec in sorted(scored, key=lambda t: (t[0], t[1])):
            item = QListWidgetItem(category_icon(spec.category), f"{spec.title}    ·  {spec.category}")
            item.setData(TYPE_ROLE, spec.id)
            item.setToolTip(layer_tooltip(spec))
            self.list.addItem(item)
        if self.list.count():
            self.list.setCurrentRow(0)

    def eventFilter(self, obj: QObject, event: QEvent) -> bool:
        if obj is self.search and isinstance(event, QKeyEvent) and event.type() == QEvent.Type.KeyPress:
            key = event.key()
            if key in (Qt.Key.Key_Down, Qt.Key.Key_Up):
                step = 1 if key == Qt.Key.Key_Down else -1
                row = min(max(self.list.currentRow() + step, 0), self.list.count() - 1)
                self.list.setCurrentRow(row)
                return True
        return super().eventFilter(obj, event)

    def accept(self) -> None:
        item = self.list.currentItem()
        self.type_id = str(item.data(TYPE_ROLE)) if item is not None else None
        if self.type_id is None:
            return
        super().accept()
