"""Apply an example's variant to its project (in place): parameter changes, layer swaps, training and data
settings. This is for scripts, tests and the copies the desktop trains when it compares variants; the desktop
applies a variant to the open document as one undoable command built from the same graph
(``desktop.panels.variant_runs.apply_command``)."""

from __future__ import annotations

from typing import Any

from core.graph.model import Graph
from core.project.project import Project


def _merge(base: dict[str, Any], change: dict[str, Any]) -> dict[str, Any]:
    out = dict(base)
    for key, value in change.items():
        out[key] = _merge(out.get(key, {}), value) if isinstance(value, dict) and isinstance(out.get(key), dict) \
            else value
    return out


def variant_graph(graph: Graph, variant: dict[str, Any]) -> Graph:
    """A new graph: ``graph`` changed as ``variant`` says (same node ids, names and places)."""
    data = graph.to_dict()
    for node in data["nodes"]:
        node["type"] = variant.get("replace", {}).get(node["type"], node["type"])
    if node_params := variant.get("params"):
        matching = [n for n in data["nodes"] if n["type"] == variant.get("layer")]
        outputs = {n["id"] for n in data["nodes"]} - {e["src"] for e in data["edges"]}
        # "all" means every hidden layer of the type: the output layer keeps its activation (softmax, linear)
        targets = [n for n in matching if n["id"] not in outputs] if variant.get("all") else matching[-1:]
        for node in targets:
            node["params"] = {**node["params"], **node_params}
    if variant.get("replace"):  # a new layer type keeps only the parameters it knows
        from core.catalog.registry import get_spec

        for node in data["nodes"]:
            known = {p.name for p in get_spec(node["type"]).params}
            node["params"] = {k: v for k, v in node["params"].items() if k in known}
    return Graph.from_dict(data)


def apply_variant(project: Project, variant: dict[str, Any]) -> Project:
    """The project changed as ``variant`` says (graph ``main``, training settings, data recipe)."""
    if "params" in variant or "replace" in variant:
        project.graphs["main"] = variant_graph(project.graphs["main"], variant)
    if "config" in variant:
        project.training = _merge(project.training, variant["config"])
    if "data" in variant:
        project.data = _merge(project.data, variant["data"])
    return project
