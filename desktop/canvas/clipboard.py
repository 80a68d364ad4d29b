"""Copy and paste of a selection: its nodes and the edges inside it, as JSON on the clipboard.

Pasted nodes get new ids, free names and an offset, so a paste never collides with what is there.
"""

from __future__ import annotations

import json
from typing import Any

from PySide6.QtCore import QMimeData

from core.graph.errors import GraphError
from core.graph.model import Edge, Graph, Node, new_id

GRAPH_MIME = "application/x-layerbench-graph"


def selection_to_dict(graph: Graph, node_ids: list[str]) -> dict[str, Any]:
    """The selected nodes and only the edges whose both ends are selected."""
    keep = set(node_ids)
    nodes = [graph.node(n).to_dict() for n in node_ids if graph.has_node(n)]
    edges = [e.to_dict() for e in graph.edges if e.src in keep and e.dst in keep]
    return {"nodes": nodes, "edges": edges}


def to_mime(data: dict[str, Any]) -> QMimeData:
    mime = QMimeData()
    text = json.dumps(data, indent=1)
    mime.setData(GRAPH_MIME, text.encode())
    mime.setText(text)
    return mime


def from_mime(mime: QMimeData | None) -> dict[str, Any] | None:
    if mime is None or not mime.hasFormat(GRAPH_MIME):
        return None
    try:
        data = json.loads(bytes(mime.data(GRAPH_MIME).data()).decode())
    except (ValueError, UnicodeDecodeError):
        return None
    return data if isinstance(data, dict) else None


def _free_name(name: str, taken: set[str]) -> str:
    base = name.rstrip("0123456789").rstrip("_") or "layer"
    if name not in taken:
        return name
    i = 1
    while f"{base}_{i}" in taken:
        i += 1
    return f"{base}_{i}"


def instantiate(graph: Graph, data: dict[str, Any], offset: tuple[float, float]) -> tuple[list[Node], list[Edge]]:
    """New nodes and edges for ``data`` (not yet added): fresh ids and names, positions shifted."""
    taken = {n.name for n in graph.nodes}
    ids: dict[str, str] = {}
    nodes: list[Node] = []
    for raw in data.get("nodes", []):
        ui = raw.get("ui", {}) or {}
        name = _free_name(str(raw.get("name", "layer")), taken)
        taken.add(name)
        node = graph.make_node(raw["type"], raw.get("params", {}), ui.get("x", 0.0) + offset[0],
                               ui.get("y", 0.0) + offset[1], name=name)
        ids[str(raw.get("id"))] = node.id
        nodes.append(node)
    edges = []
    for raw in data.get("edges", []):
        if raw.get("src") not in ids or raw.get("dst") not in ids:
            raise GraphError("the clipboard holds an edge to a layer that is not in it")
        edges.append(Edge(ids[raw["src"]], ids[raw["dst"]], raw.get("src_port", "out"), raw.get("dst_port", "in"),
                          id=new_id()))
    return nodes, edges
