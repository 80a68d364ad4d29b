"""What a stored run shows besides its recorded arrays: its learning-rate schedule (worked out from its config,
as the live run's is) and the last gradient norm of each layer (for the canvas colours of a re-opened run)."""

from __future__ import annotations

from typing import Any

import numpy as np
from pydantic import ValidationError


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


def last_norms(arrays: dict[str, np.ndarray]) -> dict[str, float]:
    """Per layer, the last gradient norm a stored run recorded (``grad/<layer>``)."""
    out: dict[str, float] = {}
    for key, values in arrays.items():
        prefix, _, name = key.partition("/")
        if prefix == "grad" and name != "x" and name != "grad_global_norm" and len(values):
            out[name] = float(values[-1])
    return out
