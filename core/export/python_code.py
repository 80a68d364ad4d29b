"""Python export: the script from ``core.translate.codegen`` plus the weights as ``NAME.weights.npz``.

The script needs only Keras and NumPy; it loads the weights by layer name (no pickle) when the file sits
beside it.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from core.export.model import graph_of
from core.project.weights import model_weights, pack_weights

LOADER = '''

def load_weights(model, path):
    """Set each layer's weights from the .npz written by Layerbench (arrays named "layer#index")."""
    import numpy as np

    by_layer = {}
    with np.load(path, allow_pickle=False) as data:
        for key in data.files:
            layer, _, index = key.rpartition("#")
            by_layer.setdefault(layer, {})[int(index)] = data[key]
    for name, values in by_layer.items():
        model.get_layer(name).set_weights([values[i] for i in sorted(values)])


WEIGHTS = os.path.join(os.path.dirname(os.path.abspath(__file__)), __WEIGHTS__)
if os.path.exists(WEIGHTS):
    load_weights(model, WEIGHTS)


if __name__ == "__main__":
    model.summary()
'''


def write_python(model: Any, graph_data: Mapping[str, Any], path: Path, name: str) -> list[Path]:
    """Write ``path`` (the script) and ``NAME.weights.npz`` beside it; returns both paths."""
    from core.translate.codegen import generate

    source = generate(graph_of(graph_data), name=name, main=False)
    weights_path = path.with_name(path.stem + ".weights.npz")
    source = source.replace("import keras\n", "import os\n\nimport keras\n", 1)
    source = source.rstrip("\n") + "\n" + LOADER.replace("__WEIGHTS__", repr(weights_path.name))
    _write(weights_path, pack_weights(model_weights(model)))
    _write(path, source.encode("utf-8"))
    return [path, weights_path]


def _write(path: Path, data: bytes) -> None:
    tmp = path.with_name(f".{path.name}.tmp")
    with open(tmp, "wb") as handle:
        handle.write(data)
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(tmp, path)
