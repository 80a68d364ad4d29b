"""A list of names to tick (metrics, a CSV file's feature columns). Its value is the ticked names in the order
they were given, then names ticked since in list order, so a loaded list reads back exactly as it was."""

from __future__ import annotations

from collections.abc import Iterable

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QListView, QListWidget, QListWidgetItem, QWidget

MISSING_TIP = "not among the names offered here (kept as it was)"


class CheckList(QListWidget):
    """``edited`` fires when the user ticks or unticks a name; ``set_value``/``set_names`` are silent."""

    edited = Signal()

    def __init__(self, names: Iterable[str] = (), parent: QWidget | None = None, wrap: bool = False) -> None:
        super().__init__(parent)
        self._offered: list[str] = []
        self._order: list[str] = []
        self._disabled: set[str] = set()
        self._silent = False
        if wrap:
            self.setFlow(QListView.Flow.LeftToRight)
            self.setWrapping(True)
            self.setResizeMode(QListView.ResizeMode.Adjust)
        self.itemChanged.connect(self._item_changed)
        self.set_names(names)

    def names(self) -> list[str]:
        """Every name listed (offered ones first, then ticked names that are not offered)."""
        return [self._item(i).text() for i in range(self.count())]

    def ticked(self) -> list[str]:
        return [self._item(i).text() for i in range(self.count())
                if self._item(i).checkState() == Qt.CheckState.Checked]

    def value(self) -> list[str]:
        ticked = self.ticked()
        kept = [n for n in self._order if n in ticked]
        return kept + [n for n in ticked if n not in self._order]

    def set_value(self, value: Iterable[str]) -> None:
        self._order = [str(v) for v in value]
        self._rebuild(set(self._order))

    def set_names(self, names: Iterable[str]) -> None:
        """Offer ``names``; a ticked name that is not among them stays listed and ticked."""
        self._offered = [str(n) for n in names]
        self._rebuild(set(self.ticked()))

    def set_disabled(self, names: Iterable[str]) -> None:
        """Grey out ``names`` (their tick state is kept)."""
        self._disabled = set(names)
        self._rebuild(set(self.ticked()))

    def tick(self, name: str, on: bool = True) -> None:
        """Tick or untick ``name`` as the user would (``edited`` fires)."""
        for i in range(self.count()):
            if self._item(i).text() == name:
                self._item(i).setCheckState(Qt.CheckState.Checked if on else Qt.CheckState.Unchecked)

    def _item(self, i: int) -> QListWidgetItem:
        item = self.item(i)
        assert item is not None
        return item

    def _rebuild(self, ticked: set[str]) -> None:
        self._silent = True
        try:
            self.clear()
            extra = [n for n in self._order if n in ticked and n not in self._offered]
            for name in dict.fromkeys(self._offered + extra):
                item = QListWidgetItem(name)
                flags = item.flags() | Qt.ItemFlag.ItemIsUserCheckable
                if name in self._disabled:
                    flags &= ~Qt.ItemFlag.ItemIsEnabled
                item.setFlags(flags)
                item.setCheckState(Qt.CheckState.Checked if name in ticked else Qt.CheckState.Unchecked)
                if name not in self._offered:
                    item.setToolTip(MISSING_TIP)
                    item.setForeground(Qt.GlobalColor.darkRed)
                self.addItem(item)
        finally:
            self._silent = False

    def _item_changed(self, _item: QListWidgetItem) -> None:
        if not self._silent:
            self.edited.emit()
