"""The GAN cockpit: Start/Stop a GAN run of the open GAN project in the training engine's worker (the window
never imports TensorFlow), its losses, D(x) and D(G(z)) with a balance meter, the fixed-seed sample grid, a
mode-collapse banner, per-layer gradient norms of both networks, the latent interpolation after training and
Export of the generator as a SavedModel (``layerbench export`` in a child process).

Only light imports at module level: pyqtgraph, NumPy and the GAN core load when the cockpit is first built.
``install_gan_docks(window)`` is the main window's one hook (it also installs the RNN inspector's dock).
"""

from __future__ import annotations

import copy
import shutil
import tempfile
import weakref
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QObject, Qt, QTimer, Signal
from PySide6.QtWidgets import (
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QMenu,
    QPushButton,
    QScrollArea,
    QSplitter,
    QVBoxLayout,
    QWidget,
)

from desktop.plots.gan_form import GanForm
from desktop.refresh import plot_timer

if TYPE_CHECKING:
    from desktop.main_window import MainWindow

ERROR = "color:#c92a2a;"


class GanCockpit(QWidget):
    """One GAN run at a time. ``project()`` gives the open project, ``engine()`` the training engine."""

    run_ended = Signal(object)  # Finished | Failed
    exported = Signal(bool, str)

    def __init__(self, project: Callable[[], Any], engine: Callable[[], Any],
                 on_changed: Callable[[], None] | None = None) -> None:
        super().__init__()
        self.project, self.engine, self.on_changed = project, engine, on_changed
        self.run: Any = None
        self.config: Any = None
        self.run_dir: Path | None = None
        self.run_id: str | None = None
        self.export_job: Any = None
        self._project: Any = None
        self._build()
        self.timer = plot_timer(self)  # the Preferences' plot refresh rate
        self.timer.timeout.connect(self.tick)

    # ---- layout --------------------------------------------------------------------------------
    def _build(self) -> None:
        from desktop.plots.gan_view import GanView

        self.form = GanForm()
        self.start_button, self.stop_button = QPushButton("Start"), QPushButton("Stop")
        self.export_button = QPushButton("Export generator…")
        self.export_button.setToolTip("Write the trained generator as a TensorFlow SavedModel (latent vector in)")
        self.status, self.error = QLabel("Idle"), QLabel()
        self.error.setStyleSheet(ERROR)
        for label in (self.status, self.error):
            label.setWordWrap(True)
        self.error.hide()
        self.view = GanView()
        self.start_button.clicked.connect(self.start)
        self.stop_button.clicked.connect(self.stop)
        self.export_button.clicked.connect(lambda: self.export_generator())
        self.form.changed.connect(self._form_edited)
        self._arrange()
        self.set_running(False)

    def _arrange(self) -> None:
        side = QWidget()
        col = QVBoxLayout(side)
        col.setContentsMargins(0, 0, 0, 0)
        buttons = QHBoxLayout()
        for b in (self.start_button, self.stop_button, self.export_button):
            buttons.addWidget(b)
        col.addLayout(buttons)
        col.addWidget(self.status)
        col.addWidget(self.error)
        col.addWidget(self.form)
        col.addStretch(1)
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setWidget(side)
        scroll.setMinimumWidth(300)
        splitter = QSplitter(Qt.Orientation.Horizontal)
        splitter.addWidget(scroll)
        splitter.addWidget(self.view)
        splitter.setStretchFactor(1, 1)
        box = QVBoxLayout(self)
        box.setContentsMargins(2, 2, 2, 2)
        box.addWidget(splitter)

    def set_running(self, running: bool) -> None:
        self.start_button.setEnabled(not running)
        self.stop_button.setEnabled(running)
        self.form.setEnabled(not running)
        self.export_button.setEnabled(not running and self.run_id is not None)

    def show_error(self, text: str) -> None:
        self.error.setText(text)
        self.error.setVisible(bool(text))

    # ---- the project ---------------------------------------------------------------------------
    def refresh_project(self) -> None:
        """Fill the form from the open project's GAN settings and check its pair (on a new project)."""
        project = self.project()
        if project is self._project:
            return
        self._project = project
        if project is None or project.kind != "gan":
            return
        from core.gan.project import gan_config

        self.form.set_config(gan_config(project).to_dict())
        self.check_pair()

    def _form_edited(self) -> None:
        """Keep valid edits in the project's GAN settings (saved with it) and mark the document changed."""
        project = self.project()
        if project is None or project.kind != "gan":
            return
        config = self._config()
        if config is not None:
            project.training["gan"] = config.to_dict()
            self.check_pair()
            if self.on_changed is not None:
                self.on_changed()

    def check_pair(self) -> Any:
        """The pair's shapes, or None with the reason shown (both shapes named) when they do not fit."""
        from core.gan.project import check_project
        from core.graph.errors import GraphError
        from core.project.errors import ProjectError

        project = self.project()
        if project is None or project.kind != "gan":
            self.show_error("Open a GAN project (File ▸ New, a GAN template) to train a GAN.")
            return None
        try:
            shapes = check_project(project)
        except (GraphError, ProjectError) as exc:
            self.show_error(f"Cannot train this pair: {exc}")
            return None
        self.show_error("")
        return shapes

    # ---- runs ----------------------------------------------------------------------------------
    def start(self) -> bool:
        if self.run is not None and not self.run.done:
            return False
        self.refresh_project()
        if self.check_pair() is None:
            return False
        config = self._config()
        if config is None:
            return False
        from core.gan.project import gan_data
        from core.gan.run import start_gan
        from core.project.errors import ProjectError
        from desktop.panels.session import ensure_psygnal_pump

        project = self.project()
        try:
            data = gan_data(project)
        except ProjectError as exc:
            self.show_error(str(exc))
            return False
        project.training["gan"] = config.to_dict()
        ensure_psygnal_pump()
        self.run_dir = Path(tempfile.mkdtemp(prefix="layerbench-gan-"))
        self.config, self.run_id = config, None
        self._reset()
        self.run = start_gan(self.engine(), project.graphs["generator"], project.graphs["discriminator"], data,
                             config, self.run_dir)
        run = self.run
        run.finished.connect(lambda msg: self._ended(run, msg), thread="main")
        run.failed.connect(lambda msg: self._ended(run, msg), thread="main")
        self.set_running(True)
        self.status.setText("Starting the worker…")
        self.timer.start()
        return True

    def _config(self) -> Any:
        from pydantic import ValidationError

        from core.gan.config import GanConfig
        from core.gan.project import gan_config
        from core.training.config import describe_error

        try:
            return GanConfig.from_dict(self.form.values(gan_config(self.project()).to_dict()))
        except ValidationError as exc:
            self.show_error(f"Settings: {describe_error(exc)}")
            return None

    def stop(self) -> None:
        if self.run is not None and not self.run.done:
            self.run.stop()
            self.status.setText("Stopping after this step…")

    def _reset(self) -> None:
        self.view.reset()
        self.show_error("")

    def _ended(self, run: Any, result: Any) -> None:
        if run is not self.run:
            return
        from core.training.messages import Failed

        self.tick()
        if isinstance(result, Failed):
            where = f" ({result.node})" if result.node else ""
            self.show_error(f"The GAN run failed{where}: {result.error}")
            self.status.setText("Failed")
        else:
            self._store(run, result)
            self.status.setText(f"{'Stopped' if result.stopped else 'Finished'} after {result.epochs_done} steps")
        shutil.rmtree(run.job.run_dir, ignore_errors=True)  # the project holds the weights and curves now
        self.set_running(False)
        self.timer.stop()
        self.run_ended.emit(result)

    def _store(self, run: Any, result: Any) -> None:
        from core.gan.project import history_arrays, store_run
        from core.project.errors import ProjectError

        try:
            self.run_id = store_run(self.project(), self.config, result, self.run_dir or "",
                                    history_arrays(run.history, run.diversity))
        except ProjectError as exc:
            self.show_error(f"The run could not be kept in the project: {exc}")
            return
        if self.on_changed is not None:
            self.on_changed()

    # ---- refresh (timer) -----------------------------------------------------------------------
    def tick(self) -> None:
        run = self.run
        if run is None or self.config is None:
            return
        step = self.view.refresh(run, self.config.collapse_ratio)
        if step is not None and not run.done:
            self.status.setText(f"{run.current_phase.capitalize()}: step {step} of {self.config.steps}")

    # ---- export --------------------------------------------------------------------------------
    def export_generator(self, out: Path | None = None) -> bool:
        """Export the stored run's generator as a SavedModel folder in a child process."""
        project = self.project()
        if self.run_id is None or project is None:
            self.show_error("Train the GAN first: the export uses the generator of the last run.")
            return False
        if out is None:
            chosen = QFileDialog.getExistingDirectory(self, "Export the generator into folder", str(Path.home()))
            if not chosen:
                return False
            out = Path(chosen) / "generator_savedmodel"
        from core.project.io import save_project
        from desktop.worker import CliJob

        tmp = Path(tempfile.mkdtemp(prefix="layerbench-gan-export-"))
        snapshot = tmp / "snapshot.layerbench"
        save_project(project, snapshot, backup=False, adopt=False)
        args = ["export", str(snapshot), "--format", "savedmodel", "--graph", "generator", "--run", self.run_id,
                "--out", str(out)]
        self.export_job = CliJob(self, "Exporting the generator…", args, lambda ok, text: self._exported(ok, text, out))
        self.status.setText(f"Exporting the generator to {out}…")
        self.export_job.start()
        return True

    def _exported(self, ok: bool, text: str, out: Path) -> None:
        if ok:
            self.status.setText(f"Exported the generator to {out}")
        else:
            self.show_error("Export failed: " + ("\n".join(text.splitlines()[-4:]) or "the export process failed"))
        self.exported.emit(ok, str(out))

    def close_run(self) -> None:
        """Kill a run still going (window closing)."""
        self.timer.stop()
        if self.run is not None and not self.run.done:
            self.run.kill()


class _Hooks(QObject):
    """Keeps the GAN and RNN docks in step with the open document: each shows only where it applies."""

    def __init__(self, window: MainWindow, shell: QVBoxLayout) -> None:
        super().__init__(window)
        self.window, self.shell = window, shell
        self.gan: GanCockpit | None = None
        self.state: dict[str, bool | None] = {"gan": None, "rnn": None}
        self.settings: weakref.WeakKeyDictionary[Any, dict[str, Any]] = weakref.WeakKeyDictionary()
        self._doc: Any = None
        self.remember()
        window.graph_box.currentTextChanged.connect(self.remember)  # emitted inside every document switch
        self.timer = QTimer(self)
        self.timer.setInterval(300)
        self.timer.timeout.connect(self.check)
        self.timer.start()

    def remember(self, *_: object) -> None:
        """On a document switch (and at once): follow the new document's edits, and keep a copy of a GAN
        project's settings before any other panel rewrites ``project.training`` (``check`` puts them back)."""
        doc = self.window.document
        if doc is not self._doc:  # the old document is deleted with its connections
            self._doc = doc
            doc.info_changed.connect(self._graph_edited)
        project = doc.project
        if project is not None and project.kind == "gan" and "gan" in project.training:
            self.settings[project] = copy.deepcopy(project.training["gan"])

    def check(self) -> None:
        from desktop.panels.rnn_inspector import has_recurrent

        self.remember()
        doc = self.window.document
        project = doc.project
        if project is not None and project.kind == "gan" and "gan" not in project.training and \
                project in self.settings:
            project.training["gan"] = copy.deepcopy(self.settings[project])
        wanted = {"gan": doc.project is not None and doc.project.kind == "gan", "rnn": has_recurrent(doc.graph)}
        for key, on in wanted.items():
            if on != self.state[key]:
                self.state[key] = on
                self.window.docks[key].setVisible(on)
                if on and key == "gan":
                    self.window.docks[key].raise_()
        if wanted["gan"] and self.window.docks["gan"].isVisible():
            self.cockpit().refresh_project()

    def _graph_edited(self, _info: object) -> None:
        """Re-check the pair (its problem shows at once) and re-list the recurrent layers after an edit."""
        if self.gan is not None and self.state["gan"] and (self.gan.run is None or self.gan.run.done):
            self.gan.check_pair()
        inspector = getattr(self.window.docks["rnn"].widget(), "inspector", None)
        if self.state["rnn"] and inspector is not None:
            inspector.refresh_graph()

    def cockpit(self) -> GanCockpit:
        if self.gan is None:
            self.gan = GanCockpit(lambda: self.window.document.project, lambda: shared_engine(self.window),
                                  lambda: self.window.document.mark_dirty())
            self.shell.addWidget(self.gan)
        return self.gan


def shared_engine(window: MainWindow) -> Any:
    """The training docks' engine (one warm worker for every kind of run)."""
    from desktop.panels.training_install import training_docks

    return training_docks(window).session.ensure_engine()


def install_gan_docks(window: MainWindow) -> None:
    """Add the GAN cockpit and RNN inspector docks (empty until first needed), tabbed beside the dashboard."""
    if "gan" in window.docks:
        return
    from desktop.panels.rnn_inspector import RnnDockBody

    bottom = Qt.DockWidgetArea.BottomDockWidgetArea
    shell = QWidget()
    box = QVBoxLayout(shell)
    box.setContentsMargins(0, 0, 0, 0)
    gan = window._dock("gan", "GAN", shell, bottom)
    rnn = window._dock("rnn", "RNN Inspector", RnnDockBody(window), bottom)
    window.tabifyDockWidget(window.docks["log"], gan)
    window.tabifyDockWidget(gan, rnn)
    gan.hide()
    rnn.hide()
    window.docks["summary"].raise_()  # the summary stays the front tab (and the dashboard unbuilt) at start-up
    menu = next((m for m in window.findChildren(QMenu) if m.title() == "&Panels"), None)
    if menu is not None:
        menu.addAction(gan.toggleViewAction())
        menu.addAction(rnn.toggleViewAction())
    hooks = _Hooks(window, box)
    window.gan_hooks = hooks  # type: ignore[attr-defined]

    def shown(on: bool) -> None:
        if on:
            hooks.cockpit().refresh_project()

    gan.visibilityChanged.connect(shown)
