"""How a test run ends when something goes wrong outside a test's own assertions (a pytest plugin, loaded by
tests/conftest.py; kept free of project imports so a test can load it into a throwaway pytest run).

- A crashed xdist worker fails the run at once (``--max-worker-restart=0`` unless given on the command line).
  pytest-xdist 3.8 restarts a crashed worker by default, and under ``--dist loadgroup``/``loadscope`` the
  replacement can wait forever for work the scheduler never sends (pytest-dev/pytest-xdist#1323, #1327): the run
  hangs instead of failing. Restarting would only hide the crash anyway.
- Every test has a time limit (pytest-timeout): the module's or test's own ``timeout`` mark if it has one, else
  ``DEFAULT_TIMEOUT`` with the ``thread`` method: the stacks of every thread are printed and the process exits,
  which ends even a test stuck in C++ or inside a Qt slot (where the ``signal`` method's exception is swallowed
  by the event loop); under xdist the crashed worker then fails the run, as above.
- The two longest modules (``HEAVY``) are put at the front of the collection, so under xdist they start first
  and the rest of the suite fills the other worker around them, instead of running at the tail (tests/hardening
  is collected last) while the other worker idles. (``xdist_group`` marks would not help here: with pytest 9.2,
  xdist 3.8 silently ignores them, pytest-dev/pytest-xdist#1386, so ``--dist loadgroup`` distributes every test
  on its own.)
- Cyclic garbage is collected on the main thread only while a GUI test runs, and after it: automatic collection
  is off during the test (a timer on the GUI thread collects instead, as in the app: desktop/gui_gc.py), and at
  teardown the widgets pytest-qt closed (``deleteLater``) are deleted and everything left is collected. Otherwise
  the wrappers of closed widgets wait in cyclic garbage until *some* thread's allocation triggers a collection: in
  an xdist worker often execnet's receiver thread (or a reader, preview or checkpoint thread), which then deletes
  Python-owned QObjects (pyqtgraph's menus and timers, panels) off the GUI thread and clears the ``__dict__`` of
  wrappers whose C++ object still gets events: the likely cause of a worker's segfault between tests (collections
  forced from another thread reproduced a fatal abort inside a collection, and Python overrides of live widgets
  failing on a missing attribute; not that exact segfault).
"""

from __future__ import annotations

import gc
import sys
from collections.abc import Generator
from typing import Any

import pytest

DEFAULT_TIMEOUT = 300.0
"""Seconds: far above the slowest unmarked test (about 25 s alone on a loaded 2-core machine), equal to
``faulthandler_timeout``."""


def pytest_configure(config: pytest.Config) -> None:
    if getattr(config.option, "maxworkerrestart", "absent") is None:  # xdist loaded, option not given
        config.option.maxworkerrestart = "0"


HEAVY = ("test_long_session.py", "test_faults_window.py")
"""Modules of tests/hardening that take minutes (training processes started one after another), longest first."""


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    def rank(item: pytest.Item) -> int:
        heavy = item.path.parent.name == "hardening" and item.path.name in HEAVY
        return HEAVY.index(item.path.name) if heavy else len(HEAVY)

    items.sort(key=rank)  # stable: each module keeps its order, the rest of the suite too
    _default_timeouts(config, items)


def _default_timeouts(config: pytest.Config, items: list[pytest.Item]) -> None:
    if not config.pluginmanager.hasplugin("timeout") or config.getoption("timeout", None) is not None \
            or config.getini("timeout"):
        return  # no pytest-timeout, or a limit given on the command line or in the config wins
    for item in items:
        if item.get_closest_marker("timeout") is None:
            item.add_marker(pytest.mark.timeout(DEFAULT_TIMEOUT, method="thread"))


_GUI_GC: list[Any] = []
"""The timer collecting on the GUI thread while a GUI test's body runs (desktop/gui_gc.py), made once per process."""


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_setup(item: pytest.Item) -> Generator[None, None, None]:
    if _uses_qt(item):
        gc.disable()  # no automatic collection in any thread while Qt objects come and go
        gc.freeze()  # what exists now is left out of this test's collections: they cost what the test made
    return (yield)


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_call(item: pytest.Item) -> Generator[None, None, None]:
    """While the test body runs, the GUI thread collects by the usual thresholds (as the app does). Not after it:
    the test's widgets, no longer referenced, must be closed and deleted by Qt before their wrappers are collected
    (collected first, a top-level widget would be deleted by its wrapper with its children's Python state gone)."""
    timer = _gui_gc_timer() if _uses_qt(item) else None
    if timer is not None:
        timer.start()
    try:
        return (yield)
    finally:
        if timer is not None:
            timer.stop()


def _gui_gc_timer() -> Any:
    if not _GUI_GC:
        from PySide6.QtCore import QCoreApplication

        app = QCoreApplication.instance()
        if app is None:
            return None
        from desktop.gui_gc import collect_on_gui_thread

        _GUI_GC.append(collect_on_gui_thread(app))
    return _GUI_GC[0]


@pytest.hookimpl(wrapper=True, tryfirst=True)  # outside pytest-qt's teardown wrapper: runs after it closed the widgets
def pytest_runtest_teardown(item: pytest.Item, nextitem: pytest.Item | None) -> Generator[None, None, None]:
    try:
        return (yield)
    finally:
        if _uses_qt(item):
            collect_qt_garbage()  # what the test made (a full collection costs ~0.3 s once TensorFlow is loaded)
            gc.unfreeze()
            if nextitem is None or nextitem.path != item.path:
                collect_qt_garbage()  # the module's own fixtures (made before this test) ended too: everything
            gc.enable()  # tests without Qt (TensorFlow in this process, say) keep Python's own collection


def _uses_qt(item: pytest.Item) -> bool:
    if "PySide6.QtWidgets" not in sys.modules:  # never import Qt here: tests/core runs with Qt absent
        return False
    names = getattr(item, "fixturenames", ())
    return "qtbot" in names or "qapp" in names or "desktop" in item.path.parts or "hardening" in item.path.parts


def collect_qt_garbage() -> None:
    """Delete the objects waiting for ``deleteLater`` and collect cyclic garbage, both on this (the GUI) thread."""
    from PySide6.QtCore import QCoreApplication, QEvent

    if QCoreApplication.instance() is not None:
        QCoreApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete)
    gc.collect()
