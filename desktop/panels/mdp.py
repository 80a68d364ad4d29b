"""The MDP view of a tabular environment: value iteration or policy iteration (buttons) drawn as a grid, the
value of each state as a heatmap and the greedy policy as arrows; a click on a cell shows that state's
transitions (probability, next state, reward, end) per action and the action values they give.

The environment's transition table is read and solved by a ``solve`` job in a child process
(``core.rl.jobs``): gymnasium never loads in the window. FrozenLake, Taxi (one passenger place and
destination) and CliffWalking have grids; other environments are not tabular.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtWidgets import (
    QDoubleSpinBox,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QSplitter,
    QTextBrowser,
    QVBoxLayout,
    QWidget,
)

from desktop.panels.rl_jobs import RLJobs
from desktop.plots.rl_grid import GridWidget

WHAT = {"H": "hole (the episode ends)", "G": "goal (the episode ends)", "S": "start", "C": "cliff"}


def _fraction(p: float) -> str:
    for d in (2, 3, 4):
        if abs(p * d - round(p * d)) < 1e-9 and 0 < round(p * d) < d:
            return f"{round(p * d)}/{d}"
    return f"{p:.3g}"


def learned_answer(exact: dict[str, Any], q: Any, episode: int) -> dict[str, Any]:
    """A ``solve`` answer redrawn from a learned Q-table: max Q per cell and the table's greedy arrows."""
    import numpy as np

    from core.rl.grid import ARROWS, TAXI_ACTION_LABELS

    env, table = exact["env"], np.asarray(q, dtype=np.float64)
    policy = table.argmax(axis=1)
    arrows, labels = [], []
    for r, row in enumerate(exact["cell_states"]):
        letters = exact["letters"][r]
        ends = [env != "Taxi-v4" and (exact["terminal"][s] or letters[c] in "HGC") for c, s in enumerate(row)]
        arrows.append([None if end else ARROWS[env][int(policy[s])] for s, end in zip(row, ends, strict=True)])
        labels.append([TAXI_ACTION_LABELS.get(int(policy[s]), "") if env == "Taxi-v4" else "" for s in row])
    values = [[float(table[s].max()) for s in row] for row in exact["cell_states"]]
    return {**exact, "method": "learned", "episode": episode, "values": values, "arrows": arrows,
            "labels": labels, "policy": policy.tolist(), "state_values": table.max(axis=1).tolist(),
            "learned_q": table.tolist()}


def state_html(answer: dict[str, Any], row: int, col: int) -> str:
    """The transitions and action values of the state in cell (row, col) of a ``solve`` answer."""
    state = int(answer["cell_states"][row][col])
    values, gamma = answer["state_values"], float(answer["gamma"])
    learned = answer.get("learned_q")
    names = answer["action_names"]
    letter = answer["letters"][row][col]
    best = int(answer["policy"][state])
    what = WHAT.get(letter, "frozen ice" if answer["env"] == "FrozenLake-v1" else "")
    head = (f"<b>State {state}</b> (row {row}, column {col}){' — ' + what if what else ''}<br>"
            f"{'learned max Q' if learned else 'V*'} = {values[state]:.4f}")
    if answer["terminal"][state]:
        head += " · entered only by ending the episode"
    rows = []
    for a, outcomes in enumerate(answer["transitions"][str(state)]):
        q = learned[state][a] if learned else sum(p * (r + (0.0 if done else gamma * values[int(nxt)]))
                                                  for p, nxt, r, done in outcomes)
        parts = [f"{_fraction(p)} → {int(nxt)} (r {r:g}{', ends' if done else ''})" for p, nxt, r, done in outcomes]
        name = names[a] if a < len(names) else str(a)
        mark = " — <b>greedy</b>" if a == best else ""
        rows.append(f"<p><b>{name}</b>: Q = {q:.4f}{mark}<br>&nbsp;&nbsp;{' · '.join(parts)}</p>")
    return head + "".join(rows)


class MDPView(QWidget):
    """Grid, solver buttons, discount and the clicked state's details."""

    def __init__(self, jobs: RLJobs, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.jobs = jobs
        self.env_id, self.tabular = "", False
        self.options: dict[str, Any] = {}
        self.answer: dict[str, Any] | None = None
        self.title = QLabel()
        self.title.setWordWrap(True)
        self.gamma = QDoubleSpinBox()
        self.gamma.setRange(0.0, 0.9999)
        self.gamma.setDecimals(4)
        self.gamma.setSingleStep(0.01)
        self.gamma.setValue(0.99)
        self.gamma.setPrefix("γ = ")
        self.value_button = QPushButton("Value iteration")
        self.policy_button = QPushButton("Policy iteration")
        self.value_button.clicked.connect(lambda: self.solve("value"))
        self.policy_button.clicked.connect(lambda: self.solve("policy"))
        self.learned_button = QPushButton("Learned Q-table")
        self.learned_button.setToolTip("The Q-learning agent's table on the same grid, to compare with the exact one")
        self.learned_button.clicked.connect(self.show_learned)
        self.learned: tuple[str, Any, int] | None = None
        self.exact: dict[str, Any] | None = None
        self._learned_next = False
        self.status = QLabel("")
        self.status.setWordWrap(True)
        self.grid = GridWidget()
        self.grid.cell_clicked.connect(self.show_state)
        self.details = QTextBrowser()
        self.details.setPlaceholderText("Click a cell to see its transitions.")
        bar = QHBoxLayout()
        for w in (self.gamma, self.value_button, self.policy_button, self.learned_button):
            bar.addWidget(w)
        bar.addStretch(1)
        bar.addWidget(self.grid.export_button)  # the grid's: state, value and policy of every cell
        split = QSplitter()
        split.addWidget(self.grid)
        split.addWidget(self.details)
        split.setStretchFactor(0, 3)
        split.setStretchFactor(1, 2)
        split.setSizes([600, 400])
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 2, 4, 2)
        layout.addWidget(self.title)
        layout.addLayout(bar)
        layout.addWidget(self.status)
        layout.addWidget(split, 1)
        self.set_env("", {}, False)

    def set_env(self, env_id: str, options: dict[str, Any], tabular: bool) -> None:
        """Follow the RL panel's environment; a new one clears the grid."""
        if (env_id, options, tabular) == (self.env_id, self.options, self.tabular):
            return
        self.env_id, self.options, self.tabular = env_id, options, tabular
        self.answer = self.exact = None
        self.grid.set_grid(None)
        self._enable_learned()
        self.details.clear()
        for b in (self.value_button, self.policy_button):
            b.setEnabled(tabular)
        if not env_id:
            self.title.setText("Pick an environment in the Reinforcement learning panel.")
        elif tabular:
            extra = " (taxi positions for a passenger at R heading to G)" if env_id == "Taxi-v4" else ""
            self.title.setText(f"<b>{env_id}</b>{extra}: solve it exactly to see the value of every state and "
                               "the best action.")
        else:
            self.title.setText(f"<b>{env_id}</b> has continuous observations: it has no transition table to "
                               "solve. The MDP view covers FrozenLake, Taxi and CliffWalking.")
        self.status.setText("")

    def solve(self, method: str) -> None:
        if not self.tabular:
            return
        req = {"env": self.env_id, "options": self.options, "method": method, "gamma": self.gamma.value()}
        self.status.setText(f"Solving by {method} iteration…")
        self.status.setStyleSheet("")
        self.jobs.request("solve", req, self._solved, "mdp")

    def _solved(self, answer: dict[str, Any]) -> None:
        if "error" in answer:
            self.status.setText(str(answer["error"]))
            self.status.setStyleSheet("color: #c92a2a;")
            return
        self.answer = self.exact = answer
        if self._learned_next:
            self._learned_next = False
            self.show_learned()
            return
        self.grid.set_grid(answer)
        self.status.setText(f"{answer['method'].capitalize()} iteration converged in {answer['iterations']} "
                            f"iterations (γ = {answer['gamma']:g}). Colour: value of the state; arrow: greedy "
                            "action. Click a cell for its transitions.")
        self.details.clear()

    # ---- the learned table ---------------------------------------------------------------------
    def set_learned(self, env_id: str, q: Any, episode: int) -> None:
        """The latest Q-table of a tabular run on ``env_id`` (the button works while that environment is shown)."""
        self.learned = (env_id, q, episode)
        self._enable_learned()

    def _enable_learned(self) -> None:
        self.learned_button.setEnabled(self.tabular and self.learned is not None and self.learned[0] == self.env_id)

    def show_learned(self) -> None:
        if self.learned is None or self.learned[0] != self.env_id:
            return
        if self.exact is None:  # the grid's layout and transitions come from a solve
            self._learned_next = True
            self.solve("value")
            return
        _, q, episode = self.learned
        if len(q) != len(self.exact["state_values"]):
            self.status.setText("The Q-table was learned on another map of this environment.")
            return
        self.answer = learned_answer(self.exact, q, episode)
        self.grid.set_grid(self.answer)
        self.status.setText(f"Learned by Q-learning (episode {episode}). Colour: the table's best value; arrow: its "
                            "greedy action. Value iteration shows the exact ones.")
        self.details.clear()

    def show_state(self, row: int, col: int) -> None:
        if self.answer is not None:
            self.details.setHtml(state_html(self.answer, row, col))

    def close_jobs(self) -> None:
        self.jobs.cancel("mdp")
