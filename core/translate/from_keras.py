"""``keras.Model`` -> editable graph (and back for imported layers), weights carried over.

Every call of a layer in the model becomes a node named after the layer; nested models are flattened.
A layer becomes a node of the catalog type whose Keras class it is when rebuilding it from the node's
params gives the very same config; otherwise it becomes a ``KerasLayer`` node holding its config, so
nothing standard is refused and nothing changes on the way. Keras files load with ``safe_mode=True``.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from core.catalog.builtin.keras_layer import KERAS_LAYER
from core.catalog.registry import all_specs
from core.catalog.specs import LayerSpec
from core.graph.errors import GraphError
from core.graph.model import Edge, Graph, Node
from core.project.errors import ProjectError
from core.project.weights import Weights
from core.translate.keras_calls import Call, call_form
from core.translate.keras_params import params_from_config, same_config, serialized

X_STEP, Y_STEP = 220.0, 90.0


@dataclass
class Imported:
    """The result of an import: the graph, its weights by node name and notes for the user."""

    graph: Graph
    weights: Weights
    notes: list[str] = field(default_factory=list)


# ---- reading Keras files ------------------------------------------------------------------------
def load_keras_file(path: str | Path) -> Any:
    """Load a ``.keras`` or ``.h5`` model in safe mode; every failure is a ``ProjectError`` naming the file."""
    path = Path(path)
    where = str(path)
    if path.is_dir():
        raise ProjectError("is a folder (a SavedModel?): Keras 3 cannot read SavedModels back into a model; "
                           "import the .keras or .h5 file it was made from", where)
    if not path.is_file():
        raise ProjectError("no such file", where)
    suffix = path.suffix.lower()
    if suffix not in (".keras", ".h5", ".hdf5"):
        raise ProjectError("is not a Keras model file: use a .keras or .h5 file", where)
    if suffix == ".keras":
        from core.project.archive import open_zip

        with open_zip(path):
            pass  # member names, links and sizes are checked before Keras opens it
    import keras

    from core.translate.custom_layers import custom_objects

    try:
        return keras.saving.load_model(path, custom_objects=custom_objects(), compile=False, safe_mode=True)
    except Exception as exc:
        raise ProjectError(_load_message(exc), where) from None


def _load_message(exc: Exception) -> str:
    text = str(exc).strip()
    if "lambda" in text.lower() and "safe_mode" in text:
        return ("holds a Lambda layer (Python code stored in the file); Layerbench never runs code from files "
                "(Keras safe mode). Replace the Lambda with a standard or registered layer")
    match = re.search(r"Could not locate (?:class|function) '([^']+)'", text)
    if match:
        return (f"uses the custom class {match.group(1)!r}, which is not a standard Keras layer and is not "
                "registered here; Layerbench cannot import custom layer code")
    first = text.splitlines()[0] if text else type(exc).__name__
    return f"could not be loaded by Keras: {first[:300]}"


# ---- model -> graph -----------------------------------------------------------------------------
@functools.cache
def _specs_by_class() -> dict[str, list[LayerSpec]]:
    """Catalog specs by the Keras class their default params build (one layer, a ``layers.X`` path)."""
    out: dict[str, list[LayerSpec]] = {}
    for spec in all_specs():
        if not spec.inputs or spec.id == KERAS_LAYER:
            continue
        try:
            objs = spec.keras(spec.defaults())
        except Exception:  # a spec whose defaults do not build cannot be matched generically
            continue
        if len(objs) == 1 and objs[0].path.startswith("layers."):
            out.setdefault(objs[0].path.split(".", 1)[1], []).append(spec)
    return out


def _is_model(layer: Any) -> bool:
    import keras

    return isinstance(layer, keras.Model)


def _functional(model: Any) -> Any:
    inner = getattr(model, "_functional", None)  # a Sequential keeps its graph in a Functional
    if inner is not None:
        return inner
    if not hasattr(model, "_nodes_by_depth"):
        raise ProjectError(f"model {model.name!r} is a subclassed model with its own call(); only Sequential "
                           "and functional models can be opened as graphs")
    return model


class _Importer:
    def __init__(self) -> None:
        self.graph = Graph()
        self.weights: Weights = {}
        self.notes: list[str] = []
        self.sources: dict[int, str] = {}  # id(KerasTensor) -> node id
        self.keep: list[Any] = []  # keeps tensors alive so their ids stay unique
        self.uses: dict[int, int] = {}
        self.pending: dict[int, tuple[str, int]] = {}  # outputs of multi-output layers not yet picked out
        self.depth: dict[str, int] = {}

    def run(self, model: Any) -> Imported:
        if getattr(model, "built", True) is False or not getattr(model, "inputs", None):
            raise ProjectError(f"model {model.name!r} is not built: give it an Input (or call build()) first")
        func = _functional(model)
        for tensor in func.inputs:
            self._add_input(tensor)
        self._walk(func)
        self._check_outputs(func)
        return Imported(self.graph, self.weights, self.notes)

    def _walk(self, func: Any) -> None:
        for depth in sorted(func._nodes_by_depth, reverse=True):
            for knode in func._nodes_by_depth[depth]:
                if knode.operation is None or knode.is_input:
                    continue
                op = knode.operation
                if _is_model(op):
                    self._nested(op, knode)
                else:
                    self._layer(op, knode)

    def _nested(self, model: Any, knode: Any) -> None:
        inner = _functional(model)
        outer_in = list(knode.input_tensors)
        if len(outer_in) != len(inner.inputs):
            raise ProjectError(f"nested model {model.name!r} is called with {len(outer_in)} inputs but has "
                               f"{len(inner.inputs)}")
        for inner_t, outer_t in zip(inner.inputs, outer_in):
            self._map(inner_t, self._source(outer_t))
        self._walk(inner)
        for inner_t, outer_t in zip(inner.outputs, knode.outputs):
            self._map(outer_t, self._source(inner_t))

    def _map(self, tensor: Any, node_id: str) -> None:
        self.keep.append(tensor)
        self.sources[id(tensor)] = node_id

    def _source(self, tensor: Any) -> str:
        if id(tensor) in self.pending:
            self._pick(tensor, *self.pending.pop(id(tensor)))
        try:
            return self.sources[id(tensor)]
        except KeyError:
            raise ProjectError(f"tensor {getattr(tensor, 'name', tensor)} has no known source") from None

    def _pick(self, tensor: Any, node_id: str, index: int) -> None:
        """An Identity node taking item ``index`` of a layer with several outputs, made when it is first used."""
        node = self.graph.node(node_id)
        params = {"class_name": "Identity", "call": "args", "call_args": [{"input": 0, "item": index}],
                  "output_shapes": [_shape(tensor)]}
        picker = self.graph.make_node(KERAS_LAYER, params, name=self._name(f"{node.name}_out{index}"))
        self._place(picker, [node_id])
        self.graph.add_edge(Edge(node_id, picker.id))
        self._map(tensor, picker.id)

    def _name(self, name: str) -> str:
        clean = re.sub(r"[^A-Za-z0-9_.-]", "_", name) or "layer"
        if self.graph.node_by_name(clean) is None:
            return clean
        i = 2
        while self.graph.node_by_name(f"{clean}_{i}") is not None:
            i += 1
        return f"{clean}_{i}"

    def _add_input(self, tensor: Any) -> None:
        layer = tensor._keras_history.operation
        shape = list(tensor.shape[1:])
        if not shape:
            raise ProjectError(f"input {layer.name!r} is a scalar per sample; Layerbench inputs need a shape")
        dtype = str(tensor.dtype)
        wanted = "int32" if dtype.startswith(("int", "uint", "bool")) else "float32"
        if dtype not in ("int32", "float32"):
            self.notes.append(f"input {layer.name} has dtype {dtype}; it becomes {wanted}")
        node = self.graph.make_node("Input", {"shape": shape, "dtype": wanted}, name=self._name(layer.name),
                                    x=0.0, y=Y_STEP * len(self.graph))
        self._place(node, [])
        self._map(tensor, node.id)

    def _place(self, node: Node, parents: list[str]) -> None:
        depth = 1 + max((self.depth[p] for p in parents), default=-1)
        self.depth[node.id] = depth
        same = sum(1 for d in self.depth.values() if d == depth) - 1
        node.x, node.y = X_STEP * depth, Y_STEP * same
        self.graph.add_node(node)

    def _layer(self, layer: Any, knode: Any) -> None:
        outputs = list(knode.outputs)
        call = call_form(layer, knode)
        parents = [self._source(t) for t in knode.input_tensors]
        self.uses[id(layer)] = self.uses.get(id(layer), 0) + 1
        if self.uses[id(layer)] == 2:
            self.notes.append(f"layer {layer.name} is used several times; each use becomes its own node with a "
                              "copy of the weights (they are no longer shared)")
        node = self._node_for(layer, knode, call, several=len(outputs) > 1)
        parents = self._distinct(parents)
        self._place(node, parents)
        for parent in parents:
            self.graph.add_edge(Edge(parent, node.id))
        if getattr(layer, "weights", None):  # plain operations (``x + y``) have none
            self.weights[node.name] = list(layer.get_weights())
        if len(outputs) == 1:
            self._map(outputs[0], node.id)
            return
        for index, tensor in enumerate(outputs):  # each output is picked out when something uses it
            self.keep.append(tensor)
            self.pending[id(tensor)] = (node.id, index)

    def _distinct(self, parents: list[str]) -> list[str]:
        """The graph links a source to a node once; a repeated input (``mha(x, x)``) goes through an Identity."""
        out: list[str] = []
        for parent in parents:
            if parent in out:
                source = self.graph.node(parent)
                params = {"class_name": "Identity", "output_shapes": None}
                twin = self.graph.make_node(KERAS_LAYER, params, name=self._name(f"{source.name}_again"))
                self._place(twin, [parent])
                self.graph.add_edge(Edge(parent, twin.id))
                parent = twin.id
            out.append(parent)
        return out

    def _node_for(self, layer: Any, knode: Any, call: Call, several: bool = False) -> Node:
        name = self._name(layer.name)
        plain = not several and not call.kwargs and call.template is None and hasattr(layer, "get_config")
        for spec in _specs_by_class().get(type(layer).__name__, []) if plain else []:
            if not _fits_ports(spec, call.form):
                continue
            params = params_from_config(spec, layer.get_config())
            if params is not None and _agrees(spec, params, layer, knode) and same_config(spec, params, layer):
                return self.graph.make_node(spec.id, params, name=name)
        return self.graph.make_node(KERAS_LAYER, _keras_layer_params(layer, knode, call), name=name)

    def _check_outputs(self, func: Any) -> None:
        """Keep every model output an output: one that also feeds other layers gets an Identity after it."""
        used = {e.src for e in self.graph.edges}
        for tensor in func.outputs:
            node = self.graph.node(self._source(tensor))
            if node.id in used or node.type == "Input":
                params = {"class_name": "Identity", "output_shapes": None}
                tail = self.graph.make_node(KERAS_LAYER, params, name=self._name(f"{node.name}_output"))
                self._place(tail, [node.id])
                self.graph.add_edge(Edge(node.id, tail.id))
                self.notes.append(f"the model output {node.name} also feeds other layers; the Identity layer "
                                  f"{tail.name} after it keeps it an output of the graph")


def _agrees(spec: LayerSpec, params: Mapping[str, Any], layer: Any, knode: Any) -> bool:
    """Whether pure-Python inference gives the shape and parameter count Keras has for this call."""
    try:
        inferred = spec.infer(params, [tuple(_shape(t)) for t in knode.input_tensors])
    except GraphError:
        return False
    if [list(s) for s in inferred.outputs] != [_shape(t) for t in knode.outputs]:
        return False
    return inferred.trainable + inferred.non_trainable == _count(layer.weights)


def _fits_ports(spec: LayerSpec, form: str) -> bool:
    """Whether the builder passes inputs to the spec's layer the way the original call did."""
    if len(spec.inputs) != 1:
        return False
    return spec.inputs[0].multiple == (form == "list")


def _shape(tensor: Any) -> list[int | None]:
    return [None if d is None else int(d) for d in tensor.shape[1:]]


def _count(weights: Any) -> int:
    import numpy as np

    return sum(int(np.prod(w.shape)) for w in weights or [])


def _keras_layer_params(layer: Any, knode: Any, call: Call) -> dict[str, Any]:
    trainable = _count(getattr(layer, "trainable_weights", None))
    return {
        "class_name": type(layer).__name__,
        "config": serialized(layer),
        "call": call.form,
        "call_kwargs": call.kwargs,
        "call_args": call.template,
        "input_shapes": [_shape(t) for t in knode.input_tensors],
        "output_shapes": [_shape(t) for t in knode.outputs],
        "trainable_params": trainable,
        "non_trainable_params": _count(getattr(layer, "weights", None)) - trainable,
    }


def graph_from_model(model: Any) -> Imported:
    """The graph of a built Sequential or functional model, with its weights by node name."""
    return _Importer().run(model)


def import_keras_file(path: str | Path) -> Any:
    """A ``Project`` from a ``.keras``/``.h5`` file; its weights are stored as the run ``imported``."""
    from core.project.project import Project

    model = load_keras_file(path)
    try:
        imported = graph_from_model(model)
    except ProjectError as exc:
        raise ProjectError(exc.message, exc.where or str(path)) from None
    project = Project("supervised", {"main": imported.graph}, name=Path(path).stem)
    run = project.add_run("imported", label=f"imported from {Path(path).name}", status="imported",
                          info={"source": Path(path).name, "notes": imported.notes})
    project.set_weights(run.id, imported.weights)
    return project
