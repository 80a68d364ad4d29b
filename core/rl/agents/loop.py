"""The training loop every agent runs in: step the environment, stream messages, honour the stop flag.

``train`` is a generator: the runner (or a test) iterates it and forwards each message. The stop flag is
checked before every environment step, so Stop takes effect within one step (plus any update running).
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from core.rl.agents.base import Agent, FrameSource, ShouldStop, Transition
from core.rl.envs import make_env
from core.rl.messages import EpisodeEnded, Evaluated, RLFinished, RLMessage

EVAL_SEED_OFFSET = 1_000_003


def never() -> bool:
    return False


@dataclass
class _Progress:
    episode: int = 0
    steps: int = 0
    best: float | None = None
    best_state: Any = None
    reason: str = "budget"
    started: float = field(default_factory=time.monotonic)


def make_training_env(agent: Agent, render: bool = False) -> Any:
    cfg = agent.config.env
    return make_env(cfg.id, cfg.options, "rgb_array" if render else None, cfg.max_episode_steps)


def _budget_left(agent: Agent, p: _Progress) -> bool:
    if agent.max_episodes is not None and p.episode >= agent.max_episodes:
        return False
    return agent.max_steps is None or p.steps < agent.max_steps


def _episode(agent: Agent, env: Any, frames: FrameSource, p: _Progress, should_stop: ShouldStop,
             seed: int | None) -> Iterator[RLMessage]:
    obs, _ = env.reset(seed=seed)
    ret, length = 0.0, 0
    while True:
        if should_stop():
            p.reason = "stopped"
            return
        action = agent.select(obs, explore=True)
        nxt, reward, terminated, truncated, _ = env.step(action)
        p.steps += 1
        length += 1
        ret += float(reward)
        yield from agent.observe(Transition(obs, action, float(reward), nxt, terminated, truncated), p.steps)
        frame = frames.maybe(p.episode, length)
        if frame is not None:
            yield frame
        obs = nxt
        if terminated or truncated or (agent.max_steps is not None and p.steps >= agent.max_steps):
            break
    p.episode += 1
    yield from agent.episode_done(p.episode, p.steps)
    yield EpisodeEnded(p.episode, p.steps, ret, length, **agent.episode_stats())


def _maybe_evaluate(agent: Agent, p: _Progress) -> Iterator[RLMessage]:
    ev = agent.config.evaluation
    if not ev.every_episodes or p.episode % ev.every_episodes:
        return
    returns = evaluate_returns(agent, ev.episodes, agent.config.seed + EVAL_SEED_OFFSET + p.episode)
    mean = float(np.mean(returns))
    yield Evaluated(p.steps, mean, float(np.std(returns)), len(returns))
    if p.best is None or mean > p.best:
        p.best = mean
        if ev.keep_best:
            p.best_state = agent.get_state()
    if ev.stop_at is not None and mean >= ev.stop_at:
        p.reason = "solved"


def train(agent: Agent, should_stop: ShouldStop = never) -> Iterator[RLMessage]:
    """Run ``agent`` until its budget is spent, Stop is asked for, or an evaluation reaches the target."""
    env = make_training_env(agent, render=agent.config.frame_fps > 0)
    env.action_space.seed(agent.config.seed)
    frames = FrameSource(env, agent.config.frame_fps)
    p = _Progress()
    try:
        while _budget_left(agent, p) and p.reason == "budget":
            seed = agent.config.seed if p.episode == 0 else None
            yield from _episode(agent, env, frames, p, should_stop, seed)
            if p.reason == "budget":
                yield from _maybe_evaluate(agent, p)
    finally:
        env.close()
    if p.best_state is not None:
        agent.set_state(p.best_state)
    yield RLFinished(p.reason, p.episode, p.steps, time.monotonic() - p.started, p.best)


def evaluate_returns(agent: Agent, episodes: int, seed: int) -> list[float]:
    """Returns of ``episodes`` greedy episodes on a fresh environment seeded with ``seed``."""
    env = make_training_env(agent)
    returns = []
    try:
        for i in range(episodes):
            obs, _ = env.reset(seed=seed + i)
            total, done = 0.0, False
            while not done:
                obs, reward, terminated, truncated, _ = env.step(agent.select(obs, explore=False))
                total += float(reward)
                done = terminated or truncated
            returns.append(total)
    finally:
        env.close()
    return returns
