"""``layerbench train FILE`` for reinforcement-learning projects: prints episodes and returns.

The training engine's ``train`` command handles supervised projects. Importing this module wraps it: an
``rl`` project is trained here, any other goes to the original handler; without one (or before it is
registered) ``train`` handles RL projects only. The run happens in this process (a terminal has no window
to protect), Ctrl-C stops it after the current step, and the run is saved into the project file.

The RL settings live in ``project.training["rl"]`` (an ``RLConfig`` without the graph); with none, the
agent follows the network: a softmax output means REINFORCE, anything else DQN, on CartPole-v1.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import tempfile
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

from core.graph.model import Graph
from core.project.errors import ProjectError
from core.project.project import Project
from core.rl.config import RLConfig
from core.rl.messages import EpisodeEnded, Evaluated, RLFinished
from core.rl.networks import outputs_probabilities
from core.training.cli import register_trainer


class _Control:
    """Stop and pause flags as the runner expects them (Ctrl-C sets stop)."""

    def __init__(self) -> None:
        self.stop, self.pause = threading.Event(), threading.Event()


def default_agent(graph: Graph) -> str:
    """``reinforce`` for a network ending in softmax, ``dqn`` otherwise, ``qlearning`` for an empty graph."""
    if not graph.nodes:
        return "qlearning"
    return "reinforce" if outputs_probabilities(graph) else "dqn"


def rl_config(project: Project, args: argparse.Namespace) -> RLConfig:
    """The project's RL settings with the command-line overrides applied."""
    data: dict[str, Any] = dict(project.training.get("rl", {}))
    agent = dict(data.get("agent", {}))
    agent.setdefault("kind", getattr(args, "agent", None) or default_agent(project.main))
    if getattr(args, "agent", None) and args.agent != agent["kind"]:
        agent = {"kind": args.agent}
    budget = {"qlearning": "episodes", "reinforce": "episodes", "dqn": "total_steps"}[agent["kind"]]
    value = args.steps if budget == "total_steps" else args.episodes
    if value is not None:
        agent[budget] = value
    data["agent"] = agent
    env = dict(data.get("env", {}))
    if getattr(args, "env", None):
        env = {"id": args.env}
    elif not env and agent["kind"] == "qlearning":
        env = {"id": "FrozenLake-v1"}
    data["env"] = env
    if getattr(args, "seed", None) is not None:
        data["seed"] = args.seed
    if agent["kind"] != "qlearning":
        data["graph"] = project.main.to_dict()
    return RLConfig.model_validate(data)


def _printer(every: int) -> Callable[[Any], None]:
    from core.rl.runner import episode_line

    def send(msg: Any) -> None:
        if isinstance(msg, EpisodeEnded) and (msg.episode % every == 0 or msg.episode == 1):
            print(episode_line(msg), flush=True)
        elif isinstance(msg, Evaluated):
            print(f"evaluation after {msg.total_steps} steps: mean return {msg.mean:.2f} ± {msg.std:.2f} over "
                  f"{msg.episodes} greedy episodes", flush=True)
        elif isinstance(msg, RLFinished):
            print(f"finished ({msg.reason}): {msg.episodes} episodes, {msg.total_steps} steps, "
                  f"{msg.seconds:.1f} s", flush=True)

    return send


def project_path(args: argparse.Namespace) -> Path:
    """The project file argument, whatever the ``train`` command named it."""
    for name in ("file", "project", "path"):
        value = getattr(args, name, None)
        if isinstance(value, str | Path):
            return Path(value)
    raise ProjectError("no project file given")


def train_rl(args: argparse.Namespace) -> int:
    """Train an RL project headless, printing episodes; the run is saved into the project."""
    from core.rl.play import store_run
    from core.rl.runner import run_rl

    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")  # TensorFlow's start-up chatter is not for a terminal
    path = project_path(args)
    project = Project.load(path)
    config = rl_config(project, args)
    control = _Control()
    with tempfile.TemporaryDirectory(prefix="layerbench-rl-") as run_dir:
        try:
            result = run_rl(config, _printer(max(1, args.print_every)), control, Path(run_dir))
        except KeyboardInterrupt:  # pragma: no cover - interactive
            control.stop.set()
            return 130
        print("  ".join(f"{k} {v:.4g}" for k, v in result.logs.items()), flush=True)
        if not args.no_save:
            run_id = store_run(project, config, result)
            project.save(path)
            print(f"saved run {run_id} into {path}", flush=True)
    return 0


def _add(parser: argparse.ArgumentParser, *names: str, **kwargs: Any) -> None:
    """Add an option unless the wrapped command already has it (its meaning is then shared)."""
    with contextlib.suppress(argparse.ArgumentError):
        parser.add_argument(*names, **kwargs)


def add_rl_arguments(parser: argparse.ArgumentParser) -> None:
    _add(parser, "--episodes", type=int, default=None, help="RL: training episodes (Q-learning, REINFORCE)")
    _add(parser, "--steps", type=int, default=None, help="RL: environment steps (DQN)")
    _add(parser, "--env", default=None, help="RL: environment id, e.g. CartPole-v1 or FrozenLake-v1")
    _add(parser, "--agent", choices=("qlearning", "dqn", "reinforce"), default=None, help="RL: the agent")
    _add(parser, "--seed", type=int, default=None, help="random seed")
    _add(parser, "--print-every", type=int, default=1, help="print every Nth episode (RL) or step (GAN)")
    _add(parser, "--no-save", action="store_true", help="do not save the run into the project")


register_trainer("rl", add_rl_arguments, train_rl)
