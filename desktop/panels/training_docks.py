"""Puts training into the main window: the Training, Dashboard and Runs docks, and the glue between them
(start a run, follow it on a ~30 Hz timer, colour the canvas by gradient health, keep finished runs in the
project, overlay ticked runs). ``install_training_docks(window)`` is the one call the main window makes.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from pydantic import ValidationError
from PySide6.QtCore import QObject, Qt
from PySide6.QtWidgets import QApplication, QDockWidget, QVBoxLayout, QWidget

from core.training.checkpoint import RunFolder
from core.training.config import describe_error
from core.training.messages import Failed, Finished
from core.training.runstore import new_record
from desktop.panels.health_banner import flagged_layers
from desktop.panels.predict import PredictPanel
from desktop.panels.run_curves import StoredRuns, last_norms, live_curves
from desktop.panels.run_settings import normalised, use_run_settings
from desktop.panels.runs import RunsPanel, keep
from desktop.panels.session import TrainingSession, ensure_psygnal_pump
from desktop.panels.settings_edit import ReplaceSettings
from desktop.panels.training import TrainingPanel, short_device
from desktop.panels.variant_runs import VariantQueue, apply_command, example_variants
from desktop.plots.data import RunCurves, layer_health
from desktop.plots.health_overlay import HealthOverlay
from desktop.refresh import plot_interval_ms, plot_timer

if TYPE_CHECKING:
    from desktop.main_window import MainWindow
    from desktop.panels.dashboard import Dashboard

OTHER_PANEL = {
    "gan": ("gan", "This is a GAN project: its generator and discriminator train together in the GAN panel, "
            "not from here. <a href=\"gan\">Open the GAN panel</a>"),
    "rl": ("rl", "This is a reinforcement-learning project: its agent trains in the Reinforcement learning "
           "panel, not from here. <a href=\"rl\">Open the Reinforcement learning panel</a>"),
}
"""Project kinds another panel trains: (that panel's dock, why Start is off here)."""


def default_recipe(graph: Any) -> dict[str, Any]:
    """A dataset that fits the graph's input, so Start works on a fresh project."""
    shape = next((n.params.get("shape") for n in graph.nodes if n.type == "Input"), None) or []
    if list(shape)[:2] == [28, 28]:
        return {"source": "shapes", "options": {"samples": 600}}
    if list(shape)[:2] == [8, 8] or list(shape) == [64]:
        return {"source": "digits"}
    return {"source": "toy.circle"}


class DashboardHost(QWidget):
    """Holds the dashboard, built the first time it is shown or asked for: pyqtgraph and the plot widgets
    load only when someone looks at plots, not at start-up. ``tabs`` are added to it when it is built."""

    def __init__(self, push: Any, tabs: list[tuple[QWidget, str]]) -> None:
        super().__init__()
        self.push, self.tabs = push, tabs
        self.dashboard: Dashboard | None = None
        self.box = QVBoxLayout(self)
        self.box.setContentsMargins(0, 0, 0, 0)

    def get(self) -> Dashboard:
        if self.dashboard is None:
            from desktop.panels.dashboard import Dashboard

            self.dashboard = Dashboard(self.push)
            for widget, title in self.tabs:
                self.dashboard.add_tab(widget, title)
            self.box.addWidget(self.dashboard)
            self.dashboard.show()  # at once, not at the next event loop turn (callers use it right away)
        return self.dashboard

    def shown(self) -> bool:
        """Really on screen (a dock behind another tab is "visible" to Qt but has no visible region)."""
        return self.isVisible() and not self.visibleRegion().isEmpty()


class TrainingDocks(QObject):
    def __init__(self, window: MainWindow) -> None:
        super().__init__(window)
        self.window = window
        self.session = TrainingSession(self)
        self.panel = TrainingPanel()
        self.predict = PredictPanel(self.project, lambda: self.window.document.graph, self._request)
        self.predict.live = self._live_weights
        self.predictor: Any = None
        self.host = DashboardHost(self._push, [(self.predict, "Predict")])
        self.runs = RunsPanel(self.project, self._push)
        self.overlay = HealthOverlay(window.scene)
        self.current: str | None = None
        """Run id of a re-opened stored run shown as the current one (None: the live run)."""
        self.live_run_id: str | None = None
        self.stored = StoredRuns(self.project)
        self._doc: Any = None
        self._shown_gradients: Any = None
        self.variants = VariantQueue(self)
        self._fill_docks()
        self._connect()
        self.timer = plot_timer(self)  # the Preferences' plot refresh rate, also when it changes
        self.timer.timeout.connect(self.tick)
        self.timer.start()
        self._check_document()
        self._check_kind()
        app = QApplication.instance()
        if app is not None:
            app.aboutToQuit.connect(self.close)

    def _fill_docks(self) -> None:
        """Put the panels into the docks ``training_install`` made."""
        w = self.window
        self.docks = {key: w.docks[key] for key in ("training", "dashboard", "runs")}
        for key, widget in (("training", self.panel), ("dashboard", self.host), ("runs", self.runs)):
            self.docks[key].widget().put(widget)  # type: ignore[attr-defined]

    def became_visible(self, dock: QDockWidget) -> None:
        if dock is self.docks["dashboard"]:
            self.host.get()
            self.timer.setInterval(plot_interval_ms())
        elif dock is self.docks["training"]:
            self.panel.data.became_visible()

    def make_room(self) -> None:
        """Give the dashboard a useful height when a run starts (once per window)."""
        if not self._roomy:
            self._roomy = True
            self.window.resizeDocks([self.docks["dashboard"]], [380], Qt.Orientation.Vertical)

    _roomy = False

    def _connect(self) -> None:
        p = self.panel
        p.start_clicked.connect(self.start)
        p.pause_clicked.connect(self.toggle_pause)
        p.stop_clicked.connect(self.variants.cancel)
        p.stop_clicked.connect(self.session.stop)
        p.compare_clicked.connect(self.compare_variants)
        p.handover_clicked.connect(self.hand_over)
        p.form.changed.connect(self._settings_edited)
        p.data.changed.connect(self._data_edited)
        self.session.on_finished = self._store
        self.session.run_ended.connect(self._ended)
        self.session.health_changed.connect(self._health)
        self.session.logged.connect(self.window.log.log)
        self.session.phase_changed.connect(lambda phase, detail: self.window.log.log(f"training: {phase} {detail}"))
        self.runs.overlay_changed.connect(lambda _ids: self._invalidate())
        self.runs.reopened.connect(self.reopen)
        self.runs.resume_requested.connect(self.resume)
        self.runs.changed.connect(self.predict.refresh_runs)
        self.predict.features_ready.connect(self._sample_features)
        self.runs.changed.connect(lambda: self.window.document.mark_dirty())
        self.runs.changed.connect(self._invalidate)

    @property
    def dashboard(self) -> Dashboard:
        return self.host.get()

    def _invalidate(self) -> None:
        if self.host.dashboard is not None:
            self.host.dashboard.invalidate()

    # ---- the project ---------------------------------------------------------------------------
    def project(self) -> Any:
        return self.window.projects.project_for_save()

    def _check_document(self) -> None:
        doc = self.window.document
        if doc is self._doc:
            return
        if self._doc is not None:
            self._doc.graph.changed.disconnect(self._graph_edited)
        self._doc = doc
        doc.graph.changed.connect(self._graph_edited)
        project = self.project()
        self._quiet = True  # showing a project is no edit: nothing is pushed, the document stays unmodified
        try:
            if project.training:
                self.panel.form.set_values(project.training)
            self.panel.data.set_recipe(project.data or default_recipe(doc.graph))
            if not project.data:  # a fresh project gets the data the picker shows
                self._data_edited(self.panel.data.recipe())
        finally:
            self._quiet = False
        self.variants.cancel()  # another project: no more of the old one's variants
        self.stored.clear()
        self.current = None
        self.overlay.clear()
        self.panel.set_variants(len(example_variants(project)))
        self.runs.refresh()
        self.predict.refresh_runs()
        self.predict.data = None

    def _other_panel(self) -> tuple[str, str] | None:
        project = self.window.document.project
        return OTHER_PANEL.get(project.kind) if project is not None else None

    def _check_kind(self) -> None:
        """Start trains supervised projects only: GAN and RL projects train in their own panels."""
        other = self._other_panel()
        reason = other[1] if other is not None else ""
        if reason != self.panel.blocked.text():
            self.panel.set_blocked(reason)

    def hand_over(self, key: str) -> None:
        """Show the panel that trains this project (the link under a disabled Start)."""
        dock = self.window.docks.get(key)
        if dock is not None:
            dock.show()
            dock.raise_()

    _quiet = False
    """True while the forms show the project (on open, after undo/redo): what they signal then is no edit."""

    def _settings_edited(self) -> None:
        if self.panel.form.error():
            return
        config = self.panel.form.config()  # keys of other panels ("gan", "rl", "example") stay
        self._edit(self.project().training, config.to_dict(), "training settings", type(config).model_fields,
                   self._reload_form)

    def _data_edited(self, recipe: dict[str, Any]) -> None:
        self._edit(self.project().data, recipe, "data", None, self._reload_data)

    def _edit(self, store: dict[str, Any], new: dict[str, Any], what: str, keys: Any, reload: Any) -> None:
        """A form edit is one undoable command (typing in one field merges); while quiet it is just written."""
        command = ReplaceSettings(store, new, what, keys, reload)
        if not command.fields:
            return
        if self._quiet:
            command.notify = None
            command.redo()
        else:
            self._push(command)

    def _reload_form(self) -> None:
        self._quiet = True
        try:
            self.panel.form.set_values(normalised(self.project().training) or self.project().training)  # defaults shown
        finally:
            self._quiet = False

    def _reload_data(self) -> None:
        self.panel.data.set_recipe(self.project().data or default_recipe(self.window.document.graph))

    def _push(self, command: Any) -> str | None:
        return self.window.editor.push(command)

    def _graph_edited(self) -> None:
        self._graph_changed = True
        if self.session.running:
            self.panel.snapshot.show()

    # ---- runs ----------------------------------------------------------------------------------
    def start(self) -> None:
        if self.session.running:
            return
        other = self._other_panel()
        if other is not None:
            self.panel.set_blocked(other[1])
            return
        try:
            config = self.panel.form.config()
        except ValidationError as exc:
            self.panel.error.setText(f"Settings: {describe_error(exc)}")
            return
        self._settings_edited()
        self._data_edited(self.panel.data.recipe())
        graph, data, run_dir = self.window.document.graph, self.panel.data.recipe(), self.session.new_run_dir()
        self._begin(graph, data, config, run_dir, new_record(self.project(), config, run_dir, graph.to_dict(), data))

    def resume(self, run_id: str) -> None:
        """Train the rest of a stopped or failed run from its checkpoint kept in the project (the same run)."""
        if self.session.running:
            return
        plan = self.runs.plan_resume(run_id, self.session, self.window.document.graph.to_dict())
        if plan == "fresh":
            self.start()
        elif plan is not None:
            resume, record, run_dir = plan
            self._begin(resume.graph, resume.data, resume.config, run_dir, record, resume=True)

    def begin(self, graph: Any, data: dict[str, Any], config: Any, run_dir: Path, record: Any) -> None:
        """Start a new run of ``graph`` kept as ``record`` (the variant queue's way in: the same path as Start)."""
        self._begin(graph, data, config, run_dir, record)

    def _begin(self, graph: Any, data: dict[str, Any], config: Any, run_dir: Path, record: Any,
               resume: bool = False) -> None:
        self.current, self.live_run_id = None, None
        self.overlay.clear()
        self.dashboard.banner.hide()
        self.dashboard.metrics.show_runs([])
        self.dashboard.metrics.empty.setText("Waiting for the first batch: the training process is starting, "
                                             "then Keras compiles the graph.")
        self.dashboard.invalidate()
        self.session.start(graph, data, config, run_dir, resume, record)
        self.panel.set_running(True)
        preview = self.panel.data.preview
        self.dashboard.features.set_input(None if preview is None or preview.samples_x is None
                                          else preview.samples_x[0])
        self.docks["dashboard"].raise_()
        self.make_room()
        self.window.log.log(f"Training {'resumed' if resume else 'started'} ({config.optimizer.name}, "
                            f"{config.epochs} epochs)")
        if record.tensorboard:
            self.window.log.log(f"TensorBoard event files: {record.tensorboard} "
                                f"(tensorboard --logdir \"{Path(record.tensorboard).parent}\")")

    # ---- variants ------------------------------------------------------------------------------
    def compare_variants(self) -> str | None:
        """Train the base project and each of its variants, one after the other (None: started)."""
        if self.session.running:
            return "a run is going: stop it first"
        refused = self.variants.start()
        if refused:
            self.show_queue(f"Cannot compare variants: {refused}.")
        return refused

    def show_queue(self, text: str) -> None:
        self.panel.show_queue(text)

    def apply_variant(self, index: int) -> str | None:
        """Apply the example's variant ``index`` to the document as one undoable step; returns why not, or None."""
        project = self.project()
        variants = example_variants(project)
        if not 0 <= index < len(variants):
            return "no such variant"
        command = apply_command(self.window.document.graph, project, variants[index], self._reload_settings)
        if command is None:
            return "the project already has this variant's settings"
        refused = self._push(command)
        if refused is None:
            self._reload_settings()
            self.window.show_message(f"Applied “{command.text}” — Edit ▸ Undo takes it back.")
        return refused

    def _reload_settings(self) -> None:
        """Show the project's settings and data in the forms again (no edit: nothing is pushed)."""
        self._reload_form()
        self._quiet = True
        try:
            self._reload_data()
        finally:
            self._quiet = False

    def toggle_pause(self) -> None:
        run = self.session.run
        if run is None or run.done:
            return
        if run.paused:
            self.session.resume()
        else:
            self.session.pause()
        self.panel.set_running(True, paused=run.paused)

    def _store(self, run: Any, result: Finished | Failed) -> None:
        self.live_run_id = keep(self.project(), run, result, self.session)  # stopped and failed runs too
        self.window.document.mark_dirty()
        self.runs.refresh()
        self.predict.refresh_runs()

    def _ended(self, run: Any, result: Finished | Failed) -> None:
        self.panel.set_running(False)
        self.tick()
        if isinstance(result, Failed):
            self.window.show_message(f"Training failed{self._failed_where(result)}: {result.error}")
        else:
            self.window.show_message(f"Training {'stopped' if result.stopped else 'finished'} after "
                                     f"{result.epochs_done} epochs on {short_device(result.device)}")

    def _failed_where(self, result: Failed) -> str:
        """`` (dense_2)`` when the failure names a layer its text does not already name; else nothing."""
        if not result.node:
            return ""
        graph = self.window.document.graph
        if not graph.has_node(result.node):
            return ""  # not a layer of this graph: a data file's place, which the text already says
        name = graph.node(result.node).name
        return "" if name in result.error else f" ({name})"

    def reopen(self, run_id: str) -> None:
        """Show a stored run as the current one: its curves, its settings in the form (``use_run_settings``)."""
        self.current = run_id
        command = use_run_settings(self.project().training, self.project().run(run_id), self._reload_form)
        if command is not None:
            self._push(command)  # the form shows the run's settings (the command's notify), undo the project's
        elif self.panel.form.error():
            self._reload_form()  # a half-typed value gives way to the settings the run and the project share
        self._invalidate()
        self.docks["dashboard"].raise_()

    def curves(self) -> list[RunCurves]:
        """The current run first, then the ticked runs to overlay. A live run that ended and was ticked (as the
        variant queue does) is drawn as the stored run it became, with its name in the legend."""
        out: list[RunCurves] = []
        s = self.session
        ticked = self.runs.ticked()
        live = self.current is None and s.run is not None and not (s.run.done and self.live_run_id in ticked)
        if live:
            out.append(live_curves(s))
        project = self.project()
        known = {r.id: r for r in project.runs}
        skip = {self.current, self.live_run_id if live else None}
        if self.current in known:
            out.append(self.stored.curves(known[self.current], primary=True, index=0))
        for i, run_id in enumerate(ticked):
            if run_id in known and run_id not in skip:
                out.append(self.stored.curves(known[run_id], primary=False, index=i + 1))
        return out

    # ---- timer ---------------------------------------------------------------------------------
    def tick(self) -> None:
        self._check_document()
        self._check_kind()
        s = self.session
        if s.run is not None and s.config is not None:
            self.panel.show_progress(s.progress, s.config.batch_size)
            if self.variants.active:
                self.show_queue(self.variants.status(s.progress))
            if s.progress.epoch != self._predict_epoch:  # a new checkpoint to predict with
                self._predict_epoch = s.progress.epoch
                self.predict.refresh_runs()
        if self.host.dashboard is not None and self.host.shown():
            self.host.dashboard.refresh(self.curves(), s)
        self._colour_canvas()

    def _colour_canvas(self) -> None:
        """Halos from the live run's latest gradients, or from the last gradients a re-opened run recorded."""
        norms: dict[str, float] | None = None
        if self.current is not None:
            if self._shown_gradients != ("stored", self.current):
                self._shown_gradients = ("stored", self.current)
                norms = last_norms(self.stored.history(self.current))
        else:
            grads = self.session.last_gradients
            if grads is not None and grads is not self._shown_gradients:
                self._shown_gradients = grads
                norms = dict(zip(grads.layers, grads.norms))
        if norms is None:
            return
        status = layer_health(norms)
        if status != self.overlay.status or self._graph_changed:  # halos and tooltips only when they change
            self._graph_changed = False
            self.overlay.apply(status)

    _graph_changed = False
    """The graph was edited since the halos were placed (node items may be new)."""

    def _health(self, msg: Any) -> None:
        status = layer_health(dict(zip(msg.layers, msg.norms)))
        self.dashboard.banner.show_health(msg.health, flagged_layers(status, msg.health), msg.detail,
                                          self.window.document.graph, self.project().training, self._reload_form)

    # ---- predictions ---------------------------------------------------------------------------
    def _request(self, graph: dict[str, Any], weights: Any, x: Any, feature_maps: bool, **options: Any) -> int:
        if self.predictor is None:
            from core.training.predict import Predictor

            ensure_psygnal_pump()
            self.predictor = Predictor()
            self.predictor.predicted.connect(self.predict.show_result, thread="main")
        return int(self.predictor.request(graph, weights, x, feature_maps, **options))

    _predict_epoch = -1

    def _live_weights(self) -> tuple[dict[str, Any], str] | None:
        """The running run's graph and latest checkpoint (written after each epoch), if any."""
        run = self.session.run
        if run is None or not self.session.running:
            return None
        checkpoint = RunFolder(Path(run.job.run_dir)).checkpoint_layers
        return (run.job.graph, str(checkpoint)) if checkpoint.exists() else None

    def _sample_features(self, maps: dict[str, Any], sample: Any) -> None:
        view = self.dashboard.features
        view.show_maps(0, maps)
        view.set_input(sample)
        view.caption.setText(view.caption.text().replace("at step 0", "for the chosen sample"))
        self.dashboard.tabs.setCurrentWidget(view)

    def close(self) -> None:
        self.timer.stop()
        self.session.close()
        if self.predictor is not None:
            self.predictor.close()
            self.predictor = None


def install_training_docks(window: MainWindow) -> TrainingDocks:
    """The window's training docks, built now if they were not yet (tests and scripts call this)."""
    from desktop.panels.training_install import training_docks

    return training_docks(window)  # type: ignore[no-any-return]


def dock_of(window: MainWindow, key: str) -> QDockWidget:
    return window.docks[key]
