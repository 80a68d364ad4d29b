"""Projects in the GUI: new (template gallery), open, import, save, save as, recent files, the
save/discard/cancel prompt, autosave every minute and the offer to restore after a crash.

``core.project`` (pydantic, NumPy) is imported on first use, not at start-up.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QObject, QSettings, QTimer
from PySide6.QtWidgets import QFileDialog, QMessageBox

from desktop.document import Document
from desktop.settings import settings

if TYPE_CHECKING:
    from desktop.main_window import MainWindow

SUFFIX = ".layerbench"
OPEN_FILTER = "Layerbench projects (*.layerbench);;Keras models (*.keras *.h5);;All files (*)"
SAVE_FILTER = "Layerbench projects (*.layerbench)"
MAX_RECENT = 8
AUTOSAVE_MS = 60_000


def _settings() -> QSettings:
    return settings()


def recent_files() -> list[str]:
    value = _settings().value("recent_files", [])
    if isinstance(value, str):
        return [value]
    return [str(v) for v in value] if isinstance(value, list) else []


def add_recent(path: Path) -> None:
    files = [str(path)] + [f for f in recent_files() if f != str(path)]
    _settings().setValue("recent_files", files[:MAX_RECENT])


class ProjectManager(QObject):
    """File commands of the main window."""

    def __init__(self, window: MainWindow) -> None:
        super().__init__(window)
        self.window = window
        self.autosave_key = ""
        self.timer = QTimer(self)
        self.timer.setInterval(AUTOSAVE_MS)
        self.timer.timeout.connect(self.autosave_now)
        self.timer.start()
        self.importer: Any = None

    @property
    def document(self) -> Document:
        return self.window.document

    # ---- new / open -----------------------------------------------------------------------------
    def new(self) -> None:
        if not self.maybe_save():
            return
        from desktop.dialogs.templates import TemplateGallery

        dialog = TemplateGallery(self.window)
        if not dialog.exec():
            return
        project = dialog.project()
        if project is None:
            self.replace(Document(name=""))
            return
        name = dialog.selected_name()
        first = next((g for g in project.graphs if g in name), next(iter(project.graphs)))  # the one picked
        self.replace(Document(project.graphs[first], None, project, name=name, graph_name=first))

    def open(self, path: str | Path | None = None) -> bool:
        if not self.maybe_save():
            return False
        if path is None:
            chosen, _ = QFileDialog.getOpenFileName(self.window, "Open", self._last_dir(), OPEN_FILTER)
            if not chosen:
                return False
            path = chosen
        return self.load_path(Path(path))

    def load_path(self, path: Path) -> bool:
        """Open ``path`` (a project, or a Keras model imported in a worker process)."""
        if path.suffix.lower() in (".keras", ".h5"):
            from desktop.importer import ImportRunner

            self.importer = ImportRunner(self.window)
            return bool(self.importer.start(path))
        from core.project import Project, ProjectError
        from core.training.orphans import recover_runs

        try:
            notes = recover_runs(path)  # runs of a killed `layerbench train` on this file go into it first
            project = Project.load(path)
        except (ProjectError, OSError) as exc:
            self._error("Cannot open the project", str(exc))
            return False
        first = next(iter(project.graphs))
        self.replace(Document(project.graphs[first], path, project, graph_name=first))
        add_recent(path)
        self.window.log.log(f"Opened {path}")
        for note in notes:
            self.window.log.log(note)
        if notes:
            self.window.statusBar().showMessage(notes[-1], 15000)
        return True

    def replace(self, document: Document) -> None:
        self._discard_autosave()
        self.window.set_document(document)

    def switch_graph(self, name: str) -> None:
        """Edit another graph of the same project (a GAN's discriminator). The project keeps both graphs'
        edits; the undo history is per graph and starts afresh on a switch."""
        doc = self.document
        if doc.project is None or name == doc.graph_name or name not in doc.project.graphs:
            return
        modified = doc.is_modified()
        new = Document(doc.project.graphs[name], doc.path, doc.project, name=doc.name, graph_name=name)
        self.window.set_document(new)
        if modified:
            new.mark_dirty()

    def fill_recent_menu(self) -> None:
        menu = self.window.recent_menu
        menu.clear()
        files = recent_files()
        for f in files:
            action = menu.addAction(f)
            action.triggered.connect(lambda _=False, f=f: self.open(f))
        if not files:
            menu.addAction("(none)").setEnabled(False)

    # ---- save -----------------------------------------------------------------------------------
    def save(self) -> bool:
        if self.document.path is None:
            return self.save_as()
        return self.write(self.document.path)

    def save_as(self) -> bool:
        start = str(self.document.path or Path(self._last_dir()) / f"{self.document.title}{SUFFIX}")
        chosen, _ = QFileDialog.getSaveFileName(self.window, "Save As", start, SAVE_FILTER)
        if not chosen:
            return False
        path = Path(chosen)
        if path.suffix != SUFFIX:
            path = path.with_name(path.name + SUFFIX)
        return self.write(path)

    def project_for_save(self) -> Any:
        from core.project import Project

        doc = self.document
        if doc.project is None:
            doc.project = Project(graphs={"main": doc.graph}, name=doc.title)
        return doc.project

    def write(self, path: Path) -> bool:
        from core.project import ProjectError

        try:
            self.project_for_save().save(path)
        except (ProjectError, OSError) as exc:
            self._error("Cannot save the project", str(exc))
            return False
        self.document.set_path(path)
        self.document.mark_saved()
        self._discard_autosave()
        add_recent(path)
        self.window.show_message(f"Saved {path}")
        return True

    def maybe_save(self) -> bool:
        """Ask before losing changes; ``False`` means the user cancelled."""
        if not self.document.is_modified():
            return True
        buttons = QMessageBox.StandardButton
        answer = QMessageBox.question(
            self.window, "Unsaved changes", f"Save the changes to “{self.document.title}” first?",
            buttons.Save | buttons.Discard | buttons.Cancel, buttons.Save,
        )
        if answer == buttons.Save:
            return self.save()
        return answer == buttons.Discard

    # ---- autosave and recovery ------------------------------------------------------------------
    def autosave_now(self) -> None:
        if not self.document.is_modified():
            return
        from core.project import ProjectError
        from core.project.autosave import autosave, new_key

        self.autosave_key = self.autosave_key or new_key()
        project = self.project_for_save()
        project.path = self.document.path
        try:
            autosave(project, self.autosave_key)
        except (ProjectError, OSError) as exc:
            self.window.log.log(f"Autosave failed: {exc}")

    def _discard_autosave(self) -> None:
        if self.autosave_key:
            from core.project.autosave import discard

            discard(self.autosave_key)
            self.autosave_key = ""

    def offer_recovery(self) -> bool:
        """After a crash, offer the newest autosave left behind; returns whether one was restored."""
        from core.project import ProjectError
        from core.project.autosave import discard, list_recoverable, restore

        found = list_recoverable()
        if not found:
            return False
        latest = found[0]
        buttons = QMessageBox.StandardButton
        answer = QMessageBox.question(
            self.window, "Restore unsaved work?",
            f"Layerbench closed without saving “{latest.name}” (autosaved {latest.saved_at}).\n"
            "Restore it?", buttons.Yes | buttons.No, buttons.Yes,
        )
        restored = False
        if answer == buttons.Yes:
            try:
                project = restore(latest.key)
                self.replace(Document(project.main, project.path, project))
                self.document.mark_dirty()
                restored = True
            except ProjectError as exc:
                self._error("Cannot restore", str(exc))
        for rec in found:
            discard(rec.key)
        return restored

    def shutdown(self) -> None:
        self.timer.stop()
        self._discard_autosave()

    # ---- helpers --------------------------------------------------------------------------------
    def _last_dir(self) -> str:
        files = recent_files()
        return str(Path(files[0]).parent) if files else str(Path.home())

    def _error(self, title: str, text: str) -> None:
        self.window.log.log(f"{title}: {text}")
        QMessageBox.warning(self.window, title, text)
