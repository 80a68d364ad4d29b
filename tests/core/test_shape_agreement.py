"""Our pure-Python shape rules agree with Keras for every layer type in the catalog.

For each registered spec, hypothesis draws parameters from the ``ParamSpec``s (their ``fuzz`` ranges) and
input shapes (per ``input_ranks``, small sizes, sometimes an unknown sequence length), then:

* if ``infer`` accepts, the node's Keras layers called on ``keras.Input`` give the same output shape and the
  same trainable / non-trainable parameter counts;
* if Keras refuses, ``infer`` must have refused too (with ``ShapeError``).

``infer`` may be stricter than Keras (documented in the spec's doc), but each spec must reach a minimum
number of examples that both accept, so a rule that refuses everything fails.

Fuzz convention: for ``int``/``float`` and fixed-length ``ints`` params ``fuzz`` is ``(low, high)``; for
``shape``, ``regularizer`` and variable-length ``ints`` it lists candidate values.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from core.catalog.registry import all_specs
from core.catalog.specs import LayerSpec, ParamSpec, Shape
from core.graph.errors import ShapeError
from core.graph.model import Edge, Graph, Node
from core.graph.validation import check_connect
from core.translate.shapes import infer_graph

pytestmark = pytest.mark.tf

RECORDED = "Imported"
"""Imported Keras layers carry the shapes Keras recorded at import instead of a rule: nothing to compare."""
SPEC_IDS = [s.id for s in all_specs() if s.category != RECORDED]
MIN_AGREED = 5
"""Examples per spec where both sides accept and were compared."""


def _range(p: ParamSpec) -> tuple[float, float]:
    if p.fuzz is not None:
        return p.fuzz[0], p.fuzz[1]
    low = p.minimum if p.minimum is not None else -10
    high = p.maximum if p.maximum is not None else 10
    return low, min(high, low + 10)


def value_strategy(p: ParamSpec) -> st.SearchStrategy[Any]:
    """Values for one parameter, drawn from its choices or its fuzz range."""
    if p.kind == "choice":
        base: st.SearchStrategy[Any] = st.sampled_from(p.choices)
    elif p.kind == "bool":
        base = st.booleans()
    elif p.kind == "int":
        low, high = _range(p)
        base = st.integers(int(low), int(high))
    elif p.kind == "float":
        low, high = _range(p)
        base = st.floats(low, high, allow_nan=False)
    elif p.kind == "ints" and p.length is not None:
        low, high = _range(p)
        base = st.tuples(*[st.integers(int(low), int(high))] * p.length)
    elif p.fuzz is not None:  # shape, regularizer, variable-length ints: candidate values
        base = st.sampled_from(p.fuzz)
    else:
        base = st.just(p.default)
    if p.kind in ("int", "float", "ints"):  # the default half the time, so odd values do not refuse everything
        base = st.one_of(st.just(p.default), base)
    return st.one_of(st.none(), base) if p.allow_none else base


def params_strategy(spec: LayerSpec) -> st.SearchStrategy[dict[str, Any]]:
    return st.fixed_dictionaries({p.name: value_strategy(p) for p in spec.params})


SIZES = st.one_of(st.integers(1, 4), st.integers(5, 12))


def _dims(rank: int, unknown_first: bool) -> st.SearchStrategy[Shape]:
    if not unknown_first:
        return st.lists(SIZES, min_size=rank, max_size=rank).map(tuple)
    rest = st.lists(SIZES, min_size=rank - 1, max_size=rank - 1)
    return st.tuples(st.sampled_from([None, None, 1]), rest).map(lambda t: (t[0], *t[1]))


@st.composite
def shape_strategy(draw: st.DrawFn, ranks: tuple[int, ...]) -> Shape:
    rank = draw(st.sampled_from(ranks or (1, 2, 3)))
    unknown = draw(st.integers(0, 4)) == 0
    return draw(_dims(rank, unknown))


@st.composite
def _variant(draw: st.DrawFn, base: Shape) -> Shape:
    """A shape related to ``base``: equal, with sizes set to 1, with leading axes dropped, or unrelated."""
    how = draw(st.sampled_from(["same", "same", "ones", "drop", "axis", "random"]))
    if how == "same":
        return base
    if how == "ones":
        return tuple(1 if draw(st.booleans()) else d for d in base)
    if how == "drop":
        return base[draw(st.integers(0, len(base) - 1)):]
    if how == "axis":  # differs on one axis only: fine for Concatenate on that axis
        i = draw(st.integers(0, len(base) - 1))
        return (*base[:i], draw(SIZES), *base[i + 1:])
    return draw(shape_strategy((1, 2, 3)))


@st.composite
def inputs_strategy(draw: st.DrawFn, spec: LayerSpec) -> list[Shape]:
    if spec.inputs and spec.inputs[0].multiple:
        base = draw(shape_strategy((1, 2, 3)))
        count = draw(st.sampled_from([2, 2, 2, 3]))
        shapes = [base, *(draw(_variant(base)) for _ in range(count - 1))]
        return draw(st.permutations(shapes))
    return [draw(shape_strategy(spec.input_ranks))]


def _bad_axis(axis: int, rank: int) -> bool:
    return axis in (0, -(rank + 1)) or not -(rank + 1) <= axis <= rank


def _mirror_too_big(pads: tuple[int, ...], sides: Shape, mode: str) -> bool:
    return any(side is not None and pad >= side + (mode == "symmetric") for pad, side in zip(pads, sides))


def _both_windows(p: dict[str, Any]) -> bool:
    return max(p["strides"]) > 1 and max(p["dilation_rate"]) > 1


STRICTER: dict[str, Callable[[dict[str, Any], list[Shape]], bool]] = {
    # Where our rule may refuse what Keras accepts symbolically (each also said in the spec's doc or message).
    "Dense": lambda p, s: len(s[0]) > 2,  # a Dense on an image is almost always a missing Flatten
    "Softmax": lambda p, s: _bad_axis(p["axis"], len(s[0])),  # Keras checks the axis only when running
    "Concatenate": lambda p, s: _bad_axis(p["axis"], len(s[0])),  # never along the batch axis
    "Reshape": lambda p, s: None in s[0] and -1 not in p["target_shape"],  # sizes only checkable at run time
    "DepthwiseConv2D": lambda p, s: _both_windows(p),  # Conv2D refuses the combination, so we do for all
    "SeparableConv2D": lambda p, s: _both_windows(p),
    "Conv2D": lambda p, s: p["padding"] in ("reflect", "symmetric"),  # pad larger than the image
    "MirrorPadding2D": lambda p, s: _mirror_too_big((p["top"], p["bottom"]), s[0][:1] * 2, p["mode"])
    or _mirror_too_big((p["left"], p["right"]), s[0][1:2] * 2, p["mode"]),
    "LayerNormalization": lambda p, s: s[0][-1] is None,  # no weights to build without the feature size
    "BatchNormalization": lambda p, s: s[0][-1] is None,
}
"""Spec id -> when refusing what Keras accepts is intended. Any other refusal Keras accepts is a bug."""


def _weights(layers: list[Any]) -> tuple[int, int]:
    trainable = sum(int(np.prod(w.shape)) for layer in layers for w in layer.trainable_weights)
    frozen = sum(int(np.prod(w.shape)) for layer in layers for w in layer.non_trainable_weights)
    return trainable, frozen


def run_keras(spec: LayerSpec, node: Node, shapes: list[Shape]) -> tuple[Shape, int, int]:
    """Output shape (no batch axis) and parameter counts of the node's Keras layers on symbolic inputs."""
    import keras

    from core.translate.to_keras import instantiate, node_layers

    if not spec.inputs:
        (obj,) = spec.keras(node.params)
        x = keras.Input(**{k: instantiate(v) for k, v in obj.kwargs.items()})
        return tuple(x.shape[1:]), 0, 0
    layers = node_layers(node)
    xs = [keras.Input(shape=s) for s in shapes]
    x: Any = xs if spec.inputs[0].multiple else xs[0]
    for layer in layers:
        x = layer(x)
    return tuple(x.shape[1:]), *_weights(layers)


def compare(spec: LayerSpec, params: dict[str, Any], shapes: list[Shape]) -> str:
    """Check one example; returns 'agreed', 'both refused' or 'stricter' (only we refused)."""
    node = Node(spec.id, spec.coerce_params(params), name="probe")
    inputs = [] if not spec.inputs else shapes
    try:
        ours = spec.infer(node.params, inputs)
    except ShapeError:
        ours = None
    try:
        theirs = run_keras(spec, node, inputs)
    except Exception as exc:  # whatever Keras raises, our rule must have refused too
        refusal: Exception | None = exc
    else:
        refusal = None
    if refusal is not None:
        assert ours is None, f"Keras refused {spec.id}{params} on {shapes} ({refusal}) but we gave {ours}"
        return "both refused"
    if ours is None:
        allowed = STRICTER.get(spec.id, lambda p, s: False)
        assert allowed(node.params, inputs), f"we refused {spec.id}{params} on {shapes} but Keras gives {theirs}"
        return "stricter"
    got = (ours.outputs[0], ours.trainable, ours.non_trainable)
    assert got == theirs, f"{spec.id}{params} on {shapes}: ours (shape, trainable, frozen) {got}, Keras {theirs}"
    return "agreed"


@pytest.mark.parametrize("spec_id", SPEC_IDS)
def test_infer_agrees_with_keras(spec_id: str) -> None:
    spec = next(s for s in all_specs() if s.id == spec_id)
    outcomes: Counter[str] = Counter()

    @settings(max_examples=40, deadline=None, database=None, suppress_health_check=list(HealthCheck))
    @given(data=st.data())
    def check(data: st.DataObject) -> None:
        params = data.draw(params_strategy(spec), label="params")
        if not spec.inputs:
            params["shape"] = data.draw(shape_strategy((1, 2, 3)), label="shape")
        shapes = data.draw(inputs_strategy(spec), label="shapes")
        outcomes[compare(spec, params, shapes)] += 1

    check()
    assert outcomes["agreed"] >= MIN_AGREED, f"{spec_id}: too few accepted examples to compare: {dict(outcomes)}"


REQUIRED = {
    "Flatten", "Reshape", "Permute", "RepeatVector", "Conv1D", "Conv2D", "Conv2DTranspose", "DepthwiseConv2D",
    "SeparableConv2D", "ZeroPadding2D", "MirrorPadding2D", "MaxPooling1D", "MaxPooling2D", "AveragePooling1D",
    "AveragePooling2D", "GlobalMaxPooling1D", "GlobalMaxPooling2D", "GlobalAveragePooling1D",
    "GlobalAveragePooling2D", "UpSampling2D", "SimpleRNN", "LSTM", "GRU", "Bidirectional", "Dropout",
    "SpatialDropout1D", "SpatialDropout2D", "GaussianNoise", "ActivityRegularization", "BatchNormalization",
    "LayerNormalization", "Add", "Subtract", "Multiply", "Average", "Maximum", "Concatenate", "Dense", "Input",
}  # fmt: skip


def test_every_required_layer_is_in_the_agreement_test() -> None:
    """The agreement test is parametrized from the registry, so new types join it; these must be there."""
    assert not REQUIRED - set(SPEC_IDS)
    assert len(SPEC_IDS) == len(set(SPEC_IDS))


CANDIDATE_SHAPES: list[Shape] = [(8, 8, 3), (6, 4), (12,)]
BUILD_CASES: list[tuple[str, dict[str, Any]]] = [
    *((s, {}) for s in SPEC_IDS if s != "Input"),  # an Input is part of every model below
    ("Conv2D", {"padding": "reflect"}),  # becomes MirrorPadding2D + Conv2D
    ("Bidirectional", {"layer": "GRU", "merge_mode": "ave", "kernel_regularizer": {"l1": 0.0, "l2": 0.01}}),
]


def _default_input(spec: LayerSpec, params: dict[str, Any], count: int) -> Shape:
    """The first candidate input shape the spec accepts with these parameters."""
    for shape in CANDIDATE_SHAPES:
        try:
            spec.infer(params, [shape] * count)
        except ShapeError:
            continue
        return shape
    raise AssertionError(f"{spec.id} with default parameters accepts none of {CANDIDATE_SHAPES}")


def _one_layer_graph(spec: LayerSpec, params: dict[str, Any]) -> tuple[Graph, Shape, int]:
    count = 2 if spec.inputs[0].multiple else 1
    shape = _default_input(spec, spec.coerce_params(params), count)
    graph = Graph()
    dtype = "int32" if spec.id == "Embedding" else "float32"
    sources = [graph.add_node(graph.make_node("Input", {"shape": shape, "dtype": dtype})) for _ in range(count)]
    node = graph.add_node(graph.make_node(spec.id, params))
    for src in sources:
        edge = Edge(src.id, node.id)
        check_connect(graph, edge)
        graph.add_edge(edge)
    return graph, shape, count


@pytest.mark.filterwarnings("ignore:__array__ implementation doesn't accept a copy keyword:DeprecationWarning")
@pytest.mark.parametrize(("spec_id", "params"), BUILD_CASES)  # (the warning comes from Keras saving variables)
def test_layer_builds_and_round_trips_through_keras_file(spec_id: str, params: dict[str, Any], tmp_path: Path) -> None:
    """Default node -> Keras model -> .keras file -> safe-mode load: same config, same outputs."""
    import keras

    from core.translate.custom_layers import custom_objects
    from core.translate.to_keras import build_model

    spec = next(s for s in all_specs() if s.id == spec_id)
    graph, shape, count = _one_layer_graph(spec, params)
    info = infer_graph(graph)
    model = build_model(graph, info=info)
    assert tuple(model.output.shape[1:]) == info.nodes[graph.nodes[-1].id].shape
    assert model.count_params() == info.total_params
    rng = np.random.default_rng(0)
    high = 10 if spec.id == "Embedding" else 1
    xs = [(rng.random((2, *shape)) * high).astype("int32" if high > 1 else "float32") for _ in range(count)]
    data: Any = xs[0] if count == 1 else xs
    before = keras.ops.convert_to_numpy(model(data, training=False))
    path = tmp_path / "model.keras"
    model.save(path)
    custom_objects()  # our own layers must be registered before a safe-mode load
    loaded = keras.saving.load_model(path, safe_mode=True)
    after = keras.ops.convert_to_numpy(loaded(data, training=False))
    np.testing.assert_array_equal(before, after)
    name = graph.nodes[-1].name
    # Compared as JSON: a build config's shape comes back from the file as a list instead of a tuple.
    assert _as_json(loaded.get_layer(name).get_config()) == _as_json(model.get_layer(name).get_config())


def _as_json(config: dict[str, Any]) -> Any:
    return json.loads(json.dumps(config))


LINEAR = {"activation": "linear"}
RF_CHAINS: dict[str, tuple[Shape, list[tuple[str, dict[str, Any]]]]] = {
    "conv-s2-conv": ((20, 20, 1), [("Conv2D", LINEAR), ("Conv2D", LINEAR | {"strides": 2}), ("Conv2D", LINEAR)]),
    "dilated-pool-pad-same": ((20, 20, 1), [
        ("Conv2D", LINEAR | {"dilation_rate": 2}), ("AveragePooling2D", {}),
        ("ZeroPadding2D", {"top": 2, "bottom": 0, "left": 1, "right": 1}), ("Conv2D", LINEAR | {"padding": "same"}),
    ]),
    "separable-depthwise-mirror": ((20, 20, 2), [
        ("SeparableConv2D", LINEAR | {"strides": 2, "padding": "same"}),
        ("DepthwiseConv2D", LINEAR | {"padding": "same", "kernel_size": 5}),
        ("BatchNormalization", {}), ("Conv2D", LINEAR | {"padding": "reflect"}),
    ]),
    "sequence-causal": ((20, 1), [
        ("Conv1D", LINEAR | {"dilation_rate": 2, "padding": "causal"}),
        ("AveragePooling1D", {"strides": 1, "padding": "same"}), ("Conv1D", LINEAR | {"strides": 2, "padding": "same"}),
    ]),
}  # fmt: skip


@pytest.mark.parametrize("name", list(RF_CHAINS))
def test_receptive_field_matches_the_input_gradient(name: str) -> None:
    """The input pixels that move one output value are exactly the receptive field we report."""
    import tensorflow as tf

    from core.translate.to_keras import build_model

    shape, layers = RF_CHAINS[name]
    graph = Graph()
    prev = graph.add_node(graph.make_node("Input", {"shape": shape}))
    for type_id, params in layers:
        node = graph.add_node(graph.make_node(type_id, params))
        graph.add_edge(Edge(prev.id, node.id))
        prev = node
    info = infer_graph(graph)
    field = info.nodes[prev.id].rf
    out = info.nodes[prev.id].shape
    assert field is not None
    assert out is not None
    assert out[0] is not None
    t = out[0] // 2  # an output position whose field lies inside the input
    x = tf.Variable(np.random.default_rng(1).random((1, *shape)).astype("float32"))
    model = build_model(graph)
    with tf.GradientTape() as tape:
        y = model(x, training=False)
        value = y[0, t, ..., 0] if len(shape) == 2 else y[0, t, out[1] // 2, 0]
    grad = tape.gradient(value, x).numpy()[0]
    rows = np.nonzero(np.abs(grad).reshape(shape[0], -1).sum(axis=1))[0]
    assert rows.max() - rows.min() + 1 == field.size
    assert (rows.min() + rows.max() + 1) / 2 == field.start + t * field.jump


REGULARIZED = [s.id for s in all_specs() if s.id in SPEC_IDS and any(p.kind == "regularizer" for p in s.params)]


@pytest.mark.parametrize("spec_id", REGULARIZED)
def test_regularizer_params_reach_the_keras_layer(spec_id: str) -> None:
    from core.translate.to_keras import node_layers

    spec = next(s for s in all_specs() if s.id == spec_id)
    names = [p.name for p in spec.params if p.kind == "regularizer"]
    penalty = {"l1": 0.25, "l2": 0.5}
    node = Node(spec.id, spec.coerce_params(dict.fromkeys(names, penalty)), name="probe")
    layer = node_layers(node)[-1]
    layer = getattr(layer, "forward_layer", layer)  # Bidirectional: the wrapped layer holds them
    for name in names:
        config = getattr(layer, name).get_config()
        assert (config["l1"], config["l2"]) == pytest.approx((0.25, 0.5)), name
