"""The layer catalog without TensorFlow: docs, titles, typed parameters, categories, receptive fields."""

from __future__ import annotations

import math
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from core.catalog import registry
from core.catalog.common import IDENTITY_RF, pad_before
from core.catalog.registry import CATEGORIES, all_specs, by_category, get_spec
from core.catalog.specs import Inferred, LayerSpec, ParamSpec
from core.graph.errors import ShapeError, UnknownLayerTypeError
from core.graph.model import Edge, Graph, Node
from core.translate.shapes import infer_graph

SPECS = all_specs()
ROOT = Path(__file__).resolve().parents[2]


def _ids(specs: list[LayerSpec]) -> list[str]:
    return [s.id for s in specs]


# ---- every spec ------------------------------------------------------------------------------------


@pytest.mark.parametrize("spec", SPECS, ids=_ids(SPECS))
def test_spec_explains_itself(spec: LayerSpec) -> None:
    assert len(spec.doc) >= 60, f"{spec.id} needs a real explanation"
    assert spec.title
    assert spec.category
    for p in spec.params:
        assert p.doc, f"{spec.id}.{p.name} has no one-line doc"


def test_ids_and_titles_are_unique() -> None:
    assert len(set(_ids(SPECS))) == len(SPECS)
    titles = [s.title for s in SPECS]
    assert len(set(titles)) == len(titles), sorted(t for t in titles if titles.count(t) > 1)


@pytest.mark.parametrize("spec", SPECS, ids=_ids(SPECS))
def test_defaults_coerce_to_themselves(spec: LayerSpec) -> None:
    typed = spec.coerce_params({})
    assert typed == spec.coerce_params(typed), "coercing twice must change nothing"
    for p in spec.params:
        if p.kind == "choice":
            assert p.default in p.choices, f"{spec.id}.{p.name}"


def _fuzz_values(p: ParamSpec) -> list[Any]:
    if p.fuzz is None:
        return []
    if p.kind in ("int", "float") or (p.kind == "ints" and p.length is not None):
        low, high = p.fuzz
        assert low <= high
        return [[low] * p.length, [high] * p.length] if p.kind == "ints" and p.length else [low, high]
    return list(p.fuzz)


@pytest.mark.parametrize("spec", SPECS, ids=_ids(SPECS))
def test_fuzz_ranges_lie_inside_the_allowed_range(spec: LayerSpec) -> None:
    for p in spec.params:
        for value in _fuzz_values(p):
            p.coerce(value)  # raises ValueError when a fuzz value is one the inspector would refuse


@pytest.mark.parametrize("spec", SPECS, ids=_ids(SPECS))
def test_keras_translation_names_real_objects(spec: LayerSpec) -> None:
    objs = spec.keras(spec.coerce_params({}))
    assert objs
    for obj in objs:
        assert obj.path == "Input" or obj.path.startswith(("layers.", "layerbench."))


# ---- parameter coercion ----------------------------------------------------------------------------

INT = ParamSpec("units", "int", 4, "n", minimum=1, maximum=100)
FLOAT = ParamSpec("rate", "float", 0.5, "r", minimum=0.0, maximum=0.95)
KERNEL = ParamSpec("kernel_size", "ints", (3, 3), "k", minimum=1, length=2)


@pytest.mark.parametrize(
    ("spec", "value", "message"),
    [
        (INT, 3.5, "units must be a whole number, not 3.5"),
        (INT, "abc", "units must be a whole number, not 'abc'"),
        (INT, True, "units must be a whole number, not True"),
        (INT, 0, "units must be at least 1, not 0"),
        (INT, 101, "units must be at most 100, not 101"),
        (INT, None, "units needs a value"),
        (FLOAT, 1.5, "rate must be at most 0.95, not 1.5"),
        (FLOAT, math.nan, "rate must be a finite number"),
        (FLOAT, [0.1], "rate must be a number"),
        (ParamSpec("use_bias", "bool", True, "b"), "yes", "use_bias must be true or false, not 'yes'"),
        (ParamSpec("padding", "choice", "valid", "p", choices=("valid", "same")), "full",
         "padding must be one of valid, same; got 'full'"),
        (KERNEL, (3, 3, 3), "kernel_size needs 2 numbers"),
        (KERNEL, "3x3", "kernel_size must be a list of whole numbers, not '3x3'"),
        (ParamSpec("shape", "shape", (4,), "s", minimum=1, allow_none=True), [], "shape must be a non-empty list"),
        (ParamSpec("shape", "shape", (4,), "s", minimum=1, allow_none=True), None, "shape needs a value"),
        (ParamSpec("kernel_regularizer", "regularizer", {"l1": 0.0, "l2": 0.0}, "r"), {"l1": -1},
         "kernel_regularizer.l1 must be a number of at least 0"),
        (ParamSpec("kernel_regularizer", "regularizer", {"l1": 0.0, "l2": 0.0}, "r"), {"l3": 1.0},
         "kernel_regularizer must be {'l1': number, 'l2': number}"),
    ],
)
def test_coerce_refuses_with_a_clear_message(spec: ParamSpec, value: Any, message: str) -> None:
    with pytest.raises(ValueError, match="^" + _escape(message)):
        spec.coerce(value)


def _escape(text: str) -> str:
    import re

    return re.escape(text)


def test_coerce_types_values() -> None:
    assert INT.coerce("7") == 7
    assert isinstance(INT.coerce(7.0), int)
    assert isinstance(FLOAT.coerce(0), float)
    assert KERNEL.coerce(5) == (5, 5)
    assert KERNEL.coerce([2, 4]) == (2, 4)
    shape = ParamSpec("shape", "shape", (4,), "s", minimum=1, allow_none=True)
    assert shape.coerce([None, 8]) == (None, 8)
    reg = ParamSpec("r", "regularizer", {"l1": 0.0, "l2": 0.0}, "r")
    assert reg.coerce({"l2": 1}) == {"l1": 0.0, "l2": 1.0}


def test_unknown_parameter_is_named() -> None:
    with pytest.raises(ValueError, match="Dense has no parameter 'unit'"):
        get_spec("Dense").coerce_params({"unit": 3})


def test_weight_layers_take_regularizers() -> None:
    """Every layer with trainable weights offers L1/L2 penalties on them."""
    with_weights = ["Dense", "Embedding", "Conv1D", "Conv2D", "Conv2DTranspose", "DepthwiseConv2D", "SeparableConv2D",
                    "SimpleRNN", "LSTM", "GRU", "Bidirectional", "BatchNormalization", "LayerNormalization"]
    for type_id in with_weights:
        kinds = [p.kind for p in get_spec(type_id).params]
        assert "regularizer" in kinds, type_id


# ---- registry --------------------------------------------------------------------------------------


def test_every_category_is_a_known_one_and_order_follows_categories() -> None:
    assert {s.category for s in SPECS} <= set(CATEGORIES)
    order = [c for c, _ in by_category()]
    assert order == [c for c in CATEGORIES if c in order]
    assert {"Pooling", "Padding", "Recurrent", "Regularization", "Normalization", "Merge", "Reshape"} <= set(order)


def test_unknown_type_and_double_registration_are_refused() -> None:
    with pytest.raises(UnknownLayerTypeError, match="'Conv5D'"):
        get_spec("Conv5D")
    dense = get_spec("Dense")
    registry.register(dense)  # the same object again is harmless
    copy = LayerSpec(dense.id, dense.title, dense.category, dense.params, dense.infer, dense.keras, dense.doc)
    with pytest.raises(ValueError, match="registered twice"):
        registry.register(copy)


def test_merges_have_one_multi_edge_port() -> None:
    for type_id in ("Add", "Subtract", "Multiply", "Average", "Maximum", "Concatenate"):
        (port,) = get_spec(type_id).inputs
        assert port.multiple, type_id


# ---- shape rules and their messages (pure Python) ---------------------------------------------------


def _infer(type_id: str, shapes: list[Any], **params: Any) -> Inferred:
    spec = get_spec(type_id)
    return spec.infer(spec.coerce_params(params), shapes)


@pytest.mark.parametrize(
    ("type_id", "shapes", "params", "hint"),
    [
        ("Dense", [(28, 28, 1)], {}, "insert Flatten"),
        ("LSTM", [(28, 28, 1)], {}, "use Reshape or an Embedding"),
        ("Conv2D", [(3, 3, 1)], {"kernel_size": 5}, "use 'same' padding or a smaller kernel"),
        ("Conv2D", [(1, 1, 1)], {"padding": "reflect"}, "use zero padding or a smaller kernel"),
        ("Reshape", [(4, 5)], {"target_shape": (3, 7)}, "use -1 for one size"),
        ("Reshape", [(None, 5)], {"target_shape": (5, 5)}, "must contain -1"),
        ("Permute", [(4, 5)], {"dims": (1, 3)}, "counting from 1"),
        ("Add", [(4, 8), (4, 3)], {}, "insert a Dense or Reshape so they match"),
        ("Add", [(4, 8)], {}, "connect at least two layers"),
        ("Subtract", [(4,), (4,), (4,)], {}, "exactly 2 inputs"),
        ("Concatenate", [(4, 8), (5, 3)], {}, "every other size must match"),
        ("Concatenate", [(4, 8), (8,)], {}, "use Reshape or Flatten first"),
        ("Concatenate", [(4,), (4,)], {"axis": 0}, "use -1"),
        ("MaxPooling2D", [(1, 4, 3)], {}, "use 'same' padding"),
        ("RepeatVector", [(4, 4)], {}, "use Flatten or global pooling first"),
        ("SpatialDropout2D", [(10, 4)], {}, "height, width, channels"),
        ("MirrorPadding2D", [(2, 2, 1)], {"top": 2}, "use zero padding"),
    ],
)
def test_refusals_say_what_to_do(type_id: str, shapes: list[Any], params: dict[str, Any], hint: str) -> None:
    with pytest.raises(ShapeError, match=_escape(hint)):
        _infer(type_id, shapes, **params)


def test_merge_shapes_broadcast_like_keras() -> None:
    assert _infer("Add", [(4, 1), (3,)]).outputs == [(4, 3)]
    assert _infer("Multiply", [(None, 8), (5, 8)]).outputs == [(None, 8)]
    assert _infer("Maximum", [(2, 3, 4), (1, 4), (4,)]).outputs == [(2, 3, 4)]
    assert _infer("Concatenate", [(5, 3), (5, 4), (5, 1)]).outputs == [(5, 8)]
    assert _infer("Concatenate", [(5, 3), (7, 3)], axis=1).outputs == [(12, 3)]
    assert _infer("Concatenate", [(None, 3), (2, 3)], axis=-2).outputs == [(None, 3)]


def test_parameter_counts_of_known_layers() -> None:
    """Counts a learner can check by hand (the TF suite checks them all against Keras)."""
    assert _infer("LSTM", [(10, 8)], units=16).trainable == 4 * 16 * (8 + 16) + 4 * 16
    assert _infer("GRU", [(10, 8)], units=16).trainable == 3 * 16 * (8 + 16) + 2 * 3 * 16
    bn = _infer("BatchNormalization", [(8, 8, 32)])
    assert (bn.trainable, bn.non_trainable) == (64, 64)
    sep = _infer("SeparableConv2D", [(8, 8, 3)], filters=16)
    assert sep.trainable == 3 * 3 * 3 + 3 * 16 + 16
    assert _infer("Bidirectional", [(None, 4)], units=2, layer="SimpleRNN").outputs == [(4,)]
    assert _infer("Conv2DTranspose", [(7, 7, 8)], filters=4, strides=2).outputs == [(14, 14, 4)]


# ---- receptive field -------------------------------------------------------------------------------


def _chain(*layers: tuple[str, dict[str, Any]], shape: tuple[int, ...] = (32, 32, 3)) -> tuple[Graph, list[Node]]:
    graph = Graph()
    nodes = [graph.add_node(graph.make_node("Input", {"shape": shape}))]
    for type_id, params in layers:
        node = graph.add_node(graph.make_node(type_id, params))
        graph.add_edge(Edge(nodes[-1].id, node.id))
        nodes.append(node)
    return graph, nodes


def test_receptive_field_of_a_conv_stack_matches_hand_calculation() -> None:
    # r_out = r_in + (k - 1) * j_in, j_out = j_in * s, start_out = start_in + ((k - 1) / 2 - pad) * j_in
    # 3x3 s1: r 1 + 2*1 = 3, j 1, start 0.5 + 1 = 1.5
    # 3x3 s2: r 3 + 2*1 = 5, j 2, start 1.5 + 1 = 2.5
    # 3x3 s1: r 5 + 2*2 = 9, j 2, start 2.5 + 2 = 4.5 (the first output sees input pixels 0..8, centre 4.5)
    conv = "Conv2D"
    graph, nodes = _chain((conv, {"strides": 1}), (conv, {"strides": 2}), (conv, {"strides": 1}))
    info = infer_graph(graph)
    fields = [info.nodes[n.id].rf for n in nodes]
    assert [(f.size, f.jump, f.start) for f in fields if f is not None] == [
        (1, 1, 0.5), (3, 1, 1.5), (5, 2, 2.5), (9, 2, 4.5),
    ]


def test_three_stride_one_convs_see_seven_pixels() -> None:
    graph, nodes = _chain(("Conv2D", {}), ("Conv2D", {}), ("Conv2D", {}))
    last = infer_graph(graph).nodes[nodes[-1].id].rf
    assert last is not None
    assert (last.size, last.jump) == (7, 1)  # 1 + 2 + 2 + 2


def test_receptive_field_through_dilation_pooling_padding_and_activations() -> None:
    # dilated 3x3 (d=2) is an effective 5x5: r 5; ReLU keeps it; 2x2 pool: r 6, j 2;
    # zero padding of 1 moves the start one jump back; 3x3: r 6 + 2*2 = 10.
    graph, nodes = _chain(
        ("Conv2D", {"dilation_rate": 2}), ("Activation", {}), ("MaxPooling2D", {}),
        ("ZeroPadding2D", {"top": 1, "bottom": 1, "left": 1, "right": 1}), ("Conv2D", {}),
        ("GlobalAveragePooling2D", {}),
    )
    info = infer_graph(graph)
    fields = [info.nodes[n.id].rf for n in nodes]
    assert [(f.size, f.jump) if f else None for f in fields] == [
        (1, 1), (5, 1), (5, 1), (6, 2), (6, 2), (10, 2), None,
    ]
    pool, padded = fields[3], fields[4]
    assert pool is not None
    assert padded is not None
    assert padded.start == pool.start - 2


def test_same_padding_offset_depends_on_stride_and_length() -> None:
    assert pad_before(20, 3, 2, 1, "same") == 0  # out 10: (10 - 1)·2 + 3 - 20 = 1 in total, 0 before
    assert pad_before(21, 3, 2, 1, "same") == 1
    assert pad_before(20, 3, 1, 2, "same") == 2
    assert pad_before(None, 5, 2, 1, "same") == 2
    assert pad_before(9, 3, 1, 2, "causal") == 4
    assert pad_before(9, 3, 1, 1, "valid") == 0


ON_IMAGES = [
    s for s in SPECS
    if s.category in ("Activation", "Regularization", "Normalization", "Convolution", "Pooling")
    and (not s.input_ranks or 3 in s.input_ranks)
]  # fmt: skip


@pytest.mark.parametrize("spec", ON_IMAGES, ids=_ids(ON_IMAGES))
def test_elementwise_layers_keep_the_field_and_windows_grow_it(spec: LayerSpec) -> None:
    step = _infer(spec.id, [(16, 16, 4)]).rf
    if spec.category in ("Activation", "Regularization", "Normalization"):
        assert step == IDENTITY_RF
    elif spec.id.startswith("Global") or spec.id in ("UpSampling2D", "Conv2DTranspose"):
        assert step is None  # one value per channel, or an upsampling: no single window to follow
    else:
        assert step is not None
        assert step.kernel >= 1


# ---- imports ---------------------------------------------------------------------------------------


def test_catalog_and_shapes_import_neither_tensorflow_nor_qt() -> None:
    code = (
        "import sys\n"
        "from core.catalog.registry import all_specs\n"
        "from core.translate.shapes import infer_graph\n"
        "from core.graph.model import Graph, Edge\n"
        "specs = all_specs()\n"
        "g = Graph()\n"
        "a = g.add_node(g.make_node('Input', {'shape': (8, 8, 3)}))\n"
        "b = g.add_node(g.make_node('Conv2D'))\n"
        "g.add_edge(Edge(a.id, b.id))\n"
        "assert infer_graph(g).ok\n"
        "heavy = sorted(m for m in sys.modules if m.split('.')[0] in {'tensorflow', 'keras', 'PySide6', 'pyqtgraph'})\n"
        "print(len(specs), heavy)\n"
    )
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True)
    count, heavy = result.stdout.split(" ", 1)
    assert int(count) == len(SPECS)
    assert heavy.strip() == "[]"


def test_damaged_imported_layer_records_are_shape_errors() -> None:
    """A hand-edited file with nonsense in an imported layer's recorded shapes gives a ShapeError on that node."""
    from core.graph.model import Edge, Graph
    from core.translate.shapes import infer_graph

    graph = Graph()
    source = graph.add_node(graph.make_node("Input", {"shape": [4]}))
    for bad in ([["x", 2]], [3], "nonsense", [[None, {"a": 1}]]):
        node = graph.add_node(graph.make_node("KerasLayer", {
            "class_name": "Identity", "config": {"class_name": "Identity", "config": {}},
            "output_shapes": bad, "input_shapes": None,
        }))
        graph.add_edge(Edge(source.id, node.id))
        info = infer_graph(graph)
        error = info.nodes[node.id].error
        assert error is not None, bad
        assert "damaged" in error.message
        graph.remove_edge(graph.in_edges(node.id)[0].id)
        graph.remove_node(node.id)
