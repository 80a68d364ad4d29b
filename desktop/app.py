"""Start the desktop app: QApplication, theme, the psygnal queue pump, garbage collection on the GUI thread, the main
window.

``main(argv)`` takes an optional project path. TensorFlow is never imported here (DESIGN.md §2.2).
Setting ``LAYERBENCH_STARTUP_PROBE=1`` makes the app print ``painted <unix time>`` once the window has
been shown and painted, then quit (tests/benchmarks/bench_startup.py uses it).
``LAYERBENCH_TRAIN_PROBE=<epochs>`` starts a run from the Training panel and quits when it ends
(``desktop/train_probe.py``; the bundle check uses it).
"""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

from PySide6.QtCore import QEvent, QObject, QTimer
from PySide6.QtWidgets import QApplication

PROBE_ENV = "LAYERBENCH_STARTUP_PROBE"


def make_app() -> QApplication:
    existing = QApplication.instance()
    app = existing if isinstance(existing, QApplication) else QApplication([sys.argv[0] if sys.argv else "layerbench"])
    app.setOrganizationName("Layerbench")
    app.setApplicationName("Layerbench")
    app.setApplicationDisplayName("Layerbench")
    app.setDesktopFileName("layerbench")
    return app


def pump_psygnal_queue(app: QApplication) -> QTimer:
    """Deliver psygnal callbacks connected with ``thread="main"`` (the training engine's signals)."""
    import psygnal

    timer = QTimer(app)
    timer.setInterval(15)
    timer.timeout.connect(psygnal.emit_queued)
    timer.start()
    return timer


def theme_choice() -> bool | None:
    from desktop.settings import settings

    value = settings().value("theme", "system")
    return {"light": False, "dark": True}.get(str(value))


def follow_system_theme(app: QApplication, window: object) -> None:
    from desktop.theme import apply_theme

    def changed() -> None:
        if theme_choice() is None:
            apply_theme(app, None)
            window.refresh_theme()  # type: ignore[attr-defined]

    app.styleHints().colorSchemeChanged.connect(changed)


class PaintProbe(QObject):
    """Prints the time once the canvas has painted for the first time, then quits (start-up benchmark)."""

    def __init__(self, app: QApplication) -> None:
        super().__init__(app)
        self.app = app
        self.done = False

    def eventFilter(self, obj: QObject, event: QEvent) -> bool:
        if event.type() == QEvent.Type.Paint and not self.done:
            self.done = True
            QTimer.singleShot(0, self.report)
        return False

    def report(self) -> None:
        print(f"painted {time.time():.6f} tf={'tensorflow' in sys.modules}", flush=True)
        self.app.quit()


def install_window_extras(window: object) -> None:
    """What every main window gets after it is built: the Learn dock (placed where it was left) and the
    preferences the window does not read itself (autosave interval, data cache)."""
    from desktop.dialogs.preferences import apply_at_start
    from desktop.panels.learn import install_learn_dock

    install_learn_dock(window)
    apply_at_start(window)


def install_first_run(window: object) -> None:
    """The first window's extras and the single-instance server."""
    from desktop.single_instance import serve

    install_window_extras(window)
    if not os.environ.get(PROBE_ENV):
        serve(window)


def main(argv: list[str] | None = None) -> int:
    """Run the GUI; ``argv`` may hold one project (or Keras model) path to open. Returns the exit code."""
    args = list(sys.argv[1:] if argv is None else argv)
    app = make_app()
    from desktop.single_instance import hand_over
    from desktop.train_probe import probe_epochs

    train_probe = probe_epochs()
    if not os.environ.get(PROBE_ENV) and not train_probe and hand_over(args):
        return 0  # the running Layerbench opened the file (or a window) for us
    from desktop.main_window import MainWindow
    from desktop.theme import apply_theme

    apply_theme(app, theme_choice())
    pump_psygnal_queue(app)
    from desktop.gui_gc import collect_on_gui_thread

    collect_on_gui_thread(app)  # never in a reader thread: it would delete Qt objects off the GUI thread
    window = MainWindow()
    install_first_run(window)
    follow_system_theme(app, window)
    probe = bool(os.environ.get(PROBE_ENV))
    if probe:
        window.view.viewport().installEventFilter(PaintProbe(app))
    window.show()
    if args:
        window.projects.load_path(Path(args[0]))
    if train_probe:
        from desktop.train_probe import start_train_probe

        start_train_probe(window, train_probe)
    elif not args and not probe:
        window.projects.offer_recovery()
        from desktop.welcome import show_welcome

        show_welcome(window)
    return app.exec()


if __name__ == "__main__":
    raise SystemExit(main())
