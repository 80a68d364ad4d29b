"""GAN as a run kind of the training engine: in-process through ``run_job`` and in a spawned worker."""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from core.gan.config import GanConfig
from core.gan.messages import GanFinished, GanSamples, GanStarted, GanStep
from core.gan.presets import dense_2d
from core.training.messages import Failed, Finished, Phase
from core.training.worker import Job, run_job

pytestmark = pytest.mark.tf

RING = {"source": "gan.ring", "options": {"samples": 256}}


class Control:
    def __init__(self) -> None:
        self.stop = threading.Event()
        self.pause = threading.Event()


def _job(tmp: Path, generator: Any, discriminator: Any, **config: Any) -> Job:
    cfg = GanConfig(steps=4, batch_size=16, sample_every=2, gradients_every=2, diversity_samples=32, **config)
    graphs = {"generator": generator.to_dict(), "discriminator": discriminator.to_dict()}
    return Job(graphs, RING, cfg.to_dict(), str(tmp), kind="gan")


def test_gan_job_streams_messages_and_ends_with_finished(tmp_path: Path) -> None:
    messages: list[Any] = []
    result = run_job(_job(tmp_path, *dense_2d(hidden=8)), messages.append, Control())
    assert isinstance(result, Finished)
    assert messages[-1] is result
    assert [p.phase for p in messages if isinstance(p, Phase)] == [
        "starting", "loading data", "building", "compiling", "training", "finished"]
    assert isinstance(next(m for m in messages if not isinstance(m, Phase)), GanStarted)
    assert [m.step for m in messages if isinstance(m, GanStep)] == [1, 2, 3, 4]
    assert [m.step for m in messages if isinstance(m, GanSamples)] == [0, 2, 4]
    assert result.epochs_done == 4
    assert set(result.logs) == {"d_loss", "g_loss", "d_real", "d_fake"}
    assert result.time_to_first_batch is not None
    assert Path(result.weights_path).is_file()
    assert (tmp_path / "discriminator.weights.h5").is_file()


def test_stop_before_the_first_step_still_finishes_cleanly(tmp_path: Path) -> None:
    control = Control()
    control.stop.set()
    messages: list[Any] = []
    result = run_job(_job(tmp_path, *dense_2d(hidden=8)), messages.append, control)
    assert isinstance(result, Finished)
    assert result.stopped
    assert result.epochs_done == 0
    assert not [m for m in messages if isinstance(m, GanStep)]
    assert any(isinstance(m, GanFinished) and m.stopped for m in messages)


def test_mismatched_pair_fails_as_a_graph_error_naming_both_shapes(tmp_path: Path) -> None:
    generator, _ = dense_2d(data_dim=3)
    _, discriminator = dense_2d(data_dim=2)
    result = run_job(_job(tmp_path, generator, discriminator), lambda _m: None, Control())
    assert isinstance(result, Failed)
    assert result.kind == "graph"
    assert "(3,)" in result.error
    assert "(2,)" in result.error
    assert result.node is not None


@pytest.mark.slow
def test_gan_run_in_a_spawned_worker_emits_gan_signals(tmp_path: Path) -> None:
    from core.gan.run import start_gan
    from core.training.engine import TrainingEngine

    engine = TrainingEngine(warm=0)
    try:
        steps: list[GanStep] = []
        run = start_gan(engine, *dense_2d(hidden=8), RING,
                        GanConfig(steps=6, batch_size=16, sample_every=3, gradients_every=3, diversity_samples=32),
                        tmp_path)
        run.gan_step.connect(steps.append)
        result = run.wait(timeout=240)
        assert isinstance(result, Finished), result
        assert run.done
        assert len(run.history.batch) == 6
        assert np.isfinite(run.history.batch["d_loss"]).all()
        assert "generator/dense_1" in run.history.gradients.values
        assert "discriminator/dense_3" in run.history.gradients.values
        assert list(run.diversity.x.data) == [0, 3, 6]
        assert run.last_samples is not None
        assert run.last_samples.step == 6
        assert run.interpolation is not None
        assert run.started_info is not None
        assert run.started_info.real.shape == (256, 2)
    finally:
        engine.close()


def test_non_finite_losses_end_the_run_as_diverged(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import core.gan.job

    monkeypatch.setattr(core.gan.job, "real_samples", lambda *_a: np.full((64, 2), np.nan, dtype="float32"))
    messages: list[Any] = []
    result = run_job(_job(tmp_path, *dense_2d(hidden=8)), messages.append, Control())
    assert isinstance(result, Failed)
    assert result.kind == "diverged"
    assert "step 1" in result.error
