"""The training settings form: every field of ``TrainingConfig`` shown and read back exactly (all metrics the
engine accepts among them), and early stopping's monitor chosen from the loss and the chosen metrics."""

from __future__ import annotations

from typing import Any

import pytest
from pytestqt.qtbot import QtBot

from core.training.config import TrainingConfig
from desktop.panels.check_list import CheckList
from desktop.panels.config_form import METRICS, ConfigForm

EVERY_FIELD = {
    "loss": "categorical_crossentropy",
    "metrics": ["top_k_categorical_accuracy", "auc", "mae", "precision", "recall", "mse"],
    "optimizer": {"name": "nesterov", "learning_rate": 0.05, "momentum": 0.5, "beta_1": 0.8, "beta_2": 0.99,
                  "rho": 0.7, "epsilon": 1e-8, "weight_decay": 0.01, "clipnorm": 0.5, "clipvalue": None,
                  "schedule": {"kind": "cosine", "decay_steps": 77, "decay_rate": 0.5, "alpha": 0.1}},
    "batch_size": 17, "epochs": 3, "validation_split": 0.1,
    "early_stopping": {"enabled": True, "monitor": "val_top_k_categorical_accuracy", "patience": 2,
                       "min_delta": 0.01, "restore_best_weights": False},
    "seed": None, "checkpoint_seconds": 2.5, "device": "gpu:1", "mixed_precision": True, "strategy": "mirrored",
    "monitors": {"gradient_norms": True, "gradient_every": 3, "weight_histograms": True, "update_ratios": True,
                 "feature_maps": True, "feature_maps_every": 7, "feature_map_sample": 5, "confusion_matrix": True,
                 "nan_check": False, "tensorboard": True, "batch_messages_every": 4},
}


def leaves(d: dict[str, Any], prefix: str = "") -> dict[str, Any]:
    out: dict[str, Any] = {}
    for k, v in d.items():
        out.update(leaves(v, f"{prefix}{k}.") if isinstance(v, dict) else {f"{prefix}{k}": v})
    return out


@pytest.fixture
def form(qtbot: QtBot) -> ConfigForm:
    widget = ConfigForm()
    qtbot.addWidget(widget)
    return widget


@pytest.mark.parametrize("clip", ["clipnorm", "clipvalue"])
def test_config_with_every_field_non_default_round_trips(form: ConfigForm, clip: str) -> None:
    values = {**EVERY_FIELD, "optimizer": {**EVERY_FIELD["optimizer"], "clipnorm": None, "clipvalue": None,
                                           clip: 0.5}}
    default = leaves(TrainingConfig().to_dict())
    given = leaves(values)
    assert given.keys() == default.keys()  # every field of the engine's config is in the test
    same = {k for k in given if given[k] == default[k]}
    assert same == {"optimizer.clipnorm" if clip == "clipvalue" else "optimizer.clipvalue"}  # one clip only
    form.set_values(values)
    assert form.config().to_dict() == values


def test_every_metric_the_engine_accepts_is_offered_and_kept(form: ConfigForm) -> None:
    editor = form.editors["metrics"]
    assert isinstance(editor, CheckList)
    assert editor.names() == list(METRICS)
    assert "top_k_categorical_accuracy" in editor.names()
    for metric in METRICS:
        TrainingConfig(metrics=[metric])  # the engine accepts each
    form.set_values({"metrics": ["top_k_categorical_accuracy", "accuracy"]})
    assert form.config().metrics == ["top_k_categorical_accuracy", "accuracy"]
    editor.tick("auc")
    editor.tick("accuracy", False)
    assert form.config().metrics == ["top_k_categorical_accuracy", "auc"]


def test_early_stopping_monitor_offers_loss_and_each_chosen_metric(form: ConfigForm) -> None:
    combo = form.editors["early_stopping.monitor"]
    metrics = form.editors["metrics"]
    assert combo.isEditable()
    form.set_values({"metrics": ["accuracy"], "early_stopping": {"monitor": "val_accuracy"}})
    items = [combo.itemText(i) for i in range(combo.count())]
    assert items == ["val_loss", "loss", "val_accuracy", "accuracy"]
    emitted: list[None] = []
    form.changed.connect(lambda: emitted.append(None))
    metrics.tick("auc")
    assert [combo.itemText(i) for i in range(combo.count())][-2:] == ["val_auc", "auc"]
    assert combo.currentText() == "val_accuracy"  # refreshing the choices keeps the current one
    combo.setCurrentIndex(combo.findText("val_auc"))
    assert form.config().early_stopping.monitor == "val_auc"
    assert emitted
    form.editors["loss"].setCurrentIndex(form.editors["loss"].findData("mse"))  # a regression logs no accuracy
    assert [combo.itemText(i) for i in range(combo.count())] == ["val_loss", "loss", "val_auc", "auc"]
