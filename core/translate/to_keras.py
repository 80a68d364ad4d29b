"""Graph -> ``keras.Model`` with the functional API. Each Keras layer is named after its node."""

from __future__ import annotations

import re
import sys
from collections.abc import Mapping
from typing import Any

from core.catalog.registry import get_spec
from core.catalog.specs import KerasObj
from core.graph.errors import GraphError, TranslationError
from core.graph.model import Graph, Node
from core.translate.keras_calls import call_layer, make_keras_layer
from core.translate.shapes import GraphInfo, infer_graph

RECURSION_PER_LAYER = 25


def resolve(path: str) -> Any:
    """The Keras class or function behind ``KerasObj.path`` (``layers.Dense``, ``layerbench.MirrorPadding2D``)."""
    import keras

    from core.translate.custom_layers import custom_objects

    if path == "layerbench.KerasLayer":  # an imported layer rebuilt from its own config
        return make_keras_layer
    if path.startswith("layerbench."):
        return custom_objects()[path.split(".", 1)[1]]
    target: Any = keras
    for part in path.split("."):
        target = getattr(target, part)
    return target


def instantiate(obj: Any) -> Any:
    """Construct a ``KerasObj`` (recursively through its kwargs); other values pass through."""
    if isinstance(obj, KerasObj):
        return resolve(obj.path)(**{k: instantiate(v) for k, v in obj.kwargs.items()})
    if isinstance(obj, list):
        return [instantiate(v) for v in obj]
    return obj


def layer_names(node: Node, count: int) -> list[str]:
    """Names of the Keras layers a node becomes: the last carries the node's name, helpers a suffix."""
    return [*(f"{node.name}__{i}" for i in range(count - 1)), node.name]


def node_layers(node: Node) -> list[Any]:
    """The Keras layers (not Inputs) that one node becomes, constructed and named."""
    objs = get_spec(node.type).keras(node.params)
    names = layer_names(node, len(objs))
    return [resolve(o.path)(**{k: instantiate(v) for k, v in o.kwargs.items()}, name=n) for o, n in zip(objs, names)]


def _inputs_for(graph: Graph, node: Node, tensors: Mapping[tuple[str, str], Any]) -> Any:
    spec = node.spec
    values = []
    for port in spec.inputs:
        edges = graph.in_edges(node.id, port.name)
        got = [tensors[(e.src, e.src_port)] for e in edges]
        values.append(got if port.multiple else got[0])
    return values[0] if len(values) == 1 else values


def build_model(graph: Graph, name: str = "layerbench_model", info: GraphInfo | None = None) -> Any:
    """Build the functional model; ``TranslationError`` (with the node id) for anything that cannot be built."""
    import keras

    info = info or infer_graph(graph)
    if info.errors:
        first = info.errors[0]
        raise TranslationError(f"the graph is not valid: {first.message}", first.node_id)
    needed = RECURSION_PER_LAYER * len(graph) + 2_000
    if sys.getrecursionlimit() < needed:
        sys.setrecursionlimit(needed)
    tensors: dict[tuple[str, str], Any] = {}
    for node_id in info.order:
        node = graph.node(node_id)
        try:
            tensors[(node_id, node.spec.outputs[0].name)] = _apply(graph, node, tensors, keras)
        except GraphError:
            raise
        except Exception as exc:
            raise TranslationError(f"{node.name} ({node.type}) could not be built: {build_failure(exc)}",
                                   node_id) from exc
    inputs = [tensors[(nid, "out")] for nid in info.inputs]
    outputs = [tensors[(nid, graph.node(nid).spec.outputs[0].name)] for nid in info.outputs]
    return keras.Model(
        inputs=inputs[0] if len(inputs) == 1 else inputs,
        outputs=outputs[0] if len(outputs) == 1 else outputs,
        name=name,
    )


def build_failure(exc: BaseException) -> str:
    """Why a layer could not be built, in words: running out of memory (TensorFlow's ``ResourceExhaustedError``,
    whose text starts with an internal op name, or Python's ``MemoryError``) is said as such, with the shape."""
    text = str(exc)
    if not (isinstance(exc, MemoryError) or type(exc).__name__ == "ResourceExhaustedError"
            or "OOM when allocating" in text):
        return text
    shape = re.search(r"shape\s*\[([\d,\s]+)\]", text)
    what = f"a tensor of shape ({shape.group(1).replace(',', ', ')})" if shape else "its weights"
    return f"out of memory (OOM): {what} could not be allocated; make the layer smaller"


def _apply(graph: Graph, node: Node, tensors: Mapping[tuple[str, str], Any], keras: Any) -> Any:
    spec = node.spec
    if not spec.inputs:
        (obj,) = spec.keras(node.params)
        return keras.Input(**{k: instantiate(v) for k, v in obj.kwargs.items()}, name=node.name)
    x = _inputs_for(graph, node, tensors)
    layers = node_layers(node)
    if node.type == "KerasLayer":  # imported: called the way Keras recorded (one tensor, a list, positional)
        return call_layer(layers[0], x, node.params)
    for layer in layers:
        x = layer(x)
    return x
