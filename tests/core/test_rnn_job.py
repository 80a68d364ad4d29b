"""The recurrent inspector as a run kind: in-process through ``run_job`` and in a spawned worker."""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from core.gan.presets import chain
from core.inspect.job import RnnTraced, start_rnn_inspection
from core.training.messages import Failed, Finished
from core.training.worker import Job, run_job

pytestmark = pytest.mark.tf


class Control:
    def __init__(self) -> None:
        self.stop, self.pause = threading.Event(), threading.Event()


def _graph():  # type: ignore[no-untyped-def]
    return chain([("Input", {"shape": [6, 2]}), ("GRU", {"units": 3}), ("Dense", {"units": 1})])


def test_job_traces_with_the_given_weights(tmp_path: Path) -> None:
    from core.inspect.rnn import inspect_model
    from core.training.checkpoint import save_layer_weights
    from core.translate.to_keras import build_model

    graph = _graph()
    model = build_model(graph)
    model.set_weights([w + 0.5 for w in model.get_weights()])
    weights = tmp_path / "weights.npz"
    save_layer_weights(model, weights)
    sample = np.random.default_rng(0).uniform(size=(6, 2)).astype("float32")
    messages: list[Any] = []
    config = {"sample": sample.tolist(), "target": [0.5], "loss": "mse", "layer": None}
    job = Job(graph.to_dict(), {}, config, str(tmp_path), initial_weights=str(weights), kind="rnn_inspect")
    result = run_job(job, messages.append, Control())
    assert isinstance(result, Finished)
    (traced,) = [m for m in messages if isinstance(m, RnnTraced)]
    expected = inspect_model(model, sample, np.array([0.5]))
    np.testing.assert_allclose(traced.trace.hidden, expected.hidden, atol=1e-6)
    np.testing.assert_allclose(traced.trace.grad_norms, expected.grad_norms, rtol=1e-5)
    assert result.logs["max_error"] < 1e-5


def test_job_without_a_recurrent_layer_fails_as_a_graph_error(tmp_path: Path) -> None:
    graph = chain([("Input", {"shape": [6, 2]}), ("Flatten", {}), ("Dense", {"units": 1})])
    job = Job(graph.to_dict(), {}, {"sample": np.zeros((6, 2)).tolist()}, str(tmp_path), kind="rnn_inspect")
    result = run_job(job, lambda _m: None, Control())
    assert isinstance(result, Failed)
    assert result.kind == "graph"


@pytest.mark.slow
def test_inspection_in_a_spawned_worker() -> None:
    from core.training.engine import TrainingEngine

    engine = TrainingEngine(warm=0)
    try:
        run = start_rnn_inspection(engine, _graph(), np.ones((6, 2)), np.array([1.0]))
        result = run.wait(timeout=240)
        assert isinstance(result, Finished), result
        assert run.trace is not None
        assert run.trace.hidden.shape == (6, 3)
        assert set(run.trace.gates) == {"update", "reset", "candidate"}
    finally:
        engine.close()
