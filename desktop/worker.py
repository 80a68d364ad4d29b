"""A command-line job in a child process (``python -m core.cli …``) with a progress dialog.

Anything that imports TensorFlow (export, Keras import) runs this way, never in the GUI process.
"""

from __future__ import annotations

import sys
from collections.abc import Callable

from PySide6.QtCore import QObject, QProcess, Qt
from PySide6.QtWidgets import QProgressDialog, QWidget

TAIL = 4000


class CliJob(QObject):
    """Runs ``python -m core.cli *args``; ``on_done(ok, output)`` is called once, in the GUI thread."""

    def __init__(self, parent: QWidget, title: str, args: list[str], on_done: Callable[[bool, str], None]) -> None:
        super().__init__(parent)
        self.args, self.on_done = args, on_done
        self.output = ""
        self.process = QProcess(self)
        self.process.setProcessChannelMode(QProcess.ProcessChannelMode.MergedChannels)
        self.process.readyReadStandardOutput.connect(self._read)
        self.process.finished.connect(self._finished)
        self.process.errorOccurred.connect(self._failed)
        self.dialog = QProgressDialog(title, "Cancel", 0, 0, parent)
        self.dialog.setWindowTitle(title)
        self.dialog.setWindowModality(Qt.WindowModality.WindowModal)
        self.dialog.setMinimumDuration(300)
        self.dialog.canceled.connect(self.cancel)
        self._done = False

    def start(self) -> None:
        self.process.start(sys.executable, ["-m", "core.cli", *self.args])

    def _read(self) -> None:
        text = bytes(self.process.readAllStandardOutput().data()).decode(errors="replace")
        self.output = (self.output + text)[-TAIL:]
        last = [ln for ln in self.output.splitlines() if ln.strip()]
        if last:
            self.dialog.setLabelText(last[-1][:120])

    def _finished(self, code: int, status: QProcess.ExitStatus) -> None:
        self._read()
        self._finish(code == 0 and status == QProcess.ExitStatus.NormalExit)

    def _failed(self, error: QProcess.ProcessError) -> None:
        if error == QProcess.ProcessError.FailedToStart:
            self.output += f"\ncould not start {sys.executable}"
            self._finish(False)

    def _finish(self, ok: bool) -> None:
        if self._done:
            return
        self._done = True
        self.dialog.reset()
        self.dialog.hide()
        self.on_done(ok, self.output.strip())

    def cancel(self) -> None:
        if self.process.state() != QProcess.ProcessState.NotRunning:
            self.output += "\ncancelled"
            self.process.kill()
            self.process.waitForFinished(2000)

    def is_running(self) -> bool:
        return self.process.state() != QProcess.ProcessState.NotRunning
