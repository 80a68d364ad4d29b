"""Small graph builders for the gallery: chains with stable ids (uuid5), laid out left to right."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import Any

from core.catalog.templates import template_data
from core.graph.model import Edge, Graph
from core.graph.validation import check_connect

NAMESPACE = uuid.UUID("0f7d2b61-3c1e-4a55-9b8e-5d6a7e1c2f90")
X_STEP = 200.0
Layer = tuple[str, dict[str, Any]]


def chain(name: str, layers: Sequence[Layer]) -> Graph:
    """``layers`` wired one after the other; node and edge ids derive from ``name`` and the position."""
    graph = Graph()
    previous = None
    for i, (type_id, params) in enumerate(layers):
        node_id = uuid.uuid5(NAMESPACE, f"{name}/{i}").hex
        node = graph.add_node(graph.make_node(type_id, params, x=i * X_STEP, y=0.0, node_id=node_id))
        if previous is not None:
            edge = Edge(previous.id, node.id, id=uuid.uuid5(NAMESPACE, f"{name}/{i}/edge").hex)
            check_connect(graph, edge)
            graph.add_edge(edge)
        previous = node
    return graph


def template(name: str, **changes: dict[str, Any]) -> Graph:
    """A bundled template, with parameter changes by node type (``Dense={"units": 2}`` changes the last Dense)."""
    data = template_data(name)
    for type_id, params in changes.items():
        node = [n for n in data["nodes"] if n["type"] == type_id][-1]
        node["params"] = {**node["params"], **params}
    return Graph.from_dict(data)


def mlp(name: str, inputs: int, hidden: Sequence[int], out: int, activation: str = "relu",
        out_activation: str = "softmax", **dense: Any) -> Graph:
    """Input -> Dense(hidden...) -> Dense(out)."""
    layers: list[Layer] = [("Input", {"shape": [inputs]})]
    layers += [("Dense", {"units": u, "activation": activation, **dense}) for u in hidden]
    layers.append(("Dense", {"units": out, "activation": out_activation}))
    return chain(name, layers)


def conv_digits(name: str, *middle: Layer, head: Sequence[Layer] = ()) -> Graph:
    """8x8 digits: Input -> ``middle`` -> Flatten -> ``head`` -> 10-way softmax."""
    layers: list[Layer] = [("Input", {"shape": [8, 8, 1]}), *middle, ("Flatten", {}), *head,
                           ("Dense", {"units": 10, "activation": "softmax"})]
    return chain(name, layers)
