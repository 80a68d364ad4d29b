"""Export from the GUI: the project is written to a temporary file and ``layerbench export`` runs on
it in a child process, so TensorFlow never loads in the window's process."""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject
from PySide6.QtWidgets import QFileDialog, QMessageBox

from desktop.worker import CliJob

if TYPE_CHECKING:
    from desktop.main_window import MainWindow

FORMATS: dict[str, tuple[str, str]] = {
    "savedmodel": ("TensorFlow SavedModel", ""),
    "keras": ("Keras file", "Keras models (*.keras)"),
    "python": ("Python code", "Python files (*.py)"),
    "onnx": ("ONNX", "ONNX models (*.onnx)"),
    "tflite": ("TFLite / LiteRT", "TFLite models (*.tflite)"),
}
SUFFIXES = {"keras": ".keras", "python": ".py", "onnx": ".onnx", "tflite": ".tflite"}


def export_args(project_file: Path, fmt: str, output: Path) -> list[str]:
    """The ``core.cli`` arguments of an export."""
    return ["export", str(project_file), "--format", fmt, "--out", str(output)]


class ExportRunner(QObject):
    def __init__(self, window: MainWindow) -> None:
        super().__init__(window)
        self.window = window
        self.job: CliJob | None = None
        self._tmp: tempfile.TemporaryDirectory[str] | None = None

    def start(self, fmt: str, output: Path | None = None) -> bool:
        title, file_filter = FORMATS[fmt]
        if self.window.document.info.errors:
            first = self.window.document.info.errors[0]
            QMessageBox.warning(self.window, "Cannot export", f"Fix the problems first: {first}")
            return False
        if output is None:
            output = self._ask(title, fmt, file_filter)
            if output is None:
                return False
        from core.project.io import save_project

        self._tmp = tempfile.TemporaryDirectory(prefix="layerbench-export-")
        snapshot = Path(self._tmp.name) / "snapshot.layerbench"
        save_project(self.window.projects.project_for_save(), snapshot, backup=False, adopt=False)
        self.job = CliJob(self.window, f"Exporting {title}…", export_args(snapshot, fmt, output),
                          lambda ok, out: self._done(ok, out, output))
        self.window.log.log(f"Exporting {title} to {output}")
        self.job.start()
        return True

    def _ask(self, title: str, fmt: str, file_filter: str) -> Path | None:
        base = self.window.document.path.parent if self.window.document.path else Path.home()
        name = self.window.document.title
        if fmt == "savedmodel":
            chosen = QFileDialog.getExistingDirectory(self.window, f"Export {title} into folder", str(base))
            return Path(chosen) / f"{name}_savedmodel" if chosen else None
        chosen, _ = QFileDialog.getSaveFileName(self.window, f"Export {title}", str(base / (name + SUFFIXES[fmt])),
                                                file_filter)
        return Path(chosen) if chosen else None

    def _done(self, ok: bool, output_text: str, output: Path) -> None:
        if self._tmp is not None:
            self._tmp.cleanup()
            self._tmp = None
        if ok:
            self.window.show_message(f"Exported to {output}")
            QMessageBox.information(self.window, "Export finished", f"Exported to:\n{output}")
        else:
            self.window.log.log(output_text)
            tail = "\n".join(output_text.splitlines()[-6:])
            QMessageBox.warning(self.window, "Export failed", tail or "The export process failed.")

    def shutdown(self) -> None:
        if self.job is not None and self.job.is_running():
            self.job.cancel()
