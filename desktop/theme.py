"""Light and dark themes: the Fusion palette for widgets and the colours the canvas paints with.

The theme follows the system colour scheme (``QStyleHints.colorScheme``) unless one is forced. Canvas items
read ``colors()`` at paint time, so switching theme is a repaint, not a rebuild.
"""

from __future__ import annotations

from dataclasses import dataclass

from PySide6.QtCore import Qt
from PySide6.QtGui import QColor, QGuiApplication, QPalette
from PySide6.QtWidgets import QApplication


@dataclass(frozen=True)
class CanvasColors:
    background: QColor
    grid_minor: QColor
    grid_major: QColor
    node_body: QColor
    node_border: QColor
    selection: QColor
    text: QColor
    text_dim: QColor
    edge: QColor
    label_bg: QColor
    error: QColor
    ok: QColor
    dark: bool


CATEGORY_COLORS = {
    "Input": "#2f9e6e",
    "Core": "#3b7ddd",
    "Activation": "#e0a21b",
    "Convolution": "#8a5cf0",
    "Pooling": "#10a5c0",
    "Padding": "#7f8ea3",
    "Recurrent": "#d9488b",
    "Regularization": "#e26d3d",
    "Normalization": "#16a394",
    "Merge": "#5b63d6",
    "Reshape": "#6e9e1f",
}


def category_color(category: str) -> QColor:
    return QColor(CATEGORY_COLORS.get(category, "#7f8ea3"))


LIGHT = CanvasColors(
    background=QColor("#f6f7f9"), grid_minor=QColor("#e8eaee"), grid_major=QColor("#d9dce2"),
    node_body=QColor("#ffffff"), node_border=QColor("#c4c9d2"), selection=QColor("#2f7cf6"),
    text=QColor("#1d2330"), text_dim=QColor("#5f6878"), edge=QColor("#7b8494"), label_bg=QColor("#ffffffe6"),
    error=QColor("#d93a3a"), ok=QColor("#21a366"), dark=False,
)
DARK = CanvasColors(
    background=QColor("#1e2127"), grid_minor=QColor("#262a31"), grid_major=QColor("#2f343c"),
    node_body=QColor("#2b3038"), node_border=QColor("#454c58"), selection=QColor("#5b9cff"),
    text=QColor("#e7eaf0"), text_dim=QColor("#a3abb9"), edge=QColor("#8d96a6"), label_bg=QColor("#2b3038e6"),
    error=QColor("#ff5c5c"), ok=QColor("#3fcf8e"), dark=True,
)

_current: CanvasColors = LIGHT


def colors() -> CanvasColors:
    return _current


def system_prefers_dark() -> bool:
    hints = QGuiApplication.styleHints()
    return hints.colorScheme() == Qt.ColorScheme.Dark


def _palette(dark: bool) -> QPalette:
    pal = QPalette()
    if dark:
        base, window, text, button = "#23272e", "#2b3038", "#e7eaf0", "#343a44"
        alt, disabled, tip = "#2b3038", "#7d8594", "#343a44"
    else:
        base, window, text, button = "#ffffff", "#eef0f3", "#1d2330", "#f6f7f9"
        alt, disabled, tip = "#f5f6f8", "#9aa1ad", "#ffffff"
    roles = {
        QPalette.ColorRole.Window: window, QPalette.ColorRole.WindowText: text, QPalette.ColorRole.Base: base,
        QPalette.ColorRole.AlternateBase: alt, QPalette.ColorRole.Text: text, QPalette.ColorRole.Button: button,
        QPalette.ColorRole.ButtonText: text, QPalette.ColorRole.ToolTipBase: tip,
        QPalette.ColorRole.ToolTipText: text, QPalette.ColorRole.PlaceholderText: disabled,
        QPalette.ColorRole.Highlight: "#2f7cf6" if not dark else "#3d7fe0",
        QPalette.ColorRole.HighlightedText: "#ffffff", QPalette.ColorRole.Link: "#2f7cf6",
        QPalette.ColorRole.BrightText: "#ff5c5c",
    }
    for role, value in roles.items():
        pal.setColor(role, QColor(value))
    for role in (QPalette.ColorRole.Text, QPalette.ColorRole.ButtonText, QPalette.ColorRole.WindowText):
        pal.setColor(QPalette.ColorGroup.Disabled, role, QColor(disabled))
    return pal


def apply_theme(app: QApplication, dark: bool | None = None) -> bool:
    """Fusion style with our light or dark palette; ``None`` follows the system. Returns whether dark."""
    global _current
    if dark is None:
        dark = system_prefers_dark()
    app.setStyle("Fusion")
    app.setPalette(_palette(dark))
    _current = DARK if dark else LIGHT
    return dark
