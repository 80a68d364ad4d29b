"""The Learn dock: explains whatever is selected — a layer (its spec's doc and parameters) and the ideas
around it (its activation, padding, stride, receptive field, regulariser) — or any topic picked from the list
(losses, optimizers, RL and GAN terms), with a diagram where one says more than words.

An example project's notes list its variants, each with an "Apply" link (the variant applied to the document
as one undoable step), and a "Compare variants" button that trains the base and every variant in turn and
overlays the runs (``desktop.panels.variant_runs``)."""

from __future__ import annotations

from html import escape
from typing import Any

from PySide6.QtCore import Qt, QUrl
from PySide6.QtGui import QShowEvent
from PySide6.QtWidgets import (
    QComboBox,
    QDockWidget,
    QLabel,
    QMenu,
    QPushButton,
    QTextBrowser,
    QVBoxLayout,
    QWidget,
)

from core.catalog.registry import get_spec, has_spec
from core.graph.model import Node
from desktop.panels.learn_diagrams import EXTRA, ActivationPlot, PaddingDiagram, StackDiagram
from desktop.panels.learn_relay import attach
from desktop.panels.learn_topics import Topic, all_topics, topics_for_node

HINT = "Select a layer on the canvas, or pick a topic above, to read what it does."


def diagram_for(topic: Topic) -> QWidget | None:
    if topic.diagram.startswith("activation:"):
        return ActivationPlot(topic.diagram.split(":", 1)[1])
    if topic.diagram == "padding":
        return PaddingDiagram()
    if topic.diagram == "receptive_field":
        return StackDiagram(stride=1, layers=3)
    if topic.diagram == "stride":
        return StackDiagram(stride=2, layers=2)
    factory = EXTRA.get(topic.diagram)
    return factory() if factory is not None else None


def node_html(node: Node) -> str:
    """A layer's title, its spec's explanation and each parameter's meaning with the current value."""
    if not has_spec(node.type):
        return f"<h3>{escape(node.name)}</h3><p>Layer type {escape(node.type)}.</p>"
    spec = get_spec(node.type)
    rows = "".join(f"<li><b>{escape(p.name)}</b> = {escape(str(node.params.get(p.name)))}: {escape(p.doc)}</li>"
                   for p in spec.params if p.doc)
    return (f"<h3>{escape(spec.title)} <small>({escape(node.name)})</small></h3><p>{escape(spec.doc)}</p>"
            + (f"<ul>{rows}</ul>" if rows else ""))


def describe_variant(variant: dict[str, Any]) -> str:
    """A variant of an example in words: what to change before the next run."""
    parts = []
    if "replace" in variant:
        parts += [f"replace {a} with {b}" for a, b in variant["replace"].items()]
    if "params" in variant:
        layer = variant.get("layer", "layer")
        where = f"every hidden {layer}" if variant.get("all") else f"the last {layer}"
        parts.append(f"set {', '.join(f'{k} = {v}' for k, v in variant['params'].items())} on {where}")
    if "config" in variant:
        parts.append("training: " + ", ".join(f"{k} = {v}" for k, v in variant["config"].items()))
    if "data" in variant:
        parts.append("data: " + ", ".join(f"{k} = {v}" for k, v in variant["data"].items()))
    return f"<b>{escape(str(variant.get('label', '')))}</b>: {escape('; '.join(parts))}"


def example_html(project: Any) -> str | None:
    """What an example project shows and what to try next (``training["example"]``), or None."""
    meta = getattr(project, "training", {}).get("example") if project is not None else None
    if not isinstance(meta, dict):
        return None
    html = f"<h3>{escape(str(meta.get('title', '')))}</h3><p>{escape(str(meta.get('description', '')))}</p>"
    variants = [v for v in meta.get("variants", []) if isinstance(v, dict)]
    if variants:
        html += ("<p>Then try, one at a time, and overlay the runs (<i>Compare variants</i> below trains them "
                 "all; <i>Apply</i> changes this project, one step you can undo):</p><ul>")
        html += "".join(f'<li>{describe_variant(v)} <a href="variant:apply:{i}">Apply</a></li>'
                        for i, v in enumerate(variants)) + "</ul>"
    return html + "<p><i>Select a layer to read about it.</i></p>"


def topic_html(topic: Topic) -> str:
    return f"<h4>{escape(topic.title)}</h4><p>{escape(topic.text)}</p>"


class LearnPanel(QWidget):
    """Text on top, diagrams under it; ``show_node`` and ``show_topic`` decide what."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.topics = all_topics()
        self.picker = QComboBox()
        self.picker.setObjectName("learn_topics")
        self.picker.addItem("Browse topics…", "")
        for key, topic in sorted(self.topics.items(), key=lambda kv: kv[1].title):
            self.picker.addItem(topic.title, key)
        self.picker.activated.connect(lambda i: self.show_topic(self.picker.itemData(i)))
        self.text = QTextBrowser()
        self.text.setObjectName("learn_text")
        self.text.setOpenExternalLinks(False)
        self.text.setOpenLinks(False)  # the only links are the variants' "Apply" (handled here)
        self.text.anchorClicked.connect(self._link)
        self.compare = QPushButton("Compare variants")
        self.compare.setObjectName("learn_compare_variants")
        self.compare.setToolTip("Train the example and each variant in turn (the project is not changed); the "
                                "runs are named after their variants and overlaid on the dashboard")
        self.compare.clicked.connect(self.compare_variants)
        self.compare.hide()
        self.diagrams = QVBoxLayout()
        layout = QVBoxLayout(self)
        layout.addWidget(self.picker)
        layout.addWidget(self.text, 1)
        layout.addWidget(self.compare)
        layout.addLayout(self.diagrams)
        self.shown: list[str] = []
        self.clear()

    def _set(self, html: str, topics: list[Topic]) -> None:
        self.text.setHtml(html)
        self.compare.setVisible("variant:apply:" in html)
        while self.diagrams.count():
            item = self.diagrams.takeAt(0)
            if item.widget() is not None:
                item.widget().deleteLater()
        for topic in topics:
            widget = diagram_for(topic)
            if widget is not None:
                widget.setObjectName(f"learn_diagram_{topic.diagram.replace(':', '_')}")
                self.diagrams.addWidget(QLabel(f"<b>{escape(topic.title)}</b>"))
                self.diagrams.addWidget(widget)
        self.shown = [t.key for t in topics]

    def clear(self) -> None:
        self._set(f"<p>{HINT}</p>", [])

    def show_topic(self, key: str) -> None:
        topic = self.topics.get(key)
        if topic is None:
            return
        self._set(topic_html(topic), [topic])

    def show_node(self, node: Node) -> None:
        extra = [self.topics[k] for k in topics_for_node(node.type, dict(node.params)) if k in self.topics]
        self._set(node_html(node) + "".join(topic_html(t) for t in extra), extra[:2])

    def show_selection(self, graph: Any, node_ids: list[str]) -> None:
        if len(node_ids) == 1 and graph.has_node(node_ids[0]):
            self.show_node(graph.node(node_ids[0]))
        elif not node_ids:
            self.show_default()

    def show_default(self) -> None:
        """The open example's notes when it is one, else the hint."""
        window = getattr(self, "_window", None)
        html = example_html(window.document.project) if window is not None else None
        if html is None:
            self.clear()
        else:
            self._set(html, [])

    def _docks(self) -> Any:
        from desktop.panels.training_install import training_docks

        return training_docks(self._window)

    def compare_variants(self) -> str | None:
        """Train the base example and each variant (the training docks do it); returns why not, or None."""
        if getattr(self, "_window", None) is None:
            return "no window"
        docks = self._docks()
        refused: str | None = docks.compare_variants()
        if refused is None:
            docks.docks["training"].raise_()
        return refused

    def apply_variant(self, index: int) -> str | None:
        """Apply the example's variant ``index`` to the document (one undoable step); returns why not, or None."""
        if getattr(self, "_window", None) is None:
            return "no window"
        refused: str | None = self._docks().apply_variant(index)
        return refused

    def _link(self, url: QUrl) -> None:
        parts = url.toString().split(":")
        if parts[:2] == ["variant", "apply"] and len(parts) == 3 and parts[2].isdigit():
            self.apply_variant(int(parts[2]))

    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        if not self.shown:
            self.show_default()

    def follow(self, window: Any) -> None:
        """Explain whatever gets selected on ``window``'s canvas."""
        self._window = window
        window.scene.selectionChanged.connect(self._on_selection)

    def _on_selection(self) -> None:
        try:
            ids = self._window.scene.selected_node_ids()
        except RuntimeError:  # the scene is being torn down with the window
            return
        self.show_selection(self._window.document.graph, ids)


def install_learn_dock(window: Any) -> QDockWidget:
    """The Learn dock, following the canvas selection: where the user left it last time (the window restored
    its state before this dock existed, so ``restoreDockWidget`` places it), else tabbed with the inspector."""
    existing = getattr(window, "docks", {}).get("learn")
    if existing is not None:
        return existing  # type: ignore[no-any-return]
    panel = LearnPanel()
    dock = QDockWidget("Learn", window)
    dock.setObjectName("dock_learn")  # the key of its place in the saved window state
    dock.setWidget(panel)
    if not window.restoreDockWidget(dock):
        window.addDockWidget(Qt.DockWidgetArea.RightDockWidgetArea, dock)
        inspector = getattr(window, "docks", {}).get("inspector")
        if inspector is not None:
            window.tabifyDockWidget(inspector, dock)
            inspector.raise_()
    window.docks["learn"] = dock
    window.learn_panel = panel
    menu = next((m for m in window.findChildren(QMenu) if m.title() == "&Panels"), None)
    if menu is not None:
        menu.addAction(dock.toggleViewAction())
    panel.follow(window)
    attach(panel, window)  # forms and the health banner ask for topics through learn_relay.request_topic
    return dock
