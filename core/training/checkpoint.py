"""A run folder: per-epoch checkpoint (weights as .npz by layer name, optimizer state .npz, history .npz,
state.json), and the run's final weights (as Keras's .weights.h5 and as .npz by layer name).

The project layer copies these files into the project; ``RunFolder`` is the one place that knows their names.
Every file is written to a temporary name and moved into place, so a crash mid-write leaves the previous one.
Checkpoints are ``.npz`` only: Keras's ``.weights.h5`` of the same weights took 15 times as long to write
(37 ms against 2.4 ms for the benchmark's small CNN), on every checkpoint, for a second copy nothing read.
``restore_checkpoint_weights`` still reads the ``checkpoint.weights.h5`` of run folders written before.
``tensorboard.json``, written by the parent before the run starts, says where the run's TensorBoard event files go.
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
        """A checkpoint's Keras weights, as run folders written before checkpoints were ``.npz`` only hold."""
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
    write_arrays({f"v{i}": np.asarray(v.numpy()) for i, v in enumerate(optimizer.variables)}, path)


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


def layer_arrays(model: Any) -> dict[str, np.ndarray]:
    """Every layer's weights by name as ``layer#index`` arrays (copies: training may go on)."""
    return {f"{layer.name}{SEP}{i}": np.array(w) for layer in model.layers for i, w in enumerate(layer.get_weights())}


def write_arrays(arrays: dict[str, np.ndarray], path: Path) -> None:
    """``arrays`` as an ``.npz`` (no pickle), written to a temporary name and moved into place."""
    tmp = path.with_name("tmp-" + path.name)
    np.savez(tmp, **arrays)  # type: ignore[arg-type]
    os.replace(tmp, path)


def save_layer_weights(model: Any, path: Path) -> None:
    """Every layer's weights by name as ``layer#index`` arrays (no pickle)."""
    write_arrays(layer_arrays(model), path)


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
    """Load the checkpoint's weights into ``model``: the ``.npz`` by layer name, or the Keras ``.h5`` of a run
    folder written before checkpoints were ``.npz`` only."""
    if folder.checkpoint_layers.exists():
        apply_layer_weights(model, load_layer_weights(folder.checkpoint_layers))
    else:
        model.load_weights(str(folder.weights))


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
