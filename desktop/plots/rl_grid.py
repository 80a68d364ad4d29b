"""A grid world drawn with QPainter: the value of each state as a heatmap, the greedy action as an arrow,
the map's letters (S start, H hole, G goal, C cliff) and a click to pick a state."""

from __future__ import annotations

from typing import Any

import numpy as np
from PySide6.QtCore import QPointF, QRectF, Qt, Signal
from PySide6.QtGui import QColor, QFont, QMouseEvent, QPainter, QPaintEvent, QPen, QPolygonF
from PySide6.QtWidgets import QSizePolicy, QWidget

from desktop.plots.export import Exportable, export_button, table_text

VIRIDIS = ("#440154", "#3b528b", "#21918c", "#5ec962", "#fde725")
HOLE, CLIFF, GOAL = QColor("#1f2633"), QColor("#5c1a1a"), QColor("#e9ecef")
MARGIN = 6.0


def heat(t: float) -> QColor:
    """Viridis at ``t`` in [0, 1] (linear between five stops)."""
    t = min(max(t, 0.0), 1.0) * (len(VIRIDIS) - 1)
    i = min(int(t), len(VIRIDIS) - 2)
    a, b, f = QColor(VIRIDIS[i]), QColor(VIRIDIS[i + 1]), t - i
    return QColor.fromRgbF(a.redF() + f * (b.redF() - a.redF()), a.greenF() + f * (b.greenF() - a.greenF()),
                           a.blueF() + f * (b.blueF() - a.blueF()))


class GridWidget(QWidget, Exportable):
    """Shows one ``solve`` answer of ``core.rl.jobs`` (rows, cols, values, arrows, letters, labels).

    Its Export button (``export_button``) is placed by the view holding the grid. CSV: one row per cell,
    ``state, row, col, letter, value, policy`` (the greedy action's name; empty where the episode ends)."""

    cell_clicked = Signal(int, int)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setMinimumSize(220, 180)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        self.rows = self.cols = 0
        self.values = np.zeros((0, 0))
        self.arrows: list[list[Any]] = []
        self.letters: list[str] = []
        self.labels: list[list[str]] = []
        self.selected: tuple[int, int] | None = None
        self.answer: dict[str, Any] | None = None
        export_button(self)

    def set_grid(self, answer: dict[str, Any] | None) -> None:
        self.answer = answer
        if answer is None:
            self.rows = self.cols = 0
        else:
            self.rows, self.cols = int(answer["rows"]), int(answer["cols"])
            self.values = np.asarray(answer["values"], dtype=np.float64)
            self.arrows, self.letters, self.labels = answer["arrows"], answer["letters"], answer["labels"]
        self.selected = None
        self.update()

    def export_stem(self) -> str:
        answer = self.answer or {}
        parts = ("mdp", answer.get("env"), answer.get("method"))
        return "_".join(str(p).lower().replace("-", "_") for p in parts if p)

    def export_csv(self) -> str:
        answer = self.answer or {}
        states, policy = answer.get("cell_states"), answer.get("policy")
        names = answer.get("action_names") or []
        rows = []
        for r in range(self.rows):
            for c in range(self.cols):
                state = int(states[r][c]) if states is not None else r * self.cols + c
                acts = (self.arrows and self.arrows[r][c] is not None) or (r < len(self.labels) and self.labels[r][c])
                action = int(policy[state]) if acts and policy is not None else None
                name = "" if action is None else names[action] if action < len(names) else str(action)
                letter = self.letters[r][c] if r < len(self.letters) else ""
                rows.append([state, r, c, letter, float(self.values[r, c]), name])
        return table_text(["state", "row", "col", "letter", "value", "policy"], rows)

    def arrow_count(self) -> int:
        return sum(a is not None for row in self.arrows for a in row)

    def _geometry(self) -> tuple[float, float, float]:
        side = min((self.width() - 2 * MARGIN) / max(self.cols, 1), (self.height() - 2 * MARGIN) / max(self.rows, 1))
        x0 = (self.width() - side * self.cols) / 2
        y0 = (self.height() - side * self.rows) / 2
        return side, x0, y0

    def cell_at(self, pos: QPointF) -> tuple[int, int] | None:
        side, x0, y0 = self._geometry()
        if side <= 0:
            return None
        c, r = int((pos.x() - x0) // side), int((pos.y() - y0) // side)
        return (r, c) if 0 <= r < self.rows and 0 <= c < self.cols else None

    def mousePressEvent(self, event: QMouseEvent) -> None:
        cell = self.cell_at(event.position())
        if cell is not None:
            self.selected = cell
            self.update()
            self.cell_clicked.emit(*cell)

    def paintEvent(self, event: QPaintEvent) -> None:
        if not self.rows:
            return
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        side, x0, y0 = self._geometry()
        low, high = float(self.values.min()), float(self.values.max())
        span = high - low if high > low else 1.0
        font = QFont(self.font())
        font.setPointSizeF(max(6.0, min(11.0, side / 6)))
        painter.setFont(font)
        for r in range(self.rows):
            for c in range(self.cols):
                rect = QRectF(x0 + c * side, y0 + r * side, side, side)
                self._cell(painter, rect, r, c, (self.values[r, c] - low) / span)
        if self.selected is not None:
            r, c = self.selected
            painter.setPen(QPen(QColor("#ff922b"), 3))
            painter.setBrush(Qt.BrushStyle.NoBrush)
            painter.drawRect(QRectF(x0 + c * side, y0 + r * side, side, side).adjusted(1.5, 1.5, -1.5, -1.5))
        painter.end()

    def _cell(self, painter: QPainter, rect: QRectF, r: int, c: int, t: float) -> None:
        letter = self.letters[r][c] if r < len(self.letters) else "F"
        fill = HOLE if letter == "H" else CLIFF if letter == "C" else GOAL if letter == "G" else heat(t)
        painter.setPen(QPen(QColor(255, 255, 255, 120), 1))
        painter.setBrush(fill)
        painter.drawRect(rect)
        ink = QColor("#111111") if fill.lightnessF() > 0.55 else QColor("#f5f5f5")
        painter.setPen(ink)
        pad = rect.adjusted(3, 2, -3, -2)
        if letter in "SHGC":
            painter.drawText(pad, Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignTop, letter)
        if letter == "G":
            painter.drawText(pad, Qt.AlignmentFlag.AlignCenter, "goal")
        elif letter not in "HC":
            corner = Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignBottom
            painter.drawText(pad, corner, f"{self.values[r, c]:.2f}")
        label = self.labels[r][c] if r < len(self.labels) else ""
        if label:
            painter.drawText(pad, Qt.AlignmentFlag.AlignCenter, label)
        elif self.arrows and self.arrows[r][c] is not None:
            self._arrow(painter, rect, self.arrows[r][c], ink)

    @staticmethod
    def _arrow(painter: QPainter, rect: QRectF, step: Any, ink: QColor) -> None:
        dr, dc = step
        center = rect.center() - QPointF(0, rect.height() * 0.08)  # clear of the value in the corner
        length = rect.width() * 0.24
        tip = QPointF(center.x() + dc * length, center.y() + dr * length)
        tail = QPointF(center.x() - dc * length, center.y() - dr * length)
        painter.setPen(QPen(ink, max(1.5, rect.width() / 28), Qt.PenStyle.SolidLine, Qt.PenCapStyle.RoundCap))
        painter.drawLine(tail, tip)
        head = length * 0.55
        left = QPointF(tip.x() - dc * head - dr * head * 0.6, tip.y() - dr * head + dc * head * 0.6)
        right = QPointF(tip.x() - dc * head + dr * head * 0.6, tip.y() - dr * head - dc * head * 0.6)
        painter.setBrush(ink)
        painter.drawPolygon(QPolygonF([tip, left, right]))
