"""The banner shown when the detector flags vanishing or exploding gradients: which layers, what it means,
and one button per concrete fix (each pushed as one undoable step through the graph editor).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QFrame, QHBoxLayout, QLabel, QPushButton, QVBoxLayout, QWidget

from core.graph.model import Graph
from core.graph.undo import Command
from desktop.panels.health_fixes import Fix, fixes_for
from desktop.panels.learn_relay import OPEN, banner_links, request_topic

MEANING = {
    "vanishing": "The gradient shrinks on its way back to the input, so the first layers barely change and "
                 "the network learns slowly or not at all.",
    "exploding": "The gradient grows on its way back, so updates are huge and the weights are thrown out of "
                 "range (the loss jumps or becomes NaN).",
}
STYLE = {"vanishing": "#fff4e5", "exploding": "#fdecef"}


class HealthBanner(QFrame):
    """Hidden while gradients are healthy. ``push`` pushes a command (the editor's ``push``)."""

    def __init__(self, push: Callable[[Command], str | None], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("health_banner")
        self.push = push
        self.status = "ok"
        self.fixes: list[Fix] = []
        self.buttons: dict[str, QPushButton] = {}
        self.title = QLabel()
        self.title.setWordWrap(True)
        self.title.setTextFormat(Qt.TextFormat.RichText)
        self.title.linkActivated.connect(lambda key: request_topic(key, self, OPEN))  # "Learn:" links
        self.note = QLabel()
        self.note.setWordWrap(True)
        self.row = QHBoxLayout()
        self.row.setSpacing(6)
        close = QPushButton("Dismiss")
        close.setFlat(True)
        close.clicked.connect(self.hide)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(10, 8, 10, 8)
        layout.addWidget(self.title)
        layout.addLayout(self.row)
        layout.addWidget(self.note)
        self.row.addStretch(1)
        self.row.addWidget(close)
        self.hide()

    def show_health(self, status: str, layers: list[str], detail: str, graph: Graph,
                    settings: dict[str, Any], notify: Callable[[], None] | None = None) -> None:
        """Show the verdict and its fixes; ``status == "ok"`` hides the banner."""
        self.status = status
        if status not in MEANING:
            self.hide()
            return
        names = ", ".join(layers[:6]) + (f" and {len(layers) - 6} more" if len(layers) > 6 else "")
        where = f" in <b>{names}</b>" if names else ""
        self.title.setText(f"<b>{status.capitalize()} gradients</b>{where}. {detail}.<br>{MEANING[status]}"
                           "<br>Try one of these (each is one step you can undo):")
        self.setStyleSheet(f"#health_banner {{ background: {STYLE[status]}; border: 1px solid #e0b070; "
                           "border-radius: 6px; } #health_banner QLabel { color: #3a2a10; }")
        self._set_fixes(fixes_for(status, graph, settings, notify))
        self.title.setText(self.title.text() + banner_links(status, list(self.buttons)))
        self.note.setText("")
        self.show()

    def _set_fixes(self, fixes: list[Fix]) -> None:
        for button in self.buttons.values():
            self.row.removeWidget(button)
            button.deleteLater()
        self.buttons = {}
        self.fixes = fixes
        for i, fix in enumerate(fixes):
            button = QPushButton(fix.title)
            button.setObjectName(f"fix_{fix.key}")
            button.setToolTip(fix.why)
            button.clicked.connect(lambda _=False, f=fix: self.apply(f.key))
            self.row.insertWidget(i, button)
            self.buttons[fix.key] = button

    def apply(self, key: str) -> str | None:
        """Apply the fix named ``key``; returns why it was refused, or None."""
        fix = next(f for f in self.fixes if f.key == key)
        command = fix.make()
        if command is None:
            self.note.setText(f"“{fix.title}”: nothing left to change.")
            return "nothing to change"
        refused = self.push(command)
        if refused:
            self.note.setText(f"Could not apply “{fix.title}”: {refused}")
            return refused
        self.buttons[key].setEnabled(False)
        self.note.setText(f"Applied “{command.text}” — Edit ▸ Undo takes it back. Train again to see the effect.")
        return None


def flagged_layers(status: Mapping[str, str], verdict: str) -> list[str]:
    """Layers whose own status matches the run's verdict (weak counts towards vanishing)."""
    wanted = ("vanishing", "weak") if verdict == "vanishing" else ("exploding",)
    return [name for name, s in status.items() if s in wanted]
