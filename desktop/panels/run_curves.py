"""The runs the dashboard draws: the live run's curves with its learning-rate schedule, stored runs' recorded
arrays (read once, cached) with the schedule worked out from their config the same way, and the last gradient
norm of each layer (for the canvas colours of a re-opened run)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
from pydantic import ValidationError

from desktop.plots.data import RunCurves, live_arrays


def stored_learning_rates(info: dict[str, Any], arrays: dict[str, np.ndarray]) -> np.ndarray | None:
    """The learning rate at each stored epoch point, from the run's config (None without config or epochs)."""
    epochs = arrays.get("epoch/x")
    if "config" not in info or epochs is None or not len(epochs):
        return None
    from core.training.config import TrainingConfig
    from desktop.panels.dashboard import learning_rates

    try:
        config = TrainingConfig.from_dict(info["config"])
    except ValidationError:
        return None
    return learning_rates(config, epochs * max(int(info.get("batches", 1) or 1), 1))


def live_curves(session: Any) -> RunCurves:
    """The running (or just ended) run of ``session``, with its learning rate at each epoch point."""
    arrays = live_arrays(session.run.history)
    if session.config is not None and len(arrays.get("epoch/x", ())):
        from desktop.panels.dashboard import learning_rates

        arrays["epoch/learning_rate"] = learning_rates(session.config,
                                                       arrays["epoch/x"] * max(session.progress.batches, 1))
    return RunCurves("live", "current run", arrays, session.progress.batches)


class StoredRuns:
    """Stored runs' arrays read from ``project()`` once each (until ``clear``), as curves to draw."""

    def __init__(self, project: Callable[[], Any]) -> None:
        self.project = project
        self._histories: dict[str, dict[str, np.ndarray]] = {}

    def clear(self) -> None:
        self._histories.clear()

    def history(self, run_id: str) -> dict[str, np.ndarray]:
        """A stored run's arrays, with its learning-rate schedule worked out from its config."""
        if run_id not in self._histories:
            arrays = dict(self.project().history(run_id))
            rates = stored_learning_rates(self.project().run(run_id).info, arrays)
            if rates is not None and "epoch/learning_rate" not in arrays:
                arrays["epoch/learning_rate"] = rates
            self._histories[run_id] = arrays
        return self._histories[run_id]

    def curves(self, run: Any, primary: bool, index: int) -> RunCurves:
        return RunCurves(run.id, run.label or run.id, self.history(run.id), int(run.info.get("batches", 1) or 1),
                         primary=primary, color_index=index)


def last_norms(arrays: dict[str, np.ndarray]) -> dict[str, float]:
    """Per layer, the last gradient norm a stored run recorded (``grad/<layer>``)."""
    out: dict[str, float] = {}
    for key, values in arrays.items():
        prefix, _, name = key.partition("/")
        if prefix == "grad" and name != "x" and name != "grad_global_norm" and len(values):
            out[name] = float(values[-1])
    return out
