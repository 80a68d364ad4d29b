"""A run folder: per-epoch checkpoint (weights as .weights.h5 and as .npz by layer name, optimizer state .npz,
history .npz, state.json).

The project layer copies these files into the project; ``RunFolder`` is the one place that knows their names.
Every file is written to a temporary name and moved into place, so a crash mid-write leaves the previous one.
A run resumed from a project gets a folder holding the ``.npz`` forms only (the parent has no Keras to write
``.h5``); ``restore_checkpoint_weights`` takes whichever is there. ``tensorboard.json``, written by the parent
before the run starts, says where the run's TensorBoard event files go.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

FORMAT_VERSION = 1


@dataclass(frozen=True)
class RunFolder:
    path: Path

    @property
    def weights(self) -> Path:
        return self.path / "checkpoint.weights.h5"

    @property
    def final_weights(self) -> Path:
        return self.path / "final.weights.h5"

    @property
    def layer_weights(self) -> Path:
        """Final weights by layer name (``layer#index`` arrays), the form the project file stores."""
        return self.path / "weights.npz"

    @property
    def checkpoint_layers(self) -> Path:
        """The checkpoint's weights by layer name (``layer#index`` arrays), what the project stores."""
        return self.path / "checkpoint-weights.npz"

    @property
    def optimizer(self) -> Path:
        return self.path / "optimizer.npz"

    @property
    def history(self) -> Path:
        return self.path / "history.npz"

    @property
    def state_file(self) -> Path:
        return self.path / "state.json"

    def state(self) -> dict[str, Any]:
        """``{"epoch": epochs completed, ...}``; empty when there is no checkpoint."""
        if not self.state_file.exists():
            return {}
        data: dict[str, Any] = json.loads(self.state_file.read_text(encoding="utf-8"))
        if data.get("format_version", 0) > FORMAT_VERSION:
            raise ValueError(f"{self.state_file} was written by a newer Layerbench; update to resume it")
        return data

    def has_checkpoint(self) -> bool:
        return (self.weights.exists() or self.checkpoint_layers.exists()) and "epoch" in self.state()

    @property
    def tensorboard_file(self) -> Path:
        return self.path / "tensorboard.json"

    def tensorboard_dir(self) -> Path:
        """Where TensorBoard event files go: the folder the parent chose, else ``tensorboard`` in the run folder."""
        if self.tensorboard_file.exists():
            data = json.loads(self.tensorboard_file.read_text(encoding="utf-8"))
            if isinstance(data.get("log_dir"), str) and data["log_dir"]:
                return Path(data["log_dir"])
        return self.path / "tensorboard"

    def set_tensorboard_dir(self, log_dir: Path) -> None:
        """Send this run's event files to ``log_dir`` (a folder that outlives the run folder)."""
        self.path.mkdir(parents=True, exist_ok=True)
        self.tensorboard_file.write_text(json.dumps({"log_dir": str(log_dir)}), encoding="utf-8")

    def write_state(self, **state: Any) -> None:
        tmp = self.state_file.with_suffix(".tmp")
        tmp.write_text(json.dumps({"format_version": FORMAT_VERSION, **state}), encoding="utf-8")
        os.replace(tmp, self.state_file)


def save_weights(model: Any, path: Path) -> None:
    tmp = path.with_name("tmp-" + path.name)
    model.save_weights(str(tmp))
    os.replace(tmp, path)


def save_optimizer(optimizer: Any, path: Path) -> None:
    arrays = {f"v{i}": np.asarray(v.numpy()) for i, v in enumerate(optimizer.variables)}
    tmp = path.with_name("tmp-" + path.name)
    np.savez(tmp, **arrays)  # type: ignore[arg-type]
    os.replace(tmp, path)


def load_optimizer(optimizer: Any, path: Path) -> bool:
    """Restore optimizer slots saved by ``save_optimizer``; False (and nothing changed) if they do not match."""
    if not path.exists():
        return False
    with np.load(path, allow_pickle=False) as f:
        arrays = [f[f"v{i}"] for i in range(len(f.files))]
    variables = list(optimizer.variables)
    if len(arrays) != len(variables) or any(tuple(a.shape) != tuple(v.shape) for a, v in zip(arrays, variables)):
        return False
    for var, value in zip(variables, arrays):
        var.assign(value)
    return True


SEP = "#"


def save_layer_weights(model: Any, path: Path) -> None:
    """Every layer's weights by name as ``layer#index`` arrays (no pickle)."""
    arrays = {f"{layer.name}{SEP}{i}": np.asarray(w)
              for layer in model.layers for i, w in enumerate(layer.get_weights())}
    tmp = path.with_name("tmp-" + path.name)
    np.savez(tmp, **arrays)  # type: ignore[arg-type]
    os.replace(tmp, path)


def load_layer_weights(path: Path) -> dict[str, list[np.ndarray]]:
    """The inverse of ``save_layer_weights``: layer name -> arrays in order."""
    out: dict[str, dict[int, np.ndarray]] = {}
    with np.load(path, allow_pickle=False) as f:
        for key in f.files:
            layer, _, index = key.rpartition(SEP)
            if not layer or not index.isdigit():
                raise ValueError(f"{path}: array {key!r} is not named layer{SEP}index")
            out.setdefault(layer, {})[int(index)] = f[key]
    return {layer: [values[i] for i in sorted(values)] for layer, values in out.items()}


def restore_checkpoint_weights(model: Any, folder: RunFolder) -> None:
    """Load the checkpoint's weights into ``model``: the Keras ``.h5`` when there is one, else the ``.npz``."""
    if folder.weights.exists():
        model.load_weights(str(folder.weights))
    else:
        apply_layer_weights(model, load_layer_weights(folder.checkpoint_layers))


def apply_layer_weights(model: Any, weights: dict[str, list[np.ndarray]]) -> None:
    """Set weights by layer name; a layer the model lacks or a shape that differs is a ``ValueError`` naming it."""
    layers = {layer.name: layer for layer in model.layers}
    for name, values in weights.items():
        if name not in layers:
            raise ValueError(f"the saved weights hold layer {name!r}, which the model does not have")
        expected = [tuple(w.shape) for w in layers[name].weights]
        if expected != [tuple(v.shape) for v in values]:
            raise ValueError(f"saved weights of {name} do not fit: the layer needs shapes {expected}")
        layers[name].set_weights(values)
