"""Import of a Keras model (.keras, .h5): ``layerbench import`` converts it in a child process (it needs
TensorFlow) into a temporary project, which the GUI then opens as an unsaved document."""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject
from PySide6.QtWidgets import QMessageBox

from desktop.document import Document
from desktop.worker import CliJob

if TYPE_CHECKING:
    from desktop.main_window import MainWindow


def import_args(source: Path, target: Path) -> list[str]:
    return ["import", str(source), str(target), "--force"]


class ImportRunner(QObject):
    def __init__(self, window: MainWindow) -> None:
        super().__init__(window)
        self.window = window
        self._tmp = tempfile.TemporaryDirectory(prefix="layerbench-import-")
        self.job: CliJob | None = None

    def start(self, source: Path) -> bool:
        target = Path(self._tmp.name) / f"{source.stem}.layerbench"
        self.job = CliJob(self.window, f"Importing {source.name}…", import_args(source, target),
                          lambda ok, out: self._done(ok, out, source, target))
        self.window.log.log(f"Importing {source}")
        self.job.start()
        return True

    def _done(self, ok: bool, output: str, source: Path, target: Path) -> None:
        if not ok or not target.is_file():
            self.window.log.log(output)
            tail = "\n".join(output.splitlines()[-6:])
            QMessageBox.warning(self.window, "Import failed", tail or f"{source.name} could not be imported.")
            return
        from core.project import Project, ProjectError

        try:
            project = Project.load(target)
        except ProjectError as exc:
            QMessageBox.warning(self.window, "Import failed", str(exc))
            return
        project.path = None
        document = Document(project.main, None, project, name=source.stem)
        self.window.projects.replace(document)
        document.mark_dirty()
        self.window.show_message(f"Imported {source.name}: {len(project.main)} layers")
        self._tmp.cleanup()
