"""Re-opening a stored run puts the settings it trained with back into the project: one undoable edit named after
the run ("Use settings of Run 2"), or no edit at all (and no modified document) when the project already has
those settings."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from pydantic import ValidationError

from core.training.config import TrainingConfig
from desktop.panels.settings_edit import ReplaceSettings


def run_title(run: Any) -> str:
    """How the undo history names a run: its label up to the dash (``Run 2``), a renamed run's whole label."""
    label = str(run.label or run.id)
    return label.split(" — ", 1)[0].strip() or label


def normalised(settings: dict[str, Any]) -> dict[str, Any] | None:
    """``settings`` with every training setting spelled out (defaults filled in); None if they are invalid."""
    fields = TrainingConfig.model_fields
    try:
        return TrainingConfig.from_dict({k: v for k, v in settings.items() if k in fields}).to_dict()
    except ValidationError:
        return None


class UseRunSettings(ReplaceSettings):
    """The project's training settings replaced by a stored run's. It never merges with a form edit before or
    after it: undo takes back exactly the re-open."""

    def __init__(self, store: dict[str, Any], new: dict[str, Any], title: str,
                 notify: Callable[[], None] | None = None) -> None:
        super().__init__(store, new, "training settings", TrainingConfig.model_fields, notify)
        self.text = f"Use settings of {title}"
        self._applied = True  # ``notify`` on the first apply too: no form shows the run's settings yet

    def merge_key(self) -> object:
        return None


def use_run_settings(store: dict[str, Any], run: Any,
                     notify: Callable[[], None] | None = None) -> UseRunSettings | None:
    """The edit giving ``store`` (a project's training settings) the settings ``run`` trained with; None when
    they are the same already, or the run kept none (or none that are valid now)."""
    wanted = normalised(run.info.get("config") or {}) if "config" in run.info else None
    if wanted is None or normalised(store) == wanted:
        return None
    command = UseRunSettings(store, wanted, run_title(run), notify)
    return command if command.fields else None
