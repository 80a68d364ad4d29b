"""New project: a gallery of templates from ``core.catalog.templates`` (plus an empty graph)."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QVBoxLayout,
    QWidget,
)

from core.graph.model import Graph
from desktop.icons import category_icon

NAME_ROLE = Qt.ItemDataRole.UserRole + 1
EMPTY = ""


def available_templates() -> list[tuple[str, str, str]]:
    """``(name, title, description)`` of each template; empty until the template module exists."""
    try:
        from core.catalog import templates
    except ImportError:
        return []
    out = []
    for t in templates.list_templates():
        name = t if isinstance(t, str) else str(getattr(t, "name", t))
        title = str(getattr(t, "title", name.replace("_", " ").capitalize()))
        desc = str(getattr(t, "description", getattr(t, "doc", "")))
        out.append((name, title, desc))
    return out


def load(name: str) -> Graph:
    if name == EMPTY:
        return Graph()
    from core.catalog import templates

    result: Any = templates.load_template(name)
    return result if isinstance(result, Graph) else result.main


def icon_category(name: str) -> str:
    words = {"Convolution": ("cnn", "conv", "resnet", "lenet", "bottleneck", "dcgan"),
             "Recurrent": ("rnn", "lstm", "gru"), "Merge": ("gan",), "Activation": ("policy", "dqn", "q_network")}
    return next((cat for cat, keys in words.items() if any(k in name.lower() for k in keys)), "Core")


class TemplateGallery(QDialog):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("New project")
        self.list = QListWidget()
        self.list.setIconSize(self.list.iconSize() * 1.5)
        self.about = QLabel()
        self.about.setWordWrap(True)
        self.about.setMinimumHeight(48)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        buttons.button(QDialogButtonBox.StandardButton.Ok).setText("Create")
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(QLabel("<b>Start from a template</b>"))
        layout.addWidget(self.list)
        layout.addWidget(self.about)
        layout.addWidget(buttons)
        self.resize(520, 460)
        self._add(EMPTY, "Empty graph", "An empty canvas: drag layers from the palette.", "Input")
        for name, title, desc in available_templates():
            self._add(name, title, desc, icon_category(name))
        self.list.currentItemChanged.connect(lambda cur, _: self.about.setText(cur.toolTip() if cur else ""))
        self.list.itemActivated.connect(lambda _: self.accept())
        self.list.setCurrentRow(1 if self.list.count() > 1 else 0)

    def _add(self, name: str, title: str, desc: str, category: str) -> None:
        item = QListWidgetItem(category_icon(category), title)
        item.setData(NAME_ROLE, name)
        item.setToolTip(desc)
        self.list.addItem(item)

    def selected_name(self) -> str:
        item = self.list.currentItem()
        return str(item.data(NAME_ROLE)) if item is not None else EMPTY

    def graph(self) -> Graph:
        return load(self.selected_name())

    def project(self) -> Any:
        """The chosen template as a ``core.project.Project`` of the right kind (``None`` for the empty graph)."""
        name = self.selected_name()
        if name == EMPTY:
            return None
        from core.cli_commands import project_from_template

        return project_from_template(name)
