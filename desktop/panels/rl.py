"""The Reinforcement learning panel: environment (with its observation and action spaces), agent and
hyper-parameters, the network checked against the environment, Start / Pause / Stop, and after training:
watch the greedy agent, evaluate it over N episodes, export its network as a SavedModel.

The panel holds widgets and settings only; ``desktop.panels.rl_lab.RLLab`` runs things. Spaces come from a
``describe`` job in a child process (``desktop.panels.rl_jobs``): gymnasium never loads in the window.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtWidgets import (
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLayout,
    QPushButton,
    QScrollArea,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from core.graph.model import Graph
from core.rl.envs import EnvError, EnvInfo, SpaceInfo
from desktop.panels.rl_form import AgentForm, EnvPicker
from desktop.panels.rl_jobs import RLJobs

ERROR = "color: #c92a2a;"
GOOD = "color: #2b8a3e;"
ROLES = {"dqn": "Q-network", "reinforce": "policy network"}


def space_text(space: SpaceInfo, names: tuple[str, ...] = ()) -> str:
    if space.kind == "discrete":
        listed = f": {', '.join(names)}" if names else ""
        return f"Discrete({space.n}){listed}"
    lows, highs = space.low, space.high
    bounds = f", from {min(lows):.3g} to {max(highs):.3g}" if lows and highs else ""
    return f"Box{tuple(space.shape)}{bounds}"


def spaces_html(info: EnvInfo) -> str:
    obs = info.observation
    seen = f" — the network sees it one-hot, shape ({obs.n},)" if obs.kind == "discrete" else ""
    steps = f"<br><b>Episode limit:</b> {info.max_episode_steps} steps" if info.max_episode_steps else ""
    return (f"<b>Observations:</b> {space_text(obs)}{seen}<br>"
            f"<b>Actions:</b> {space_text(info.actions, info.entry.action_names)}{steps}")


def fit_command(graph: Graph, info: EnvInfo) -> Any:
    """One undoable edit that sizes the network's Input and last Dense layer to ``info`` (None: nothing to do)."""
    from core.graph.commands import SetParams
    from core.graph.undo import Macro
    from core.rl.networks import fit_to_env

    fitted = fit_to_env(graph.to_dict(), info)
    children = []
    for node in fitted["nodes"]:
        current = graph.node(node["id"]).params
        changed = {k: v for k, v in node.get("params", {}).items() if current.get(k) != v}
        if changed:
            children.append(SetParams(graph, node["id"], changed))
    return Macro(f"Fit the network to {info.id}", children) if children else None


def network_check(graph: Graph, info: EnvInfo, kind: str) -> str | None:
    """``None`` when the agent can run on ``info`` with ``graph``, else the refusal (both numbers named)."""
    from core.rl.networks import check_network

    if kind == "qlearning":
        if info.observation.kind != "discrete":
            return (f"tabular Q-learning needs discrete states; {info.id} observations are continuous "
                    f"(shape {info.observation.shape}): choose DQN or REINFORCE")
        return None
    try:
        check_network(graph, info, ROLES[kind])
    except EnvError as exc:
        return exc.message
    return None


class RLPanel(QWidget):
    """Settings and buttons; signals say what the user asked for."""

    start_clicked = Signal()
    pause_clicked = Signal()
    stop_clicked = Signal()
    play_clicked = Signal()
    evaluate_clicked = Signal(int)
    export_clicked = Signal()
    fit_clicked = Signal()
    env_changed = Signal()
    settings_changed = Signal()

    def __init__(self, jobs: RLJobs, graph: Callable[[], Graph]) -> None:
        super().__init__()
        self.jobs, self.graph = jobs, graph
        self.env_info: EnvInfo | None = None
        self.refusal: str | None = "reading the environment…"
        self.env = EnvPicker()
        self.agent = AgentForm()
        self._build()
        self._debounce = QTimer(self)
        self._debounce.setSingleShot(True)
        self._debounce.setInterval(150)
        self._debounce.timeout.connect(self._describe)
        self.env.changed.connect(self._debounce.start)
        self.agent.changed.connect(self.check)
        self.agent.changed.connect(self.settings_changed)
        self._describe()

    # ---- layout --------------------------------------------------------------------------------
    def _build(self) -> None:
        self.check_label = QLabel()
        self.check_label.setWordWrap(True)
        self.check_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.fit_button = QPushButton("Resize the network to fit")
        self.fit_button.setToolTip("Set the Input shape to the observations and the last Dense layer's units to the "
                                   "number of actions (one undoable edit)")
        self.fit_button.clicked.connect(self.fit_clicked)
        self.fit_button.hide()
        self.start_button, self.pause_button, self.stop_button = (QPushButton(t) for t in ("Start", "Pause", "Stop"))
        self.status = QLabel("")
        self.status.setWordWrap(True)
        buttons = QHBoxLayout()
        for b, signal in ((self.start_button, self.start_clicked), (self.pause_button, self.pause_clicked),
                          (self.stop_button, self.stop_clicked)):
            b.clicked.connect(signal)
            buttons.addWidget(b)
        body = QWidget()
        column = QVBoxLayout(body)
        column.setSizeConstraint(QLayout.SizeConstraint.SetMinimumSize)  # rows at their size hint; the area scrolls
        column.addWidget(self.env)
        network = QGroupBox("Network")
        network_box = QVBoxLayout(network)
        network_box.addWidget(self.check_label)
        network_box.addWidget(self.fit_button)
        column.addWidget(network)
        column.addWidget(self.agent)
        column.addWidget(self._after_box())
        column.addStretch(1)
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setWidget(body)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 0)
        layout.addLayout(buttons)  # always in reach, above the settings that scroll
        layout.addWidget(self.status)
        layout.addWidget(scroll, 1)
        self.set_running(False)

    def _after_box(self) -> QGroupBox:
        box = QGroupBox("After training")
        self.play_button = QPushButton("Watch the greedy agent play")
        self.evaluate_button = QPushButton("Evaluate")
        self.episodes = QSpinBox()
        self.episodes.setRange(1, 10_000)
        self.episodes.setValue(20)
        self.episodes.setSuffix(" episodes")
        self.export_button = QPushButton("Export network as SavedModel…")
        self.result = QLabel("Train an agent first.")
        self.result.setWordWrap(True)
        self.play_button.clicked.connect(self.play_clicked)
        self.evaluate_button.clicked.connect(lambda: self.evaluate_clicked.emit(self.episodes.value()))
        self.export_button.clicked.connect(self.export_clicked)
        row = QHBoxLayout()
        row.addWidget(self.evaluate_button)
        row.addWidget(self.episodes)
        layout = QVBoxLayout(box)
        layout.addWidget(self.play_button)
        layout.addLayout(row)
        layout.addWidget(self.export_button)
        layout.addWidget(self.result)
        self.set_trained(False, False)
        return box

    # ---- environment and network ---------------------------------------------------------------
    def _describe(self) -> None:
        try:
            options = self.env.options()
        except EnvError as exc:
            self._show_env_error(exc.message)
            return
        self.env_info = None
        self.env.spaces.setText("reading the spaces…")
        self.jobs.request("describe", {"env": self.env.env_id(), "options": options}, self._described, "describe")

    def _described(self, answer: dict[str, Any]) -> None:
        if "error" in answer:
            self._show_env_error(str(answer["error"]))
            return
        from core.rl.jobs import info_from_json

        self.env_info = info_from_json(answer)
        self.env.spaces.setText(spaces_html(self.env_info))
        self.env.spaces.setStyleSheet("")
        self.check()
        self.env_changed.emit()
        self.settings_changed.emit()

    def _show_env_error(self, text: str) -> None:
        self.env_info = None
        self.env.spaces.setText(text)
        self.env.spaces.setStyleSheet(ERROR)
        self._refuse(text)

    def check(self) -> str | None:
        """Check the network against the environment; the refusal is shown and Start disabled."""
        if self.env_info is None:
            self.fit_button.hide()
            self._refuse(self.refusal if self.refusal else "reading the environment…", quiet=True)
            return self.refusal
        kind = self.agent.kind()
        problem = network_check(self.graph(), self.env_info, kind)
        self.fit_button.setVisible(problem is not None and kind != "qlearning" and not self._running)
        self.fit_button.setText(f"Resize the network to fit {self.env_info.id}")
        if problem is not None:
            self._refuse(problem)
            return problem
        self.refusal = None
        info = self.env_info
        if kind == "qlearning":
            text = (f"Q-learning keeps a table of {info.observation.n} states × {info.n_actions} actions; "
                    "the network on the canvas is not used.")
        else:
            text = (f"The {ROLES[kind]} fits {info.id}: it takes observations of shape "
                    f"{info.observation.network_shape} and outputs {info.n_actions} values, one per action.")
        self.check_label.setText(text)
        self.check_label.setStyleSheet(GOOD)
        self._update_start()
        return None

    def _refuse(self, text: str, quiet: bool = False) -> None:
        self.refusal = text
        self.check_label.setText(text if quiet else f"Cannot start: {text}")
        self.check_label.setStyleSheet("" if quiet else ERROR)
        self._update_start()

    # ---- settings ------------------------------------------------------------------------------
    def config_data(self) -> dict[str, Any]:
        """The settings as an ``RLConfig`` dict without the graph (a bad custom map raises ``EnvError``)."""
        base = self._base
        env = {**base.get("env", {}), "id": self.env.env_id(), "options": self.env.options()}
        if env["id"] != base.get("env", {}).get("id"):
            env.pop("max_episode_steps", None)  # a limit chosen for another environment
        evaluation = {**base.get("evaluation", {}), "episodes": self.agent.eval_episodes.value()}
        # settings the panel has no editor for (threads, evaluation during training, ...) are kept as loaded
        return {**base, "env": env, "agent": self.agent.agent_data(), "seed": self.agent.seed.value(),
                "frame_fps": self.agent.fps.value(), "evaluation": evaluation}

    _base: dict[str, Any] = {}  # replaced, never mutated

    def set_config(self, data: dict[str, Any]) -> None:
        self._base = {k: v for k, v in data.items() if k != "graph"}
        env = data.get("env", {})
        self.env.set_env(str(env.get("id", "CartPole-v1")), dict(env.get("options", {})))
        self.agent.set_agent(dict(data.get("agent", {})))
        self.agent.seed.setValue(int(data.get("seed", 0)))
        self.agent.fps.setValue(float(data.get("frame_fps", 4)))
        self.agent.eval_episodes.setValue(int(data.get("evaluation", {}).get("episodes", 10)))
        self._describe()

    # ---- state ---------------------------------------------------------------------------------
    _running = False
    _paused = False

    def set_running(self, running: bool, paused: bool = False) -> None:
        self._running, self._paused = running, paused
        self.pause_button.setEnabled(running)
        self.pause_button.setText("Resume" if paused else "Pause")
        self.stop_button.setEnabled(running)
        self.env.setEnabled(not running)
        self.agent.setEnabled(not running)
        self._update_start()

    def _update_start(self) -> None:
        self.start_button.setEnabled(not self._running and self.refusal is None)

    def set_trained(self, trained: bool, has_network: bool) -> None:
        self.play_button.setEnabled(trained)
        self.evaluate_button.setEnabled(trained)
        self.export_button.setEnabled(trained and has_network)
        self.export_button.setToolTip("" if has_network or not trained else
                                      "A Q-learning agent is a table, not a network: there is nothing to export.")
