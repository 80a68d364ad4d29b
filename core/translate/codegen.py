"""Graph -> a standalone, readable Python script that builds the same Keras model.

The script needs only Keras: it uses the functional API with one line per layer, each named after its node
and commented with its output shape, and it carries the source of our own layers (mirror padding) only when
the graph uses them. It defines ``build_model()`` and a module-level ``model``. Pure Python: no Keras import.
"""

from __future__ import annotations

import json
import keyword
import re
from collections.abc import Mapping
from typing import Any

from core.catalog.registry import get_spec
from core.catalog.specs import KerasObj, Shape
from core.graph.errors import TranslationError
from core.graph.model import Graph, Node
from core.translate.custom_layers import MIRROR_PADDING_SOURCE
from core.translate.shapes import GraphInfo, infer_graph
from core.translate.to_keras import layer_names

KERAS_LAYER_SOURCE = '''
def KerasLayer(config, name):
    """A layer imported into Layerbench, rebuilt from its Keras config (safe mode: no code is loaded)."""
    record = dict(config, config={**config["config"], "name": name})
    return keras.saving.deserialize_keras_object(record, safe_mode=True)
'''

CUSTOM_SOURCES = {"MirrorPadding2D": MIRROR_PADDING_SOURCE, "KerasLayer": KERAS_LAYER_SOURCE}
"""Source of each of our own layers, by class name (``KerasObj.path`` ``layerbench.<name>``)."""

RESERVED = {"keras", "model", "build_model", "inputs", "outputs", *CUSTOM_SOURCES}
INDENT = "    "


def literal(value: Any) -> str:
    """``value`` as Python source; ``KerasObj`` become constructor calls, recursively."""
    if isinstance(value, KerasObj):
        return f"{callee(value.path)}({_kwargs(value.kwargs)})"
    if value is None or isinstance(value, bool | int):
        return repr(value)
    if isinstance(value, float):
        if value != value or value in (float("inf"), float("-inf")):
            raise ValueError(f"{value!r} has no Python literal")
        return repr(value)
    if isinstance(value, str):
        return json.dumps(value)
    if isinstance(value, tuple):
        items = ", ".join(literal(v) for v in value)
        return f"({items},)" if len(value) == 1 else f"({items})"
    if isinstance(value, list):
        return "[" + ", ".join(literal(v) for v in value) + "]"
    if isinstance(value, Mapping):
        return "{" + ", ".join(f"{literal(k)}: {literal(v)}" for k, v in value.items()) + "}"
    raise TypeError(f"cannot write {type(value).__name__} {value!r} as Python source")


def callee(path: str) -> str:
    """The Python expression for a ``KerasObj.path``."""
    if path.startswith("layerbench."):
        return path.split(".", 1)[1]
    return f"keras.{path}"


def _kwargs(kwargs: Mapping[str, Any]) -> str:
    """``k=v, ...``; an absent regularizer or constraint (Keras's default) is left out to keep lines short."""
    return ", ".join(f"{k}={literal(v)}" for k, v in kwargs.items() if not _default_none(k, v))


def _default_none(key: str, value: Any) -> bool:
    return value is None and key.endswith(("_regularizer", "_constraint"))


def _custom_classes(objs: list[Any]) -> set[str]:
    """Names of our own layers used anywhere in ``objs`` (nested kwargs included)."""
    found: set[str] = set()
    stack = list(objs)
    while stack:
        obj = stack.pop()
        if isinstance(obj, KerasObj):
            if obj.path.startswith("layerbench."):
                found.add(obj.path.split(".", 1)[1])
            stack.extend(obj.kwargs.values())
        elif isinstance(obj, list | tuple):
            stack.extend(obj)
    return found


class _Names:
    """Python variable names for Keras layer names: valid identifiers, no keywords, no clashes."""

    def __init__(self) -> None:
        self._taken: set[str] = set(RESERVED)

    def var(self, layer_name: str) -> str:
        base = re.sub(r"\W", "_", layer_name) or "layer"
        if base[0].isdigit():
            base = f"layer_{base}"
        if keyword.iskeyword(base) or base in self._taken:
            base = f"{base}_"
        name, i = base, 2
        while name in self._taken:
            name, i = f"{base}{i}", i + 1
        self._taken.add(name)
        return name


def _shape_comment(shape: Shape | None) -> str:
    if shape is None:
        return ""
    dims = ", ".join("None" if d is None else str(d) for d in (None, *shape))
    return f"  # ({dims})"


def _arguments(graph: Graph, node: Node, tensors: Mapping[tuple[str, str], str]) -> str:
    """The call argument of a node's first layer, as ``to_keras`` passes it."""
    values = []
    for port in node.spec.inputs:
        got = [tensors[(e.src, e.src_port)] for e in graph.in_edges(node.id, port.name)]
        values.append("[" + ", ".join(got) + "]" if port.multiple else got[0])
    return values[0] if len(values) == 1 else "[" + ", ".join(values) + "]"


def _templated(entry: Mapping[str, Any], got: list[str]) -> str:
    """One argument of an imported layer's call: a constant, an input, an item of one; maybe by keyword."""
    if "input" in entry:
        value = got[entry["input"]] + (f"[{entry['item']}]" if "item" in entry else "")
    else:
        value = literal(entry.get("value"))
    return f"{entry['name']}={value}" if "name" in entry else value


def _keras_layer_arguments(graph: Graph, node: Node, tensors: Mapping[tuple[str, str], str]) -> str:
    got = [tensors[(e.src, e.src_port)] for e in graph.in_edges(node.id, "in")]
    form = node.params["call"]
    template = node.params.get("call_args")
    if template:  # constants among the inputs, e.g. x + 3.0
        arg = ", ".join(_templated(a, got) for a in template)
    elif form == "args" or (form == "single" and len(got) == 1):
        arg = ", ".join(got)
    else:
        arg = "[" + ", ".join(got) + "]"
    extra = node.params.get("call_kwargs") or {}
    return ", ".join([arg, *(f"{k}={literal(v)}" for k, v in extra.items())])


def _node_lines(graph: Graph, node: Node, info: GraphInfo, names: _Names,
                tensors: dict[tuple[str, str], str]) -> list[str]:
    objs = get_spec(node.type).keras(node.params)
    shape = _shape_comment(info.nodes[node.id].shape)
    if not node.spec.inputs:
        var = names.var(node.name)
        tensors[(node.id, node.spec.outputs[0].name)] = var
        kwargs = _kwargs({**objs[0].kwargs, "name": node.name})
        return [f"{var} = keras.Input({kwargs}){shape}"]
    arg = _arguments(graph, node, tensors)
    if node.type == "KerasLayer":  # imported layers are called the way Keras recorded (keras_calls.call_layer)
        arg = _keras_layer_arguments(graph, node, tensors)
    lines = []
    layer_ids = layer_names(node, len(objs))
    for i, (obj, layer_name) in enumerate(zip(objs, layer_ids)):
        var = names.var(layer_name)
        call = f"{callee(obj.path)}({_kwargs({**obj.kwargs, 'name': layer_name})})"
        note = shape if i == len(objs) - 1 else f"  # part of {node.name}"
        lines.append(f"{var} = {call}({arg}){note}")
        arg = var
    tensors[(node.id, node.spec.outputs[0].name)] = arg
    return lines


def _one_or_list(values: list[str]) -> str:
    return values[0] if len(values) == 1 else "[" + ", ".join(values) + "]"


def _header(title: str, info: GraphInfo) -> list[str]:
    return [
        f'"""{title}: a Keras model written out by Layerbench.',
        "",
        f"{len(info.order)} layers, {info.total_params:,} parameters. Needs only Keras 3 "
        "(pip install keras tensorflow).",
        "Run this file to print the model summary; import it to use build_model() or model.",
        '"""',
        "",
        "import keras",
        "",
    ]


def generate(graph: Graph, name: str = "layerbench_model", title: str | None = None, main: bool = True,
             info: GraphInfo | None = None) -> str:
    """The script's source. ``TranslationError`` (with the node id) if the graph cannot be built."""
    info = info or infer_graph(graph)
    if info.errors:
        first = info.errors[0]
        raise TranslationError(f"the graph is not valid: {first.message}", first.node_id)
    names = _Names()
    tensors: dict[tuple[str, str], str] = {}
    body: list[str] = []
    objs: list[Any] = []
    for node_id in info.order:
        node = graph.node(node_id)
        objs += get_spec(node.type).keras(node.params)
        body += _node_lines(graph, node, info, names, tensors)
    inputs = _one_or_list([tensors[(nid, "out")] for nid in info.inputs])
    outputs = _one_or_list([tensors[(nid, graph.node(nid).spec.outputs[0].name)] for nid in info.outputs])
    lines = _header(title or name, info)
    for cls in sorted(_custom_classes(objs)):
        lines += ["", CUSTOM_SOURCES[cls].strip("\n"), ""]
    lines += ["", "def build_model():", f'{INDENT}"""Build the model {name!r} with the functional API."""']
    lines += [INDENT + line for line in body]
    lines += [f"{INDENT}return keras.Model(inputs={inputs}, outputs={outputs}, name={literal(name)})", ""]
    lines += ["", "model = build_model()", ""]
    if main:
        lines += ["", 'if __name__ == "__main__":', f"{INDENT}model.summary()", ""]
    return "\n".join(lines)
