"""The first-run page over the canvas: recent projects and the concept gallery with graph thumbnails.

Shown when the app starts with no project; it hides itself as soon as a project is opened, a new one is
started, or the canvas gets its first layer. Examples open as untitled copies, so the bundled files stay as
shipped (Save asks where to keep your version).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from PySide6.QtCore import QEvent, QObject, QRectF, QSize, Qt, QTimer, Signal
from PySide6.QtGui import QColor, QIcon, QPainter, QPixmap
from PySide6.QtWidgets import (
    QFrame,
    QHBoxLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from core.graph.model import Graph
from resources.examples import ExampleInfo, list_examples

THUMB = QSize(220, 120)
_THUMBS: dict[str, QPixmap] = {}


def render_thumbnail(graph: Graph, size: QSize = THUMB, background: QColor | None = None) -> QPixmap:
    """The graph drawn by the canvas scene itself, scaled into ``size`` (offscreen, no view needed)."""
    from desktop.canvas.scene import GraphScene

    scene = GraphScene()
    scene.set_graph(compact(graph, size.width() / size.height()))
    pixmap = QPixmap(size)
    pixmap.fill(background or QColor("#f4f6fb"))
    rect = scene.itemsBoundingRect().adjusted(-20, -20, 20, 20)
    if not rect.isEmpty():
        painter = QPainter(pixmap)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        scene.render(painter, QRectF(4, 4, size.width() - 8, size.height() - 8), rect,
                     Qt.AspectRatioMode.KeepAspectRatio)
        painter.end()
    scene.set_graph(None)
    return pixmap


def compact(graph: Graph, aspect: float) -> Graph:
    """A copy laid out in rows (reading order) so a long chain fills a thumbnail instead of a thin strip."""
    from core.graph.validation import topological_order

    copy = Graph.from_dict(graph.to_dict())
    order = topological_order(copy)
    n = max(1, len(order))
    cols = min(range(1, n + 1), key=lambda c: abs(c * 200.0 / (-(-n // c) * 130.0) - aspect))
    copy.move_nodes({nid: ((i % cols) * 200.0, (i // cols) * 130.0) for i, nid in enumerate(order)})
    return copy


def example_thumbnail(info: ExampleInfo) -> QPixmap:
    """A cached thumbnail of the example's first graph (RL tables without a network get a painted grid)."""
    if info.name not in _THUMBS:
        from core.project.project import Project

        project = Project.load(info.path)
        graph = project.main
        _THUMBS[info.name] = render_thumbnail(graph) if len(graph) else grid_thumbnail()
    return _THUMBS[info.name]


def grid_thumbnail(size: QSize = THUMB, cells: int = 4) -> QPixmap:
    """A small frozen-lake grid: start, holes, goal (for tabular RL examples that have no network)."""
    pixmap = QPixmap(size)
    pixmap.fill(QColor("#f4f6fb"))
    painter = QPainter(pixmap)
    side = min(size.width(), size.height()) - 16
    step = side / cells
    x0, y0 = (size.width() - side) / 2, 8.0
    colours = {0: "#7fb3e8", 5: "#2d3f73", 7: "#2d3f73", 11: "#2d3f73", 12: "#2d3f73", 15: "#81c784"}
    for i in range(cells * cells):
        r, c = divmod(i, cells)
        painter.fillRect(QRectF(x0 + c * step + 1, y0 + r * step + 1, step - 2, step - 2),
                         QColor(colours.get(i, "#d6e6f7")))
    painter.end()
    return pixmap


class WelcomePage(QFrame):
    """Recent projects on the left, the gallery on the right; signals say what was chosen."""

    open_path = Signal(str)
    open_example = Signal(str)
    start_empty = Signal()

    def __init__(self, recent: list[str], examples: list[ExampleInfo], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("welcome")
        self.setAutoFillBackground(True)
        self._pending: list[tuple[QListWidgetItem, ExampleInfo]] = []
        self.recent = QListWidget()
        self.recent.setObjectName("welcome_recent")
        for path in recent:
            item = QListWidgetItem(Path(path).name)
            item.setToolTip(path)
            item.setData(Qt.ItemDataRole.UserRole, path)
            self.recent.addItem(item)
        self.recent.itemActivated.connect(lambda it: self.open_path.emit(it.data(Qt.ItemDataRole.UserRole)))
        self.gallery = self._gallery(examples)
        self.detail = QLabel("Pick an example to read what it shows; double-click (or Enter) opens it.")
        self.detail.setWordWrap(True)
        self.detail.setObjectName("welcome_detail")
        self.gallery.currentItemChanged.connect(self._describe)
        self._layout()

    def _gallery(self, examples: list[ExampleInfo]) -> QListWidget:
        gallery = QListWidget()
        gallery.setObjectName("welcome_gallery")
        gallery.setViewMode(QListWidget.ViewMode.IconMode)
        gallery.setIconSize(THUMB)
        gallery.setGridSize(QSize(THUMB.width() + 24, THUMB.height() + 56))
        gallery.setResizeMode(QListWidget.ResizeMode.Adjust)
        gallery.setMovement(QListWidget.Movement.Static)
        gallery.setWordWrap(True)
        gallery.setSpacing(4)
        blank = QPixmap(THUMB)
        blank.fill(QColor("#f4f6fb"))
        for info in examples:
            item = QListWidgetItem(QIcon(blank), info.title)
            item.setData(Qt.ItemDataRole.UserRole, info.name)
            item.setToolTip(info.description)
            gallery.addItem(item)
            self._pending.append((item, info))
        self._thumbs = QTimer(self)
        self._thumbs.setInterval(0)
        self._thumbs.timeout.connect(self._next_thumbnail)
        self._thumbs.start()
        gallery.itemActivated.connect(lambda it: self.open_example.emit(it.data(Qt.ItemDataRole.UserRole)))
        return gallery

    def _next_thumbnail(self) -> None:
        """One thumbnail per event-loop turn, so the page appears at once and fills in."""
        if not self._pending:
            self._thumbs.stop()
            return
        item, info = self._pending.pop(0)
        item.setIcon(QIcon(example_thumbnail(info)))

    @property
    def thumbnails_done(self) -> bool:
        return not self._pending

    def _describe(self, item: QListWidgetItem | None) -> None:
        if item is not None:
            self.detail.setText(f"<b>{item.text()}</b><br>{item.toolTip()}")

    def _layout(self) -> None:
        title = QLabel("<h1>Welcome to Layerbench</h1>Build a network from layers, train it, watch it learn.")
        empty = QPushButton("Start with an empty canvas")
        empty.setObjectName("welcome_empty")
        empty.clicked.connect(self.start_empty.emit)
        left = QVBoxLayout()
        left.addWidget(QLabel("<b>Recent projects</b>"))
        left.addWidget(self.recent, 1)
        left.addWidget(empty)
        right = QVBoxLayout()
        right.addWidget(QLabel("<b>Concept gallery</b> — each example runs in about a minute on a laptop CPU"))
        right.addWidget(self.gallery, 1)
        right.addWidget(self.detail)
        row = QHBoxLayout()
        row.addLayout(left, 1)
        row.addLayout(right, 3)
        outer = QVBoxLayout(self)
        outer.setContentsMargins(24, 16, 24, 16)
        outer.addWidget(title)
        outer.addLayout(row, 1)


class _Cover(QObject):
    """Keeps the page the size of the canvas it covers."""

    def __init__(self, page: QWidget, host: QWidget) -> None:
        super().__init__(page)
        self.page, self.host = page, host
        host.installEventFilter(self)
        page.setGeometry(host.rect())

    def eventFilter(self, obj: QObject, event: QEvent) -> bool:
        if obj is self.host and event.type() == QEvent.Type.Resize:
            self.page.setGeometry(self.host.rect())
        return False


def open_example_copy(window: Any, name: str) -> None:
    """Open the example as an untitled project: the bundled file is never overwritten."""
    from core.project.project import Project
    from desktop.document import Document
    from resources.examples import example_path

    project = Project.load(example_path(name))
    project.path = None
    first = next(iter(project.graphs))
    window.projects.replace(Document(project.graphs[first], None, project, graph_name=first, name=project.name))
    window.view.fit()
    panel, dock = getattr(window, "learn_panel", None), getattr(window, "docks", {}).get("learn")
    if panel is not None and dock is not None:
        panel.show_default()
        dock.raise_()


def show_welcome(window: Any) -> WelcomePage | None:
    """Cover the canvas with the welcome page unless a project is already open (e.g. a recovered one)."""
    if window.document.path is not None or len(window.document.graph):
        return None
    from desktop.projects import recent_files

    page = WelcomePage(recent_files(), list_examples(), window.view)
    _Cover(page, window.view)

    def close() -> None:
        page.hide()
        page.deleteLater()
        window.welcome = None

    page.open_path.connect(lambda p: window.projects.load_path(Path(p)) and close())
    page.open_example.connect(lambda n: (open_example_copy(window, n), close()))
    page.start_empty.connect(close)
    window.document.graph.node_added.connect(lambda *_: close() if window.welcome is page else None)
    window.welcome = page
    page.show()
    return page
