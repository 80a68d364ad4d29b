"""The live view of an RL run: curves on the left; the environment's frames and (for tabular agents) the
Q-table heatmap with its gap to the exact solution on the right. ``refresh(run)`` is called by a ~30 Hz timer.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel, QSplitter, QTabWidget, QVBoxLayout, QWidget

from desktop.plots.frames import FrameView
from desktop.plots.rl_curves import RLCurves
from desktop.plots.rl_qtable import QTableView


class RLLiveView(QWidget):
    """Curves, frames and Q-table of the current RL run."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.status = QLabel("Start a run in the Reinforcement learning panel to see it learn here.")
        self.status.setWordWrap(True)
        self.curves = RLCurves()
        self.frames = FrameView()
        self.qtable = QTableView()
        self.side = QTabWidget()
        self.side.addTab(self.frames, "Environment")
        self.side.addTab(self.qtable, "Q-table")
        split = QSplitter(Qt.Orientation.Horizontal)
        split.addWidget(self.curves)
        split.addWidget(self.side)
        split.setStretchFactor(0, 3)
        split.setStretchFactor(1, 2)
        self.split = split
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 2, 4, 2)
        layout.addWidget(self.status)
        layout.addWidget(split, 1)
        self.action_names: tuple[str, ...] = ()
        self._frame: Any = None

    def reset(self, tabular: bool, action_names: tuple[str, ...]) -> None:
        """A new run: empty curves and Q-table; the Q-table tab only for a tabular agent."""
        self.frames.stop_playback()
        self.curves.clear()
        self.curves.set_tabular(tabular)
        self.qtable.clear()
        self.action_names = action_names
        self.side.setTabEnabled(1, tabular)
        self.side.setCurrentIndex(0)
        self._frame = None

    def refresh(self, run: Any) -> None:
        """Redraw from the run's buffers and its newest frame and Q-table snapshot."""
        if run is None:
            return
        self.curves.refresh(run.history)
        frame = getattr(run, "last_frame", None)
        if frame is not None and frame is not self._frame and not self.frames.playing:
            self._frame = frame
            self.frames.show_frame(frame.image, f"training · episode {frame.episode + 1}, step {frame.step}")
        snap = getattr(run, "last_q_table", None)
        if snap is not None:  # snapshots are rare (every few hundred episodes)
            self.qtable.show_snapshot(snap, self.action_names)
        self._status(run)

    def _status(self, run: Any) -> None:
        n = len(run.history.epoch)
        if not n:
            self.status.setText(f"Run: {getattr(run, 'current_phase', 'starting')}…")
            return
        x, values = run.history.epoch.x.data, run.history.epoch.values
        ret = values["return"].data
        recent = ret[-100:] if len(ret) else ret
        text = (f"Episode {int(x[-1])} · return {ret[-1]:.2f} · mean of last {len(recent)}: {recent.mean():.2f}")
        if run.done:
            text += " · run ended"
        elif run.paused:
            text += " · paused"
        self.status.setText(text)
