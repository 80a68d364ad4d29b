"""The training panel's data picker: every preprocessing field and source option shown and read back exactly,
values it cannot show kept, CSV columns picked from the file's header, and a project's data untouched on open
(no TensorFlow: the picker never loads Keras)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QComboBox
from pytestqt.qtbot import QtBot

from core.data.load import load_raw
from core.data.recipe import Preprocess
from core.data.sources import SourceSpec, all_sources
from desktop.panels.data_options import ChoiceOption, ColumnsOption, TextOption
from desktop.panels.data_picker import DataPicker

PRE = {"scaling": "standard", "labels": "onehot", "validation": 0.15, "test": 0.2, "seed": 7, "shuffle": False,
       "limit": 123}


def other_value(name: str, default: Any, spec: SourceSpec) -> Any:
    """A value of the option's type that differs from its default."""
    choices = spec.choices.get(name)
    if choices:
        return next(c for c in choices if c != default)
    if isinstance(default, bool):
        return not default
    if isinstance(default, int):
        return default + 3
    if isinstance(default, float):
        return round(default + 0.05, 4)
    if isinstance(default, list):
        return [32, 30] if default and isinstance(default[0], int) else ["x1", "x2"]
    return f"/tmp/some {name}.csv" if name.endswith("path") else f"{default}x" if name != "delimiter" else ";"


@pytest.fixture
def picker(qtbot: QtBot) -> DataPicker:
    widget = DataPicker()
    qtbot.addWidget(widget)
    return widget


@pytest.mark.parametrize("spec", all_sources(), ids=lambda s: s.id)
def test_every_source_round_trips_non_default_options_and_preprocessing(picker: DataPicker, spec: SourceSpec) -> None:
    assert all(value != getattr(Preprocess(), key) for key, value in PRE.items())  # all non-default
    recipe = {"source": spec.id, "options": {n: other_value(n, d, spec) for n, d in spec.options.items()},
              "preprocess": dict(PRE)}
    assert all(recipe["options"][n] != d for n, d in spec.options.items())
    seen: list[dict[str, Any]] = []
    picker.changed.connect(seen.append)
    picker.set_recipe(recipe)
    assert picker.recipe() == recipe
    assert seen == []  # a load is not an edit
    picker.set_recipe({"source": spec.id})  # options left out show the source's defaults again
    assert picker.recipe()["options"] == dict(spec.options)
    assert picker.recipe()["preprocess"] == Preprocess().model_dump(mode="json")


def test_every_preprocess_field_has_an_editor_that_the_user_can_change(picker: DataPicker) -> None:
    assert set(picker.pre) == set(Preprocess.model_fields)
    assert "onehot" in picker.labels.toolTip()
    seen: list[dict[str, Any]] = []
    picker.changed.connect(seen.append)
    picker.labels.setCurrentText("onehot")
    picker.test.setValue(0.25)
    picker.seed.setValue(11)
    picker.shuffle.setChecked(False)
    picker.scaling.setCurrentText("minmax")
    pre = seen[-1]["preprocess"]
    assert {k: pre[k] for k in ("labels", "test", "seed", "shuffle", "scaling")} == {
        "labels": "onehot", "test": 0.25, "seed": 11, "shuffle": False, "scaling": "minmax"}
    assert Preprocess.model_validate(pre).labels == "onehot"


def test_loaded_values_without_an_editor_or_out_of_range_are_kept(picker: DataPicker) -> None:
    recipe = {"source": "toy.circle", "note": "from a newer version",
              "options": {"samples": 300_000_000, "noise": 1, "seed": 4, "future_option": [1, 2]},
              "preprocess": {**PRE, "seed": 2**40, "labels": "sparse", "balance": True}}
    picker.set_recipe(recipe)
    assert picker.recipe() == recipe  # 1 stays an int, the huge numbers and unknown keys survive
    picker.seed.setValue(5)  # an edit of the field replaces the kept value
    assert picker.recipe()["preprocess"]["seed"] == 5
    picker.source.setCurrentIndex(picker.source.findData("toy.xor"))  # another source: its own options only
    assert "future_option" not in picker.recipe()["options"]
    assert picker.recipe()["note"] == "from a newer version"


def test_a_recipe_of_an_unknown_source_is_kept_until_the_user_chooses(picker: DataPicker) -> None:
    recipe = {"source": "cloud.bucket", "options": {"url": "s3://x"}, "preprocess": dict(PRE)}
    seen: list[dict[str, Any]] = []
    picker.changed.connect(seen.append)
    picker.set_recipe(recipe)
    assert picker.recipe() == recipe
    assert "cloud.bucket" in picker.doc.text()
    assert seen == []
    picker.source.setCurrentIndex(picker.source.findData("toy.spiral"))
    assert seen[-1]["source"] == "toy.spiral"


def test_options_with_fixed_choices_are_drop_downs(picker: DataPicker) -> None:
    picker.source.setCurrentIndex(picker.source.findData("file.csv"))
    task = picker.option_editors["task"]
    assert isinstance(task, ChoiceOption) and not task.box.isEditable()
    assert [task.box.itemText(i) for i in range(task.box.count())] == ["auto", "classification", "regression"]
    picker.source.setCurrentIndex(picker.source.findData("file.images"))
    color = picker.option_editors["color"]
    assert isinstance(color, ChoiceOption)
    color.box.setCurrentText("rgb")
    assert picker.recipe()["options"]["color"] == "rgb"


def test_csv_header_becomes_feature_and_label_pickers(picker: DataPicker, tmp_path: Path) -> None:
    table = tmp_path / "flowers.csv"
    rows = [f"{i % 5}.{i},{i % 3}.5,{i},{['setosa', 'virginica'][i % 2]}" for i in range(12)]
    table.write_text("sepal,petal,width,species\n" + "\n".join(rows) + "\n")
    seen: list[dict[str, Any]] = []
    picker.changed.connect(seen.append)
    picker.source.setCurrentIndex(picker.source.findData("file.csv"))
    path = picker.option_editors["path"]
    assert isinstance(path, TextOption)
    path.edit.setText(str(table))
    path.edit.editingFinished.emit()  # what the line edit sends when the user presses Enter or leaves it
    features, label = picker.option_editors["features"], picker.option_editors["label"]
    assert isinstance(features, ColumnsOption) and isinstance(label, ChoiceOption)
    assert features.list.names() == ["sepal", "petal", "width", "species"]
    assert [label.box.itemText(i) for i in range(label.box.count())] == ["", "sepal", "petal", "width", "species"]

    features.list.tick("width")
    label.box.setCurrentIndex(label.box.findText("width"))  # the label column cannot stay a feature
    assert features.list.value() == []
    features.list.tick("petal")
    features.list.tick("sepal")
    options = seen[-1]["options"]
    assert options["features"] == ["sepal", "petal"]
    assert options["label"] == "width"
    assert options["task"] == "auto"
    assert not features.list.item(2).flags() & Qt.ItemFlag.ItemIsEnabled

    label.box.setCurrentText("species")
    raw = load_raw(picker.recipe())
    assert raw.x.shape == (12, 2)
    assert raw.task == "classification"
    assert raw.classes == ["setosa", "virginica"]


def test_csv_recipe_naming_missing_columns_keeps_them(picker: DataPicker, tmp_path: Path) -> None:
    table = tmp_path / "t.csv"
    table.write_text("a;b;c\n1;2;3\n")
    recipe = {"source": "file.csv", "options": {"path": str(table), "features": ["c", "gone", "a"],
                                                "label": "b", "delimiter": ";", "task": "regression"}}
    picker.set_recipe(recipe)
    features = picker.option_editors["features"]
    assert isinstance(features, ColumnsOption)
    assert features.list.names() == ["a", "b", "c", "gone"]  # the header, then what the file lacks
    assert picker.recipe()["options"] == recipe["options"]  # the given order, the missing column kept


def test_source_combo_lists_every_source(picker: DataPicker) -> None:
    combo: QComboBox = picker.source
    assert [combo.itemData(i) for i in range(combo.count())] == [s.id for s in all_sources()]
