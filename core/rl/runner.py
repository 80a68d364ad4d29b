"""RL as a run kind of the training engine: the same spawned worker, pipe, stop/pause and reader thread.

Child side: ``run_rl_job`` is what the worker runs for a ``Job`` of kind ``rl`` (``job.config`` is an
``RLConfig`` dict, ``job.graph`` the network). It streams ``core.rl.messages`` and ends with the engine's
own ``Finished``/``Failed``. Parent side: ``start_rl`` takes a warm worker from the engine's pool and
returns an ``RLRun``, a ``TrainingRun`` with RL signals and buffers on top.

History layout (``history.npz`` and ``RLRun.history``): ``epoch`` holds one row per episode (x = episode,
``return``, ``length``, ``epsilon``, ``loss``, ``mean_q``, ``entropy``), ``batch`` one row per evaluation
(x = environment steps, ``eval_mean``, ``eval_std``), ``gradients`` the per-layer norms (x = update).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from dataclasses import asdict
from pathlib import Path
from typing import Any

import numpy as np
from psygnal import Signal
from pydantic import ValidationError

from core.graph.errors import GraphError
from core.rl.agents.base import Agent, ShouldStop
from core.rl.agents.loop import train
from core.rl.config import DQNConfig, QLearningConfig, RLConfig
from core.rl.envs import describe
from core.rl.messages import EpisodeEnded, Evaluated, Frame, GradientNorms, QTableSnapshot, RLFinished, RLMessage
from core.rl.play import evaluate, save_learned
from core.training.checkpoint import RunFolder
from core.training.engine import TrainingEngine, TrainingRun
from core.training.health import diagnose
from core.training.history import History
from core.training.messages import Failed, Finished, Gradients, Log, Message, Phase
from core.training.worker import Job

PAUSE_POLL = 0.05
RECENT = 100


def make_agent(config: RLConfig) -> Agent:
    """The agent the config asks for, on its environment (the network built and checked against it)."""
    env = describe(config.env.id, config.env.options)
    if isinstance(config.agent, QLearningConfig):
        from core.rl.agents.qlearning import QLearningAgent

        return QLearningAgent(config, env)
    if isinstance(config.agent, DQNConfig):
        from core.rl.agents.dqn import DQNAgent

        return DQNAgent(config, env)
    from core.rl.agents.reinforce import ReinforceAgent

    return ReinforceAgent(config, env)


def record(history: History, msg: object) -> None:
    """Append an RL message to the run's buffers (the layout is in the module docstring)."""
    if isinstance(msg, EpisodeEnded):
        history.epoch.add(msg.episode, {"return": msg.ret, "length": msg.length, "epsilon": msg.epsilon,
                                        "loss": msg.loss, "mean_q": msg.mean_q, "entropy": msg.entropy})
    elif isinstance(msg, Evaluated):
        history.batch.add(msg.total_steps, {"eval_mean": msg.mean, "eval_std": msg.std})
    elif isinstance(msg, GradientNorms):
        history.gradients.add(msg.update, msg.norms)


def stop_flag(control: Any) -> ShouldStop:
    """The stop check the loop calls before every step; it also waits here while the run is paused."""

    def should_stop() -> bool:
        while control.pause.is_set() and not control.stop.is_set():
            time.sleep(PAUSE_POLL)
        return bool(control.stop.is_set())

    return should_stop


def _stream(agent: Agent, config: RLConfig, control: Any, history: History) -> Iterator[RLMessage]:
    finished: RLFinished | None = None
    for msg in train(agent, stop_flag(control)):
        record(history, msg)
        if isinstance(msg, RLFinished):
            finished = msg
        yield msg
    episodes = config.evaluation.episodes
    if finished is not None and finished.reason != "stopped" and episodes:
        result = evaluate(agent, episodes, config.seed + 7_919)
        msg_eval = Evaluated(finished.total_steps, result.mean, result.std, episodes)
        record(history, msg_eval)
        yield msg_eval


def _summary(history: History, finished: RLFinished | None) -> dict[str, float]:
    returns = history.epoch["return"] if len(history.epoch) else np.zeros(0)
    logs: dict[str, float] = {"episodes": float(len(returns))}
    if len(returns):
        logs["mean_return"] = float(np.mean(returns[-RECENT:]))
        logs["last_return"] = float(returns[-1])
    if len(history.batch):
        logs["eval_mean"] = float(history.batch["eval_mean"][-1])
    if finished is not None:
        logs["total_steps"] = float(finished.total_steps)
    return logs


def _device(agent: Agent) -> str:
    """Where the agent's network lives (``numpy`` for a Q-table)."""
    if agent.model is None:
        return "numpy"
    try:
        return str(agent.model.trainable_variables[0].value.device) or "unknown"
    except (AttributeError, IndexError):
        return "unknown"


def run_rl(config: RLConfig, send: Callable[[Any], None], control: Any, run_dir: Path) -> Finished:
    """Train, stream every message through ``send``, evaluate, save; returns the engine's ``Finished``."""
    started = time.perf_counter()
    send(Phase("building", f"{config.agent.kind} on {config.env.id}"))
    if not isinstance(config.agent, QLearningConfig):
        from core.rl.agents.keras_tools import set_threads

        set_threads(config.threads)
    agent = make_agent(config)
    folder = RunFolder(run_dir)
    folder.path.mkdir(parents=True, exist_ok=True)
    send(Phase("training"))
    history = History()
    finished: RLFinished | None = None
    for msg in _stream(agent, config, control, history):
        if isinstance(msg, RLFinished):
            finished = msg
        send(msg)
    weights = save_learned(agent, folder.path / "final-weights.npz")
    history.to_npz(folder.history)
    send(Phase("finished"))
    stopped = finished is not None and finished.reason == "stopped"
    return Finished(_summary(history, finished), int(finished.episodes if finished else 0), stopped,
                    str(weights), str(folder.history), _device(agent), None,
                    time.perf_counter() - started)


def run_rl_job(job: Job, send: Callable[[Any], None], control: Any) -> Message:
    """The worker's entry for ``Job(kind="rl")``: the config and graph come from the job."""
    try:
        config = RLConfig.model_validate({**job.config, "graph": job.graph or job.config.get("graph")})
    except ValidationError as exc:
        err = exc.errors()[0]
        where = ".".join(str(p) for p in err["loc"])
        return Failed(f"RL settings: {where}: {err['msg']}" if where else f"RL settings: {err['msg']}")
    try:
        return run_rl(config, send, control, Path(job.run_dir))
    except GraphError as exc:
        send(Log("error", exc.message))
        return Failed(exc.message, exc.node_id, kind="graph")


class RLRun(TrainingRun):
    """A training run whose worker runs an RL agent: RL signals and buffers on top of the engine's."""

    episode_ended = Signal(object)
    rl_gradients = Signal(object)
    q_table = Signal(object)
    frame = Signal(object)
    evaluated = Signal(object)
    rl_finished = Signal(object)

    _RL_SIGNALS: dict[type, str] = {
        EpisodeEnded: "episode_ended", GradientNorms: "rl_gradients", QTableSnapshot: "q_table", Frame: "frame",
        Evaluated: "evaluated", RLFinished: "rl_finished",
    }  # fmt: skip

    def __init__(self, job: Job, worker: Any, grace: float) -> None:
        super().__init__(job, worker, grace)
        self.last_frame: Frame | None = None
        self.last_q_table: QTableSnapshot | None = None

    def _dispatch(self, msg: Message) -> None:
        name = self._RL_SIGNALS.get(type(msg))
        if name is None:
            super()._dispatch(msg)
            return
        record(self.history, msg)
        if isinstance(msg, GradientNorms):  # the engine's gradient plot and node colouring work unchanged
            layers, norms = list(msg.norms), list(msg.norms.values())
            health = diagnose(layers, norms)
            self.gradients.emit(Gradients(msg.update, layers, norms, msg.global_norm, health.status, health.detail))
        if isinstance(msg, Frame):
            self.last_frame = msg
        elif isinstance(msg, QTableSnapshot):
            self.last_q_table = msg
        getattr(self, name).emit(msg)


def start_rl(engine: TrainingEngine, config: RLConfig | dict[str, Any], run_dir: str | Path) -> RLRun:
    """Start an RL run in one of the engine's workers (snapshotting the config and graph now)."""
    cfg = config if isinstance(config, RLConfig) else RLConfig.model_validate(config)
    data = cfg.model_dump(mode="json")
    graph = data.pop("graph") or {}
    job = Job(graph, {}, data, str(run_dir), kind="rl")
    run = RLRun(job, engine.pool.take(), engine.grace)
    run.start()
    engine.runs.append(run)
    engine.run_started.emit(run)
    return run


def episode_line(msg: EpisodeEnded) -> str:
    """One line per episode for a terminal: episode, steps, return, length and what the agent reports."""
    parts = [f"episode {msg.episode:>5}", f"steps {msg.total_steps:>7}", f"return {msg.ret:>8.2f}",
             f"length {msg.length:>4}"]
    for key in ("epsilon", "loss", "mean_q", "entropy"):
        value = asdict(msg)[key]
        if value == value:  # not NaN
            parts.append(f"{key} {value:.4g}")
    return "  ".join(parts)
