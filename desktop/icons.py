"""Small icons drawn with QPainter: one per layer category and a few for the toolbar.

Drawn in a 24x24 box and rendered at several pixel sizes, so they stay crisp at 200% scaling.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from functools import cache

from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import QColor, QIcon, QPainter, QPainterPath, QPen, QPixmap

from desktop.theme import category_color

Glyph = Callable[[QPainter], None]


def _line(p: QPainter, *pts: tuple[float, float]) -> None:
    path = QPainterPath(QPointF(*pts[0]))
    for pt in pts[1:]:
        path.lineTo(QPointF(*pt))
    p.drawPath(path)


def _input(p: QPainter) -> None:
    _line(p, (5, 12), (16, 12))
    _line(p, (12, 8), (16, 12), (12, 16))
    _line(p, (19, 6), (19, 18))


def _core(p: QPainter) -> None:
    for y in (7, 12, 17):
        for x in (7, 17):
            p.drawEllipse(QPointF(x, y), 1.6, 1.6)
    for y1 in (7, 12, 17):
        for y2 in (7, 12, 17):
            _line(p, (8.5, y1), (15.5, y2))


def _activation(p: QPainter) -> None:
    path = QPainterPath(QPointF(5, 18))
    for i in range(1, 29):
        x = 5 + i * 0.5
        path.lineTo(QPointF(x, 18 - 12 / (1 + math.exp(-(x - 12) * 0.9))))
    p.drawPath(path)


def _convolution(p: QPainter) -> None:
    p.drawRect(QRectF(5, 5, 14, 14))
    _line(p, (5, 9.7), (19, 9.7))
    _line(p, (5, 14.3), (19, 14.3))
    _line(p, (9.7, 5), (9.7, 19))
    _line(p, (14.3, 5), (14.3, 19))


def _pooling(p: QPainter) -> None:
    _line(p, (5, 6), (19, 6), (14, 13), (14, 18), (10, 18), (10, 13), (5, 6))


def _padding(p: QPainter) -> None:
    p.drawRect(QRectF(5, 5, 14, 14))
    p.drawRect(QRectF(9, 9, 6, 6))


def _recurrent(p: QPainter) -> None:
    p.drawArc(QRectF(6, 6, 12, 12), 30 * 16, 300 * 16)
    _line(p, (16.5, 4.5), (17.6, 8.6), (13.6, 9.3))


def _regularization(p: QPainter) -> None:
    for i, (x, y) in enumerate([(7, 7), (12, 7), (17, 7), (7, 12), (12, 12), (17, 12), (7, 17), (12, 17), (17, 17)]):
        if i in (1, 5, 6):
            _line(p, (x - 1.6, y - 1.6), (x + 1.6, y + 1.6))
            _line(p, (x - 1.6, y + 1.6), (x + 1.6, y - 1.6))
        else:
            p.drawEllipse(QPointF(x, y), 1.6, 1.6)


def _normalization(p: QPainter) -> None:
    path = QPainterPath(QPointF(4, 18))
    for i in range(1, 33):
        x = 4 + i * 0.5
        path.lineTo(QPointF(x, 18 - 11 * math.exp(-((x - 12) ** 2) / 10)))
    p.drawPath(path)


def _merge(p: QPainter) -> None:
    _line(p, (5, 6), (11, 12), (19, 12))
    _line(p, (5, 18), (11, 12))
    _line(p, (16, 9), (19, 12), (16, 15))


def _reshape(p: QPainter) -> None:
    p.drawRect(QRectF(4, 8, 6, 8))
    p.drawRect(QRectF(14, 10, 7, 4))
    _line(p, (10.5, 12), (13.5, 12))


GLYPHS: dict[str, Glyph] = {
    "Input": _input, "Core": _core, "Activation": _activation, "Convolution": _convolution,
    "Pooling": _pooling, "Padding": _padding, "Recurrent": _recurrent, "Regularization": _regularization,
    "Normalization": _normalization, "Merge": _merge, "Reshape": _reshape,
}


def paint_glyph(p: QPainter, rect: QRectF, category: str, badge: bool = True) -> None:
    """Draw the category's icon into ``rect`` (a rounded coloured square with a white glyph)."""
    p.save()
    p.setRenderHint(QPainter.RenderHint.Antialiasing)
    p.translate(rect.topLeft())
    p.scale(rect.width() / 24, rect.height() / 24)
    color = category_color(category)
    if badge:
        p.setPen(Qt.PenStyle.NoPen)
        p.setBrush(color)
        p.drawRoundedRect(QRectF(0.5, 0.5, 23, 23), 5, 5)
        color = QColor("white")
    pen = QPen(color, 1.7, Qt.PenStyle.SolidLine, Qt.PenCapStyle.RoundCap, Qt.PenJoinStyle.RoundJoin)
    p.setPen(pen)
    p.setBrush(Qt.BrushStyle.NoBrush)
    GLYPHS.get(category, _padding)(p)
    p.restore()


def _render(draw: Callable[[QPainter, QRectF], None]) -> QIcon:
    icon = QIcon()
    for size in (16, 24, 32, 48, 64):
        pix = QPixmap(size, size)
        pix.fill(Qt.GlobalColor.transparent)
        painter = QPainter(pix)
        draw(painter, QRectF(0, 0, size, size))
        painter.end()
        icon.addPixmap(pix)
    return icon


@cache
def category_icon(category: str) -> QIcon:
    return _render(lambda p, r: paint_glyph(p, r, category))


def _tool(p: QPainter, rect: QRectF, name: str, color: QColor) -> None:
    p.setRenderHint(QPainter.RenderHint.Antialiasing)
    p.translate(rect.topLeft())
    p.scale(rect.width() / 24, rect.height() / 24)
    p.setPen(QPen(color, 1.8, Qt.PenStyle.SolidLine, Qt.PenCapStyle.RoundCap, Qt.PenJoinStyle.RoundJoin))
    TOOL_GLYPHS[name](p)


def _new(p: QPainter) -> None:
    _line(p, (6, 3), (14, 3), (19, 8), (19, 21), (6, 21), (6, 3))
    _line(p, (14, 3), (14, 8), (19, 8))


def _open(p: QPainter) -> None:
    _line(p, (3, 19), (3, 5), (9, 5), (11, 7), (19, 7), (19, 10))
    _line(p, (3, 19), (6, 10), (22, 10), (19, 19), (3, 19))


def _save(p: QPainter) -> None:
    _line(p, (4, 4), (17, 4), (20, 7), (20, 20), (4, 20), (4, 4))
    p.drawRect(QRectF(8, 4, 7, 5))
    p.drawRect(QRectF(7, 13, 10, 7))


def _undo(p: QPainter) -> None:
    p.drawArc(QRectF(6, 6, 14, 12), 90 * 16, -200 * 16)
    _line(p, (9, 3), (6, 6.5), (9.5, 9.5))


def _redo(p: QPainter) -> None:
    p.drawArc(QRectF(4, 6, 14, 12), 90 * 16, 200 * 16)
    _line(p, (15, 3), (18, 6.5), (14.5, 9.5))


def _delete(p: QPainter) -> None:
    _line(p, (4, 6), (20, 6))
    _line(p, (9, 6), (9, 3.5), (15, 3.5), (15, 6))
    _line(p, (6, 6), (7, 21), (17, 21), (18, 6))


def _fit(p: QPainter) -> None:
    for sx, sy in ((1, 1), (-1, 1), (1, -1), (-1, -1)):
        cx, cy = 12 - sx * 8, 12 - sy * 8
        _line(p, (cx, cy + sy * 5), (cx, cy), (cx + sx * 5, cy))


def _layout(p: QPainter) -> None:
    for x, y in ((3, 10), (11, 4), (11, 16), (19, 10)):
        p.drawRect(QRectF(x - 0.5, y - 0.5, 4, 4))
    _line(p, (6.5, 11), (10.5, 6))
    _line(p, (6.5, 13), (10.5, 18))
    _line(p, (14.5, 6), (18.5, 11))
    _line(p, (14.5, 18), (18.5, 13))


def _quick(p: QPainter) -> None:
    p.drawEllipse(QRectF(4, 4, 12, 12))
    _line(p, (14.5, 14.5), (20, 20))
    _line(p, (10, 7), (10, 13))
    _line(p, (7, 10), (13, 10))


def _export(p: QPainter) -> None:
    _line(p, (12, 15), (12, 3))
    _line(p, (7, 8), (12, 3), (17, 8))
    _line(p, (4, 13), (4, 20), (20, 20), (20, 13))


TOOL_GLYPHS: dict[str, Glyph] = {
    "new": _new, "open": _open, "save": _save, "undo": _undo, "redo": _redo, "delete": _delete,
    "fit": _fit, "layout": _layout, "quick_add": _quick, "export": _export,
}


def tool_icon(name: str, color: QColor) -> QIcon:
    """A toolbar icon in ``color`` (the palette's text colour, so it suits light and dark themes)."""
    if name not in TOOL_GLYPHS:
        return QIcon()
    return _render(lambda p, r: _tool(p, r, name, color))


def app_icon() -> QIcon:
    """The application icon (the same picture as ``resources/icons/layerbench.svg``, for packaging)."""

    def draw(p: QPainter, r: QRectF) -> None:
        p.setRenderHint(QPainter.RenderHint.Antialiasing)
        p.translate(r.topLeft())
        p.scale(r.width() / 24, r.height() / 24)
        p.setPen(Qt.PenStyle.NoPen)
        p.setBrush(QColor("#2f7cf6"))
        p.drawRoundedRect(QRectF(1, 1, 22, 22), 5, 5)
        p.setBrush(QColor("white"))
        for i, (w, y) in enumerate(((14, 5), (10, 10.5), (6, 16))):
            p.setOpacity(1.0 - i * 0.2)
            p.drawRoundedRect(QRectF(12 - w / 2, y, w, 3.5), 1.5, 1.5)

    return _render(draw)
