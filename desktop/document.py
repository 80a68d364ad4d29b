"""The open document: one graph, its undo stack, its file and the live shape inference over it.

Shape inference is pure Python and takes milliseconds, so it re-runs after every change; a 0-ms
single-shot timer folds the several signals of one compound edit into one run.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from PySide6.QtCore import QObject, QTimer, Signal

from core.graph.model import Graph
from core.graph.undo import UndoStack
from core.translate.shapes import GraphInfo, infer_graph


class Document(QObject):
    """A graph being edited. ``info`` is the latest inference; ``info_changed`` fires when it is renewed."""

    info_changed = Signal(object)
    modified_changed = Signal(bool)
    path_changed = Signal(object)

    def __init__(self, graph: Graph | None = None, path: Path | None = None, project: Any = None,
                 parent: QObject | None = None, name: str = "", graph_name: str = "main") -> None:
        super().__init__(parent)
        self.name = name
        self.graph_name = graph_name
        """Which of the project's graphs this document edits (``generator``, ``discriminator`` in a GAN)."""
        self.graph = graph if graph is not None else Graph()
        self.stack = UndoStack()
        self.path = path
        self.project = project
        """The ``core.project`` object this graph came from (kept so saving preserves the rest of it)."""
        self._dirty = False
        """Unsaved although the undo stack is clean (a restored autosave, an imported model)."""
        self.info: GraphInfo = infer_graph(self.graph)
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(0)
        self._timer.timeout.connect(self.refresh)
        self.graph.changed.connect(self._schedule)
        self.stack.clean_changed.connect(self._on_clean_changed)

    @property
    def title(self) -> str:
        return self.path.stem if self.path is not None else (self.name or "Untitled")

    def is_modified(self) -> bool:
        return self._dirty or not self.stack.is_clean()

    def mark_dirty(self) -> None:
        self._dirty = True
        self.modified_changed.emit(True)

    def set_path(self, path: Path | None) -> None:
        self.path = path
        self.path_changed.emit(path)

    def mark_saved(self) -> None:
        self._dirty = False
        self.stack.set_clean()
        self.modified_changed.emit(False)

    def refresh(self) -> None:
        """Re-infer shapes now (the timer calls this after a change)."""
        self._timer.stop()
        self.info = infer_graph(self.graph)
        self.info_changed.emit(self.info)

    def close(self) -> None:
        """Detach from the graph so no late signal reaches a deleted view."""
        self._timer.stop()
        self.graph.changed.disconnect(self._schedule)
        self.stack.clean_changed.disconnect(self._on_clean_changed)

    def _schedule(self) -> None:
        if not self._timer.isActive():
            self._timer.start()

    def _on_clean_changed(self, clean: bool) -> None:
        self.modified_changed.emit(self.is_modified())
