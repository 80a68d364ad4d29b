"""Reinforcement-learning benchmarks: does each agent reach its target, and how fast does it step?

Targets (all seeded, so a rerun on the same stack gives the same learning curve):

- Q-learning on FrozenLake 4x4 slippery: greedy success rate >= 0.70 over 1,000 evaluation episodes
  (the optimum is about 0.74; gymnasium's own reward threshold is 0.70).
- DQN on CartPole-v1: mean return >= 475 over 100 greedy evaluation episodes within 100,000 training
  environment steps. Training evaluates greedily every 5 episodes (30 episodes on a separate environment,
  not counted as training steps), keeps the best weights (DQN on CartPole is known to forget) and stops once
  an evaluation is perfect (500); the final 100 episodes, on other seeds, are played with the kept weights.
- REINFORCE on CartPole-v1: the same 475 over 100 greedy episodes within 1,000 training episodes (the same
  keep-best evaluation, every 20 episodes with 20 episodes).
- Speed: environment steps per second of each agent while learning, against a bare gymnasium loop
  with a random policy measured in the same run (the ratio is how many times slower the agent steps).

Quality rows report the shortfall (``target - achieved``, 0 when met) against a limit of 0, with the achieved
value in the figure text; speed rows report seconds per environment step with the random loop as baseline.

Measured twice on a shared 2-core machine (load 6-10 from other work), the learning curves identical both
times: Q-learning 0.729 success (20,000 episodes, 21-30 s); DQN 500.0 +- 0 after 81,583 training steps
(1,025 episodes); REINFORCE 499.96 +- 0.4 after 580 episodes. Steps per second while learning (two runs):
random CartPole loop 13,089 / 29,518; Q-learning 8,162 / 11,013 (1.6x / 2.7x slower); REINFORCE
2,253 / 2,134 (5.8x / 13.8x); DQN with one update per step 150 / 157 (87x / 188x) - its gradient step
dominates. Acting goes through a NumPy copy of Dense networks (``agents/fast_forward.py``); a
``tf.function`` call per action took ~0.45 ms against ~0.01 ms.
"""

from __future__ import annotations

import sys
import time
from typing import Any

import numpy as np

from core.rl.agents.base import Agent
from core.rl.agents.loop import train
from core.rl.config import DQNConfig, EnvConfig, EvalConfig, OptimizerConfig, QLearningConfig, ReinforceConfig, RLConfig
from core.rl.envs import describe
from core.rl.messages import EpisodeEnded, Evaluated, RLFinished
from core.rl.networks import fit_to_env, mlp_graph
from core.rl.play import evaluate
from core.rl.runner import make_agent
from tests.benchmarks.common import Row, median

SEED = 0
CARTPOLE_TARGET = 475.0
FROZEN_TARGET = 0.70


def qlearning_config(episodes: int = 20_000) -> RLConfig:
    agent = QLearningConfig(alpha=0.05, alpha_end=0.005, gamma=0.99, epsilon_start=1.0, epsilon_end=0.05,
                            epsilon_decay_episodes=episodes // 2, episodes=episodes, snapshot_every=episodes)
    return RLConfig(env=EnvConfig(id="FrozenLake-v1"), agent=agent, seed=SEED)


def _network(hidden: tuple[int, ...], output_activation: str) -> dict[str, Any]:
    env = describe("CartPole-v1")
    return fit_to_env(mlp_graph((4,), hidden, 2, output_activation), env)


def dqn_config(total_steps: int = 100_000, evaluate_every: int = 5) -> RLConfig:
    agent = DQNConfig(gamma=0.99, optimizer=OptimizerConfig(name="Adam", params={"learning_rate": 5e-4}),
                      buffer_size=50_000, batch_size=64, learning_starts=1_000, train_every=1,
                      target_update_every=500, double=True, epsilon_start=1.0, epsilon_end=0.02,
                      epsilon_decay_steps=20_000, total_steps=total_steps, grad_every=1_000)
    ev = EvalConfig(every_episodes=evaluate_every, episodes=30, keep_best=True, stop_at=500.0)
    return RLConfig(agent=agent, graph=_network((64, 64), "linear"), seed=SEED, evaluation=ev)


def reinforce_config(episodes: int = 1_000, evaluate_every: int = 20) -> RLConfig:
    agent = ReinforceConfig(gamma=0.99, optimizer=OptimizerConfig(name="Adam", params={"learning_rate": 1e-2}),
                            baseline="normalize", entropy_coef=0.0, episodes=episodes)
    ev = EvalConfig(every_episodes=evaluate_every, episodes=20, keep_best=True, stop_at=500.0)
    return RLConfig(agent=agent, graph=_network((64,), "softmax"), seed=SEED, evaluation=ev)


def learn(agent: Agent) -> tuple[RLFinished, float, list[float]]:
    """Train to the end; the finish message, wall seconds and the training returns."""
    start = time.perf_counter()
    finished: RLFinished | None = None
    returns: list[float] = []
    for msg in train(agent):
        if isinstance(msg, EpisodeEnded):
            returns.append(msg.ret)
        elif isinstance(msg, Evaluated):
            print(f"  evaluation at {msg.total_steps} steps: {msg.mean:.1f} ± {msg.std:.1f}", file=sys.stderr,
                  flush=True)
        elif isinstance(msg, RLFinished):
            finished = msg
    assert finished is not None
    return finished, time.perf_counter() - start, returns


def random_loop_seconds_per_step(steps: int = 20_000, repeats: int = 3) -> float:
    """A bare gymnasium CartPole loop with random actions: seconds per environment step (median)."""
    import gymnasium as gym

    out = []
    for r in range(repeats):
        env = gym.make("CartPole-v1")
        env.reset(seed=r)
        env.action_space.seed(r)
        start = time.perf_counter()
        for _ in range(steps):
            _, _, terminated, truncated, _ = env.step(env.action_space.sample())
            if terminated or truncated:
                env.reset()
        out.append((time.perf_counter() - start) / steps)
        env.close()
    return median(out)


def agent_seconds_per_step(config: RLConfig, repeats: int = 3) -> float:
    """Seconds per training environment step of an agent learning (no evaluation), median of repeats."""
    out = []
    for r in range(repeats):
        agent = make_agent(config.model_copy(update={"seed": SEED + r}))
        finished, seconds, _ = learn(agent)
        out.append(seconds / max(finished.total_steps, 1))
    return median(out)


def _quality_row(figure: str, achieved: float, target: float, note: str) -> Row:
    return Row(f"{figure}: {achieved:.3f} ({note})", f">= {target:g}", max(0.0, target - achieved), limit=0.0,
               repeats=1)


def bench_qlearning() -> list[Row]:
    agent = make_agent(qlearning_config())
    finished, seconds, _ = learn(agent)
    success = evaluate(agent, 1_000, seed=10_000).mean
    rows = [_quality_row("Q-learning FrozenLake 4x4 slippery greedy success rate", success, FROZEN_TARGET,
                         f"{finished.episodes} episodes, {finished.total_steps} steps, {seconds:.1f} s")]
    return rows


def bench_dqn() -> list[Row]:
    agent = make_agent(dqn_config())
    finished, seconds, returns = learn(agent)
    result = evaluate(agent, 100, seed=20_000)
    note = (f"{finished.total_steps} training steps, {finished.episodes} episodes, {seconds:.0f} s, "
            f"std {result.std:.1f}, last-100 training return {np.mean(returns[-100:]):.1f}")
    return [_quality_row("DQN CartPole-v1 mean return over 100 greedy episodes", result.mean, CARTPOLE_TARGET,
                         note)]


def bench_reinforce() -> list[Row]:
    agent = make_agent(reinforce_config())
    finished, seconds, returns = learn(agent)
    result = evaluate(agent, 100, seed=30_000)
    note = (f"{finished.episodes} training episodes, {finished.total_steps} steps, {seconds:.0f} s, "
            f"std {result.std:.1f}, last-100 training return {np.mean(returns[-100:]):.1f}")
    return [_quality_row("REINFORCE CartPole-v1 mean return over 100 greedy episodes", result.mean,
                         CARTPOLE_TARGET, note)]


def bench_speed() -> list[Row]:
    base = random_loop_seconds_per_step()
    configs = {
        "Q-learning (FrozenLake 4x4)": qlearning_config(2_000),
        "DQN (CartPole, one update per step)": dqn_config(total_steps=6_000, evaluate_every=0),
        "REINFORCE (CartPole)": reinforce_config(episodes=100, evaluate_every=0),
    }
    rows = []
    for name, config in configs.items():
        per_step = agent_seconds_per_step(config)
        rows.append(Row(f"{name}: seconds per env step while learning ({1 / per_step:,.0f} steps/s; random "
                        f"CartPole loop {1 / base:,.0f} steps/s)", "ratio to a random-policy loop", per_step,
                        baseline=base, repeats=3))
    return rows


def run() -> list[Row]:
    return [*bench_qlearning(), *bench_speed(), *bench_dqn(), *bench_reinforce()]
