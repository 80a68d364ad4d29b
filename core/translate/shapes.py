"""Pure-Python shape inference over a whole graph: shapes, parameters, FLOPs, memory, receptive fields.

Imports neither TensorFlow nor Keras, so the editor can re-run it on every edit (a 1,000-node graph takes
milliseconds). The per-layer rules live in each ``LayerSpec.infer``; this module walks the graph.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from core.catalog.registry import get_spec
from core.catalog.specs import Inferred, LayerSpec, Shape, prod
from core.graph.errors import GraphError, ShapeError
from core.graph.model import Graph
from core.graph.validation import topological_order

BYTES_PER_VALUE = 4


@dataclass(frozen=True)
class ReceptiveField:
    """Receptive field of a spatial node along its first spatial axis, in input pixels."""

    size: int
    jump: int
    start: float


@dataclass
class NodeInfo:
    """Everything inference knows about one node; ``error`` is set when the node itself is wrong."""

    outputs: list[Shape] = field(default_factory=list)
    trainable: int = 0
    non_trainable: int = 0
    flops: int = 0
    rf: ReceptiveField | None = None
    error: GraphError | None = None
    blocked: bool = False
    """An upstream node is wrong or unconnected, so this node's shape is unknown."""

    @property
    def params(self) -> int:
        return self.trainable + self.non_trainable

    @property
    def shape(self) -> Shape | None:
        return self.outputs[0] if self.outputs else None


@dataclass
class GraphInfo:
    nodes: dict[str, NodeInfo]
    errors: list[GraphError]
    order: list[str]
    inputs: list[str]
    outputs: list[str]

    @property
    def ok(self) -> bool:
        return not self.errors

    @property
    def trainable(self) -> int:
        return sum(n.trainable for n in self.nodes.values())

    @property
    def non_trainable(self) -> int:
        return sum(n.non_trainable for n in self.nodes.values())

    @property
    def total_params(self) -> int:
        return self.trainable + self.non_trainable

    @property
    def flops(self) -> int:
        return sum(n.flops for n in self.nodes.values())

    def activation_bytes(self, batch_size: int = 32) -> int:
        """Memory the forward activations take for one batch (float32), a rough training estimate."""
        values = sum(prod(s) for n in self.nodes.values() for s in n.outputs)
        return values * batch_size * BYTES_PER_VALUE


Incoming = dict[str, dict[str, list[tuple[str, int]]]]
"""For each node: input port -> its sources as ``(source node id, source output index)``, in edge order."""


def _inputs_of(graph: Graph, specs: dict[str, LayerSpec]) -> Incoming:
    """Group the edges by destination node and port once, with output ports resolved to indices."""
    incoming: Incoming = {nid: {} for nid in specs}
    out_index: dict[tuple[str, str], int] = {}  # (layer type, port name) -> output index
    for e in graph.edges:
        spec = specs[e.src]
        key = (spec.id, e.src_port)
        index = out_index.get(key)
        if index is None:
            index = out_index[key] = next(i for i, p in enumerate(spec.outputs) if p.name == e.src_port)
        incoming[e.dst].setdefault(e.dst_port, []).append((e.src, index))
    return incoming


def _gather(
    spec: LayerSpec, name: str, node_id: str, incoming: dict[str, list[tuple[str, int]]],
    infos: dict[str, NodeInfo],
) -> tuple[list[Shape] | None, list[NodeInfo], GraphError | None]:
    shapes: list[Shape] = []
    sources: list[NodeInfo] = []
    for port in spec.inputs:
        edges = incoming.get(port.name)
        if not edges:
            return None, sources, ShapeError(f"{name} has nothing connected to its input; connect a layer to it",
                                             node_id)
        for src, index in edges:
            info = infos[src]
            sources.append(info)
            if info.error is not None or info.blocked:
                return None, sources, None
            shapes.append(info.outputs[index])
    return shapes, sources, None


def _receptive_field(result: Inferred, sources: list[NodeInfo], is_input: bool, rank: int) -> ReceptiveField | None:
    if is_input:
        return ReceptiveField(1, 1, 0.5) if rank >= 2 else None
    step = result.rf
    known = [s.rf for s in sources if s.rf is not None]
    if step is None or not known:
        return None
    prev = max(known, key=lambda r: r.size)
    if step.kernel == 0:
        return prev
    size = prev.size + (step.kernel - 1) * prev.jump
    start = prev.start + ((step.kernel - 1) / 2 - step.pad) * prev.jump
    return ReceptiveField(size, prev.jump * step.stride, start)


def infer_graph(graph: Graph) -> GraphInfo:
    """Infer every node; errors are collected per node rather than raised (see ``GraphInfo.errors``)."""
    infos: dict[str, NodeInfo] = {}
    errors: list[GraphError] = []
    try:
        order = topological_order(graph)
    except GraphError as exc:
        return GraphInfo({n.id: NodeInfo(blocked=True) for n in graph.nodes}, [exc], [], [], [])
    nodes = {n.id: n for n in graph.nodes}
    specs = {nid: get_spec(n.type) for nid, n in nodes.items()}
    incoming = _inputs_of(graph, specs)
    used = {e.src for e in graph.edges}
    for node_id in order:
        node = nodes[node_id]
        spec = specs[node_id]
        info = NodeInfo()
        infos[node_id] = info
        shapes, sources, error = _gather(spec, node.name, node_id, incoming[node_id], infos)
        if error is not None:
            info.error = error
            errors.append(error)
            continue
        if shapes is None:
            info.blocked = True
            continue
        try:
            result = spec.infer(node.params, shapes)
        except ShapeError as exc:
            msg = exc.message if exc.message.startswith(node.name) else f"{node.name}: {exc.message}"
            info.error = ShapeError(msg, node_id)
            errors.append(info.error)
            continue
        info.outputs = result.outputs
        info.trainable, info.non_trainable, info.flops = result.trainable, result.non_trainable, result.flops
        rank = len(result.outputs[0]) if result.outputs else 0
        info.rf = _receptive_field(result, sources, not spec.inputs, rank)
    inputs = [nid for nid in order if not specs[nid].inputs]
    outputs = [nid for nid in order if nid not in used and specs[nid].inputs]
    if not inputs and graph.nodes:
        errors.append(GraphError("the network has no Input layer; add one from the palette"))
    if inputs and not outputs:
        errors.append(GraphError("the network has no output: connect at least one layer after the Input"))
    for nid in inputs:
        if nid not in used:
            err = GraphError(f"{graph.node(nid).name} is not connected to anything", nid)
            if infos[nid].error is None:
                infos[nid].error = err
            errors.append(err)
    return GraphInfo(infos, errors, order, inputs, outputs)


def validate(graph: Graph) -> list[GraphError]:
    """Every problem of the graph, each naming its node where it has one. Empty means buildable."""
    return infer_graph(graph).errors
