"""Automatic layout of a DAG, layered left to right (Sugiyama style, no dependency).

1. longest-path layering: a node sits one layer right of its furthest-right predecessor;
2. barycentre ordering: a few down and up sweeps sort each layer by the mean position of its neighbours;
3. coordinates: layers are columns; a node sits level with its highest predecessor, pushed down only to
   clear the node above it. Long edges get dummy nodes in the layers they cross, so they keep a lane.
"""

from __future__ import annotations

from collections import defaultdict, deque
from collections.abc import Mapping, Sequence

SWEEPS = 4
DUMMY = "\0dummy"
DUMMY_HEIGHT = 24.0


def layers_of(nodes: Sequence[str], edges: Sequence[tuple[str, str]]) -> dict[str, int]:
    """Longest-path layer of every node (nodes on a cycle, if any, land after the rest)."""
    preds: dict[str, list[str]] = defaultdict(list)
    succs: dict[str, list[str]] = defaultdict(list)
    indeg = dict.fromkeys(nodes, 0)
    for src, dst in edges:
        preds[dst].append(src)
        succs[src].append(dst)
        indeg[dst] += 1
    ready = deque(n for n in nodes if indeg[n] == 0)
    layer: dict[str, int] = {}
    while ready:
        cur = ready.popleft()
        layer[cur] = max((layer[p] + 1 for p in preds[cur] if p in layer), default=0)
        for nxt in succs[cur]:
            indeg[nxt] -= 1
            if indeg[nxt] == 0:
                ready.append(nxt)
    last = max(layer.values(), default=-1) + 1
    for n in nodes:
        layer.setdefault(n, last)
    return layer


def order_layers(layer: Mapping[str, int], nodes: Sequence[str], edges: Sequence[tuple[str, str]]) -> list[list[str]]:
    """Nodes per layer, ordered by barycentre sweeps to reduce crossings."""
    count = max(layer.values(), default=-1) + 1
    columns: list[list[str]] = [[] for _ in range(count)]
    for n in sorted(nodes, key=lambda m: not m.startswith(DUMMY)):
        columns[layer[n]].append(n)
    preds: dict[str, list[str]] = defaultdict(list)
    succs: dict[str, list[str]] = defaultdict(list)
    for src, dst in edges:
        preds[dst].append(src)
        succs[src].append(dst)
    for _ in range(SWEEPS):
        for i in range(1, count):
            _sort_by_barycentre(columns[i], columns[i - 1], preds)
        for i in range(count - 2, -1, -1):
            _sort_by_barycentre(columns[i], columns[i + 1], succs)
    return columns


def _sort_by_barycentre(column: list[str], fixed: list[str], neighbours: Mapping[str, list[str]]) -> None:
    index = {n: i for i, n in enumerate(fixed)}
    current = {n: i for i, n in enumerate(column)}

    def key(n: str) -> tuple[float, int]:
        known = [index[m] for m in neighbours.get(n, []) if m in index]
        scale = len(fixed) / max(len(column), 1)
        return (sum(known) / len(known) if known else current[n] * scale, current[n])

    column.sort(key=key)


def _with_dummies(
    layer: dict[str, int], nodes: Sequence[str], edges: Sequence[tuple[str, str]],
) -> tuple[list[str], list[tuple[str, str]]]:
    """Split every edge spanning several layers into a chain through one dummy node per layer crossed, so
    the ordering keeps a lane free for it (a skip connection runs beside the nodes it skips)."""
    all_nodes = list(nodes)
    short: list[tuple[str, str]] = []
    for i, (src, dst) in enumerate(edges):
        prev = src
        for k in range(1, layer[dst] - layer[src]):
            dummy = f"{DUMMY}{i}:{k}"
            layer[dummy] = layer[src] + k
            all_nodes.append(dummy)
            short.append((prev, dummy))
            prev = dummy
        short.append((prev, dst))
    return all_nodes, short


def _assign_y(columns: list[list[str]], edges: Sequence[tuple[str, str]], heights: Mapping[str, float],
              anchors: Mapping[str, float], gap_y: float) -> dict[str, float]:
    """Top y of every node: each sits level with its highest predecessor (ports aligned), pushed down only
    as far as needed to clear the node above it in its column. Dummies come first in a column, so a skip
    connection keeps the main line and the branch it skips drops below it."""
    preds: dict[str, list[str]] = defaultdict(list)
    for src, dst in edges:
        preds[dst].append(src)
    level: dict[str, float] = {}
    top: dict[str, float] = {}
    for column in columns:
        floor = float("-inf")
        for n in column:
            known = [level[p] for p in preds.get(n, []) if p in level]
            want = min(known) if known else (floor + gap_y + anchors[n] if floor > float("-inf") else 0.0)
            y = max(want - anchors[n], floor + gap_y)
            top[n], level[n] = y, y + anchors[n]
            floor = y + heights[n]
    return top


def layered_layout(
    nodes: Sequence[str], edges: Sequence[tuple[str, str]], heights: Mapping[str, float],
    width: float, gap_x: float = 80.0, gap_y: float = 50.0, anchors: Mapping[str, float] | None = None,
) -> dict[str, tuple[float, float]]:
    """Top-left positions for every node, columns ``width + gap_x`` apart. ``anchors`` is the height of
    each node's connection point (its ports) below its top; edges between single-port nodes come out level."""
    layer = layers_of(nodes, edges)
    all_nodes, short = _with_dummies(layer, nodes, edges)
    columns = order_layers(layer, all_nodes, short)
    h = {n: heights.get(n, DUMMY_HEIGHT) for n in all_nodes}
    a = {n: (anchors or {}).get(n, h[n] / 2) for n in all_nodes}
    tops = _assign_y(columns, short, h, a, gap_y)
    return {n: (layer[n] * (width + gap_x), round(tops[n])) for n in nodes}
