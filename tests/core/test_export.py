"""Exports: SavedModel (checked in a fresh process), .keras, Python script + weights, ONNX, TFLite."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from core.graph.model import Graph
from core.project import ProjectError
from core.project.weights import pack_weights
from tests.conftest import add, link

pytestmark = pytest.mark.tf

ROOT = Path(__file__).resolve().parents[2]


def _graph() -> Graph:
    g = Graph()
    image = add(g, "Input", shape=(8, 8, 1))
    conv = add(g, "Conv2D", filters=3, kernel_size=(3, 3), padding="reflect")
    link(g, image, conv, add(g, "Flatten"), add(g, "Dense", units=4, activation="softmax"))
    return g


@pytest.fixture(scope="module")
def trained(tmp_path_factory: pytest.TempPathFactory) -> tuple[dict[str, Any], Path, np.ndarray, np.ndarray]:
    """A graph dict, a weights file with non-initial weights, an input batch and the expected output."""
    from core.export.model import build_trained
    from core.project.weights import model_weights

    folder = tmp_path_factory.mktemp("trained")
    data = _graph().to_dict()
    model, _ = build_trained(data, None)
    rng = np.random.default_rng(0)
    weights = {k: [rng.normal(size=w.shape).astype("float32") for w in v] for k, v in model_weights(model).items()}
    path = folder / "weights.npz"
    path.write_bytes(pack_weights(weights))
    model, notes = build_trained(data, path)
    assert notes == []
    x = rng.normal(size=(5, 8, 8, 1)).astype("float32")
    return data, path, x, np.asarray(model(x))


def _fresh_python(code: str, tmp_path: Path) -> np.ndarray:
    """Run ``code`` in a new interpreter (no Layerbench on the path); it saves ``out.npy``."""
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"} | {"TF_CPP_MIN_LOG_LEVEL": "2"}
    result = subprocess.run([sys.executable, "-c", textwrap.dedent(code)], cwd=tmp_path, env=env,
                            capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr[-3000:]
    return np.load(tmp_path / "out.npy", allow_pickle=False)


def test_savedmodel_and_python_script_in_a_fresh_process(trained: Any, tmp_path: Path) -> None:
    from core.export import export_graph

    data, weights, x, expected = trained
    np.save(tmp_path / "x.npy", x)
    saved = export_graph(data, weights, tmp_path / "sm", "savedmodel")
    script = export_graph(data, weights, tmp_path / "model", "python")
    assert saved.path.is_dir()
    assert [p.name for p in script.files] == ["model.py", "model.weights.npz"]
    source = script.files[0].read_text()
    assert "class MirrorPadding2D" in source  # plain Keras: our layer's source ships with the script
    assert "import core" not in source
    assert "from core" not in source
    got = _fresh_python(
        """
        import numpy as np, tensorflow as tf, runpy
        x = np.load("x.npy")
        loaded = tf.saved_model.load("sm")  # keep a reference: its variables die with it
        served = loaded.serve(tf.constant(x)).numpy()
        signature = loaded.signatures["serving_default"]
        (key,) = signature.structured_input_signature[1]
        (by_signature,) = signature(**{key: tf.constant(x)}).values()
        module = runpy.run_path("model.py")
        rebuilt = np.asarray(module["model"](x))
        np.save("out.npy", np.stack([served, by_signature.numpy(), rebuilt]))
        """,
        tmp_path,
    )
    for result in got:  # serve(), the serving_default signature, the Python script
        np.testing.assert_allclose(result, expected, atol=1e-5)


def test_keras_file_loads_in_safe_mode(trained: Any, tmp_path: Path) -> None:
    import keras

    from core.export import export_graph
    from core.translate.custom_layers import custom_objects

    data, weights, x, expected = trained
    result = export_graph(data, weights, tmp_path / "model", "keras")
    assert result.path.name == "model.keras"
    model = keras.saving.load_model(result.path, custom_objects=custom_objects(), safe_mode=True)
    np.testing.assert_allclose(np.asarray(model(x)), expected, atol=1e-6)


def test_onnx_matches(trained: Any, tmp_path: Path) -> None:
    import onnxruntime as ort

    from core.export import export_graph

    data, weights, x, expected = trained
    result = export_graph(data, weights, tmp_path / "model.onnx", "onnx")
    session = ort.InferenceSession(str(result.path), providers=["CPUExecutionProvider"])
    (got,) = session.run(None, {session.get_inputs()[0].name: x})
    np.testing.assert_allclose(got, expected, atol=1e-5)


def test_tflite_matches(trained: Any, tmp_path: Path) -> None:
    import tensorflow as tf

    from core.export import export_graph

    data, weights, x, expected = trained
    result = export_graph(data, weights, tmp_path / "model", "tflite")
    assert result.path.suffix == ".tflite"
    interpreter = tf.lite.Interpreter(model_path=str(result.path))
    inp = interpreter.get_input_details()[0]
    interpreter.resize_tensor_input(inp["index"], x.shape)
    interpreter.allocate_tensors()
    interpreter.set_tensor(inp["index"], x)
    interpreter.invoke()
    got = interpreter.get_tensor(interpreter.get_output_details()[0]["index"])
    np.testing.assert_allclose(got, expected, atol=1e-5)


def test_imported_keras_layers_export_as_python(tmp_path: Path) -> None:
    import keras

    from core.export import export_graph
    from core.translate.from_keras import graph_from_model

    inp = keras.Input((6, 6, 2), name="img")
    x = keras.layers.ZeroPadding2D(((1, 0), (0, 1)), name="pad")(inp)
    q = keras.layers.Reshape((7 * 7, 2), name="seq")(x)
    a = keras.layers.MultiHeadAttention(num_heads=1, key_dim=2, name="mha")(q, q)
    model = keras.Model(inp, keras.layers.GlobalAveragePooling1D(name="gap")(a))
    imported = graph_from_model(model)
    assert imported.graph.node_by_name("mha").type == "KerasLayer"  # type: ignore[union-attr]
    weights = tmp_path / "w.npz"
    weights.write_bytes(pack_weights(imported.weights))
    export_graph(imported.graph.to_dict(), weights, tmp_path / "imp.py", "python")
    x_in = np.random.default_rng(2).normal(size=(2, 6, 6, 2)).astype("float32")
    np.save(tmp_path / "x.npy", x_in)
    got = _fresh_python(
        """
        import numpy as np, runpy
        module = runpy.run_path("imp.py")
        np.save("out.npy", np.asarray(module["model"](np.load("x.npy"))))
        """,
        tmp_path,
    )
    np.testing.assert_allclose(got, np.asarray(model(x_in)), atol=1e-5)


def test_no_weights_gives_a_note_and_errors_are_clear(tmp_path: Path) -> None:
    from core.export import export_graph

    result = export_graph(_graph().to_dict(), None, tmp_path / "fresh", "keras")
    assert any("freshly initialised" in n for n in result.notes)
    with pytest.raises(ProjectError, match="unknown export format"):
        export_graph(_graph().to_dict(), None, tmp_path / "x", "pdf")
    broken = Graph()
    add(broken, "Dense", units=2)
    with pytest.raises(ProjectError, match="not valid"):
        export_graph(broken.to_dict(), None, tmp_path / "x", "keras")
    with pytest.raises(ProjectError, match="folder does not exist"):
        export_graph(_graph().to_dict(), None, tmp_path / "no" / "x", "keras")


def test_never_replaces_a_folder_that_is_not_a_savedmodel(tmp_path: Path) -> None:
    from core.export import export_graph

    precious = tmp_path / "photos"
    precious.mkdir()
    (precious / "cat.jpg").write_bytes(b"meow")
    with pytest.raises(ProjectError, match="not an earlier SavedModel"):
        export_graph(_graph().to_dict(), None, precious, "savedmodel")
    assert (precious / "cat.jpg").read_bytes() == b"meow"
