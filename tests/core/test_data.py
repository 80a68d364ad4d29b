"""Data sources, preprocessing, previews and the data/graph shape check (pure NumPy: no TensorFlow)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from core.data.check import fit_to_graph
from core.data.errors import DataError, DataShapeError
from core.data.load import load_dataset
from core.data.png import read_png, write_png
from core.data.preview import preview
from core.data.recipe import DataRecipe
from core.data.sources import all_sources
from core.graph.model import Graph
from tests.conftest import add, link

OFFLINE = ["toy.circle", "toy.xor", "toy.gaussians", "toy.spiral", "toy.outliers", "digits", "shapes",
           "seq.sine", "seq.adding", "seq.parity"]


@pytest.mark.parametrize("source", OFFLINE)
def test_offline_sources_preview(source: str) -> None:
    p = preview({"source": source, "options": {"samples": 60} if source not in ("digits",) else {}})
    assert p.sizes["train"] > 0
    assert p.samples_x is not None
    assert len(p.samples_x) == 8
    if p.classes:
        assert sum(p.class_counts.values()) == p.sizes["train"]
        assert all(c > 0 for c in p.class_counts.values())


def test_catalog_has_every_group() -> None:
    groups = {s.group for s in all_sources()}
    assert {"Toy 2-D", "Images", "Sequences", "Regression", "keras.datasets", "Your files"} <= groups


def test_image_sets_have_channel_axis() -> None:
    assert preview({"source": "digits"}).x_shape == (8, 8, 1)
    p = preview({"source": "shapes", "options": {"samples": 40}})
    assert p.x_shape == (28, 28, 1)
    assert p.classes == ["square", "circle", "triangle", "line"]
    assert 0.0 <= p.value_range[0] <= p.value_range[1] <= 1.0


def test_noise_and_size_are_settable() -> None:
    quiet = load_dataset({"source": "toy.gaussians", "options": {"samples": 500, "noise": 0.0}})
    loud = load_dataset({"source": "toy.gaussians", "options": {"samples": 500, "noise": 1.0}})
    assert len(quiet.train) + len(quiet.validation) == 500
    assert loud.train.x.std() > quiet.train.x.std()


def test_adding_problem_target_is_sum_of_marked_values() -> None:
    raw = load_dataset({"source": "seq.adding", "options": {"samples": 50, "steps": 20},
                        "preprocess": {"validation": 0.0}})
    x, y = raw.train.x, raw.train.y
    assert x.shape[1:] == (20, 2)
    np.testing.assert_allclose((x[..., 0] * x[..., 1]).sum(axis=1), y[:, 0], rtol=1e-5)


def test_outliers_are_present() -> None:
    data = load_dataset({"source": "toy.outliers", "options": {"samples": 400, "outliers": 0.1, "noise": 0.05}})
    residual = np.abs(data.train.y[:, 0] - (2 * data.train.x[:, 0] + 1))
    assert 0.05 < (residual > 3).mean() < 0.2


def test_split_is_seeded_and_sized() -> None:
    recipe = {"source": "toy.circle", "options": {"samples": 100},
              "preprocess": {"validation": 0.2, "test": 0.1, "seed": 3}}
    a, b = load_dataset(recipe), load_dataset(recipe)
    assert (len(a.train), len(a.validation), len(a.test)) == (72, 18, 10)
    np.testing.assert_array_equal(a.train.x, b.train.x)
    c = load_dataset({**recipe, "preprocess": {**recipe["preprocess"], "seed": 4}})
    assert not np.array_equal(a.train.x, c.train.x)


def test_standardization_uses_training_statistics() -> None:
    data = load_dataset({"source": "toy.outliers", "preprocess": {"scaling": "standard", "validation": 0.3}})
    np.testing.assert_allclose(data.train.x.mean(axis=0), 0.0, atol=1e-5)
    np.testing.assert_allclose(data.train.x.std(axis=0), 1.0, atol=1e-4)
    assert abs(float(data.validation.x.mean())) > 1e-6  # scaled with the training mean, not its own


def test_minmax_and_onehot() -> None:
    data = load_dataset({"source": "digits", "preprocess": {"scaling": "minmax", "labels": "onehot"}})
    assert data.train.x.min() == 0.0
    assert data.train.x.max() == 1.0
    assert data.train.y.shape[1:] == (10,)
    np.testing.assert_array_equal(data.train.y.sum(axis=1), 1.0)


def test_recipe_is_json_and_strict() -> None:
    recipe = DataRecipe(source="toy.xor", options={"samples": 10})
    assert DataRecipe.from_dict(recipe.to_dict()) == recipe
    with pytest.raises(DataError, match="unknown option 'sample'"):
        load_dataset({"source": "toy.xor", "options": {"sample": 10}})
    with pytest.raises(DataError, match="samples must be a whole number"):
        load_dataset({"source": "toy.xor", "options": {"samples": "many"}})
    with pytest.raises(DataError, match="unknown data source"):
        load_dataset({"source": "nope"})


# ---- the user's files ------------------------------------------------------------------------------

def test_csv_with_categorical_labels(tmp_path: Path) -> None:
    path = tmp_path / "iris.csv"
    path.write_text("a,b,kind\n1,2,cat\n3,4,dog\n5,6,cat\n7,8,bird\n")
    data = load_dataset({"source": "file.csv", "options": {"path": str(path), "label": "kind"},
                         "preprocess": {"validation": 0.0, "shuffle": False}})
    assert data.classes == ["bird", "cat", "dog"]
    np.testing.assert_array_equal(data.train.y, [1, 2, 1, 0])
    np.testing.assert_array_equal(data.train.x[1], [3, 4])


def test_csv_feature_selection_and_regression(tmp_path: Path) -> None:
    path = tmp_path / "t.csv"
    rows = "\n".join(f"{i},{i * 2},{i * 0.5}" for i in range(30))
    path.write_text("x,ignored,y\n" + rows + "\n")
    data = load_dataset({"source": "file.csv", "options": {"path": str(path), "label": "y", "features": ["x"]},
                         "preprocess": {"validation": 0.0, "shuffle": False}})
    assert data.task == "regression"
    assert data.train.x.shape == (30, 1)
    assert data.train.y.shape == (30, 1)


@pytest.mark.parametrize(("text", "message"), [
    ("a,b,c\n1,2,x\n3,4\n", "line 3: 2 fields where the header has 3"),
    ("a,b,c\n1,2,x\n3,oops,y\n", "line 3, column 'b': 'oops' is not a number"),
    ("a,b,c\n1,\"2,x\n", "malformed CSV"),
])
def test_malformed_csv_names_line_and_column(tmp_path: Path, text: str, message: str) -> None:
    path = tmp_path / "bad.csv"
    path.write_text(text)
    with pytest.raises(DataError, match=message):
        load_dataset({"source": "file.csv", "options": {"path": str(path), "label": "c"}})


def test_csv_unknown_column(tmp_path: Path) -> None:
    path = tmp_path / "t.csv"
    path.write_text("a,b\n1,2\n")
    with pytest.raises(DataError, match="no column 'label'"):
        load_dataset({"source": "file.csv", "options": {"path": str(path), "label": "label"}})


def test_npz_and_npy(tmp_path: Path) -> None:
    x, y = np.random.default_rng(0).normal(size=(20, 3)), np.arange(20) % 2
    np.savez(tmp_path / "d.npz", x=x, y=y)
    data = load_dataset({"source": "file.numpy", "options": {"path": str(tmp_path / "d.npz")}})
    assert data.task == "classification"
    assert data.classes == ["0", "1"]
    np.save(tmp_path / "x.npy", x)
    np.save(tmp_path / "y.npy", x[:, :1])
    data = load_dataset({"source": "file.numpy", "options": {"path": str(tmp_path / "x.npy"),
                                                            "y_path": str(tmp_path / "y.npy")}})
    assert data.task == "regression"


def test_npz_with_objects_is_refused(tmp_path: Path) -> None:
    ragged = np.array([[1, 2], [3]], dtype=object)
    np.savez(tmp_path / "evil.npz", x=ragged, y=np.arange(2))
    with pytest.raises(DataError, match="Python objects"):
        load_dataset({"source": "file.numpy", "options": {"path": str(tmp_path / "evil.npz")}})


def test_png_round_trip(tmp_path: Path) -> None:
    img = (np.arange(12 * 10 * 3) % 256).astype(np.uint8).reshape(12, 10, 3)
    write_png(tmp_path / "a.png", img)
    np.testing.assert_array_equal(read_png(tmp_path / "a.png"), img)


def test_image_folder(tmp_path: Path) -> None:
    for label, value in (("dark", 10), ("light", 240)):
        (tmp_path / label).mkdir()
        for i in range(3):
            write_png(tmp_path / label / f"{i}.png", np.full((16, 12), value, np.uint8))
    data = load_dataset({"source": "file.images", "options": {"path": str(tmp_path), "size": [8, 8]},
                         "preprocess": {"validation": 0.0, "scaling": "divide255"}})
    assert data.classes == ["dark", "light"]
    assert data.input_shape == (8, 8, 1)
    light = data.train.x[data.train.y == 1]
    assert light.min() > 0.9


def test_text_folder(tmp_path: Path) -> None:
    for label, words in (("neg", "bad awful"), ("pos", "good great")):
        (tmp_path / label).mkdir()
        for i in range(4):
            (tmp_path / label / f"{i}.txt").write_text(f"{words} movie number {i}")
    data = load_dataset({"source": "file.texts", "options": {"path": str(tmp_path), "maxlen": 6},
                         "preprocess": {"validation": 0.0}})
    assert data.train.x.shape == (8, 6)
    assert data.train.x.dtype == np.int32
    assert data.classes == ["neg", "pos"]


def test_folder_needs_classes(tmp_path: Path) -> None:
    (tmp_path / "only").mkdir()
    with pytest.raises(DataError, match="one sub-folder per class"):
        load_dataset({"source": "file.images", "options": {"path": str(tmp_path)}})


def test_missing_file_is_named(tmp_path: Path) -> None:
    with pytest.raises(DataError, match="does not exist"):
        load_dataset({"source": "file.csv", "options": {"path": str(tmp_path / "none.csv")}})


# ---- keras.datasets cache --------------------------------------------------------------------------

def test_mnist_from_a_seeded_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A cached mnist.npz is read where Keras keeps it, even though its hash is not the real file's."""
    monkeypatch.setenv("KERAS_HOME", str(tmp_path))
    (tmp_path / "datasets").mkdir()
    rng = np.random.default_rng(0)
    np.savez(tmp_path / "datasets" / "mnist.npz", x_train=rng.integers(0, 255, (30, 28, 28), dtype=np.uint8),
             y_train=np.arange(30, dtype=np.uint8) % 10, x_test=np.zeros((5, 28, 28), np.uint8),
             y_test=np.arange(5, dtype=np.uint8))
    data = load_dataset({"source": "keras.mnist", "preprocess": {"scaling": "divide255", "validation": 0.1}})
    assert data.input_shape == (28, 28, 1)
    assert (len(data.train), len(data.validation), len(data.test)) == (27, 3, 5)
    assert data.train.x.max() <= 1.0


# ---- data vs graph ---------------------------------------------------------------------------------

def _mlp(inputs: list[int], units: int, activation: str = "softmax") -> Graph:
    g = Graph()
    link(g, add(g, "Input", shape=inputs), add(g, "Dense", units=8, activation="relu"),
         add(g, "Dense", units=units, activation=activation))
    return g


def test_shape_mismatch_names_both_shapes() -> None:
    data = load_dataset({"source": "toy.xor", "options": {"samples": 20}})
    with pytest.raises(DataShapeError, match=r"shape \(2,\) but the input input_1 expects \(3,\)"):
        fit_to_graph(data, _mlp([3], 2), "sparse_categorical_crossentropy")
    with pytest.raises(DataShapeError, match=r"gives \(1,\) but the labels have 2 classes"):
        fit_to_graph(data, _mlp([2], 1), "sparse_categorical_crossentropy")
    reg = load_dataset({"source": "toy.outliers", "options": {"samples": 20}})
    with pytest.raises(DataShapeError, match=r"gives \(3,\) but the labels have shape \(1,\)"):
        fit_to_graph(reg, _mlp([1], 3, "linear"), "mse")


def test_labels_adapt_to_the_loss() -> None:
    data = load_dataset({"source": "toy.xor", "options": {"samples": 20}})
    cat = fit_to_graph(data, _mlp([2], 2), "categorical_crossentropy")
    assert cat.train.y.shape[1:] == (2,)
    binary = fit_to_graph(data, _mlp([2], 1, "sigmoid"), "binary_crossentropy")
    assert binary.train.y.shape[1:] == (1,)


def test_fashion_mnist_from_a_seeded_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The four gzip'd IDX files in ``datasets/fashion-mnist`` (where Keras keeps them) are read directly."""
    import gzip

    from core.data.keras_sets import FASHION_FILES

    monkeypatch.setenv("KERAS_HOME", str(tmp_path))
    folder = tmp_path / "datasets" / "fashion-mnist"
    folder.mkdir(parents=True)
    sizes = {"train": 12, "t10k": 4}
    for name in FASHION_FILES:
        n = sizes[name.split("-")[0]]
        body = (bytes(8) + bytes(i % 10 for i in range(n)) if "labels" in name
                else bytes(16) + bytes(n * 28 * 28))
        with gzip.open(folder / name, "wb") as f:
            f.write(body)
    data = load_dataset({"source": "keras.fashion_mnist", "preprocess": {"validation": 0.25}})
    assert (len(data.train), len(data.validation), len(data.test)) == (9, 3, 4)
    assert data.input_shape == (28, 28, 1)
    assert data.classes is not None
    assert data.classes[9] == "Ankle boot"
