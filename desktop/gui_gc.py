"""Python's cyclic garbage collector runs on the GUI thread only.

Left automatic, a collection runs in whichever thread allocates when a threshold is crossed: in this process often
a run's reader thread (it unpickles every message) or a preview thread. If the garbage then holds Qt wrappers
(a closed dialog, a replaced plot, a panel of a closed window, pyqtgraph's menus and timers), that thread deletes
Python-owned QObjects off the GUI thread and clears the ``__dict__`` of wrappers whose C++ object still receives
events: a crash, or a Python override failing with a missing attribute. So automatic collection is switched off
and a timer on the GUI thread collects by the same generation thresholds (pyqtgraph's ``GarbageCollector`` does
the same; reference counting still frees everything that is not in a cycle at once).
"""

from __future__ import annotations

import gc

from PySide6.QtCore import QObject, QTimer

INTERVAL_MS = 500


def collect_if_due() -> None:
    """One step of automatic collection, as Python would do it, on the calling (GUI) thread."""
    counts, thresholds = gc.get_count(), gc.get_threshold()
    for generation in (2, 1, 0):  # the oldest generation due collects the younger ones too
        if thresholds[generation] and counts[generation] > thresholds[generation]:
            gc.collect(generation)
            return


def collect_on_gui_thread(parent: QObject, interval_ms: int = INTERVAL_MS) -> QTimer:
    """Switch automatic collection off and collect from a timer owned by ``parent`` (the application)."""
    gc.disable()
    timer = QTimer(parent)
    timer.setObjectName("gui_gc")
    timer.setInterval(interval_ms)
    timer.timeout.connect(collect_if_due)
    timer.start()
    return timer
