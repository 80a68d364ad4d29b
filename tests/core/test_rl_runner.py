"""RL runs through the training engine's machinery, headless through `layerbench train`, and exported."""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from core.catalog.templates import template_data
from core.cli import main
from core.project.project import Project
from core.project.weights import unpack_arrays
from core.rl.config import DQNConfig, EnvConfig, QLearningConfig, RLConfig
from core.rl.envs import describe
from core.rl.messages import EpisodeEnded, Evaluated, QTableSnapshot, RLFinished
from core.rl.networks import fit_to_env
from core.rl.play import agent_from_project, play, restore_agent
from core.rl.runner import run_rl
from core.training.messages import Finished, Phase

pytestmark = pytest.mark.gym

LAKE = EnvConfig(id="FrozenLake-v1", options={"is_slippery": False})


class Control:
    def __init__(self) -> None:
        self.stop, self.pause = threading.Event(), threading.Event()


def q_config(episodes: int = 200) -> RLConfig:
    return RLConfig(env=LAKE, agent=QLearningConfig(alpha=0.5, episodes=episodes, epsilon_decay_episodes=150,
                                                    snapshot_every=100), seed=2)


def test_run_rl_streams_and_saves_q_learning(tmp_path: Path) -> None:
    sent: list[Any] = []
    result = run_rl(q_config(), sent.append, Control(), tmp_path)
    assert isinstance(result, Finished)
    assert result.epochs_done == 200
    assert not result.stopped
    assert result.logs["eval_mean"] == 1.0
    kinds = {type(m) for m in sent}
    assert {Phase, EpisodeEnded, QTableSnapshot, RLFinished, Evaluated} <= kinds
    q = unpack_arrays(Path(result.weights_path).read_bytes(), "q")["q"]
    assert q.shape == (16, 4)
    history = unpack_arrays(Path(result.history_path).read_bytes(), "history")
    assert len(history["epoch/return"]) == 200
    assert history["epoch/x"][-1] == 200
    episode = play(restore_agent(q_config(), result.weights_path))
    assert (episode.ret, episode.length) == (1.0, 6)


def test_run_rl_honours_a_stop_set_from_another_thread(tmp_path: Path) -> None:
    control = Control()

    def send(msg: Any) -> None:
        if isinstance(msg, EpisodeEnded) and msg.episode == 10:
            control.stop.set()

    result = run_rl(q_config(100_000), send, control, tmp_path)
    assert result.stopped
    assert result.epochs_done == 10


@pytest.mark.tf
@pytest.mark.slow
def test_dqn_weights_export_as_a_saved_model(tmp_path: Path) -> None:
    import tensorflow as tf

    from core.export.run import export_graph

    graph = fit_to_env(template_data("dqn_qnetwork"), describe("CartPole-v1"))
    config = RLConfig(agent=DQNConfig(total_steps=300, learning_starts=100), graph=graph)
    result = run_rl(config, lambda m: None, Control(), tmp_path / "run")
    export_graph(graph, result.weights_path, tmp_path / "q_net", "savedmodel")
    served = tf.saved_model.load(str(tmp_path / "q_net"))
    x = np.array([[0.01, -0.02, 0.03, 0.04]], dtype=np.float32)
    agent = restore_agent(config, result.weights_path)
    assert np.asarray(served.serve(x)) == pytest.approx(np.asarray(agent.model(x)), abs=1e-6)

    from core.graph.model import Graph
    from core.rl.play import store_run

    project = Project("rl", {"main": Graph.from_dict(graph)})
    store_run(project, config, result)
    reopened = agent_from_project(project)
    assert np.asarray(reopened.model(x)) == pytest.approx(np.asarray(agent.model(x)), abs=1e-6)


def _rl_project(tmp_path: Path, rl: dict[str, Any]) -> Path:
    project = Project("rl", name="lake", training={"rl": rl})
    return project.save(tmp_path / "lake.layerbench")


def test_layerbench_train_runs_an_rl_project(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = _rl_project(tmp_path, {"env": {"id": "FrozenLake-v1", "options": {"is_slippery": False}},
                                  "agent": {"kind": "qlearning", "alpha": 0.5, "episodes": 500}})
    assert main(["train", str(path), "--episodes", "150", "--print-every", "50"]) == 0
    out = capsys.readouterr().out
    assert "episode    50" in out
    assert "return" in out
    assert "finished (budget): 150 episodes" in out
    project = Project.load(path)
    run = project.runs[-1]
    assert run.info["kind"] == "rl"
    assert run.info["config"]["agent"]["episodes"] == 150
    assert project.weights(run.id)["q_table"][0].shape == (16, 4)
    episode = play(agent_from_project(project))
    assert (episode.ret, episode.length) == (1.0, 6)
    assert len(project.history(run.id)["epoch/return"]) == 150


def test_layerbench_train_reports_a_mismatched_network(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from core.graph.model import Graph

    project = Project("rl", {"main": Graph.from_dict(template_data("dqn_qnetwork"))}, name="q")
    path = project.save(tmp_path / "q.layerbench")
    assert main(["train", str(path), "--env", "Acrobot-v1", "--steps", "10"]) == 1
    err = capsys.readouterr().err
    assert "the Q-network takes inputs of shape (4,) but Acrobot-v1 observations have shape (6,)" in err


@pytest.mark.tf
@pytest.mark.slow
def test_engine_runs_rl_in_a_worker_process(tmp_path: Path) -> None:
    from core.rl.runner import start_rl
    from core.training.engine import TrainingEngine

    engine = TrainingEngine(warm=0)
    try:
        run = start_rl(engine, q_config(), tmp_path / "run")
        episodes: list[EpisodeEnded] = []
        run.episode_ended.connect(episodes.append)
        result = run.wait(180)
        assert isinstance(result, Finished)
        assert len(episodes) == 200
        assert run.last_q_table is not None
        assert run.current_phase == "finished"
        assert len(run.history.epoch["return"]) == 200

        long_run = start_rl(engine, q_config(10_000_000), tmp_path / "long")
        started = threading.Event()
        long_run.episode_ended.connect(lambda m: started.set())
        assert started.wait(180)
        long_run.stop()
        stopped = long_run.wait(60)
        assert isinstance(stopped, Finished)
        assert stopped.stopped
    finally:
        engine.close()


def test_rl_run_turns_messages_into_signals_and_buffers() -> None:
    from core.rl.messages import GradientNorms
    from core.rl.runner import RLRun
    from core.training.messages import Gradients
    from core.training.worker import Job

    run = RLRun(Job({}, {}, {}, "unused", kind="rl"), worker=None, grace=1.0)
    grads: list[Gradients] = []
    episodes: list[EpisodeEnded] = []
    run.gradients.connect(grads.append)
    run.episode_ended.connect(episodes.append)
    run._dispatch(EpisodeEnded(1, 20, 20.0, 20, epsilon=0.9))
    run._dispatch(GradientNorms(5, 100, {"dense_1": 1e-9, "dense_2": 0.5}, 0.5))
    run._dispatch(Phase("training"))
    assert [e.ret for e in episodes] == [20.0]
    assert run.history.epoch["epsilon"].tolist() == [0.9]
    assert grads[0].layers == ["dense_1", "dense_2"]
    assert grads[0].health == "vanishing"
    assert run.history.gradients["dense_2"].tolist() == [0.5]
    assert run.current_phase == "training"


def test_bad_rl_settings_fail_with_the_field_named(tmp_path: Path) -> None:
    from core.rl.runner import run_rl_job
    from core.training.messages import Failed
    from core.training.worker import Job

    job = Job({}, {}, {"agent": {"kind": "dqn", "gamma": 2.0}}, str(tmp_path), kind="rl")
    result = run_rl_job(job, lambda m: None, Control())
    assert isinstance(result, Failed)
    assert result.error.startswith("RL settings: agent.dqn.gamma")
