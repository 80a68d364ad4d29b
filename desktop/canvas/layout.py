"""Automatic layout of a DAG, layered left to right (Sugiyama style, no dependency).

1. longest-path layering: a node sits one layer right of its furthest-right predecessor;
2. barycentre ordering: a few down and up sweeps sort each layer by the mean position of its neighbours;
3. coordinates: layers are columns; nodes in a column are stacked and centred on the middle line.
"""

from __future__ import annotations

from collections import defaultdict, deque
from collections.abc import Mapping, Sequence

SWEEPS = 4


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
    for n in nodes:
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


def layered_layout(
    nodes: Sequence[str], edges: Sequence[tuple[str, str]], heights: Mapping[str, float],
    width: float, gap_x: float = 80.0, gap_y: float = 50.0,
) -> dict[str, tuple[float, float]]:
    """Top-left positions for every node; columns ``width + gap_x`` apart, centred on ``y = 0``."""
    layer = layers_of(nodes, edges)
    columns = order_layers(layer, nodes, edges)
    positions: dict[str, tuple[float, float]] = {}
    for i, column in enumerate(columns):
        total = sum(heights[n] for n in column) + gap_y * max(len(column) - 1, 0)
        y = -total / 2
        for n in column:
            positions[n] = (i * (width + gap_x), round(y))
            y += heights[n] + gap_y
    return positions
