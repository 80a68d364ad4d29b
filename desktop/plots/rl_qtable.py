"""A tabular agent's Q-table as a live heatmap (states down, actions across) and the gap to the exact
solution over training (largest state-value error, share of states whose greedy action is optimal)."""

from __future__ import annotations

from typing import Any

import numpy as np
import pyqtgraph as pg
from PySide6.QtWidgets import QHBoxLayout, QLabel, QVBoxLayout, QWidget

from desktop.plots.base import add_legend, color, style_plot
from desktop.plots.export import Exportable, export_button, matrix_text


class QTableView(QWidget, Exportable):
    """``show_snapshot(snap, action_names)`` draws a ``QTableSnapshot``; the gap curves grow a point per snapshot.

    CSV: the Q-table shown, one row per state and one column per action."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.view = pg.GraphicsLayoutWidget()
        self.view.setBackground(None)
        self.table = self.view.addPlot(row=0, col=0, title="Q-table (state × action)")
        style_plot(self.table)
        self.table.invertY(True)
        self.table.setLabel("left", "state")
        self.image = pg.ImageItem(axisOrder="row-major")
        self.image.setColorMap(pg.colormap.get("viridis"))
        self.table.addItem(self.image)
        self.bar = pg.ColorBarItem(colorMap=pg.colormap.get("viridis"), interactive=False, width=12)
        self.bar.setImageItem(self.image, insert_in=self.table)
        self.gap = self.view.addPlot(row=1, col=0, title="Gap to the exact solution")
        style_plot(self.gap)
        self.gap.setLabel("bottom", "episode")
        add_legend(self.gap)
        self.value_gap = self._curve(0, "max |V − V*|")
        self.match = self._curve(2, "optimal actions (share)")
        self.caption = QLabel("The Q-table appears when a Q-learning run sends its first snapshot.")
        self.caption.setWordWrap(True)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.view, 1)
        self.view.ci.layout.setRowStretchFactor(0, 3)
        self.view.ci.layout.setRowStretchFactor(1, 2)
        row = QHBoxLayout()
        row.addWidget(self.caption, 1)
        row.addWidget(export_button(self))
        layout.addLayout(row)
        self.episodes: list[float] = []
        self.gaps: list[float] = []
        self.matches: list[float] = []
        self.last: Any = None
        self.q = np.zeros((0, 0))
        self.action_names: tuple[str, ...] = ()

    def _curve(self, i: int, name: str) -> pg.PlotDataItem:
        curve = self.gap.plot([], [], pen=pg.mkPen(color(i), width=2), symbol="o", symbolSize=4,
                              symbolBrush=color(i), name=name)
        curve.setDownsampling(auto=True, method="peak")
        curve.setClipToView(True)
        return curve

    def clear(self) -> None:
        self.episodes, self.gaps, self.matches, self.last = [], [], [], None
        self.q = np.zeros((0, 0))
        self.image.clear()
        self.value_gap.setData([], [])
        self.match.setData([], [])

    def show_snapshot(self, snap: Any, action_names: tuple[str, ...] = ()) -> None:
        """Draw ``snap`` (a ``QTableSnapshot``) unless it is the one already shown."""
        if snap is None or snap is self.last:
            return
        self.last = snap
        q = np.asarray(snap.q, dtype=np.float64)
        self.q, self.action_names = q, tuple(action_names)
        low, high = float(q.min()), float(q.max())
        self.image.setImage(q, autoLevels=False, levels=(low, high if high > low else low + 1e-9))
        self.bar.setLevels((low, high if high > low else low + 1e-9))
        self.table.getAxis("bottom").setTicks([[(i + 0.5, n) for i, n in enumerate(action_names)]] if action_names
                                              else None)
        if snap.value_gap is not None:
            self.episodes.append(float(snap.episode))
            self.gaps.append(float(snap.value_gap))
            self.matches.append(float(snap.policy_match or 0.0))
            self.value_gap.setData(self.episodes, self.gaps)
            self.match.setData(self.episodes, self.matches)
            self.caption.setText(f"Episode {snap.episode}: learned values are at most {snap.value_gap:.3f} from "
                                 f"the exact ones; the greedy action is optimal in "
                                 f"{100 * (snap.policy_match or 0):.0f}% of the states.")

    def export_stem(self) -> str:
        return "q_table"

    def export_target(self) -> QWidget:
        return self.view

    def export_csv(self) -> str:
        names = [self.action_names[a] if a < len(self.action_names) else f"action {a}" for a in range(self.q.shape[1])]
        return matrix_text(self.q, list(range(len(self.q))), names, "state")
