"""Build the Keras model of a graph dict and set its trained weights (from our ``.npz``) by layer name."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from core.graph.errors import GraphError
from core.graph.model import Graph
from core.project.errors import ProjectError
from core.project.weights import Weights, apply_weights, unpack_weights


def read_weights(path: str | Path) -> Weights:
    """Weights from a ``.npz`` written by ``core.project.weights`` (no pickle)."""
    path = Path(path)
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise ProjectError(f"cannot be read: {exc.strerror or exc}", str(path)) from None
    return unpack_weights(data, str(path))


def graph_of(graph_data: Mapping[str, Any]) -> Graph:
    try:
        return Graph.from_dict(graph_data)
    except GraphError as exc:
        raise ProjectError(f"the graph cannot be read: {exc.message}") from None


def build_trained(graph_data: Mapping[str, Any], weights_path: str | Path | None,
                  name: str = "layerbench_model") -> tuple[Any, list[str]]:
    """The built model and notes (fresh initialisation, layers without trained weights)."""
    from core.translate.to_keras import build_model

    graph = graph_of(graph_data)
    try:
        model = build_model(graph, name=name)
    except GraphError as exc:
        where = graph.node(exc.node_id).name if exc.node_id and graph.has_node(exc.node_id) else None
        raise ProjectError(exc.message, where) from None
    if weights_path is None:
        return model, ["no trained weights: the model is exported with freshly initialised weights"]
    fresh = apply_weights(model, read_weights(weights_path), strict=False)
    notes = [f"{len(fresh)} layers have no trained weights and start fresh: {', '.join(fresh[:8])}"] if fresh else []
    return model, notes
