"""``layerbench info``: a graph's layers with output shapes, parameters, FLOPs and receptive fields."""

from __future__ import annotations

from typing import Any, TextIO

from core.catalog.common import fmt
from core.graph.model import Graph
from core.translate.shapes import infer_graph


def graph_report(graph: Graph) -> dict[str, Any]:
    """Per layer and in total, as plain JSON-able values (pure Python: no TensorFlow)."""
    info = infer_graph(graph)
    layers = []
    for node_id in info.order or [n.id for n in graph.nodes]:
        node = graph.node(node_id)
        ni = info.nodes.get(node_id)
        layers.append({
            "name": node.name,
            "type": node.type if node.type != "KerasLayer" else f"KerasLayer:{node.params['class_name']}",
            "output_shapes": [list(s) for s in ni.outputs] if ni else [],
            "params": ni.params if ni else 0,
            "flops": ni.flops if ni else 0,
            "receptive_field": ni.rf.size if ni and ni.rf else None,
            "error": ni.error.message if ni and ni.error else None,
        })
    return {
        "layers": layers,
        "errors": [{"node": graph.node(e.node_id).name if e.node_id and graph.has_node(e.node_id) else None,
                    "message": e.message} for e in info.errors],
        "totals": {"layers": len(graph), "params": info.total_params, "trainable": info.trainable,
                   "non_trainable": info.non_trainable, "flops": info.flops},
        "valid": info.ok,
    }


def _count(n: int) -> str:
    for unit, size in (("G", 10**9), ("M", 10**6), ("k", 10**3)):
        if n >= size:
            return f"{n / size:.2f}{unit}"
    return str(n)


def print_report(name: str, report: dict[str, Any], out: TextIO) -> None:
    """The report as a table people read."""
    rows = [("layer", "type", "output shape", "params", "FLOPs", "RF")]
    for layer in report["layers"]:
        shapes = ", ".join(fmt(tuple(s)) for s in layer["output_shapes"]) or "?"
        rf = str(layer["receptive_field"]) if layer["receptive_field"] else ""
        rows.append((layer["name"], layer["type"], shapes, f"{layer['params']:,}", _count(layer["flops"]), rf))
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    print(f"graph {name}", file=out)
    for row in rows:
        print("  " + "  ".join(cell.ljust(w) if i < 3 else cell.rjust(w) for i, (cell, w) in
                               enumerate(zip(row, widths))).rstrip(), file=out)
    t = report["totals"]
    print(f"  {t['layers']} layers, {t['params']:,} parameters ({t['trainable']:,} trainable, "
          f"{t['non_trainable']:,} non-trainable), {_count(t['flops'])} FLOPs per sample", file=out)
    for err in report["errors"]:
        where = f"{err['node']}: " if err["node"] and not err["message"].startswith(err["node"]) else ""
        print(f"  error: {where}{err['message']}", file=out)
    if not report["errors"]:
        print("  no errors", file=out)
