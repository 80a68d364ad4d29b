"""Weights and histories as ``.npz`` bytes (never pickled), keyed by Keras layer name.

``Weights`` maps a layer name to that layer's ``get_weights()`` list. The Keras helpers take a model and
use only its duck-typed methods, so this module imports neither Keras nor TensorFlow.
"""

from __future__ import annotations

import io
import zipfile
from collections.abc import Mapping
from typing import Any

import numpy as np

from core.project.archive import MAX_MEMBER_BYTES, check_members
from core.project.errors import ProjectError

Weights = dict[str, list[np.ndarray]]
_SEP = "#"  # not ":" (a drive letter to zip checks) nor "/" (a folder)


def pack_arrays(arrays: Mapping[str, np.ndarray]) -> bytes:
    """Arrays as uncompressed ``.npz`` bytes (weights do not compress; storing is fast)."""
    buffer = io.BytesIO()
    np.savez(buffer, **{k: np.asarray(v) for k, v in arrays.items()})  # type: ignore[arg-type]
    return buffer.getvalue()


def unpack_arrays(data: bytes, where: str) -> dict[str, np.ndarray]:
    """Arrays from ``.npz`` bytes, refusing pickled objects and oversized or unsafe members."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as zf:
            check_members(zf, where, max_total=MAX_MEMBER_BYTES)
        with np.load(io.BytesIO(data), allow_pickle=False) as npz:
            return {key: npz[key] for key in npz.files}
    except ProjectError:
        raise
    except zipfile.BadZipFile:
        raise ProjectError("is not a valid .npz archive", where) from None
    except (ValueError, OSError, EOFError) as exc:
        raise ProjectError(f"cannot be read as arrays: {exc}", where) from None


def pack_weights(weights: Mapping[str, list[np.ndarray]]) -> bytes:
    flat = {f"{layer}{_SEP}{i}": w for layer, values in weights.items() for i, w in enumerate(values)}
    return pack_arrays(flat)


def unpack_weights(data: bytes, where: str) -> Weights:
    out: dict[str, dict[int, np.ndarray]] = {}
    for key, value in unpack_arrays(data, where).items():
        layer, _, index = key.rpartition(_SEP)
        if not layer or not index.isdigit():
            raise ProjectError(f"array {key!r} is not named layer{_SEP}index", where)
        out.setdefault(layer, {})[int(index)] = value
    return {layer: [values[i] for i in sorted(values)] for layer, values in out.items()}


def model_weights(model: Any) -> Weights:
    """Every layer's weights of a built Keras model, by layer name (layers without weights are left out)."""
    return {layer.name: list(layer.get_weights()) for layer in model.layers if layer.weights}


def apply_weights(model: Any, weights: Mapping[str, list[np.ndarray]], strict: bool = True) -> list[str]:
    """Set each layer's weights by name; returns the names of layers that got none.

    A stored layer the model lacks, or a shape that differs, is a ``ProjectError`` naming the layer when
    ``strict`` (a graph edited since training needs fresh weights for what changed).
    """
    by_name = {layer.name: layer for layer in model.layers}
    for name, values in weights.items():
        layer = by_name.get(name)
        if layer is None:
            if strict:
                raise ProjectError(f"the weights hold layer {name!r}, which the model does not have")
            continue
        expected = [tuple(w.shape) for w in layer.weights]
        got = [tuple(v.shape) for v in values]
        if expected != got:
            raise ProjectError(f"weights of {name} have shapes {got}, the layer needs {expected}")
        layer.set_weights(values)
    return [layer.name for layer in model.layers if layer.weights and layer.name not in weights]
