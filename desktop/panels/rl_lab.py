"""Runs the RL lab: a run of the open project through ``core.rl.runner.start_rl`` in the training engine's
worker process, the live view on a ~30 Hz timer, the finished run stored in the project, and after training
greedy play, evaluation (child-process jobs) and SavedModel export (``layerbench export`` in a child process).

``RLLab(project, graph, engine)`` takes getters so it follows the window's current document; tests pass
their own. Run signals are psygnal signals from the reader thread, connected with ``thread="main"``.
"""

from __future__ import annotations

import contextlib
import shutil
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

from PySide6.QtCore import QObject, Signal
from PySide6.QtWidgets import QWidget

from core.graph.model import Graph
from core.rl.envs import EnvError
from desktop.panels.mdp import MDPView
from desktop.panels.rl import RLPanel
from desktop.panels.rl_jobs import RLJobs
from desktop.plots.rl_live import RLLiveView
from desktop.refresh import plot_timer


def _apply(command: Any) -> str | None:
    """Without an undo stack (tests, scripts) a command is simply applied."""
    command.redo()
    return None


def default_settings(graph: Graph) -> dict[str, Any]:
    """A new project's settings: REINFORCE for a softmax network, DQN for another, Q-learning without one."""
    from core.rl.networks import outputs_probabilities

    if not graph.nodes:
        return {"env": {"id": "FrozenLake-v1"}, "agent": {"kind": "qlearning"}, "frame_fps": 4}
    return {"env": {"id": "CartPole-v1"}, "agent": {"kind": "reinforce" if outputs_probabilities(graph) else "dqn"},
            "frame_fps": 4}


class RLLab(QObject):
    """The RL panel, live view and MDP view of one window, and the run they show."""

    run_started = Signal(object)
    run_ended = Signal(object)  # the engine's Finished or Failed message
    log = Signal(str)

    def __init__(self, project: Callable[[], Any], graph: Callable[[], Graph], engine: Callable[[], Any],
                 parent: QObject | None = None, push: Callable[[Any], str | None] | None = None) -> None:
        super().__init__(parent)
        self.project, self.graph, self.engine = project, graph, engine
        self.push = push or _apply
        self.jobs = RLJobs(self)
        self.panel = RLPanel(self.jobs, graph)
        self.live = RLLiveView()
        self.mdp = MDPView(self.jobs)
        self.run: Any = None
        self.config: Any = None
        self.finished: Any = None
        self.run_id: str | None = None
        self._dirs: list[Path] = []
        self._graph: Graph | None = None
        self._project: Any = None
        self.export_job: Any = None
        self._connect()
        self.timer = plot_timer(self)  # the Preferences' plot refresh rate
        self.timer.timeout.connect(self.tick)
        self.timer.start()

    def _connect(self) -> None:
        p = self.panel
        p.start_clicked.connect(self.start)
        p.pause_clicked.connect(self.toggle_pause)
        p.stop_clicked.connect(self.stop)
        p.play_clicked.connect(self.play)
        p.evaluate_clicked.connect(self.evaluate)
        p.export_clicked.connect(self.export)
        p.fit_clicked.connect(self.fit_network)
        p.env_changed.connect(self._env_changed)
        p.settings_changed.connect(self._save_settings)

    # ---- project and graph ---------------------------------------------------------------------
    def follow(self) -> None:
        """Re-bind to the current project and graph when the window's document changed."""
        graph = self.graph()
        if graph is not self._graph:
            if self._graph is not None:
                self._graph.changed.disconnect(self.panel.check)
            self._graph = graph
            graph.changed.connect(self.panel.check)
            self.panel.check()
        project = self.project()
        if project is not self._project:
            self._project = project
            self.panel.set_config(self._stored_settings(project) or default_settings(graph))
            self._adopt_stored_run(project)

    def _adopt_stored_run(self, project: Any) -> None:
        """A reopened project's latest RL run can be watched, evaluated and exported at once."""
        self.finished, self.run_id = None, None
        run = next((r for r in reversed(project.runs) if r.info.get("kind") == "rl" and r.weights), None) \
            if project is not None else None
        if run is None:
            self.panel.set_trained(False, False)
            return
        self.run_id = run.id
        kind = run.info.get("config", {}).get("agent", {}).get("kind")
        self.panel.set_trained(True, kind != "qlearning")
        self.panel.result.setText(f"Stored run “{run.label}”: watch it play, evaluate it or export its network.")

    @staticmethod
    def _stored_settings(project: Any) -> dict[str, Any] | None:
        if project is None:
            return None
        if isinstance(project.training.get("rl"), dict):
            return dict(project.training["rl"])
        for run in reversed(project.runs):
            if run.info.get("kind") == "rl" and "config" in run.info:
                return dict(run.info["config"])
        return None

    def _save_settings(self) -> None:
        project = self.project()
        if project is None or (self.run is not None and not self.run.done):
            return
        with contextlib.suppress(EnvError):  # a half-typed custom map: keep the last good settings
            project.training["rl"] = self.panel.config_data()

    def _env_changed(self) -> None:
        info = self.panel.env_info
        if info is not None:
            self.mdp.set_env(info.id, dict(info.options), info.entry.tabular)

    def fit_network(self) -> None:
        """Size the network to the environment with one undoable edit (through the window's editor)."""
        info = self.panel.env_info
        if info is None:
            return
        from desktop.panels.rl import fit_command

        try:
            command = fit_command(self.graph(), info)
        except EnvError as exc:
            self.panel.status.setText(f"Cannot resize the network: {exc.message}")
            return
        problem = self.push(command) if command is not None else None
        if problem:
            self.panel.status.setText(f"Cannot resize the network: {problem}")
        self.panel.check()

    # ---- a run ---------------------------------------------------------------------------------
    def make_config(self) -> Any:
        """The ``RLConfig`` of the panel's settings and the current graph (raises on bad settings)."""
        from core.rl.config import RLConfig

        data = self.panel.config_data()
        if data["agent"]["kind"] != "qlearning":
            data["graph"] = self.graph().to_dict()
        return RLConfig.model_validate(data)

    def start(self) -> bool:
        if self.run is not None and not self.run.done:
            return False
        problem = self.panel.check()
        if problem is not None:
            return False
        from pydantic import ValidationError

        try:
            config = self.make_config()
        except (ValidationError, EnvError) as exc:
            self.panel.status.setText(f"Settings: {exc}")
            return False
        from core.rl.runner import start_rl
        from desktop.panels.session import ensure_psygnal_pump

        ensure_psygnal_pump()
        run_dir = Path(tempfile.mkdtemp(prefix="layerbench-rl-"))
        self._dirs.append(run_dir)
        self.config, self.finished, self.run_id = config, None, None
        self._run_project = self.project()  # the run is stored where it started, even if another is opened
        info = self.panel.env_info
        self.live.reset(config.agent.kind == "qlearning", info.entry.action_names if info else ())
        self.run = start_rl(self.engine(), config, run_dir)
        self.run.finished.connect(self._on_finished, thread="main")
        self.run.failed.connect(self._on_failed, thread="main")
        self.run.phase.connect(self._on_phase, thread="main")
        self.panel.set_running(True)
        self.panel.set_trained(False, False)
        self.panel.status.setText(f"Starting {config.agent.kind} on {config.env.id}…")
        self.log.emit(f"RL run started: {config.agent.kind} on {config.env.id}")
        self.run_started.emit(self.run)
        return True

    def toggle_pause(self) -> None:
        run = self.run
        if run is None or run.done:
            return
        run.resume() if run.paused else run.pause()
        self.panel.set_running(True, paused=run.paused)

    def stop(self) -> None:
        if self.run is not None and not self.run.done:
            self.run.resume()
            self.run.stop()
            self.panel.status.setText("Stopping after the current step…")

    def _on_phase(self, msg: Any) -> None:
        if self.run is not None and not self.run.done:
            self.panel.status.setText(f"{msg.phase.capitalize()} {msg.detail}".strip())

    def _on_finished(self, msg: Any) -> None:
        self.finished = msg
        self.tick()
        self.panel.set_running(False)
        episodes = int(msg.logs.get("episodes", 0))
        mean = msg.logs.get("mean_return")
        mean_text = f", mean return of the last 100: {mean:.2f}" if mean is not None else ""
        evaluated = msg.logs.get("eval_mean")
        eval_text = f"; greedy evaluation {evaluated:.2f}" if evaluated is not None else ""
        self.panel.status.setText(f"{'Stopped' if msg.stopped else 'Finished'} after {episodes} episodes"
                                  f"{mean_text}{eval_text}.")
        self._store(msg)
        self.panel.set_trained(True, self.config is not None and self.config.agent.kind != "qlearning")
        self.panel.result.setText("Watch the greedy agent, evaluate it, or export its network.")
        self.run_ended.emit(msg)

    def _on_failed(self, msg: Any) -> None:
        self.finished = None
        self.tick()
        self.panel.set_running(False)
        self.panel.status.setText(f"The run failed: {msg.error}")
        self.panel.status.setStyleSheet("color: #c92a2a;")
        self.log.emit(f"RL run failed: {msg.error}")
        self.run_ended.emit(msg)

    _run_project: Any = None

    def _store(self, msg: Any) -> None:
        project = self._run_project
        if project is None or self.config is None:
            return
        from core.project.errors import ProjectError
        from core.rl.play import store_run

        try:
            self.run_id = store_run(project, self.config, msg)
        except (ProjectError, OSError, KeyError) as exc:
            self.log.emit(f"The RL run could not be stored in the project: {exc}")

    def tick(self) -> None:
        self.follow()
        if self.run is not None and self.live.isVisible():
            self.live.refresh(self.run)
        snap = getattr(self.run, "last_q_table", None)
        if snap is not None and self.config is not None and (self.mdp.learned is None or
                                                             self.mdp.learned[1] is not snap.q):
            self.mdp.set_learned(self.config.env.id, snap.q, snap.episode)

    # ---- after training ------------------------------------------------------------------------
    def _agent_request(self) -> dict[str, Any] | None:
        if self.finished is not None and self.config is not None:
            return {"config": self.config.model_dump(mode="json"), "weights": self.finished.weights_path}
        project = self.project()
        if self.run_id is None or project is None:
            self.panel.result.setText("Train an agent first.")
            return None
        from core.project.io import save_project

        snapshot = self._scratch() / "stored-run.layerbench"
        save_project(project, snapshot, backup=False, adopt=False)
        return {"project": str(snapshot), "run": self.run_id}

    def _scratch(self) -> Path:
        if not self._dirs:
            self._dirs.append(Path(tempfile.mkdtemp(prefix="layerbench-rl-")))
        return self._dirs[-1]

    def _seed(self) -> int:
        return int(self.config.seed) if self.config is not None else int(self.panel.agent.seed.value())

    def play(self) -> None:
        req = self._agent_request()
        if req is None:
            return
        req.update(out=str(self._scratch() / "greedy-episode.npz"), seed=self._seed() + 1)
        self.panel.result.setText("Playing one greedy episode…")
        self.panel.play_button.setEnabled(False)
        self.jobs.request("play", req, self._played, "play")

    def _played(self, answer: dict[str, Any]) -> None:
        self.panel.play_button.setEnabled(True)
        if "error" in answer:
            self.panel.result.setText(f"Could not play: {answer['error']}")
            return
        text = f"Greedy episode: return {answer['ret']:.2f} in {answer['length']} steps."
        self.panel.result.setText(text)
        if answer.get("frames"):
            import numpy as np

            with np.load(answer["path"], allow_pickle=False) as f:
                frames = f["frames"]
            self.live.side.setCurrentWidget(self.live.frames)
            self.live.frames.play(frames, f"greedy agent · return {answer['ret']:.2f}")

    def evaluate(self, episodes: int) -> None:
        req = self._agent_request()
        if req is None:
            return
        req.update(episodes=episodes, seed=self._seed() + 31_337)
        self.panel.result.setText(f"Evaluating over {episodes} greedy episodes…")
        self.panel.evaluate_button.setEnabled(False)
        self.jobs.request("evaluate", req, lambda a: self._evaluated(a, episodes), "evaluate")

    def _evaluated(self, answer: dict[str, Any], episodes: int) -> None:
        self.panel.evaluate_button.setEnabled(True)
        if "error" in answer:
            self.panel.result.setText(f"Could not evaluate: {answer['error']}")
            return
        returns = answer["returns"]
        self.last_evaluation = answer
        self.panel.result.setText(f"Greedy return over {episodes} episodes: {answer['mean']:.2f} ± "
                                  f"{answer['std']:.2f} (min {min(returns):.2f}, max {max(returns):.2f}).")

    last_evaluation: dict[str, Any] | None = None
    exported: tuple[bool, str] | None = None
    """The last export's outcome: (succeeded, output folder)."""

    def export(self, out: Path | None = None, parent: QWidget | None = None) -> bool:
        """Write the trained network as a SavedModel with ``layerbench export`` in a child process."""
        from desktop.panels.rl_export import export_savedmodel

        return export_savedmodel(self, out, parent or self.panel)

    def close(self) -> None:
        self.timer.stop()
        self.jobs.close()
        if self.export_job is not None and self.export_job.is_running():
            self.export_job.cancel()
        self.mdp.close_jobs()
        if self.run is not None and not self.run.done:
            self.run.stop()
            self.run.kill()
        for d in self._dirs:
            shutil.rmtree(d, ignore_errors=True)
        self._dirs.clear()
