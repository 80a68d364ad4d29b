"""How forms and banners ask the Learn dock to explain something: ``request_topic(key, source)``.

One module-level relay carries ``(topic key, asking widget, reveal)``; each window's Learn panel (``attach``)
answers only requests from widgets of its own window. ``watch(widget, topic)`` makes a form field ask for its
topic when it gets focus (text only) or when the user picks an item in it (the Learn tab is also raised,
unless it shares a tab group with the form, which it would then hide, or the user closed it).
"""

from __future__ import annotations

from collections.abc import Callable
from html import escape
from typing import Any

from PySide6.QtCore import QEvent, QObject, Signal
from PySide6.QtWidgets import QComboBox, QDockWidget, QMainWindow, QWidget

from desktop.panels.learn_topics import FIX_TOPICS, all_topics

TEXT, RAISE, OPEN = 0, 1, 2
"""How far a request goes: show the text only; also raise the Learn tab; also reopen a closed Learn dock."""


class LearnRelay(QObject):
    requested = Signal(str, object, int)  # topic key, the widget asking (or None), TEXT / RAISE / OPEN


_relay: LearnRelay | None = None


def relay() -> LearnRelay:
    global _relay
    if _relay is None:
        _relay = LearnRelay()
    return _relay


def request_topic(key: str, source: QWidget | None = None, reveal: int = TEXT) -> None:
    """Show topic ``key`` in the Learn dock of ``source``'s window (None: every window's)."""
    if key:
        relay().requested.emit(key, source, reveal)


def owner(widget: QWidget | None) -> QMainWindow | None:
    """The main window a widget belongs to, also from inside a floating dock."""
    while widget is not None and not isinstance(widget, QMainWindow):
        widget = widget.parentWidget()
    return widget


def _dock_of(widget: QWidget | None) -> QDockWidget | None:
    while widget is not None and not isinstance(widget, QDockWidget):
        widget = widget.parentWidget()
    return widget


class _Watcher(QObject):
    """Asks for ``topic()`` when its widget gets focus, and (raising the dock) when the user picks an item."""

    def __init__(self, widget: QWidget, topic: Callable[[], str | None]) -> None:
        super().__init__(widget)
        self.widget, self.topic = widget, topic
        widget.installEventFilter(self)
        if isinstance(widget, QComboBox):
            widget.activated.connect(lambda _i: self.ask(RAISE))

    def ask(self, reveal: int) -> None:
        key = self.topic()
        if key and key in all_topics():
            request_topic(key, self.widget, reveal)

    def eventFilter(self, obj: QObject, event: QEvent) -> bool:
        if obj is self.widget and event.type() == QEvent.Type.FocusIn:
            self.ask(TEXT)
        return False


def watch(widget: QWidget, topic: Callable[[], str | None]) -> None:
    """Make ``widget`` ask the Learn dock for ``topic()`` on focus and on a choice by the user."""
    _Watcher(widget, topic)


def watch_combo(combo: QComboBox, prefix: str) -> None:
    """A combo box of choices that are topics ``<prefix>:<choice>`` (its item data, else its text, lower case)."""
    watch(combo, lambda: f"{prefix}:{str(combo.currentData() or combo.currentText()).lower()}")


class _Receiver(QObject):
    """Lives as long as the Learn panel; shows the topics its window's widgets ask for."""

    def __init__(self, panel: Any, window: Any) -> None:
        super().__init__(panel)
        self.panel, self.window = panel, window
        self.last = ""
        relay().requested.connect(self.receive)

    def receive(self, key: str, source: Any, reveal: int) -> None:
        try:
            if source is not None and owner(source) is not self.window:
                return
            self.last = key
            self.panel.show_topic(key)
            dock = getattr(self.window, "docks", {}).get("learn")
            if dock is None or reveal == TEXT or (dock.isHidden() and reveal < OPEN):
                return
            if _dock_of(source) in self.window.tabifiedDockWidgets(dock):
                return  # raising it would hide the form being edited: the topic waits in the Learn tab
            dock.show()
            dock.raise_()
        except RuntimeError:  # a widget of a window being torn down
            return


def attach(panel: Any, window: Any) -> None:
    """Let ``panel`` (the Learn panel of ``window``) answer ``request_topic`` calls from that window."""
    panel._learn_receiver = _Receiver(panel, window)


def banner_links(status: str, fix_keys: list[str]) -> str:
    """Rich-text links for the health banner: what the problem is and how each offered fix works."""
    topics = all_topics()
    links = [(f"gradients:{status}", f"{status} gradients")]
    links += [(FIX_TOPICS[k], topics[FIX_TOPICS[k]].title) for k in fix_keys if k in FIX_TOPICS]
    seen: list[str] = []
    parts = []
    for key, text in links:
        if key in topics and key not in seen:
            seen.append(key)
            parts.append(f'<a href="{escape(key)}">{escape(text)}</a>')
    return "<br>Learn: " + " · ".join(parts) if parts else ""
