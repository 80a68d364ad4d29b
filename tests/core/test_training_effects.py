"""Options that must change what training does, measured: early stopping, gradient clipping, lr schedules."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from core.training.messages import BatchEnd, EpochEnd, Finished
from tests.core.test_training import mlp, of, train

pytestmark = pytest.mark.tf

DATA: dict[str, Any] = {"source": "toy.gaussians", "options": {"samples": 200},
                        "preprocess": {"validation": 0.25}}


def _losses(tmp: Path, **config: Any) -> tuple[float, float, int]:
    """First batch loss, final training loss and the number of epochs run."""
    result, messages = train(tmp, mlp(2, [8], 2), DATA, **config)
    assert isinstance(result, Finished), result
    return float(of(messages, BatchEnd)[0].logs["loss"]), float(result.logs["loss"]), len(of(messages, EpochEnd))


def test_early_stopping_ends_the_run_after_patience(tmp_path: Path) -> None:
    # no epoch can improve val_loss by 1e9, so the run ends after the first epoch plus `patience` more
    stopper = {"enabled": True, "monitor": "val_loss", "patience": 2, "min_delta": 1e9}
    *_, epochs = _losses(tmp_path / "stop", epochs=20, early_stopping=stopper)
    assert epochs == 3
    *_, epochs = _losses(tmp_path / "off", epochs=4, early_stopping={**stopper, "enabled": False})
    assert epochs == 4


def test_gradient_clipping_limits_every_step(tmp_path: Path) -> None:
    sgd = {"name": "sgd", "learning_rate": 0.5}
    first, last, _ = _losses(tmp_path / "free", epochs=3, optimizer=sgd)
    assert first - last > 0.1  # unclipped, the loss falls clearly
    first_c, last_c, _ = _losses(tmp_path / "clipped", epochs=3, optimizer={**sgd, "clipvalue": 1e-6})
    assert abs(first_c - last_c) < 0.02  # each gradient entry clipped to 1e-6: the weights barely move
    assert first_c == pytest.approx(first, rel=1e-5)  # same seed, same start


def test_exponential_schedule_slows_learning(tmp_path: Path) -> None:
    sgd = {"name": "sgd", "learning_rate": 0.5}
    first, last, _ = _losses(tmp_path / "constant", epochs=3, optimizer=sgd)
    decayed = {**sgd, "schedule": {"kind": "exponential", "decay_steps": 1, "decay_rate": 0.01}}
    first_d, last_d, _ = _losses(tmp_path / "decayed", epochs=3, optimizer=decayed)
    assert first_d == pytest.approx(first, rel=1e-5)
    # the rate falls a hundredfold per step: after the first steps the decayed run all but stops learning
    assert last_d > 2 * last
