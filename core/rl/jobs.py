"""Small RL jobs for the desktop, run in a child process so the window never imports gymnasium or TensorFlow.

``python -m core.rl.jobs COMMAND`` reads one JSON request on stdin and prints one line ``RESULT {json}``:

- ``describe`` ``{"env", "options"}``: the environment's spaces and limits (``info_to_json``).
- ``solve`` ``{"env", "options", "method": "value"|"policy", "gamma"}``: the exact solution drawn as a grid
  (value and arrow per cell) plus, per cell, the state and its transitions ``[p, next, reward, done]`` per action.
- ``play`` ``{"config", "weights", "out", "seed", "max_frames"}``: one greedy episode; frames go to ``out`` (.npz).
- ``evaluate`` ``{"config", "weights", "episodes", "seed"}``: mean and spread of greedy returns.
  Instead of ``config`` and ``weights``, ``{"project": file, "run": id}`` names a run stored in a project.

A user error (bad environment, a network that does not fit) answers ``{"error": message}``. The window side
rebuilds an ``EnvInfo`` with ``info_from_json`` to check networks without gymnasium.
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from core.graph.errors import GraphError
from core.rl.envs import EnvInfo, SpaceInfo, entry

PREFIX = "RESULT "
TAXI_PASSENGER, TAXI_DESTINATION = 0, 1


def _space_json(space: SpaceInfo) -> dict[str, Any]:
    return {"kind": space.kind, "shape": list(space.shape), "n": space.n, "low": list(space.low),
            "high": list(space.high)}


def _space(data: Mapping[str, Any]) -> SpaceInfo:
    return SpaceInfo(str(data["kind"]), tuple(int(d) for d in data["shape"]), int(data["n"]),
                     tuple(float(v) for v in data["low"]), tuple(float(v) for v in data["high"]))


def info_to_json(info: EnvInfo) -> dict[str, Any]:
    """An ``EnvInfo`` as JSON-able data (options resolved)."""
    return {"env": info.id, "options": dict(info.options), "observation": _space_json(info.observation),
            "actions": _space_json(info.actions), "max_episode_steps": info.max_episode_steps}


def info_from_json(data: Mapping[str, Any]) -> EnvInfo:
    """The ``EnvInfo`` ``info_to_json`` wrote (no gymnasium needed)."""
    return EnvInfo(entry(str(data["env"])), dict(data["options"]), _space(data["observation"]),
                   _space(data["actions"]), data.get("max_episode_steps"))


def describe_job(req: Mapping[str, Any]) -> dict[str, Any]:
    from core.rl.envs import describe

    return info_to_json(describe(str(req["env"]), req.get("options") or {}))


def _cell_states(env_id: str, rows: int, cols: int) -> list[list[int]]:
    if env_id == "Taxi-v4":
        return [[((r * 5 + c) * 5 + TAXI_PASSENGER) * 4 + TAXI_DESTINATION for c in range(cols)] for r in range(rows)]
    return [[r * cols + c for c in range(cols)] for r in range(rows)]


def _transitions(table: Any, state: int, n_actions: int) -> list[list[list[float]]]:
    return [[[float(p), int(nxt), float(r), bool(done)] for p, nxt, r, done in table[state][a]]
            for a in range(n_actions)]


def solve_job(req: Mapping[str, Any]) -> dict[str, Any]:
    from core.rl.envs import make_env, resolve_options
    from core.rl.grid import grid_view
    from core.rl.mdp import from_env, policy_iteration, value_iteration

    env_id, gamma = str(req["env"]), float(req.get("gamma", 0.99))
    options = resolve_options(env_id, req.get("options") or {})
    env = make_env(env_id, options)
    try:
        mdp = from_env(env, env_id)
        table = env.unwrapped.P
    finally:
        env.close()
    method = str(req.get("method", "value"))
    solution = policy_iteration(mdp, gamma) if method == "policy" else value_iteration(mdp, gamma)
    view = grid_view(env_id, mdp, solution.values, solution.policy, options, TAXI_PASSENGER, TAXI_DESTINATION)
    cells = _cell_states(env_id, view.rows, view.cols)
    return {
        "env": env_id, "method": method, "gamma": gamma, "iterations": solution.iterations,
        "rows": view.rows, "cols": view.cols, "values": view.values.tolist(),
        "arrows": [[list(a) if a is not None else None for a in row] for row in view.arrows],
        "letters": list(view.letters), "labels": [list(r) for r in view.labels], "cell_states": cells,
        "policy": solution.policy.tolist(), "state_values": solution.values.tolist(),
        "terminal": mdp.terminal.tolist(), "action_names": list(entry(env_id).action_names),
        "transitions": {str(s): _transitions(table, s, mdp.n_actions) for row in cells for s in row},
    }


def _agent(req: Mapping[str, Any]) -> Any:
    """A live run's agent (``config`` and ``weights``) or a stored run's (``project`` file and ``run`` id)."""
    from core.rl.config import RLConfig
    from core.rl.play import agent_from_project, restore_agent

    if "project" in req:
        from core.project.project import Project

        return agent_from_project(Project.load(Path(str(req["project"]))), req.get("run"))
    return restore_agent(RLConfig.model_validate(req["config"]), str(req["weights"]))


def play_job(req: Mapping[str, Any]) -> dict[str, Any]:
    import numpy as np

    from core.rl.play import play

    episode = play(_agent(req), int(req.get("seed", 0)), int(req.get("max_frames", 1_000)))
    out = Path(str(req["out"]))
    if episode.frames:
        np.savez(out, frames=np.stack(episode.frames))
    return {"ret": episode.ret, "length": episode.length, "frames": len(episode.frames), "path": str(out),
            "actions": episode.actions}


def evaluate_job(req: Mapping[str, Any]) -> dict[str, Any]:
    from core.rl.play import evaluate

    result = evaluate(_agent(req), int(req.get("episodes", 20)), int(req.get("seed", 0)))
    return {"mean": result.mean, "std": result.std, "returns": result.returns}


JOBS: dict[str, Callable[[Mapping[str, Any]], dict[str, Any]]] = {
    "describe": describe_job, "solve": solve_job, "play": play_job, "evaluate": evaluate_job,
}


def run(command: str, req: Mapping[str, Any]) -> dict[str, Any]:
    """Run one job in this process; a user error becomes ``{"error": message}``."""
    from pydantic import ValidationError

    from core.project.errors import ProjectError

    if command not in JOBS:
        return {"error": f"unknown RL job {command!r}; use one of {', '.join(JOBS)}"}
    try:
        return JOBS[command](req)
    except GraphError as exc:
        return {"error": exc.message}
    except ValidationError as exc:
        err = exc.errors()[0]
        return {"error": f"RL settings: {'.'.join(str(p) for p in err['loc'])}: {err['msg']}"}
    except ProjectError as exc:
        return {"error": str(exc)}
    except (OSError, KeyError, ValueError) as exc:
        return {"error": f"{type(exc).__name__}: {exc}"}


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    request = json.loads(sys.stdin.read() or "{}")
    result = run(args[0] if args else "", request)
    sys.stdout.write(PREFIX + json.dumps(result) + "\n")
    sys.stdout.flush()
    return 0


if __name__ == "__main__":
    sys.exit(main())
