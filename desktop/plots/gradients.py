"""Per-layer gradient norms: one curve per layer on a log axis, and a layer-by-step heatmap (ImageItem).

Also the per-node health used to colour the canvas: a layer whose norm is a tiny fraction of the largest
one barely learns (vanishing); a huge norm throws its weights out of range (exploding).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QHBoxLayout, QLabel, QSplitter, QVBoxLayout, QWidget

from desktop.plots.base import CurveSpec, LivePlot, style_plot
from desktop.plots.data import layer_health  # noqa: F401  (re-exported)
from desktop.plots.export import Exportable, export_button, matrix_text

MAX_COLUMNS = 1500
"""Heatmap columns drawn at most (older steps are strided)."""


def grad_layers(arrays: Mapping[str, np.ndarray]) -> list[str]:
    return [k.split("/", 1)[1] for k in arrays if k.startswith("grad/") and k != "grad/x"]


def heat_matrix(arrays: Mapping[str, np.ndarray], layers: Sequence[str]) -> tuple[np.ndarray, np.ndarray]:
    """(layers x steps matrix of log10 norms, the steps), strided to at most ``MAX_COLUMNS`` columns."""
    steps = arrays.get("grad/x", np.empty(0))
    n = min([len(steps), *(len(arrays[f"grad/{name}"]) for name in layers)]) if layers else 0
    stride = max(1, -(-n // MAX_COLUMNS))
    cols = slice(n % stride if stride > 1 else 0, n, stride)
    if not n:
        return np.zeros((0, 0)), np.empty(0)
    rows = [arrays[f"grad/{name}"][cols] for name in layers]
    with np.errstate(divide="ignore", invalid="ignore"):
        matrix = np.log10(np.maximum(np.vstack(rows), 1e-30))
    return matrix, steps[cols]


class GradientsView(QWidget, Exportable):
    """Norm curves (log y) above a heatmap with layers on the y axis, input side at the top.

    The curves export through their own plot; this view's Export menu is the heatmap's: its PNG, and as CSV
    the norm of every layer (columns) at every recorded step (rows), unstrided and not logged."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.curves = LivePlot("Gradient norm per layer", "step", "‖gradient‖", log_y=True, smoothing=True,
                               stem="gradient_norms")
        self.curves.setObjectName("plot_gradients")
        self.heat = pg.PlotWidget(background=None)
        self.heat_item = self.heat.getPlotItem()
        style_plot(self.heat_item)
        self.heat_item.setLabel("bottom", "step")
        self.heat_item.invertY(True)
        self.image = pg.ImageItem(axisOrder="row-major")
        self.heat_item.addItem(self.image)
        self.bar = pg.ColorBarItem(colorMap=pg.colormap.get("viridis"), interactive=False, width=12)
        self.bar.setImageItem(self.image, insert_in=self.heat_item)
        self.hint = QLabel("Turn on “Gradient norms” under Monitors to record per-layer gradients.")
        self.hint.setWordWrap(True)
        heat_box = QWidget()
        heat_layout = QVBoxLayout(heat_box)
        heat_layout.setContentsMargins(0, 0, 0, 0)
        row = QHBoxLayout()
        row.addWidget(QLabel("<b>Layer × step heatmap</b> (log10 of the norm; input side at the top)"), 1)
        row.addWidget(export_button(self))
        heat_layout.addLayout(row)
        heat_layout.addWidget(self.heat, 1)
        split = QSplitter(Qt.Orientation.Vertical)
        split.addWidget(self.curves)
        split.addWidget(heat_box)
        split.setStretchFactor(0, 3)
        split.setStretchFactor(1, 2)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.hint)
        layout.addWidget(split, 1)
        self.layers: list[str] = []
        self.matrix = np.zeros((0, 0))
        self.steps = np.empty(0)
        self._shown = -1
        self._arrays: Mapping[str, np.ndarray] = {}

    def show_run(self, arrays: Mapping[str, np.ndarray]) -> None:
        layers = grad_layers(arrays)
        self.hint.setVisible(not layers)
        if layers != self.layers:
            self.curves.remove_curves()
            self.layers = layers
            self._ticks()
        steps = arrays.get("grad/x", np.empty(0))
        for i, name in enumerate(layers):
            spec = CurveSpec(name, _layer_color(i, len(layers)), 1.5, smooth=True)
            self.curves.set_curve(f"grad/{name}", spec, steps, arrays[f"grad/{name}"])
        self.curves.follow_x()
        if len(steps) != self._shown:
            self._shown = len(steps)
            self._draw_heat(arrays)

    def _draw_heat(self, arrays: Mapping[str, np.ndarray]) -> None:
        self._arrays = arrays
        matrix, steps = heat_matrix(arrays, self.layers)
        self.matrix, self.steps = matrix, steps
        if not matrix.size:
            self.image.clear()
            return
        finite = matrix[np.isfinite(matrix)]
        lo, hi = (float(finite.min()), float(finite.max())) if finite.size else (0.0, 1.0)
        self.image.setImage(matrix, autoLevels=False)
        self.bar.setLevels((lo, hi if hi > lo else lo + 1))
        width = float(steps[-1] - steps[0]) if len(steps) > 1 else 1.0
        self.image.setRect(float(steps[0]), 0.0, max(width, 1.0), float(len(self.layers)))

    def _ticks(self) -> None:
        ticks = [(i + 0.5, name) for i, name in enumerate(self.layers)]
        self.heat_item.getAxis("left").setTicks([ticks])

    def export_stem(self) -> str:
        return "gradient_heatmap"

    def export_target(self) -> QWidget:
        return self.heat

    def export_csv(self) -> str:
        arrays, layers = self._arrays, self.layers
        steps = arrays.get("grad/x", np.empty(0))
        n = min([len(steps), *(len(arrays[f"grad/{name}"]) for name in layers)]) if layers else 0
        norms = np.vstack([arrays[f"grad/{name}"][:n] for name in layers]).T if n else np.zeros((0, len(layers)))
        return matrix_text(norms, steps[:n].tolist(), layers, "step")


def _layer_color(i: int, n: int) -> str:
    cmap = pg.colormap.get("plasma")
    qcolor = cmap.map(0.1 + 0.75 * (i / max(n - 1, 1)), mode="qcolor")
    return str(qcolor.name())
