"""After training: play one greedy episode with frames, evaluate over many, save what the agent learned."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from core.rl.agents.base import Agent, render_frame
from core.rl.agents.loop import evaluate_returns, make_training_env
from core.rl.agents.qlearning import QLearningAgent
from core.rl.config import RLConfig
from core.rl.envs import EnvError

MAX_PLAY_FRAMES = 2_000


@dataclass(frozen=True)
class PlayedEpisode:
    """One greedy episode: its frames (rgb uint8, the first before any action), actions, return, length."""

    frames: list[NDArray[np.uint8]]
    actions: list[int]
    ret: float
    length: int


@dataclass(frozen=True)
class Evaluation:
    """Greedy returns over several episodes with their mean and standard deviation."""

    returns: list[float]

    @property
    def mean(self) -> float:
        return float(np.mean(self.returns))

    @property
    def std(self) -> float:
        return float(np.std(self.returns))


def play(agent: Agent, seed: int = 0, max_frames: int = MAX_PLAY_FRAMES) -> PlayedEpisode:
    """Play one greedy episode and keep its frames (at most ``max_frames``; the episode always finishes)."""
    env = make_training_env(agent, render=True)
    frames: list[NDArray[np.uint8]] = []
    actions: list[int] = []
    total = 0.0
    try:
        obs, _ = env.reset(seed=seed)
        _keep(env, frames, max_frames)
        done = False
        while not done:
            action = agent.select(obs, explore=False)
            obs, reward, terminated, truncated, _ = env.step(action)
            actions.append(action)
            total += float(reward)
            done = terminated or truncated
            _keep(env, frames, max_frames)
    finally:
        env.close()
    return PlayedEpisode(frames, actions, total, len(actions))


def _keep(env: object, frames: list[NDArray[np.uint8]], limit: int) -> None:
    if len(frames) < limit:
        image = render_frame(env)
        if image is not None:
            frames.append(image)


def evaluate(agent: Agent, episodes: int = 100, seed: int = 0) -> Evaluation:
    """Greedy returns over ``episodes`` episodes, seeded ``seed``, ``seed + 1``, ..."""
    return Evaluation(evaluate_returns(agent, episodes, seed))


def restore_agent(config: RLConfig, weights_path: str | Path) -> Agent:
    """An agent rebuilt from its config with what a finished run learned (for greedy play and evaluation)."""
    from core.project.weights import apply_weights, unpack_arrays, unpack_weights
    from core.rl.runner import make_agent

    agent = make_agent(config)
    data = Path(weights_path).read_bytes()
    if agent.model is None:
        agent.set_state(unpack_arrays(data, str(weights_path))["q"])
    else:
        apply_weights(agent.model, unpack_weights(data, str(weights_path)))
        agent.set_state(agent.get_state())  # target network and NumPy mirror follow
    return agent


def save_learned(agent: Agent, path: Path) -> Path:
    """Write the agent's network weights (by layer name, the project's ``.npz``) or its Q-table (``q``)."""
    from core.project.weights import model_weights, pack_arrays, pack_weights

    tmp = path.with_name("tmp-" + path.name)
    if isinstance(agent, QLearningAgent) or agent.model is None:
        data = pack_arrays({"q": np.asarray(agent.get_state())})
    else:
        data = pack_weights(model_weights(agent.model))
    tmp.write_bytes(data)
    tmp.replace(path)
    return path


def store_run(project: Any, config: RLConfig, finished: Any) -> str:
    """Record a finished RL run in a ``Project``: settings and results in the run's info, the network
    weights (or the Q-table, as layer ``q_table``) and the history as the project's ``.npz`` members."""
    from core.project.weights import unpack_arrays, unpack_weights

    run = project.add_run(label=f"{config.agent.kind} on {config.env.id}",
                          status="stopped" if finished.stopped else "finished",
                          info={"kind": "rl", "config": config.model_dump(mode="json", exclude={"graph"}),
                                "logs": dict(finished.logs), "device": finished.device})
    data = Path(finished.weights_path).read_bytes()
    if config.agent.kind == "qlearning":
        project.set_weights(run.id, {"q_table": [unpack_arrays(data, finished.weights_path)["q"]]})
    else:
        project.set_weights(run.id, unpack_weights(data, finished.weights_path))
    history = Path(finished.history_path)
    if history.exists():
        project.set_history(run.id, unpack_arrays(history.read_bytes(), str(history)))
    return str(run.id)


def agent_from_project(project: Any, run_id: str | None = None) -> Agent:
    """The agent of a stored RL run (the latest by default), for greedy play after reopening a project."""
    from core.project.weights import apply_weights
    from core.rl.runner import make_agent

    run = project.latest_run("main") if run_id is None else project.run(run_id)
    if run is None or run.info.get("kind") != "rl":
        raise EnvError("the project has no finished reinforcement-learning run")
    data = dict(run.info["config"])
    if data.get("agent", {}).get("kind") != "qlearning":
        data["graph"] = project.main.to_dict()
    agent = make_agent(RLConfig.model_validate(data))
    weights = project.weights(run.id)
    if agent.model is None:
        agent.set_state(weights["q_table"][0])
    else:
        apply_weights(agent.model, weights)
        agent.set_state(agent.get_state())
    return agent
