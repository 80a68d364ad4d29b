"""Pure-Python parts of training: config validation, history buffers, gradient health (no TensorFlow)."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest
from pydantic import ValidationError

from core.training.checkpoint import RunFolder
from core.training.config import TrainingConfig, describe_error
from core.training.health import diagnose
from core.training.history import Buffer, History
from core.training.messages import floats


def test_config_round_trip_and_defaults() -> None:
    config = TrainingConfig(loss="mse", optimizer={"name": "nesterov", "learning_rate": 0.1})  # type: ignore[arg-type]
    again = TrainingConfig.from_dict(config.to_dict())
    assert again == config
    assert again.optimizer.name == "nesterov"
    assert not again.is_classifier


def test_full_batch_gradient_descent_uses_the_whole_set() -> None:
    assert TrainingConfig.from_dict({"optimizer": {"name": "gd"}}).batch_size_for(321) == 321
    assert TrainingConfig.from_dict({"batch_size": 16}).batch_size_for(321) == 16


@pytest.mark.parametrize(("data", "where"), [
    ({"loss": "hinge"}, "loss"),
    ({"optimizer": {"name": "adam", "learning_rate": -1}}, "optimizer.learning_rate"),
    ({"optimizer": {"clipnorm": 1.0, "clipvalue": 1.0}}, "clipnorm or clipvalue"),
    ({"device": "tpu"}, "device"),
    ({"metrics": ["f1"]}, "unknown metric 'f1'"),
    ({"epoch": 3}, "epoch"),
])
def test_bad_config_names_the_setting(data: dict[str, object], where: str) -> None:
    with pytest.raises(ValidationError) as info:
        TrainingConfig.from_dict(data)  # type: ignore[arg-type]
    assert where in describe_error(info.value)


def test_buffer_grows_and_is_a_view() -> None:
    buf = Buffer(capacity=2)
    for i in range(1000):
        buf.append(i)
    assert len(buf) == 1000
    assert buf.data[-1] == 999
    assert buf.data.base is not None


def test_history_pads_late_metrics_and_round_trips(tmp_path: Path) -> None:
    history = History()
    history.epoch.add(1, {"loss": 1.0})
    history.epoch.add(2, {"loss": 0.5, "val_loss": 0.7})
    assert math.isnan(history.epoch["val_loss"][0])
    history.gradients.add(10, {"dense_1": 0.1, "dense_2": 0.2})
    history.to_npz(tmp_path / "h.npz")
    again = History.from_npz(tmp_path / "h.npz")
    np.testing.assert_array_equal(again.epoch["loss"], [1.0, 0.5])
    np.testing.assert_array_equal(again.gradients.x.data, [10])
    assert not list(tmp_path.glob("*.tmp*"))


def test_floats_keeps_scalars_only() -> None:
    assert floats({"loss": np.float32(0.5), "grad_norms": np.ones(3)}) == {"loss": 0.5}


@pytest.mark.parametrize(("norms", "status"), [
    ([0.1, 0.2, 0.3], "ok"),
    ([1e-9, 1e-3, 0.5], "vanishing"),
    ([0.1, 5e3, 0.2], "exploding"),
    ([float("nan"), 0.1, 0.1], "exploding"),
    ([50.0, 0.1, 1e-3], "exploding"),
    ([0.0, 0.0, 0.1], "ok"),
])
def test_gradient_health(norms: list[float], status: str) -> None:
    verdict = diagnose(["a", "b", "c"], norms)
    assert verdict.status == status
    if status != "ok":
        assert verdict.layer in ("a", "b", "c")
        assert verdict.detail


def test_run_folder_refuses_newer_state(tmp_path: Path) -> None:
    folder = RunFolder(tmp_path)
    assert folder.state() == {}
    (tmp_path / "state.json").write_text('{"format_version": 99, "epoch": 1}')
    with pytest.raises(ValueError, match="newer Layerbench"):
        folder.state()
