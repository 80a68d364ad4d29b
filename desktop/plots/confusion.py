"""The confusion matrix of a classifier (true class down, predicted class across), counts written in."""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtWidgets import QHBoxLayout, QLabel, QVBoxLayout, QWidget

from core.training.messages import Confusion
from desktop.plots.base import style_plot
from desktop.plots.export import Exportable, export_button, matrix_text

MAX_LABELS = 30


class ConfusionView(QWidget, Exportable):
    """Counts per (true, predicted) class; exported as a true x predicted table with the class names."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.widget = pg.PlotWidget(background=None)
        self.item = self.widget.getPlotItem()
        style_plot(self.item)
        self.item.showGrid(x=False, y=False)
        self.item.invertY(True)
        self.item.setLabel("left", "true class")
        self.item.setLabel("bottom", "predicted class")
        self.item.setAspectLocked(True)
        self.image = pg.ImageItem(axisOrder="row-major")
        self.image.setColorMap(pg.colormap.get("CET-L12") if "CET-L12" in pg.colormap.listMaps()
                               else pg.colormap.get("viridis"))
        self.item.addItem(self.image)
        self.texts: list[pg.TextItem] = []
        self.caption = QLabel("Turn on “Confusion matrix” under Monitors (classifiers only).")
        self.caption.setWordWrap(True)
        self.matrix = np.zeros((0, 0))
        self.classes: list[str] = []
        top = QHBoxLayout()
        top.addWidget(self.caption, 1)
        top.addWidget(export_button(self))
        layout = QVBoxLayout(self)
        layout.setContentsMargins(2, 2, 2, 2)
        layout.addLayout(top)
        layout.addWidget(self.widget, 1)

    def show_confusion(self, msg: Confusion) -> None:
        m = np.asarray(msg.matrix, dtype="float64")
        self.matrix, self.classes = m, list(msg.classes)
        rows = m.sum(axis=1, keepdims=True)
        share = np.divide(m, rows, out=np.zeros_like(m), where=rows > 0)
        self.image.setImage(share, autoLevels=False, levels=(0.0, 1.0))
        self.image.setRect(0, 0, m.shape[1], m.shape[0])
        ticks = [(i + 0.5, c) for i, c in enumerate(self.classes[:MAX_LABELS])]
        self.item.getAxis("left").setTicks([ticks])
        self.item.getAxis("bottom").setTicks([ticks])
        self._write_counts(m, share)
        accuracy = np.trace(m) / m.sum() if m.sum() else 0.0
        self.caption.setText(f"Epoch {msg.epoch + 1}: {int(m.sum())} samples, accuracy {accuracy:.3f} "
                             "(colour = share of the true class)")

    def _write_counts(self, m: np.ndarray, share: np.ndarray) -> None:
        for t in self.texts:
            self.item.removeItem(t)
        self.texts = []
        if m.shape[0] > 12:
            return
        for i in range(m.shape[0]):
            for j in range(m.shape[1]):
                text = pg.TextItem(str(int(m[i, j])), color="w" if share[i, j] > 0.5 else "k", anchor=(0.5, 0.5))
                text.setPos(j + 0.5, i + 0.5)
                self.item.addItem(text)
                self.texts.append(text)

    def columns(self) -> dict[str, np.ndarray]:
        return {f"pred {c}": self.matrix[:, j] for j, c in enumerate(self.classes)} if self.matrix.size else {}

    def export_stem(self) -> str:
        return "confusion"

    def export_target(self) -> QWidget:
        return self.widget

    def export_csv(self) -> str:
        """Rows: true class; columns: predicted class; cells: counts."""
        m = self.matrix
        whole = m.size and np.all(np.isfinite(m)) and np.array_equal(m, np.round(m))
        return matrix_text(m.astype("int64") if whole else m, self.classes, self.classes, "true \\ predicted")
