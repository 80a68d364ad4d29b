"""About Layerbench: our version, Qt and Python at once; TensorFlow, Keras and the GPUs once a separate
Python process has looked them up (TensorFlow is never imported in the GUI process)."""

from __future__ import annotations

import json
import platform
import sys
from typing import Any

import PySide6
from PySide6.QtCore import QProcess, Signal, qVersion
from PySide6.QtWidgets import QDialog, QDialogButtonBox, QFormLayout, QLabel, QVBoxLayout, QWidget

from core.project.schema import APP_VERSION


def probe_command() -> list[str]:
    """``layerbench versions --json`` in a child process: ``python -m core.cli`` with this interpreter, or the
    frozen bundle asking itself."""
    if getattr(sys, "frozen", False):
        return [sys.executable, "versions", "--json"]
    return [sys.executable, "-m", "core.cli", "versions", "--json"]


def parse_probe(output: str) -> dict[str, Any] | None:
    """The probe's JSON line (the last line that parses), or None."""
    for line in reversed(output.strip().splitlines()):
        try:
            data = json.loads(line)
        except json.JSONDecodeError:
            continue
        if isinstance(data, dict) and "tensorflow" in data:
            return data
    return None


class AboutDialog(QDialog):
    """Versions; ``probed`` is emitted when the TensorFlow lookup has answered (or failed)."""

    probed = Signal(bool)

    def __init__(self, parent: QWidget | None = None, command: list[str] | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("About Layerbench")
        self.labels: dict[str, QLabel] = {}
        intro = QLabel("<h2>Layerbench</h2><p>A desktop workbench for deep learning with TensorFlow/Keras: build "
                       "networks from layers, see shapes live, train, watch and export.</p>")
        intro.setWordWrap(True)
        form = QFormLayout()
        qt = f"{qVersion()} (PySide6 {PySide6.__version__})"
        rows = (("layerbench", "Layerbench", APP_VERSION), ("qt", "Qt", qt),
                ("python", "Python", platform.python_version()), ("tensorflow", "TensorFlow", "looking…"),
                ("keras", "Keras", "looking…"), ("gpus", "GPUs", "looking…"))
        for key, title, value in rows:
            label = QLabel(value)
            label.setObjectName(f"about_{key}")
            self.labels[key] = label
            form.addRow(title, label)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(intro)
        layout.addLayout(form)
        layout.addWidget(buttons)
        self.process = QProcess(self)
        self.process.finished.connect(self._finished)
        self.process.errorOccurred.connect(self._failed)
        cmd = command or probe_command()
        self.process.start(cmd[0], cmd[1:])

    def _finished(self, *_: object) -> None:
        data = parse_probe(bytes(self.process.readAllStandardOutput().data()).decode("utf-8", "replace"))
        if data is None:
            self._failed()
            return
        self.labels["tensorflow"].setText(str(data["tensorflow"]))
        self.labels["keras"].setText(str(data.get("keras", "?")))
        gpus = data.get("gpus") or []
        self.labels["gpus"].setText(", ".join(map(str, gpus)) if gpus else "none found (training runs on the CPU)")
        self.probed.emit(True)

    def _failed(self, *_: object) -> None:
        if self.labels["tensorflow"].text() != "looking…":
            return
        for key in ("tensorflow", "keras", "gpus"):
            self.labels[key].setText("not available (TensorFlow could not be imported)")
        self.probed.emit(False)

    def done(self, result: int) -> None:
        if self.process.state() != QProcess.ProcessState.NotRunning:
            self.process.kill()
            self.process.waitForFinished(2000)
        super().done(result)


def show_about(window: Any) -> AboutDialog:
    dialog = AboutDialog(window)
    dialog.open()
    return dialog
