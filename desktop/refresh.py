"""The dashboards' redraw timers, paced by the "Plot refresh rate" preference (DESIGN.md §2.9).

Every live plot timer is made by ``plot_timer``; ``set_plot_interval`` (called when the preference is saved)
changes all of them at once, so a new rate takes effect without reopening anything.
"""

from __future__ import annotations

import weakref

from PySide6.QtCore import QObject, QTimer

_timers: weakref.WeakSet[QTimer] = weakref.WeakSet()


def plot_interval_ms() -> int:
    """Milliseconds between redraws: 1000 / the preferred rate in Hz (30 Hz unless the user chose otherwise)."""
    from desktop.dialogs.preferences import load

    return int(load().plot_interval_ms)


def plot_timer(parent: QObject) -> QTimer:
    """A (not yet started) redraw timer at the preferred rate, kept in step with later changes of it."""
    timer = QTimer(parent)
    timer.setObjectName("plot_refresh_timer")
    timer.setInterval(plot_interval_ms())
    _timers.add(timer)
    return timer


def set_plot_interval(ms: int) -> None:
    """Apply a new interval to every live redraw timer."""
    for timer in list(_timers):
        try:
            timer.setInterval(ms)
        except RuntimeError:  # its C++ object is gone (the panel was closed)
            _timers.discard(timer)
