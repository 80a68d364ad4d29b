"""The agents learn, stream their messages and stop when asked (small seeded budgets)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pytest

from core.catalog.templates import template_data
from core.graph.model import Graph
from core.rl.agents.base import FrameSource, linear
from core.rl.agents.loop import train
from core.rl.config import DQNConfig, EnvConfig, QLearningConfig, ReinforceConfig, RLConfig
from core.rl.envs import EnvError, describe, make_env
from core.rl.messages import EpisodeEnded, Frame, GradientNorms, QTableSnapshot, RLFinished, RLMessage
from core.rl.networks import fit_to_env, mlp_graph
from core.rl.play import evaluate, play
from core.rl.runner import make_agent

DETERMINISTIC_LAKE = EnvConfig(id="FrozenLake-v1", options={"is_slippery": False})


def stop_after(calls: int) -> Callable[[], bool]:
    """A stop flag that turns on after ``calls`` checks (the loop checks once before every step)."""
    count = [0]

    def should_stop() -> bool:
        count[0] += 1
        return count[0] > calls

    return should_stop


def run_all(agent: Any, should_stop: Callable[[], bool] | None = None) -> list[RLMessage]:
    return list(train(agent) if should_stop is None else train(agent, should_stop))


def random_mean_return(episodes: int = 20, seed: int = 500) -> float:
    env = make_env("CartPole-v1")
    env.action_space.seed(seed)
    total = 0.0
    for i in range(episodes):
        env.reset(seed=seed + i)
        done = False
        while not done:
            _, reward, terminated, truncated, _ = env.step(env.action_space.sample())
            total += float(reward)
            done = terminated or truncated
    env.close()
    return total / episodes


def cartpole_graph(template: str) -> dict[str, Any]:
    return fit_to_env(template_data(template), describe("CartPole-v1"))


# ---- pure helpers ------------------------------------------------------------------------------
def test_linear_schedule_holds_at_the_end() -> None:
    assert [linear(1.0, 0.1, 10, t) for t in (0, 5, 10, 50)] == pytest.approx([1.0, 0.55, 0.1, 0.1])


def test_discounted_returns_and_baselines() -> None:
    from core.rl.agents.reinforce import advantages, discounted_returns

    returns = discounted_returns([1.0, 1.0, 1.0], 0.5)
    assert returns == pytest.approx([1.75, 1.5, 1.0])
    assert advantages(returns, "mean") == pytest.approx(returns - returns.mean())
    normalised = advantages(returns, "normalize")
    assert normalised.mean() == pytest.approx(0.0, abs=1e-6)
    assert normalised.std() == pytest.approx(1.0, abs=1e-4)
    assert advantages(returns, "none") == pytest.approx(returns)


# ---- tabular Q-learning ------------------------------------------------------------------------
@pytest.mark.gym
def test_q_learning_finds_the_optimal_path_on_deterministic_frozen_lake() -> None:
    config = RLConfig(env=DETERMINISTIC_LAKE, seed=3, agent=QLearningConfig(
        alpha=0.5, gamma=0.95, episodes=300, epsilon_decay_episodes=200, snapshot_every=100))
    agent = make_agent(config)
    messages = run_all(agent)
    episode = play(agent)
    assert episode.ret == 1.0
    assert episode.length == 6  # the shortest way from S to G on the 4x4 map
    assert len(episode.frames) == 7
    snapshots = [m for m in messages if isinstance(m, QTableSnapshot)]
    assert [s.episode for s in snapshots] == [100, 200, 300]
    assert snapshots[-1].q.shape == (16, 4)
    episodes = [m for m in messages if isinstance(m, EpisodeEnded)]
    assert episodes[-1].mean_q > episodes[0].mean_q
    assert np.isfinite(episodes[-1].loss)
    assert isinstance(messages[-1], RLFinished)
    assert messages[-1].reason == "budget"
    assert messages[-1].episodes == 300


@pytest.mark.gym
def test_q_learning_snapshot_gap_shrinks_towards_the_exact_solution() -> None:
    config = RLConfig(env=EnvConfig(id="FrozenLake-v1", options={"desc": ["SFF", "FHF", "FFG"]}), seed=1,
                      agent=QLearningConfig(alpha=0.2, alpha_end=0.01, gamma=0.9, episodes=2000,
                                            epsilon_decay_episodes=1000, snapshot_every=200))
    snapshots = [m for m in run_all(make_agent(config)) if isinstance(m, QTableSnapshot)]
    assert len(snapshots) == 10
    first, last = snapshots[0], snapshots[-1]
    assert first.value_gap is not None
    assert last.value_gap is not None
    assert last.value_gap < first.value_gap / 3
    assert last.policy_match == 1.0


@pytest.mark.gym
def test_stop_flag_ends_the_run_after_the_current_step() -> None:
    config = RLConfig(env=DETERMINISTIC_LAKE, agent=QLearningConfig(episodes=100_000))
    messages = run_all(make_agent(config), stop_after(50))
    finished = messages[-1]
    assert isinstance(finished, RLFinished)
    assert finished.reason == "stopped"
    assert finished.total_steps == 50


@pytest.mark.gym
def test_q_learning_refuses_continuous_observations() -> None:
    with pytest.raises(EnvError, match="discrete states"):
        make_agent(RLConfig(agent=QLearningConfig()))


@pytest.mark.gym
def test_frames_are_rate_limited_and_small() -> None:
    env = make_env("CartPole-v1", render_mode="rgb_array")
    env.reset(seed=0)
    now = [0.0]
    source = FrameSource(env, fps=4, clock=lambda: now[0])
    first = source.maybe(0, 1)
    assert isinstance(first, Frame)
    assert max(first.image.shape[:2]) <= 320
    assert first.image.dtype == np.uint8
    assert source.maybe(0, 2) is None  # too soon
    now[0] = 0.3
    assert source.maybe(0, 3) is not None
    env.close()
    assert FrameSource(make_env("CartPole-v1"), fps=4).maybe(0, 1) is None  # no rgb_array: no frames


# ---- DQN and REINFORCE -------------------------------------------------------------------------
def dqn_config(steps: int) -> RLConfig:
    agent = DQNConfig(total_steps=steps, learning_starts=500, target_update_every=250, epsilon_decay_steps=1_500,
                      train_every=2, grad_every=200)
    return RLConfig(agent=agent, graph=cartpole_graph("dqn_qnetwork"), seed=0)


@pytest.mark.tf
@pytest.mark.gym
@pytest.mark.slow
def test_dqn_beats_a_random_policy_on_cartpole() -> None:
    agent = make_agent(dqn_config(3_000))
    messages = run_all(agent)
    grads = [m for m in messages if isinstance(m, GradientNorms)]
    assert grads
    assert set(grads[0].norms) == {"dense_1", "dense_2", "dense_3"}  # node names of the template
    episodes = [m for m in messages if isinstance(m, EpisodeEnded)]
    assert episodes[-1].epsilon < episodes[0].epsilon
    assert np.isfinite(episodes[-1].loss)
    greedy = evaluate(agent, 10, seed=500).mean
    assert greedy > 3 * random_mean_return()


@pytest.mark.tf
@pytest.mark.gym
def test_dqn_stops_when_asked() -> None:
    messages = run_all(make_agent(dqn_config(100_000)), stop_after(700))
    finished = messages[-1]
    assert isinstance(finished, RLFinished)
    assert (finished.reason, finished.total_steps) == ("stopped", 700)


@pytest.mark.tf
@pytest.mark.gym
def test_network_with_wrong_output_size_is_refused() -> None:
    config = RLConfig(agent=DQNConfig(), graph=mlp_graph((4,), (8,), 3))
    with pytest.raises(EnvError, match="the Q-network outputs 3 values but CartPole-v1 has 2 actions"):
        make_agent(config)
    config = RLConfig(agent=ReinforceConfig(), graph=mlp_graph((4,), (8,), 5, "softmax"))
    with pytest.raises(EnvError, match="the policy network outputs 5 values but CartPole-v1 has 2 actions"):
        make_agent(config)


@pytest.mark.tf
@pytest.mark.gym
@pytest.mark.slow
def test_reinforce_beats_a_random_policy_on_cartpole() -> None:
    config = RLConfig(agent=ReinforceConfig(episodes=80, entropy_coef=0.001),
                      graph=cartpole_graph("policy_network"), seed=0)
    agent = make_agent(config)
    messages = run_all(agent)
    episodes = [m for m in messages if isinstance(m, EpisodeEnded)]
    assert len(episodes) == 80
    assert np.isfinite(episodes[-1].entropy)
    assert evaluate(agent, 10, seed=500).mean > 3 * random_mean_return()


@pytest.mark.tf
@pytest.mark.gym
@pytest.mark.parametrize("activation", ["linear", "softmax", "tanh"])
def test_numpy_acting_matches_the_keras_network(activation: str) -> None:
    from core.rl.agents.fast_forward import numpy_forward
    from core.translate.to_keras import build_model

    graph = Graph.from_dict(mlp_graph((6,), (16, 8), 3, activation))
    model = build_model(graph)
    forward = numpy_forward(graph, model)
    assert forward is not None
    x = np.random.default_rng(0).normal(size=(5, 6)).astype(np.float32)
    assert forward(x) == pytest.approx(np.asarray(model(x)), abs=1e-5)


@pytest.mark.tf
def test_numpy_acting_declines_other_layers() -> None:
    from core.rl.agents.fast_forward import numpy_forward

    graph = Graph.from_dict(mlp_graph((4,), (8,), 2, "gelu"))
    assert numpy_forward(graph, None) is None


@pytest.mark.tf
@pytest.mark.gym
@pytest.mark.parametrize(("env_id", "kind"), [
    ("MountainCar-v0", "dqn"), ("Acrobot-v1", "reinforce"), ("Taxi-v4", "dqn"), ("FrozenLake-v1", "reinforce"),
    ("CliffWalking-v1", "dqn"),
])
def test_network_agents_run_on_every_kind_of_environment(env_id: str, kind: str) -> None:
    from core.rl.networks import starter_graph

    graph = starter_graph(kind, describe(env_id))
    agent_config: Any = (DQNConfig(total_steps=150, learning_starts=40, batch_size=16) if kind == "dqn"
                         else ReinforceConfig(episodes=2))
    config = RLConfig(env=EnvConfig(id=env_id, max_episode_steps=60), agent=agent_config, graph=graph)
    messages = run_all(make_agent(config))
    episodes = [m for m in messages if isinstance(m, EpisodeEnded)]
    assert episodes
    assert all(e.length <= 60 for e in episodes)
    assert isinstance(messages[-1], RLFinished)


@pytest.mark.tf
def test_any_keras_optimizer_by_name_and_params() -> None:
    from core.rl.agents.keras_tools import make_optimizer
    from core.rl.config import OptimizerConfig

    rmsprop = make_optimizer(OptimizerConfig(name="rmsprop", params={"learning_rate": 0.01, "rho": 0.8}))
    assert type(rmsprop).__name__ == "RMSprop"
    assert rmsprop.rho == 0.8
    assert type(make_optimizer(OptimizerConfig(name="Nadam"))).__name__ == "Nadam"
    with pytest.raises(EnvError, match="unknown optimizer 'Sgdx'"):
        make_optimizer(OptimizerConfig(name="Sgdx"))
    with pytest.raises(EnvError, match=r"optimizer Adam: .*lr2"):
        make_optimizer(OptimizerConfig(name="Adam", params={"lr2": 1}))
