"""Opening real Keras models: flattening, spec matching, KerasLayer fallback, weights, safe loading."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest

from core.project import Project, ProjectError
from core.project.weights import apply_weights

pytestmark = pytest.mark.tf


@pytest.fixture(scope="module")
def keras() -> Any:
    import keras

    return keras


def _flat_layers(model: Any) -> list[Any]:
    import keras

    out = []
    for layer in model.layers:
        if isinstance(layer, keras.Model):
            out += _flat_layers(layer)
        elif not isinstance(layer, keras.layers.InputLayer):
            out.append(layer)
    return out


def _config(layer: Any) -> dict[str, Any]:
    from core.translate.keras_params import normalized

    return normalized({k: v for k, v in layer.get_config().items() if k != "name"})


def _inputs(model: Any, n: int = 3, seed: int = 0) -> list[np.ndarray]:
    rng = np.random.default_rng(seed)
    out = []
    for t in model.inputs:
        shape = (n, *t.shape[1:])
        if "int" in str(t.dtype):
            out.append(rng.integers(0, 5, size=shape).astype("int32"))
        else:
            out.append(rng.normal(size=shape).astype("float32"))
    return out


def _outputs_by_name(model: Any, x: list[np.ndarray]) -> dict[str, np.ndarray]:
    out = model(x if len(x) > 1 else x[0], training=False)
    out = out if isinstance(out, list | tuple) else [out]
    names = [t._keras_history.operation.name for t in model.outputs]
    return {n: np.asarray(o) for n, o in zip(names, out)}


def scripted(project: Project, rebuilt: Any) -> Any:
    """The model the generated Python script builds, with the rebuilt model's weights."""
    from core.translate.codegen import generate

    namespace: dict[str, Any] = {}
    exec(compile(generate(project.main, main=False), "<generated>", "exec"), namespace)
    model = namespace["model"]
    for layer in model.layers:
        if layer.weights:
            layer.set_weights(rebuilt.get_layer(layer.name).get_weights())
    return model


def round_trip(model: Any, tmp_path: Path) -> tuple[Project, Any]:
    """Import, save as a project, load, build with the stored weights and compare with the original."""
    from core.translate.from_keras import graph_from_model
    from core.translate.to_keras import build_model

    imported = graph_from_model(model)
    project = Project("supervised", {"main": imported.graph})
    run = project.add_run("imported")
    project.set_weights(run.id, imported.weights)
    loaded = Project.load(project.save(tmp_path / "m.layerbench"))
    rebuilt = build_model(loaded.main)
    assert apply_weights(rebuilt, loaded.weights()) == []
    assert rebuilt.count_params() == model.count_params()
    built = {layer.name: layer for layer in rebuilt.layers}
    for layer in _flat_layers(model):
        twin = built[layer.name]
        assert type(twin).__name__ == type(layer).__name__, layer.name
        assert _config(twin) == _config(layer), layer.name
    x = _inputs(model)
    want, got = _outputs_by_name(model, x), _outputs_by_name(rebuilt, x)
    assert set(want) == set(got)
    for name, value in want.items():
        np.testing.assert_allclose(got[name], value, atol=1e-5, rtol=1e-5, err_msg=name)
    return loaded, rebuilt


def test_multi_input_output_with_nested_models(keras: Any, tmp_path: Path) -> None:
    image = keras.Input((12, 12, 3), name="image")
    table = keras.Input((5,), name="table")
    x = keras.layers.Conv2D(4, 3, padding="same", activation="relu", name="conv")(image)
    x = keras.layers.MaxPooling2D(name="pool")(x)
    x = keras.layers.BatchNormalization(name="bn")(x)
    x = keras.layers.Flatten(name="flat")(x)
    head = keras.Sequential([keras.layers.Dense(6, activation="tanh"), keras.layers.Dropout(0.2)], name="head")
    t = head(table)
    inner_in = keras.Input((6,))
    inner = keras.Model(inner_in, keras.layers.Dense(6, name="inner_dense")(inner_in), name="inner")
    t = inner(t)
    merged = keras.layers.Concatenate(name="cat")([x, t])
    out1 = keras.layers.Dense(3, activation="softmax", name="cls")(merged)
    out2 = keras.layers.Dense(1, kernel_regularizer=keras.regularizers.L2(0.01), name="reg")(merged)
    model = keras.Model([image, table], [out1, out2])
    project, _ = round_trip(model, tmp_path)
    types = {n.name: n.type for n in project.main.nodes}
    assert types["conv"] == "Conv2D"
    assert types["cat"] == "Concatenate"
    assert types["cls"] == "Dense"
    assert types["reg"] == "KerasLayer"  # an L2 regularizer object is not the catalog's L1L2: kept as it is
    assert "inner_dense" in types  # nested models are flattened
    assert [n.name for n in project.main.nodes if n.type == "Input"] == ["image", "table"]


def test_sequential_and_positional_multi_input_layer(keras: Any, tmp_path: Path) -> None:
    seq = keras.Sequential([keras.Input((10,)), keras.layers.Dense(8), keras.layers.ReLU(), keras.layers.Dense(2)])
    round_trip(seq, tmp_path)
    q = keras.Input((4, 8), name="q")
    v = keras.Input((6, 8), name="v")
    att = keras.layers.MultiHeadAttention(num_heads=2, key_dim=4, name="mha")(q, v)
    model = keras.Model([q, v], keras.layers.GlobalAveragePooling1D(name="gap")(att))
    project, _ = round_trip(model, tmp_path)
    mha = project.main.node_by_name("mha")
    assert mha is not None
    assert mha.params["call"] == "args"


def test_keras_layer_node_infers_recorded_shapes(keras: Any) -> None:
    from core.translate.from_keras import graph_from_model
    from core.translate.shapes import infer_graph

    inp = keras.Input((9, 9, 2))
    out = keras.layers.ZeroPadding2D(((1, 2), (0, 1)), name="pad")(inp)
    imported = graph_from_model(keras.Model(inp, keras.layers.Conv2D(2, 3, name="c")(out)))
    pad = imported.graph.node_by_name("pad")
    assert pad is not None
    info = infer_graph(imported.graph)
    assert info.ok
    assert info.nodes[pad.id].shape == (12, 10, 2)
    # a changed input shape is reported on the imported layer
    source = imported.graph.nodes[0]
    imported.graph.set_params(source.id, {"shape": [7, 7, 2]})
    errors = infer_graph(imported.graph).errors
    assert errors
    assert errors[0].node_id == pad.id
    assert "was imported for input" in errors[0].message


def test_import_keras_and_h5_files(keras: Any, tmp_path: Path) -> None:
    from core.translate.from_keras import import_keras_file
    from core.translate.to_keras import build_model

    inp = keras.Input((6,), name="x")
    model = keras.Model(inp, keras.layers.Dense(3, name="d")(keras.layers.Dense(5, name="h")(inp)))
    x = np.random.default_rng(1).normal(size=(4, 6)).astype("float32")
    for name in ("m.keras", "m.h5"):
        model.save(tmp_path / name)
        project = import_keras_file(tmp_path / name)
        rebuilt = build_model(project.main)
        apply_weights(rebuilt, project.weights("imported"))
        np.testing.assert_allclose(np.asarray(rebuilt(x)), np.asarray(model(x)), atol=1e-6)


@pytest.mark.parametrize("suffix", [".keras", ".h5"])
def test_lambda_layer_is_refused_without_running_it(keras: Any, tmp_path: Path, suffix: str) -> None:
    from core.translate.from_keras import import_keras_file

    marker = tmp_path / "ran"
    # a lambda that leaves a mark whenever it runs (it runs once while the model is built here)
    spy = eval(f"lambda t: (__import__('pathlib').Path({str(marker)!r}).write_text('x'), t * 2)[1]")
    inp = keras.Input((3,))
    model = keras.Model(inp, keras.layers.Lambda(spy)(inp))
    model.save(tmp_path / f"lam{suffix}")
    marker.unlink()
    with pytest.raises(ProjectError, match="Lambda") as info:
        import_keras_file(tmp_path / f"lam{suffix}")
    assert f"lam{suffix}" in str(info.value)
    assert not marker.exists()


def test_unregistered_custom_layer_is_a_clear_error(keras: Any, tmp_path: Path) -> None:
    from core.translate.from_keras import graph_from_model, import_keras_file

    @keras.saving.register_keras_serializable(package="testpkg")
    class Twice(keras.layers.Layer):
        def call(self, x: Any) -> Any:
            return x * 2

    inp = keras.Input((3,))
    model = keras.Model(inp, Twice(name="twice")(inp))
    model.save(tmp_path / "custom.keras")
    keras.saving.get_custom_objects().pop("testpkg>Twice")

    class Loose(keras.layers.Layer):
        def call(self, x: Any) -> Any:
            return x

    with pytest.raises(ProjectError, match="Twice"):
        import_keras_file(tmp_path / "custom.keras")
    with pytest.raises(ProjectError, match="custom class Loose"):
        graph_from_model(keras.Model(inp, Loose(name="loose")(inp)))


def test_savedmodel_folder_and_other_files_are_refused(tmp_path: Path) -> None:
    from core.translate.from_keras import load_keras_file

    (tmp_path / "sm").mkdir()
    with pytest.raises(ProjectError, match="cannot read SavedModels"):
        load_keras_file(tmp_path / "sm")
    (tmp_path / "x.txt").write_text("x")
    with pytest.raises(ProjectError, match=r"\.keras or \.h5"):
        load_keras_file(tmp_path / "x.txt")
    (tmp_path / "bad.keras").write_bytes(b"not a zip")
    with pytest.raises(ProjectError, match="not a zip"):
        load_keras_file(tmp_path / "bad.keras")


APPS_FAST = [("MobileNetV2", 32), ("VGG16", 32)]
APPS_SLOW = [("ResNet50", 32), ("DenseNet121", 32), ("InceptionV3", 75), ("MobileNetV3Small", 32),
             ("ConvNeXtTiny", 32), ("EfficientNetB0", 32)]


def _app(keras: Any, name: str, size: int) -> Any:
    return getattr(keras.applications, name)(weights=None, input_shape=(size, size, 3), classes=4)


@pytest.mark.parametrize(("name", "size"), APPS_FAST)
def test_applications_round_trip(keras: Any, tmp_path: Path, name: str, size: int) -> None:
    round_trip(_app(keras, name, size), tmp_path)


@pytest.mark.slow
@pytest.mark.parametrize(("name", "size"), APPS_SLOW)
def test_big_applications_round_trip(keras: Any, tmp_path: Path, name: str, size: int) -> None:
    round_trip(_app(keras, name, size), tmp_path)


def test_text_model_with_recurrent_layers(keras: Any, tmp_path: Path) -> None:
    tokens = keras.Input((12,), dtype="int32", name="tokens")
    x = keras.layers.Embedding(50, 8, name="emb")(tokens)
    x = keras.layers.LSTM(6, return_sequences=True, name="lstm")(x)
    x = keras.layers.Bidirectional(keras.layers.GRU(4, return_sequences=True), name="bi")(x)
    x = keras.layers.GlobalMaxPooling1D(name="gmp")(keras.layers.Conv1D(5, 3, padding="same", name="c1")(x))
    x = keras.layers.Dropout(0.3, name="drop")(x)
    project, _ = round_trip(keras.Model(tokens, keras.layers.Dense(2, name="out")(x)), tmp_path)
    types = {n.name: n.type for n in project.main.nodes}
    assert types["lstm"] == "LSTM"
    assert types["drop"] == "Dropout"  # Keras's recorded training=False is not kept as a call argument
    assert types["tokens"] == "Input"
    assert project.main.nodes[0].params["dtype"] == "int32"


def test_output_that_feeds_another_layer_stays_an_output(keras: Any) -> None:
    from core.translate.from_keras import graph_from_model
    from core.translate.to_keras import build_model

    x = keras.Input((4,), name="x")
    hidden = keras.layers.Dense(3, name="hidden")(x)
    model = keras.Model(x, [hidden, keras.layers.Dense(1, name="o")(hidden)])
    imported = graph_from_model(model)
    assert any("hidden_output" in note for note in imported.notes)
    rebuilt = build_model(imported.graph)
    apply_weights(rebuilt, imported.weights)
    data = np.random.default_rng(3).normal(size=(2, 4)).astype("float32")
    want = sorted(np.asarray(o).sum() for o in model(data))
    got = sorted(np.asarray(o).sum() for o in rebuilt(data))
    np.testing.assert_allclose(got, want, rtol=1e-5)


def test_our_mirror_padding_model_round_trips(tmp_path: Path) -> None:
    """A model Layerbench built (MirrorPadding2D + Conv2D) comes back as two nodes and the same outputs."""
    from core.graph.model import Graph
    from core.translate.to_keras import build_model
    from tests.conftest import add, link

    graph = Graph()
    link(graph, add(graph, "Input", shape=(9, 9, 2)), add(graph, "Conv2D", filters=3, padding="symmetric"))
    project, _ = round_trip(build_model(graph), tmp_path)
    kinds = sorted((n.type, n.params.get("class_name", "")) for n in project.main.nodes)
    assert kinds == [("Conv2D", ""), ("Input", ""), ("KerasLayer", "MirrorPadding2D")]


def test_tensor_operators_and_constants(keras: Any, tmp_path: Path) -> None:
    """``x + 3.0`` and ``a * b`` in a functional model are operations, not layers: they import and rebuild."""

    x = keras.Input((5,), name="x")
    h = keras.layers.Dense(5, name="h")(x)
    gate = keras.layers.ReLU(6.0, name="relu6")(h + 3.0) / 6.0
    model = keras.Model(x, keras.layers.Dense(2, name="out")(h * gate))
    project, rebuilt = round_trip(model, tmp_path)
    kept = {n.params["class_name"] for n in project.main.nodes if n.type == "KerasLayer"}
    assert {"Add", "Multiply", "ReLU"} <= kept
    data = _inputs(model)  # the generated script builds the same model (constants written in place)
    np.testing.assert_allclose(np.asarray(scripted(project, rebuilt)(data[0])), np.asarray(model(data[0])), atol=1e-5)


def test_layers_with_several_outputs(keras: Any, tmp_path: Path) -> None:
    """LSTM(return_state=True) and attention scores: each output used becomes a picked-out Identity node."""
    from core.translate.shapes import infer_graph

    seq = keras.Input((7, 4), name="seq")
    out, h, c = keras.layers.LSTM(5, return_sequences=True, return_state=True, name="enc")(seq)
    att, scores = keras.layers.MultiHeadAttention(2, 3, name="mha")(out, out, return_attention_scores=True)
    pooled = keras.layers.GlobalAveragePooling1D(name="gap")(att)
    merged = keras.layers.Concatenate(name="cat")([pooled, h, c])
    model = keras.Model(seq, [keras.layers.Dense(2, name="head")(merged), scores])
    project, rebuilt = _import_and_build(model, tmp_path)
    info = infer_graph(project.main)
    assert info.ok, info.errors
    head = project.main.node_by_name("head")
    assert head is not None
    assert info.nodes[head.id].shape == (2,)
    data = _inputs(model)[0]
    want = sorted(float(np.asarray(o).sum()) for o in model(data))
    got = sorted(float(np.asarray(o).sum()) for o in rebuilt(data))
    np.testing.assert_allclose(got, want, rtol=1e-5)
    assert rebuilt.count_params() == model.count_params()
    scripted_sums = sorted(float(np.asarray(o).sum()) for o in scripted(project, rebuilt)(data))
    np.testing.assert_allclose(scripted_sums, want, rtol=1e-5)


def _import_and_build(model: Any, tmp_path: Path) -> tuple[Project, Any]:
    from core.translate.from_keras import graph_from_model
    from core.translate.to_keras import build_model

    imported = graph_from_model(model)
    project = Project("supervised", {"main": imported.graph})
    project.set_weights(project.add_run("r").id, imported.weights)
    loaded = Project.load(project.save(tmp_path / "several.layerbench"))
    rebuilt = build_model(loaded.main)
    apply_weights(rebuilt, loaded.weights())
    return loaded, rebuilt


def test_tensors_passed_by_keyword(keras: Any, tmp_path: Path) -> None:
    q = keras.Input((4, 8), name="q")
    v = keras.Input((6, 8), name="v")
    att = keras.layers.MultiHeadAttention(num_heads=2, key_dim=4, name="mha")(query=q, value=v, key=v)
    model = keras.Model([q, v], keras.layers.GlobalAveragePooling1D(name="gap")(att))
    project, rebuilt = round_trip(model, tmp_path)
    mha = project.main.node_by_name("mha")
    assert mha is not None
    assert [a.get("name") for a in mha.params["call_args"]] == ["key", "query", "value"]
    data = _inputs(model)
    np.testing.assert_allclose(np.asarray(scripted(project, rebuilt)(data)), np.asarray(model(data)), atol=1e-5)


@pytest.mark.parametrize("record", [
    {"module": "os", "class_name": "system", "config": {"command": "true"}, "registered_name": None},
    {"module": "keras.layers", "class_name": "Lambda", "config": {"function": {"class_name": "__lambda__"}}},
    ["not", "a", "record"],
])
def test_stored_layer_records_never_run_code(record: Any) -> None:
    from core.graph.errors import TranslationError
    from core.graph.model import Graph
    from core.translate.to_keras import build_model
    from tests.conftest import add, link

    graph = Graph()
    node = add(graph, "KerasLayer", config=record, output_shapes=[[3]], input_shapes=[[3]])
    link(graph, add(graph, "Input", shape=(3,)), node)
    with pytest.raises(TranslationError) as info:
        build_model(graph)
    assert info.value.node_id == node.id


def test_imported_keras_layers_train(keras: Any) -> None:
    """A graph holding KerasLayer nodes compiles and learns like any other."""
    from core.translate.from_keras import graph_from_model
    from core.translate.to_keras import build_model

    x = keras.Input((6,), name="x")
    h = keras.layers.LayerNormalization(epsilon=1e-4, name="norm")(keras.layers.Dense(8, name="h")(x))
    model = keras.Model(x, keras.layers.Dense(1, name="y")(keras.layers.ReLU(name="relu")(h)))
    imported = graph_from_model(model)
    assert imported.graph.node_by_name("relu").type == "KerasLayer"  # type: ignore[union-attr]
    rebuilt = build_model(imported.graph)
    apply_weights(rebuilt, imported.weights)
    rebuilt.compile(optimizer=keras.optimizers.SGD(0.05), loss="mse")
    rng = np.random.default_rng(4)
    data, target = rng.normal(size=(64, 6)).astype("float32"), rng.normal(size=(64, 1)).astype("float32")
    before = rebuilt.get_layer("norm").get_weights()[0].copy()
    history = rebuilt.fit(data, target, epochs=3, batch_size=16, verbose=0)
    assert history.history["loss"][-1] < history.history["loss"][0]
    assert not np.allclose(rebuilt.get_layer("norm").get_weights()[0], before)
