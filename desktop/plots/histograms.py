"""Weight and bias histograms over epochs, per layer: one curve per epoch, older epochs paler; weight norms."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pyqtgraph as pg
from PySide6.QtWidgets import QComboBox, QHBoxLayout, QLabel, QVBoxLayout, QWidget

from core.training.messages import Weights
from desktop.plots.base import CurveSpec, LivePlot
from desktop.plots.export import stem, table_text

MAX_EPOCHS_SHOWN = 30


class HistogramView(QWidget):
    """``show_weights(messages)``: the per-epoch ``Weights`` messages of a run, newest last."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.layer = QComboBox()
        self.layer.setObjectName("histogram_layer")
        self.layer.setMinimumWidth(160)
        self.layer.currentTextChanged.connect(lambda _t: self._redraw(force=True))
        self.kind = QComboBox()
        self.kind.setObjectName("histogram_kind")
        self.kind.addItems(["weights", "biases"])
        self.kind.currentTextChanged.connect(lambda _t: self._redraw(force=True))
        self.plot = LivePlot("Weight distribution per epoch", "weight value", "count", smoothing=False,
                             csv_source=self.bins_csv)
        self.plot.stem = "weight_histograms"
        self.plot.setObjectName("plot_histograms")
        self.norms = LivePlot("Weight norm per layer", "epoch", "‖w‖", smoothing=False, stem="weight_norms")
        self.caption = QLabel("Turn on “Weight histograms” under Monitors to see how each layer's weights move.")
        self.caption.setWordWrap(True)
        top = QHBoxLayout()
        top.addWidget(QLabel("Layer"))
        top.addWidget(self.layer)
        top.addWidget(self.kind)
        top.addWidget(self.caption, 1)
        row = QHBoxLayout()
        row.addWidget(self.plot, 3)
        row.addWidget(self.norms, 2)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(2, 2, 2, 2)
        layout.addLayout(top)
        layout.addLayout(row, 1)
        self.messages: list[Weights] = []
        self._drawn: tuple[int, str, str] = (0, "", "")

    def show_weights(self, messages: Sequence[Weights]) -> None:
        self.messages = list(messages)
        names = list(self.messages[-1].histograms or self.messages[-1].norms) if self.messages else []
        if names and names != [self.layer.itemText(i) for i in range(self.layer.count())]:
            current = self.layer.currentText()
            self.layer.blockSignals(True)
            self.layer.clear()
            self.layer.addItems(names)
            if current in names:
                self.layer.setCurrentText(current)
            self.layer.blockSignals(False)
        self._redraw()

    def _stem(self) -> str:
        return f"weight_histograms_{stem(self.layer.currentText())}_{self.kind.currentText()}"

    def _redraw(self, force: bool = False) -> None:
        key = (len(self.messages), self.layer.currentText(), self.kind.currentText())
        if key == self._drawn and not force:
            return
        self._drawn = key
        self.plot.stem = self._stem()
        self.plot.remove_curves()
        name = self.layer.currentText()
        biases = self.kind.currentText() == "biases"
        table = (lambda m: getattr(m, "bias_histograms", {})) if biases else (lambda m: m.histograms)
        shown = [m for m in self.messages if name in table(m)][-MAX_EPOCHS_SHOWN:]
        cmap = pg.colormap.get("CET-L8") if "CET-L8" in pg.colormap.listMaps() else pg.colormap.get("viridis")
        for i, msg in enumerate(shown):
            counts, edges = table(msg)[name]
            tint = cmap.map(0.15 + 0.8 * (i / max(len(shown) - 1, 1)), mode="qcolor").name()
            centres = (np.asarray(edges[:-1]) + np.asarray(edges[1:])) / 2
            spec = CurveSpec(f"epoch {msg.epoch + 1}", tint, 2.0 if i == len(shown) - 1 else 1.0)
            self.plot.set_curve(f"h{msg.epoch}", spec, centres, np.asarray(counts, dtype="float64"))
        if shown:
            self.caption.setText(f"{name} {self.kind.currentText()}: {len(shown)} epochs (newest darkest)")
        elif name:
            self.caption.setText(f"{name} has no {self.kind.currentText()}")
        self._draw_norms()

    def bins_csv(self) -> str:
        """The layer's histogram at every epoch recorded: ``epoch, bin_start, bin_end, count`` (the plot draws
        the last ``MAX_EPOCHS_SHOWN`` at their bin centres)."""
        name, kind = self.layer.currentText(), self.kind.currentText()
        rows = []
        for msg in self.messages:
            table = getattr(msg, "bias_histograms", {}) if kind == "biases" else msg.histograms
            if name in table:
                counts, edges = (np.asarray(a) for a in table[name])
                rows += [[msg.epoch + 1, edges[i], edges[i + 1], counts[i]] for i in range(len(counts))]
        return table_text(["epoch", "bin_start", "bin_end", "count"], rows)

    def _draw_norms(self) -> None:
        names = [self.layer.itemText(i) for i in range(self.layer.count())]
        epochs = np.array([m.epoch + 1 for m in self.messages], dtype="float64")
        from desktop.plots.base import color

        for i, name in enumerate(names):
            values = np.array([m.norms.get(name, np.nan) for m in self.messages], dtype="float64")
            self.norms.set_curve(f"n/{name}", CurveSpec(name, color(i), 1.5, symbol="o"), epochs, values)
