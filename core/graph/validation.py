"""Connection checks and graph order. Every refusal is a typed ``GraphError`` naming the node."""

from __future__ import annotations

from collections import deque

from core.catalog.specs import PortSpec
from core.graph.errors import (
    CycleError,
    DuplicateEdgeError,
    PortOccupiedError,
    SelfLoopError,
    UnknownPortError,
)
from core.graph.model import Edge, Graph


def creates_cycle(graph: Graph, src: str, dst: str) -> bool:
    """Whether an edge ``src -> dst`` would close a cycle (``src`` reachable from ``dst``)."""
    if src == dst:
        return True
    seen = {dst}
    queue = deque([dst])
    out: dict[str, list[str]] = {}
    for e in graph.edges:
        out.setdefault(e.src, []).append(e.dst)
    while queue:
        cur = queue.popleft()
        for nxt in out.get(cur, ()):
            if nxt == src:
                return True
            if nxt not in seen:
                seen.add(nxt)
                queue.append(nxt)
    return False


def check_connect(graph: Graph, edge: Edge) -> None:
    """Raise the typed reason why ``edge`` cannot be added; return quietly when it can."""
    port = _check_ports(graph, edge)
    _check_occupancy(graph, graph.in_edges(edge.dst, edge.dst_port), edge, port.multiple)
    if creates_cycle(graph, edge.src, edge.dst):
        src, dst = graph.node(edge.src), graph.node(edge.dst)
        raise CycleError(f"connecting {src.name} to {dst.name} would make a cycle", dst.id)


def check_edges(graph: Graph, edges: list[Edge]) -> None:
    """Check many edges at once as ``check_connect`` would one by one, in linear time (loading files).

    ``graph`` holds the nodes but none of ``edges`` yet; cycles are found by one topological sort.
    """
    taken: dict[tuple[str, str], list[Edge]] = {}
    for edge in edges:
        port = _check_ports(graph, edge)
        existing = taken.setdefault((edge.dst, edge.dst_port), [])
        _check_occupancy(graph, existing, edge, port.multiple)
        existing.append(edge)
    topological_order(graph, edges)


def _check_ports(graph: Graph, edge: Edge) -> PortSpec:
    src = graph.node(edge.src)
    dst = graph.node(edge.dst)
    if src.spec.output_port(edge.src_port) is None:
        raise UnknownPortError(f"{src.name} has no output port {edge.src_port!r}", src.id)
    port = dst.spec.input_port(edge.dst_port)
    if port is None:
        if not dst.spec.inputs:
            raise UnknownPortError(f"{dst.name} is an input layer and takes no incoming connection", dst.id)
        raise UnknownPortError(f"{dst.name} has no input port {edge.dst_port!r}", dst.id)
    if edge.src == edge.dst:
        raise SelfLoopError(f"{src.name} cannot be connected to itself", src.id)
    return port


def _check_occupancy(graph: Graph, existing: list[Edge], edge: Edge, multiple: bool) -> None:
    for e in existing:
        dst = graph.node(edge.dst)
        if e.same_link(edge):
            raise DuplicateEdgeError(f"{graph.node(edge.src).name} is already connected to {dst.name}", dst.id)
        if not multiple:
            other = graph.node(e.src).name
            raise PortOccupiedError(
                f"{dst.name} already takes its input from {other}; use a merge layer (Add, Concatenate) "
                "to combine several inputs",
                dst.id,
            )


def topological_order(graph: Graph, edges: list[Edge] | None = None) -> list[str]:
    """Node ids so that every edge goes forward (``edges`` defaults to the graph's). ``CycleError`` on a cycle."""
    indeg = {n.id: 0 for n in graph.nodes}
    out: dict[str, list[str]] = {nid: [] for nid in indeg}
    for e in graph.edges if edges is None else edges:
        indeg[e.dst] += 1
        out[e.src].append(e.dst)
    ready = deque(nid for nid, d in indeg.items() if d == 0)
    order: list[str] = []
    while ready:
        cur = ready.popleft()
        order.append(cur)
        for nxt in out[cur]:
            indeg[nxt] -= 1
            if indeg[nxt] == 0:
                ready.append(nxt)
    if len(order) != len(indeg):
        stuck = next(nid for nid, d in indeg.items() if d > 0)
        raise CycleError(f"the graph has a cycle through {graph.node(stuck).name}", stuck)
    return order


def upstream(graph: Graph, node_id: str) -> set[str]:
    """Every node that feeds ``node_id``, directly or not."""
    inc: dict[str, list[str]] = {}
    for e in graph.edges:
        inc.setdefault(e.dst, []).append(e.src)
    seen: set[str] = set()
    stack = [node_id]
    while stack:
        for prev in inc.get(stack.pop(), ()):
            if prev not in seen:
                seen.add(prev)
                stack.append(prev)
    return seen
