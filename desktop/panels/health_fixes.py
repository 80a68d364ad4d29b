"""Concrete fixes for vanishing or exploding gradients, each one undoable step (a macro) on the undo stack.

Graph fixes (ReLU + He initialisation, BatchNormalization, a residual connection) are graph commands;
training fixes (gradient clipping, a lower learning rate) edit the project's training settings through a
command on the same stack, so Ctrl+Z takes any of them back.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from core.catalog.registry import get_spec
from core.graph.commands import AddEdge, AddNode, InsertNodeOnEdge, RemoveEdge, SetParams
from core.graph.model import Edge, Graph, Node
from core.graph.undo import Command, Macro

SATURATING = ("sigmoid", "tanh", "softplus")
WEIGHTED = ("Dense", "Conv1D", "Conv2D", "Conv3D", "SeparableConv2D", "DepthwiseConv2D")


@dataclass(frozen=True)
class Fix:
    """One offer in the banner: a button text, what it does, and the command that does it (None: n/a)."""

    key: str
    title: str
    why: str
    make: Callable[[], Command | None]
    """Builds the command against the graph as it is when clicked (None: nothing left to change)."""


class SetTraining(Command):
    """Change entries of the training settings dict (``path`` like ``optimizer.learning_rate``)."""

    def __init__(self, store: dict[str, Any], changes: dict[str, Any], text: str,
                 notify: Callable[[], None] | None = None) -> None:
        self.store, self.changes, self.text, self.notify = store, changes, text, notify
        self.before: dict[str, Any] = {}

    def _set(self, values: dict[str, Any], remember: bool) -> None:
        for path, value in values.items():
            target = self.store
            *parents, leaf = path.split(".")
            for p in parents:
                target = target.setdefault(p, {})
            if remember:
                self.before[path] = target.get(leaf)
            target[leaf] = value
        if self.notify is not None:
            self.notify()

    def redo(self) -> None:
        self._set(self.changes, remember=not self.before)

    def undo(self) -> None:
        self._set(self.before, remember=False)


def hidden_layers(graph: Graph) -> list[Node]:
    """Weighted layers that feed another layer (the output layer keeps its activation), input side first."""
    feeds = {e.src for e in graph.edges}
    order = _order(graph)
    return [n for n in order if n.type in WEIGHTED and n.id in feeds]


def _order(graph: Graph) -> list[Node]:
    from core.graph.validation import topological_order

    try:
        ids = topological_order(graph)
        return [graph.node(i) for i in ids]
    except Exception:
        return list(graph.nodes)


def relu_he(graph: Graph) -> Command | None:
    """Saturating activations of hidden layers -> ReLU, their initialisers -> He normal."""
    children: list[Command] = []
    for node in hidden_layers(graph):
        params: dict[str, Any] = {}
        if node.params.get("activation") in SATURATING:
            params["activation"] = "relu"
        if "kernel_initializer" in node.params and node.params["kernel_initializer"] != "he_normal":
            params["kernel_initializer"] = "he_normal"
        if "activation" in params or (params and node.params.get("activation") == "relu"):
            children.append(SetParams(graph, node.id, params))
    return Macro("Use ReLU + He initialisation", children) if children else None


def he_init(graph: Graph) -> Command | None:
    """Only the initialisers -> He normal (for exploding gradients from large initial weights)."""
    children: list[Command] = [SetParams(graph, n.id, {"kernel_initializer": "he_normal"})
                               for n in hidden_layers(graph) if n.params.get("kernel_initializer") not in
                               (None, "he_normal")]
    return Macro("Use He initialisation", children) if children else None


def batch_norm(graph: Graph) -> Command | None:
    """A BatchNormalization after every hidden weighted layer that has one outgoing connection."""
    children: list[Command] = []
    taken = {n.name for n in graph.nodes}
    for node in hidden_layers(graph):
        out = [e for e in graph.edges if e.src == node.id]
        if len(out) != 1 or graph.node(out[0].dst).type == "BatchNormalization":
            continue
        name = _free_name(taken, get_spec("BatchNormalization").prefix)
        bn = graph.make_node("BatchNormalization", None, node.x + 90.0, node.y + 150.0, name=name)
        children.append(InsertNodeOnEdge(graph, bn, out[0].id))
    return Macro("Add BatchNormalization", children) if children else None


def _free_name(taken: set[str], prefix: str) -> str:
    i = 1
    while f"{prefix}_{i}" in taken:
        i += 1
    taken.add(f"{prefix}_{i}")
    return f"{prefix}_{i}"


def residual(graph: Graph) -> Command | None:
    """Skip one hidden layer: ``a -> b -> c`` becomes ``a -> b -> Add(a, b) -> c`` when a and b have the
    same width (the first such pair from the input side, where gradients vanish first)."""
    hidden = hidden_layers(graph)
    for a, b in itertools.pairwise(hidden):
        a_out = [e for e in graph.edges if e.src == a.id]
        b_out = [e for e in graph.edges if e.src == b.id]
        same = a.type == b.type == "Dense" and a.params.get("units") == b.params.get("units")
        if not same or len(a_out) != 1 or a_out[0].dst != b.id or len(b_out) != 1:
            continue
        add = graph.make_node("Add", None, b.x + 110.0, b.y + 150.0)
        nxt = b_out[0]
        return Macro("Add a residual connection", [
            AddNode(graph, add), RemoveEdge(graph, nxt.id), AddEdge(graph, Edge(b.id, add.id)),
            AddEdge(graph, Edge(a.id, add.id)), AddEdge(graph, Edge(add.id, nxt.dst, nxt.src_port, nxt.dst_port)),
        ])
    return None


def training_fixes(settings: dict[str, Any], notify: Callable[[], None] | None) -> list[Fix]:
    optimizer = settings.get("optimizer", {})
    lr = float(optimizer.get("learning_rate", 0.001))

    def clip() -> Command:
        return SetTraining(settings, {"optimizer.clipnorm": 1.0, "optimizer.clipvalue": None}, "Clip gradients",
                           notify)

    def lower() -> Command:
        rate = float(settings.get("optimizer", {}).get("learning_rate", lr))
        return SetTraining(settings, {"optimizer.learning_rate": rate / 10}, "Lower the learning rate", notify)

    return [
        Fix("clip", "Clip gradients (norm 1)", "rescales any step whose gradient norm exceeds 1", clip),
        Fix("lr", f"Learning rate {lr:g} → {lr / 10:g}", "smaller steps keep the weights in range", lower),
    ]


def fixes_for(status: str, graph: Graph, settings: dict[str, Any],
              notify: Callable[[], None] | None = None) -> list[Fix]:
    """The offers for ``status`` (``vanishing`` or ``exploding``), inapplicable ones left out."""
    graph_fixes: list[Fix]
    if status == "vanishing":
        graph_fixes = [
            Fix("relu", "Use ReLU + He init", "ReLU's slope is 1 where active (a sigmoid's is at most 0.25), and He "
                "initialisation keeps the signal's scale through the layers", lambda: relu_he(graph)),
            Fix("batchnorm", "Add BatchNormalization", "re-centres each layer's inputs so activations stay in the "
                "range where their slope is large", lambda: batch_norm(graph)),
            Fix("residual", "Add a residual connection", "an identity path lets the gradient skip a layer "
                "unattenuated", lambda: residual(graph)),
        ]
    else:
        graph_fixes = [
            Fix("he", "Use He initialisation", "initial weights scaled to the layer's fan-in instead of "
                "fixed large values", lambda: he_init(graph)),
            Fix("batchnorm", "Add BatchNormalization", "keeps each layer's inputs at unit scale",
                lambda: batch_norm(graph)),
        ]
    return [f for f in graph_fixes + training_fixes(settings, notify) if f.make() is not None]
