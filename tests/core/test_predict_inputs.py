"""A loaded file prepared for prediction like the run's training data: CSV rows (header, recipe columns,
worded errors), pictures fitted to the input, the recipe's scaling statistics and pixel range applied in the
prediction worker's own code (called in-process here)."""

from __future__ import annotations

import itertools
from pathlib import Path

import numpy as np
import pytest

from core.data import preparation as prep_module
from core.data.errors import DataError
from core.data.load import load_dataset
from core.data.preparation import preparation
from core.data.sample_file import csv_layout, csv_sample, fit_image, pixel_range, to_range
from core.graph.model import Edge, Graph
from core.training.predict import PredictRequest, _Models, answer, prepare_input

SHAPES = {"source": "shapes", "options": {"samples": 60, "seed": 2},
          "preprocess": {"scaling": "standard", "validation": 0.25}}


def nearest(img: np.ndarray, h: int, w: int) -> np.ndarray:
    """Nearest-neighbour resize written out: output row r takes input row floor(r * H / h)."""
    rows = [r * img.shape[0] // h for r in range(h)]
    cols = [c * img.shape[1] // w for c in range(w)]
    return img[np.ix_(rows, cols)]


def test_csv_layout_counts_rows_after_the_header(tmp_path: Path) -> None:
    table = tmp_path / "t.csv"
    table.write_text("\ufeffa, b ,label\n1,2,0\n\n3,4,1\n5,6,0\n", encoding="utf-8")
    layout = csv_layout(table)
    assert layout.header == ["a", "b", "label"]  # BOM dropped, names stripped, as the CSV source reads them
    assert layout.rows == 3  # empty lines skipped
    bare = tmp_path / "bare.csv"
    bare.write_text("1,2\n3,4\n", encoding="utf-8")
    assert csv_layout(bare) == type(layout)(None, 2)  # all numbers: no header, the first line is row 0
    assert csv_sample(bare, 0, 2)[0].tolist() == [1.0, 2.0]


def test_csv_row_uses_the_recipes_feature_columns_by_name(tmp_path: Path) -> None:
    train = tmp_path / "train.csv"
    train.write_text("x0,x1,y\n0,0,0\n", encoding="utf-8")
    table = tmp_path / "other.csv"
    table.write_text("y,note,x1,x0\n1,first,10,20\n0,second,30,40\n", encoding="utf-8")
    recipe = {"path": str(train), "features": [], "label": ""}  # empty: all but the last column of train.csv
    x, note = csv_sample(table, 1, 2, recipe)
    assert x.tolist() == [40.0, 30.0]  # x0 then x1, as training had them, not the file's order
    assert "x0, x1" in note
    x, _ = csv_sample(table, 0, 2, {"path": "", "features": ["x1", "x0"], "label": "y"})
    assert x.tolist() == [10.0, 20.0]


def test_csv_errors_say_file_row_and_column(tmp_path: Path) -> None:
    table = tmp_path / "rows.csv"
    table.write_text("x0,x1\n1,2\n3,oops\n", encoding="utf-8")
    with pytest.raises(DataError) as err:
        csv_sample(table, 1, 2)
    assert str(err.value) == "rows.csv row 1 (line 3), column 'x1': 'oops' is not a number"
    with pytest.raises(DataError, match=r"rows\.csv has 2 numeric columns \(x0, x1\) but the model takes 5"):
        csv_sample(table, 0, 5)
    with pytest.raises(DataError, match=r"rows\.csv has 2 data rows; row 7 does not exist"):
        csv_sample(table, 7, 2)
    latin = tmp_path / "latin.csv"
    latin.write_bytes(b"a,b\n\xe9,1\n")
    with pytest.raises(DataError, match=r"latin\.csv is not UTF-8 text"):
        csv_layout(latin)


def test_pictures_are_resized_and_converted_with_a_note() -> None:
    rgb = np.random.default_rng(0).integers(0, 256, (48, 64, 3)).astype("uint8")
    x, note = fit_image(rgb, (28, 28, 1))
    assert note == "resized 64x48 RGB to 28x28 grey"
    grey = rgb.astype("float32") @ np.array([0.299, 0.587, 0.114], "float32")
    np.testing.assert_allclose(x[..., 0], nearest(grey, 28, 28), rtol=1e-5)
    x, note = fit_image(rgb[..., :1], (32, 32, 3))
    assert note == "resized 64x48 grey to 32x32 RGB"
    assert x.shape == (32, 32, 3) and np.array_equal(x[..., 0], x[..., 2])
    assert fit_image(rgb[:8, :8], (64,))[0].shape == (64,)  # a flat square input takes the picture flattened
    assert fit_image(rgb[:28, :28, :1], (28, 28))[1] == "kept 28x28 grey"
    with pytest.raises(DataError, match=r"the model's input \(10,\) is not a picture"):
        fit_image(rgb, (10,))


def test_pixel_range_of_sources() -> None:
    assert pixel_range(np.array([0.0, 0.7])) == (0.0, 1.0)
    assert pixel_range(np.array([0.0, 16.0])) == (0.0, 16.0)
    assert pixel_range(np.array([3.0, 200.0])) == (0.0, 255.0)
    np.testing.assert_allclose(to_range(np.array([0, 51, 255]), (0.0, 1.0)), [0.0, 0.2, 1.0])


def test_preparation_is_the_training_datas(tmp_path: Path) -> None:
    data = load_dataset(SHAPES)
    prep = preparation(SHAPES, tmp_path)
    assert prep.stats == data.scaling_stats and prep.stats
    assert prep.classes == ["square", "circle", "triangle", "line"]
    assert prep.task == "classification" and prep.pixel_range == (0.0, 1.0)
    pixels = np.full((1, 28, 28, 1), 255.0, "float32")
    x, note = prepare_input(pixels, "image", prep)
    expected = (1.0 - data.scaling_stats["shift"]) / data.scaling_stats["scale"]
    np.testing.assert_allclose(x, np.full_like(pixels, expected), rtol=1e-6)
    assert "mapped to 0..1" in note and "standard" in note


def test_preparation_is_cached_until_the_data_file_changes(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    table = tmp_path / "t.csv"
    table.write_text("a,b,y\n0,10,0\n2,30,1\n4,50,0\n", encoding="utf-8")
    recipe = {"source": "file.csv", "options": {"path": str(table)},
              "preprocess": {"scaling": "minmax", "validation": 0.0, "shuffle": False}}
    cache = tmp_path / "cache"
    first = preparation(recipe, cache)
    assert first.stats == {"shift": [0.0, 10.0], "scale": [4.0, 40.0]} and first.classes == ["0", "1"]
    assert len(list(cache.glob("*.json"))) == 1
    computed: list[object] = []
    real = prep_module.compute
    monkeypatch.setattr(prep_module, "compute", lambda r: computed.append(r) or real(r))
    assert preparation(recipe, cache) == first and computed == []  # read back from the cache
    table.write_text("a,b,y\n0,10,0\n8,30,1\n4,50,0\n1,2,1\n", encoding="utf-8")  # the data file changed
    assert preparation(recipe, cache).stats == {"shift": [0.0, 2.0], "scale": [8.0, 48.0]} and len(computed) == 1


def small_cnn() -> Graph:
    g = Graph()
    specs = [("Input", {"shape": [28, 28, 1]}), ("Flatten", {}), ("Dense", {"units": 4, "activation": "softmax"})]
    nodes = [g.add_node(g.make_node(t, p, 200 * i, 0)) for i, (t, p) in enumerate(specs)]
    for a, b in itertools.pairwise(nodes):
        g.add_edge(Edge(a.id, b.id))
    return g


@pytest.mark.tf
@pytest.mark.slow
def test_worker_prepares_a_picture_like_training(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LAYERBENCH_DATA_DIR", str(tmp_path / "data"))  # the statistics' cache goes there
    rng = np.random.default_rng(1)
    pixels = rng.integers(0, 256, (40, 50, 3)).astype("uint8")
    x, _ = fit_image(pixels, (28, 28, 1))
    models = _Models()
    result = answer(PredictRequest(1, small_cnn().to_dict(), None, x[None], recipe=SHAPES, raw="image"), models)
    assert not result.error, result.error
    stats = load_dataset(SHAPES).scaling_stats
    grey = pixels.astype("float32") @ np.array([0.299, 0.587, 0.114], "float32")
    prepared = ((nearest(grey, 28, 28) / 255.0 - stats["shift"]) / stats["scale"])[None, ..., None]
    np.testing.assert_allclose(result.inputs, prepared, rtol=1e-4, atol=1e-5)
    assert result.classes == ["square", "circle", "triangle", "line"]
    assert result.task == "classification"
    assert len(list((tmp_path / "data" / "cache" / "preparation").glob("*.json"))) == 1
    bad = answer(PredictRequest(2, small_cnn().to_dict(), None, x[None], recipe={"source": "file.csv",
                                "options": {"path": str(tmp_path / "gone.csv")}}, raw="image"), models)
    assert bad.outputs is None
    assert bad.error.startswith("the file cannot be prepared like the training data")
    assert "gone.csv does not exist" in bad.error
