"""The main window: the canvas in the centre, docks around it, menus and toolbar from the action table."""

from __future__ import annotations

from PySide6.QtCore import QPoint, QPointF, Qt
from PySide6.QtGui import QAction, QCloseEvent, QGuiApplication, QShowEvent
from PySide6.QtWidgets import (
    QApplication,
    QComboBox,
    QDockWidget,
    QLabel,
    QMainWindow,
    QMenu,
    QMessageBox,
    QToolBar,
    QWidget,
)

from core.graph.errors import GraphError
from core.translate.shapes import GraphInfo
from desktop.actions import ACTIONS, make_action
from desktop.canvas.clipboard import from_mime, instantiate, selection_to_dict, to_mime
from desktop.canvas.controller import GraphEditor
from desktop.canvas.items.node import WIDTH
from desktop.canvas.layout import layered_layout
from desktop.canvas.scene import GraphScene
from desktop.canvas.view import MAX_ZOOM, MIN_ZOOM, GraphView
from desktop.document import Document
from desktop.exporter import ExportRunner
from desktop.icons import app_icon, tool_icon
from desktop.panels.gan import install_gan_docks
from desktop.panels.inspector import Inspector
from desktop.panels.log import LogPanel
from desktop.panels.palette import Palette
from desktop.panels.problems import ProblemsPanel
from desktop.panels.rl_install import install_rl_docks
from desktop.panels.summary import SummaryPanel
from desktop.panels.training_install import install_training_docks
from desktop.projects import ProjectManager
from desktop.settings import settings
from desktop.theme import apply_theme

PASTE_OFFSET = 40.0


class MainWindow(QMainWindow):
    """One document at a time; ``set_document`` rebinds every panel to it."""

    def __init__(self, document: Document | None = None) -> None:
        super().__init__()
        self.setWindowIcon(app_icon())
        self.scene = GraphScene(self)
        self.editor = GraphEditor(parent=self)
        self.view = GraphView(self.scene, self.editor)
        self.setCentralWidget(self.view)
        self.palette_panel = Palette()
        self.inspector = Inspector(self.editor)
        self.summary = SummaryPanel()
        self.problems = ProblemsPanel()
        self.log = LogPanel()
        self.docks: dict[str, QDockWidget] = {}
        self._build_docks()
        self.actions_by_id: dict[str, QAction] = {s.id: make_action(s, self) for s in ACTIONS}
        self.projects = ProjectManager(self)
        self.exports = ExportRunner(self)
        self._build_menus()
        self._build_toolbar()
        self.stats = QLabel()
        self.statusBar().addPermanentWidget(self.stats)
        self._connect()
        self.document: Document = document or Document()
        self._paste_count: tuple[str | None, int] = (None, 0)
        self._fitted = False
        self._bind(self.document)
        install_training_docks(self)  # empty shells; before restoreState so their places are restored too
        install_gan_docks(self)  # GAN cockpit and RNN inspector: empty until a GAN project / recurrent graph
        install_rl_docks(self)  # RL panel, live view and MDP view: hidden until an RL project is open
        self.docks["inspector"].raise_()  # the editing docks lead their tab groups on a fresh layout
        self.docks["summary"].raise_()
        self._restore_settings()

    # ---- construction ---------------------------------------------------------------------------
    def _dock(self, key: str, title: str, widget: QWidget, area: Qt.DockWidgetArea) -> QDockWidget:
        dock = QDockWidget(title, self)
        dock.setObjectName(f"dock_{key}")
        dock.setWidget(widget)
        dock.setFeatures(QDockWidget.DockWidgetFeature.DockWidgetMovable
                         | QDockWidget.DockWidgetFeature.DockWidgetClosable
                         | QDockWidget.DockWidgetFeature.DockWidgetFloatable)
        self.addDockWidget(area, dock)
        self.docks[key] = dock
        return dock

    def _build_docks(self) -> None:
        left, right, bottom = (Qt.DockWidgetArea.LeftDockWidgetArea, Qt.DockWidgetArea.RightDockWidgetArea,
                               Qt.DockWidgetArea.BottomDockWidgetArea)
        self._dock("palette", "Layers", self.palette_panel, left)
        self._dock("inspector", "Inspector", self.inspector, right)
        summary = self._dock("summary", "Model Summary", self.summary, bottom)
        problems = self._dock("problems", "Problems", self.problems, bottom)
        log = self._dock("log", "Log", self.log, bottom)
        self.tabifyDockWidget(summary, problems)
        self.tabifyDockWidget(problems, log)
        summary.raise_()
        self.resizeDocks([self.docks["palette"], self.docks["inspector"]], [255, 340], Qt.Orientation.Horizontal)
        self.resizeDocks([summary], [220], Qt.Orientation.Vertical)

    def _menu(self, path: str) -> QMenu:
        menu: QMenu | None = None
        for depth, part in enumerate(path.split("/")):
            key = "/".join(path.split("/")[: depth + 1])
            if key not in self._menus:
                parent = self.menuBar() if menu is None else menu
                self._menus[key] = parent.addMenu(part)
            menu = self._menus[key]
        assert menu is not None
        return menu

    def _build_menus(self) -> None:
        self._menus: dict[str, QMenu] = {}
        for spec in ACTIONS:
            menu = self._menu(spec.menu)
            if spec.separator:
                menu.addSeparator()
            menu.addAction(self.actions_by_id[spec.id])
            if spec.id == "file.save_as":
                self.recent_menu = self._menu("&File").addMenu("Open &Recent")
                self.recent_menu.aboutToShow.connect(self.projects.fill_recent_menu)
        panels = self._menu("&View").addMenu("&Panels")
        for dock in self.docks.values():
            panels.addAction(dock.toggleViewAction())

    def _build_toolbar(self) -> None:
        bar = QToolBar("Main", self)
        bar.setObjectName("toolbar_main")
        bar.setMovable(False)
        bar.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonIconOnly)
        for i, spec in enumerate(s for s in ACTIONS if s.toolbar):
            if i in (3, 5, 7):
                bar.addSeparator()
            bar.addAction(self.actions_by_id[spec.id])
        self.graph_box = QComboBox()
        self.graph_box.setToolTip("Which network of the project to edit")
        self.graph_box_action = bar.addWidget(self.graph_box)
        self.graph_box.activated.connect(lambda i: self.projects.switch_graph(self.graph_box.itemText(i)))
        self.addToolBar(bar)
        self.toolbar = bar

    def _context_menu(self, scene_pos: QPointF, global_pos: QPoint) -> None:
        node = self.scene.node_at(scene_pos)
        if node is not None and not node.isSelected():
            self.scene.select_nodes([node.node_id])
        menu = QMenu(self)
        ids = ("edit.quick_add", "edit.cut", "edit.copy", "edit.paste", "edit.duplicate", "edit.delete", "",
               "view.layout", "view.fit")
        for action_id in ids:
            if action_id:
                menu.addAction(self.actions_by_id[action_id])
            else:
                menu.addSeparator()
        menu.popup(global_pos)
        self._menu_open = menu

    def _connect(self) -> None:
        self.scene.selectionChanged.connect(self._on_selection)
        self.editor.message.connect(self.show_message)
        self.view.status.connect(lambda text: self.statusBar().showMessage(text, 5000))
        self.view.context_menu_requested.connect(self._context_menu)
        self.palette_panel.activated.connect(self.add_after_selection)
        self.summary.node_clicked.connect(self.select_node)
        self.problems.node_clicked.connect(self.reveal_node)
        self.problems.count_changed.connect(
            lambda n: self.docks["problems"].setWindowTitle(f"Problems ({n})" if n else "Problems"))

    # ---- the document ---------------------------------------------------------------------------
    def set_document(self, document: Document) -> None:
        old = self.document
        if old is document:
            return
        old.info_changed.disconnect(self._on_info)
        old.modified_changed.disconnect(self._update_title)
        old.path_changed.disconnect(self._update_title)
        old.close()
        old.deleteLater()
        self._bind(document)

    def _bind(self, document: Document) -> None:
        document.setParent(self)
        self.document = document
        self.scene.set_graph(document.graph)
        self.editor.set_document(document)
        self.inspector.set_graph(document.graph)
        document.info_changed.connect(self._on_info)
        document.modified_changed.connect(self._update_title)
        document.path_changed.connect(self._update_title)
        document.stack.can_undo_changed.connect(self._update_history_actions)
        document.stack.can_redo_changed.connect(self._update_history_actions)
        self._fill_graph_box(document)
        document.refresh()
        self._update_title()
        self._update_history_actions()
        self.view.fit_on_open()

    def _fill_graph_box(self, document: Document) -> None:
        names = list(document.project.graphs) if document.project is not None else []
        self.graph_box.clear()
        self.graph_box.addItems(names)
        self.graph_box.setCurrentText(document.graph_name)
        self.graph_box_action.setVisible(len(names) > 1)

    def _on_info(self, info: GraphInfo) -> None:
        graph = self.document.graph
        self.scene.apply_info(info)
        problems = f" · {len(info.errors)} problem{'s' if len(info.errors) != 1 else ''}" if info.errors else ""
        self.stats.setText(f"{len(graph)} layers · {info.total_params:,} parameters{problems}")
        self.summary.show_info(graph, info)
        self.problems.show_info(graph, info)
        self.inspector.update_info(info)

    def _update_title(self, *_: object) -> None:
        doc = self.document
        graph = f" ({doc.graph_name})" if doc.project is not None and len(doc.project.graphs) > 1 else ""
        self.setWindowTitle(f"{doc.title}{graph}[*] — Layerbench")
        self.setWindowModified(self.document.is_modified())

    def _update_history_actions(self, *_: object) -> None:
        stack = self.document.stack
        self.actions_by_id["edit.undo"].setEnabled(stack.can_undo())
        self.actions_by_id["edit.redo"].setEnabled(stack.can_redo())
        self.actions_by_id["edit.undo"].setText(f"&Undo {stack.undo_text()}".rstrip())
        self.actions_by_id["edit.redo"].setText(f"&Redo {stack.redo_text()}".rstrip())

    def show_message(self, text: str) -> None:
        self.statusBar().showMessage(text, 8000)
        self.log.log(text)

    # ---- selection ------------------------------------------------------------------------------
    def _on_selection(self) -> None:
        self.inspector.show_nodes(self.scene.selected_node_ids())

    def select_node(self, node_id: str) -> None:
        self.scene.select_nodes([node_id])

    def reveal_node(self, node_id: str) -> None:
        self.select_node(node_id)
        self.view.center_on_node(node_id)

    def select_all(self) -> None:
        for item in self.scene.node_items():
            item.setSelected(True)

    # ---- edit commands --------------------------------------------------------------------------
    def add_after_selection(self, type_id: str) -> str | None:
        """Add a layer after the selected one and connect it; with only a connection selected, insert
        the layer into that connection."""
        selected = self.scene.selected_node_ids()
        edges = self.scene.selected_edge_ids()
        if not selected and len(edges) == 1:
            item = self.scene.item_for_edge(edges[0])
            mid = item.path().pointAtPercent(0.5) if item is not None else QPointF()
            node_id = self.editor.insert_on_edge(type_id, edges[0], mid.x() - WIDTH / 2, mid.y() + 60)
        else:
            node_id = self.editor.add_after(type_id, selected[-1] if selected else None)
        if node_id is not None:
            self.scene.select_nodes([node_id])
            item = self.scene.item_for_node(node_id)
            if item is not None:
                self.view.ensureVisible(item, 40, 40)
        return node_id

    def quick_add(self) -> None:
        from desktop.dialogs.quick_add import QuickAddDialog

        dialog = QuickAddDialog(self)
        if dialog.exec() and dialog.type_id:
            self.add_after_selection(dialog.type_id)

    def delete_selection(self) -> None:
        self.editor.delete(self.scene.selected_node_ids(), self.scene.selected_edge_ids())

    def copy(self) -> bool:
        ids = self.scene.selected_node_ids()
        if not ids:
            self.statusBar().showMessage("Select layers to copy", 4000)
            return False
        QGuiApplication.clipboard().setMimeData(to_mime(selection_to_dict(self.document.graph, ids)))
        return True

    def cut(self) -> None:
        if self.copy():
            self.editor.delete(self.scene.selected_node_ids())

    def paste(self) -> None:
        mime = QGuiApplication.clipboard().mimeData()
        data = from_mime(mime)
        if data is None:
            self.statusBar().showMessage("The clipboard holds no layers", 4000)
            return
        key = mime.text()
        count = self._paste_count[1] + 1 if self._paste_count[0] == key else 1
        self._paste_count = (key, count)
        self._add_copies(data, PASTE_OFFSET * count, "Paste")

    def duplicate(self) -> None:
        ids = self.scene.selected_node_ids()
        if ids:
            self._add_copies(selection_to_dict(self.document.graph, ids), PASTE_OFFSET, "Duplicate")

    def _add_copies(self, data: dict, offset: float, text: str) -> None:  # type: ignore[type-arg]
        try:
            nodes, edges = instantiate(self.document.graph, data, (offset, offset))
        except (GraphError, KeyError, TypeError) as exc:
            self.show_message(f"Cannot paste: {exc}")
            return
        self.scene.select_nodes(self.editor.add_subgraph(nodes, edges, text))

    def auto_layout(self) -> None:
        graph = self.document.graph
        if not len(graph):
            return
        items = self.scene.node_items()
        heights = {i.node_id: i.shape().boundingRect().height() for i in items}
        anchors = {i.node_id: min(p.pos().y() for p in i.ports.values()) for i in items if i.ports}
        ids = [n.id for n in graph.nodes]
        positions = layered_layout(ids, [(e.src, e.dst) for e in graph.edges], heights, WIDTH, gap_x=110,
                                   anchors=anchors)
        x0, y0 = min(n.x for n in graph.nodes), min(n.y for n in graph.nodes)
        px, py = min(p[0] for p in positions.values()), min(p[1] for p in positions.values())
        moved = {nid: (x - px + x0, y - py + y0) for nid, (x, y) in positions.items()}
        self.editor.move_nodes(moved, "Auto layout")
        self.view.fit()

    # ---- view -----------------------------------------------------------------------------------
    def zoom_by(self, factor: float) -> None:
        if factor == 0:
            self.view.resetTransform()
            return
        target = min(MAX_ZOOM, max(MIN_ZOOM, self.view.zoom() * factor))
        self.view.zoom_at(target / self.view.zoom(), QPointF(self.view.viewport().rect().center()))

    def set_theme(self, dark: bool | None) -> None:
        app = QApplication.instance()
        assert isinstance(app, QApplication)
        apply_theme(app, dark)
        settings().setValue("theme", "system" if dark is None else ("dark" if dark else "light"))
        self.refresh_theme()

    def refresh_theme(self) -> None:
        color = self.palette().windowText().color()
        for spec in ACTIONS:
            if spec.icon:
                self.actions_by_id[spec.id].setIcon(tool_icon(spec.icon, color))
        self.scene.update()
        self.view.viewport().update()

    def about(self) -> None:
        QMessageBox.about(self, "About Layerbench", "<b>Layerbench</b><p>A desktop workbench for deep learning "
                          "with TensorFlow/Keras: build networks from layers, see shapes live, train and export.</p>")

    # ---- session --------------------------------------------------------------------------------
    def _restore_settings(self) -> None:
        s = settings()
        geometry = s.value("window/geometry")
        if geometry is not None:
            self.restoreGeometry(geometry)  # type: ignore[arg-type]
        else:
            self.resize(1440, 900)
        state = s.value("window/state")
        if state is not None:
            self.restoreState(state)  # type: ignore[arg-type]

    def save_settings(self) -> None:
        s = settings()
        s.setValue("window/geometry", self.saveGeometry())
        s.setValue("window/state", self.saveState())
        s.sync()

    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        if not self._fitted:  # the first fit needs the real viewport size
            self._fitted = True
            self.view.fit_on_open()

    def closeEvent(self, event: QCloseEvent) -> None:
        if not self.projects.maybe_save():
            event.ignore()
            return
        self.save_settings()
        self.projects.shutdown()
        self.exports.shutdown()
        event.accept()
