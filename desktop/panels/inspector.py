"""The inspector: the selected layer's name and parameters, with an editor generated from each ParamSpec.

Edits go to the controller (``SetParams``, ``RenameNode``); the inspector follows the model's signals, so
undo, redo and edits from elsewhere show up here too.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QSignalBlocker, Qt
from PySide6.QtWidgets import (
    QFormLayout,
    QFrame,
    QLabel,
    QLineEdit,
    QScrollArea,
    QVBoxLayout,
    QWidget,
)

from core.catalog.common import fmt
from core.graph.model import Graph, Node
from core.translate.shapes import GraphInfo
from desktop.canvas.controller import GraphEditor
from desktop.canvas.items.node import format_count
from desktop.panels.param_editors import ParamEditor, editor_for
from desktop.theme import category_color, colors


def _label(style: str = "", text: str = "") -> QLabel:
    label = QLabel(text)
    label.setWordWrap(True)
    if style:
        label.setStyleSheet(style)
    return label


class Inspector(QScrollArea):
    """Editors for one node; a placeholder when zero or several are selected."""

    def __init__(self, editor: GraphEditor, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.editor = editor
        self.graph: Graph | None = None
        self.node_id: str | None = None
        self.editors: dict[str, ParamEditor] = {}
        self.setWidgetResizable(True)
        self.setFrameShape(QFrame.Shape.NoFrame)
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self._show_placeholder("Select a layer to edit its parameters.")

    # ---- binding --------------------------------------------------------------------------------
    def set_graph(self, graph: Graph) -> None:
        if self.graph is not None:
            self.graph.node_changed.disconnect(self._on_node_changed)
            self.graph.node_removed.disconnect(self._on_node_removed)
        self.graph = graph
        graph.node_changed.connect(self._on_node_changed)
        graph.node_removed.connect(self._on_node_removed)
        self.show_nodes([])

    def show_nodes(self, node_ids: list[str]) -> None:
        if len(node_ids) == 1 and self.graph is not None and self.graph.has_node(node_ids[0]):
            if node_ids[0] != self.node_id:
                self._build(self.graph.node(node_ids[0]))
            return
        self.node_id = None
        self.editors = {}
        text = f"{len(node_ids)} layers selected." if node_ids else "Select a layer to edit its parameters."
        self._show_placeholder(text)

    def _show_placeholder(self, text: str) -> None:
        label = QLabel(text)
        label.setAlignment(Qt.AlignmentFlag.AlignCenter)
        label.setWordWrap(True)
        label.setEnabled(False)
        self.setWidget(label)

    # ---- the form -------------------------------------------------------------------------------
    def _build(self, node: Node) -> None:
        self.node_id = node.id
        spec = node.spec
        page = QWidget()
        box = QVBoxLayout(page)
        box.setContentsMargins(10, 10, 10, 10)
        box.setSpacing(8)
        box.addWidget(QLabel(f"<b style='font-size:13pt'>{spec.title}</b>&nbsp;&nbsp;"
                             f"<span style='color:{category_color(spec.category).name()}'>{spec.category}</span>"))
        box.addLayout(self._form(node))
        self.error = _label(f"color: {colors().error.name()};")
        self.error.hide()
        self.status = _label()
        doc = _label(text=spec.doc)
        doc.setEnabled(False)
        for widget in (self.error, self.status, doc):
            box.addWidget(widget)
        box.addStretch(1)
        self.setWidget(page)
        self.update_info(self.editor.document.info if self.editor.document else None)

    def _form(self, node: Node) -> QFormLayout:
        """The name field and one editor per parameter; each commits to ``node`` (by id)."""
        form = QFormLayout()
        form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        form.setLabelAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        self.name_edit = QLineEdit(node.name)
        self.name_edit.setToolTip("The layer's name; the Keras layer gets the same name")
        self.name_edit.editingFinished.connect(lambda nid=node.id, edit=self.name_edit: self._on_rename(nid, edit))
        form.addRow("name", self.name_edit)
        self.editors = {}
        for p in node.spec.params:
            ed = editor_for(p)
            ed.set_value(node.params[p.name])
            ed.edited.connect(lambda value, name=p.name, nid=node.id: self._on_edited(nid, name, value))
            ed.invalid.connect(self._show_error)
            label = QLabel(p.name.replace("_", " "))
            label.setToolTip(p.doc)
            form.addRow(label, ed)
            self.editors[p.name] = ed
        return form

    def _show_error(self, reason: str) -> None:
        if self.node_id is None:
            return
        self.error.setText(reason)
        self.error.setVisible(bool(reason))

    def _on_edited(self, node_id: str, name: str, value: Any) -> None:
        """An editor committed a value: for the node it was built for, even if the selection moved on."""
        if self.graph is None or not self.graph.has_node(node_id):
            return
        reason = self.editor.set_params(node_id, {name: value})
        if node_id == self.node_id:
            self._show_error(reason or "")

    def _on_rename(self, node_id: str, edit: QLineEdit) -> None:
        if self.graph is None or not self.graph.has_node(node_id):
            return
        reason = self.editor.rename(node_id, edit.text())
        if node_id == self.node_id:
            self._show_error(reason or "")

    # ---- following the model --------------------------------------------------------------------
    def _on_node_changed(self, node: Node) -> None:
        if node.id != self.node_id:
            return
        with QSignalBlocker(self.name_edit):
            self.name_edit.setText(node.name)
        for name, ed in self.editors.items():
            ed.set_value(node.params[name])

    def _on_node_removed(self, node: Node) -> None:
        if node.id == self.node_id:
            self.show_nodes([])

    def update_info(self, info: GraphInfo | None) -> None:
        if self.node_id is None or info is None:
            return
        ni = info.nodes.get(self.node_id)
        if ni is None:
            return
        if ni.error is not None:
            text = f"<span style='color:{colors().error.name()}'>⚠ {ni.error}</span>"
        elif ni.outputs:
            text = f"Output <b>{fmt(ni.outputs[0])}</b> · {format_count(ni.params)} parameters"
        else:
            text = "Output unknown until the layers before it are valid."
        self.status.setText(text)
