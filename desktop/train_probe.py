"""``LAYERBENCH_TRAIN_PROBE=<epochs>``: start a run from the Training panel once the project is open, print
``trained finished …`` or ``trained failed …`` when it ends, then quit.

It drives the same path as a person pressing Start (a spawned worker process), so it proves that GUI-started
training works where it is hard to click: inside the PyInstaller bundle (``scripts/bundle.py`` runs it).
"""

from __future__ import annotations

import os
import traceback
from typing import Any

from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication

TRAIN_PROBE_ENV = "LAYERBENCH_TRAIN_PROBE"


def probe_epochs() -> int:
    """The number of epochs asked for, or 0 when the probe is off."""
    try:
        return max(0, int(os.environ.get(TRAIN_PROBE_ENV, "0") or 0))
    except ValueError:
        return 1


def start_train_probe(window: Any, epochs: int) -> None:
    """Press Start on ``window``'s Training panel (after the project has been read) and quit when it ends."""
    def finish(kind: str, detail: str) -> None:
        print(f"trained {kind} {detail}", flush=True)
        window.document.mark_saved()  # a probe: quitting must not stop at "save the changes?"
        QTimer.singleShot(0, QApplication.quit)

    def ended(run: Any, result: Any) -> None:
        if hasattr(result, "error"):
            finish("failed", str(result.error))
        else:
            finish("finished", f"epochs={getattr(result, 'epochs_done', '?')} device={getattr(result, 'device', '?')}")

    def go() -> None:
        try:
            from desktop.panels.training_install import training_docks

            docks = training_docks(window)
            docks._check_document()
            docks.panel.form.set_values({"epochs": epochs})
            docks.session.run_ended.connect(ended)
            docks.panel.start_button.click()
        except Exception:
            finish("failed", traceback.format_exc())
            return
        if not docks.session.running:
            finish("failed", f"could not start: {docks.panel.error.text()}")

    QTimer.singleShot(0, window, go)
