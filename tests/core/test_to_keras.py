"""Graph -> keras.Model: forward shapes, layer names, safe .keras round trip, deep chains, errors."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from core.graph.errors import TranslationError
from core.graph.model import Graph
from tests.conftest import add, link
from tests.core import sample_graphs

pytestmark = pytest.mark.tf


@pytest.fixture(scope="module")
def keras() -> Any:
    import keras

    return keras


def _build(graph: Graph) -> Any:
    from core.translate.to_keras import build_model

    return build_model(graph)


def _batch(model: Any, n: int = 2) -> list[np.ndarray]:
    rng = np.random.default_rng(0)
    out = []
    for tensor in model.inputs:
        shape = (n, *tensor.shape[1:])
        if "int" in str(tensor.dtype):
            out.append(rng.integers(0, 10, size=shape).astype("int32"))
        else:
            out.append(rng.normal(size=shape).astype("float32"))
    return out


def _outputs(model: Any, batch: list[np.ndarray]) -> list[np.ndarray]:
    from keras import ops

    result = model(batch if len(batch) > 1 else batch[0], training=False)
    return [ops.convert_to_numpy(r) for r in (result if isinstance(result, list | tuple) else [result])]


CASES: dict[str, tuple[Callable[[], Graph], list[tuple[int, ...]]]] = {
    "residual": (sample_graphs.residual, [(2, 10)]),
    "inception": (sample_graphs.inception, [(2, 5)]),
    "two_in_two_out": (sample_graphs.two_in_two_out, [(2, 3), (2, 1)]),
    "recurrent": (sample_graphs.recurrent, [(2, 2)]),
}


@pytest.mark.parametrize("case", CASES)
def test_forward_pass_has_the_expected_shapes(keras: Any, case: str) -> None:
    make, shapes = CASES[case]
    model = _build(make())
    outputs = _outputs(model, _batch(model))
    assert [o.shape for o in outputs] == shapes
    assert all(np.isfinite(o).all() for o in outputs)


def test_two_inputs_and_outputs_follow_the_graph(keras: Any) -> None:
    graph = sample_graphs.two_in_two_out()
    model = _build(graph)
    assert [t.name for t in model.inputs] == ["input_1", "input_2"]
    assert [t.shape[1:] for t in model.inputs] == [(6, 6, 1), (5,)]
    assert model.output_names == ["dense_3", "dense_4"]


@pytest.mark.parametrize("case", CASES)
def test_every_keras_layer_is_named_after_its_node(keras: Any, case: str) -> None:
    graph = CASES[case][0]()
    model = _build(graph)
    names = {layer.name for layer in model.layers}
    node_names = {n.name for n in graph.nodes}
    assert node_names <= names
    helpers = names - node_names  # extra layers a node needs (mirror padding before its conv)
    assert all(h.split("__")[0] in node_names for h in helpers)


def test_parameter_counts_match_shape_inference(keras: Any) -> None:
    from core.translate.shapes import infer_graph

    for make, _ in CASES.values():
        graph = make()
        info = infer_graph(graph)
        model = _build(graph)
        for node in graph.nodes:
            if node.spec.inputs:
                assert model.get_layer(node.name).count_params() == info.nodes[node.id].params, node.name
        assert model.count_params() == info.total_params


@pytest.mark.parametrize("case", CASES)
def test_keras_file_loads_back_in_safe_mode_with_identical_outputs(keras: Any, tmp_path: Path, case: str) -> None:
    from core.translate.custom_layers import custom_objects

    custom_objects()
    model = _build(CASES[case][0]())
    path = tmp_path / "model.keras"
    model.save(path)
    loaded = keras.models.load_model(path, safe_mode=True)
    batch = _batch(model)
    for a, b in zip(_outputs(model, batch), _outputs(loaded, batch), strict=True):
        np.testing.assert_array_equal(a, b)
    assert [layer.name for layer in loaded.layers] == [layer.name for layer in model.layers]


def test_mirror_padding_is_used_and_survives_the_file(keras: Any, tmp_path: Path) -> None:
    from core.translate.custom_layers import custom_objects

    mirror = custom_objects()["MirrorPadding2D"]
    model = _build(sample_graphs.two_in_two_out())
    model.save(tmp_path / "m.keras")
    loaded = keras.models.load_model(tmp_path / "m.keras", safe_mode=True)
    assert isinstance(loaded.get_layer("conv2d_1__0"), mirror)
    assert loaded.get_layer("conv2d_1__0").mode == "reflect"


def test_a_thousand_layer_chain_builds(keras: Any) -> None:
    graph = sample_graphs.dense_chain(1000)
    model = _build(graph)
    assert len(model.layers) == 1001
    assert model.layers[-1].name == graph.nodes[-1].name
    assert _outputs(model, _batch(model, 1))[0].shape == (1, 4)


def test_invalid_graph_raises_translation_error_with_the_node_id(keras: Any) -> None:
    g = Graph()
    x = add(g, "Input", shape=[8, 8, 3])
    dense = add(g, "Dense", units=3)  # a Dense on an image: Flatten is missing
    link(g, x, dense)
    with pytest.raises(TranslationError) as info:
        _build(g)
    assert info.value.node_id == dense.id
    assert "Flatten" in info.value.message


def test_unconnected_layer_raises_translation_error_with_the_node_id(keras: Any) -> None:
    g = Graph()
    x = add(g, "Input", shape=[4])
    link(g, x, add(g, "Dense"))
    orphan = add(g, "Dense")
    with pytest.raises(TranslationError) as info:
        _build(g)
    assert info.value.node_id == orphan.id
