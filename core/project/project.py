"""A Layerbench project: its graphs, data recipe, training configuration and runs with their weights.

``Project.save`` and ``Project.load`` go through ``core.project.io`` (a zip holding ``project.json`` and
``.npz`` members). Weights and histories of runs loaded from a file stay in the file until asked for, and
are copied without decoding when the project is saved again.
"""

from __future__ import annotations

import datetime as _dt
import uuid
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np

from core.graph.model import Graph
from core.project.archive import Blob, ZipRef
from core.project.errors import ProjectError
from core.project.schema import APP_VERSION, FORMAT_VERSION, GRAPHS_OF_KIND, OPTIMIZER_KEY, RunModel
from core.project.weights import Weights, pack_arrays, pack_weights, unpack_arrays, unpack_weights

KINDS = tuple(GRAPHS_OF_KIND)


def _now() -> str:
    return _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds")


class Project:
    """Graphs by name (``"main"``; ``"generator"`` and ``"discriminator"`` for a GAN) and what goes with them."""

    def __init__(
        self, kind: str = "supervised", graphs: Mapping[str, Graph] | None = None, name: str = "",
        data: Mapping[str, Any] | None = None, training: Mapping[str, Any] | None = None,
    ) -> None:
        if kind not in GRAPHS_OF_KIND:
            raise ProjectError(f"unknown project kind {kind!r}; use one of {', '.join(KINDS)}")
        self.kind = kind
        self.graphs: dict[str, Graph] = dict(graphs) if graphs else {g: Graph() for g in GRAPHS_OF_KIND[kind]}
        missing = [g for g in GRAPHS_OF_KIND[kind] if g not in self.graphs]
        if missing:
            raise ProjectError(f"a {kind} project needs a graph named {missing[0]!r}")
        self.name = name
        self.data: dict[str, Any] = dict(data or {})
        self.training: dict[str, Any] = dict(training or {})
        self.runs: list[RunModel] = []
        self.path: Path | None = None
        self.app_version = APP_VERSION
        self._blobs: dict[str, Blob] = {}

    @property
    def main(self) -> Graph:
        """The first graph (``main``, or the generator of a GAN)."""
        return self.graphs[GRAPHS_OF_KIND[self.kind][0]]

    # ---- runs ----------------------------------------------------------------------------------
    def add_run(self, run_id: str | None = None, label: str = "", status: str = "running",
                info: Mapping[str, Any] | None = None) -> RunModel:
        """A new run record (weights and history are attached with ``set_weights``/``set_history``)."""
        run_id = run_id or uuid.uuid4().hex[:12]
        if any(r.id == run_id for r in self.runs):
            raise ProjectError(f"a run with id {run_id!r} already exists")
        run = RunModel.model_validate(
            {"id": run_id, "created": _now(), "label": label, "status": status, "info": dict(info or {})}
        )
        self.runs.append(run)
        return run

    def run(self, run_id: str) -> RunModel:
        for run in self.runs:
            if run.id == run_id:
                return run
        raise ProjectError(f"the project has no run {run_id!r}")

    def remove_run(self, run_id: str) -> None:
        self.runs.remove(self.run(run_id))

    def latest_run(self, graph: str | None = None, include_failed: bool = False) -> RunModel | None:
        """The run whose weights to use by default (for ``graph`` when given), or ``None``.

        The most recent finished run (or imported, or made by hand: any status but the ones below); failing
        that the most recent stopped one, then one interrupted by a killed process (``core.training.orphans``).
        A failed run (its weights are its last checkpoint's, NaN after a divergence) only with
        ``include_failed``, and last of all.
        """
        ranked = ("stopped", "interrupted", "failed") if include_failed else ("stopped", "interrupted")
        candidates = [r for r in self.runs if r.weights and (graph is None or graph in r.weights)]
        complete = [r for r in candidates if r.status not in ("stopped", "interrupted", "failed")]
        for group in (complete, *([r for r in candidates if r.status == s] for s in ranked)):
            if group:
                return group[-1]
        return None

    def set_weights(self, run_id: str, weights: Mapping[str, list[np.ndarray]], graph: str = "main",
                    checkpoint: str | None = None) -> None:
        """Store a graph's weights (layer name -> arrays) for a run, or for one of its checkpoints."""
        run = self.run(run_id)
        self._check_graph(graph)
        if checkpoint is None:
            member = f"runs/{run_id}/weights-{graph}.npz"
            run.weights[graph] = member
            self._unshare(run_id, graph, member)
        else:
            RunModel.model_validate({"id": checkpoint})  # same rule as run ids: safe in a member name
            member = f"runs/{run_id}/checkpoints/{checkpoint}-{graph}.npz"
            run.checkpoints.setdefault(checkpoint, {})[graph] = member
        self._blobs[member] = pack_weights(weights)

    def _unshare(self, run_id: str, graph: str, member: str) -> None:
        """Checkpoints sharing ``member`` (``set_checkpoint``) keep the old bytes under their own name."""
        for name, per_graph in self.run(run_id).checkpoints.items():
            if per_graph.get(graph) == member and member in self._blobs:
                own = f"runs/{run_id}/checkpoints/{name}-{graph}.npz"
                self._blobs[own] = self._blobs[member]
                per_graph[graph] = own

    def set_checkpoint(self, run_id: str, weights: Mapping[str, list[np.ndarray]],
                       optimizer: Mapping[str, np.ndarray] | None = None, name: str = "last",
                       graph: str = "main") -> None:
        """Keep a checkpoint to resume from: weights by layer name and the optimizer's slot arrays.

        Weights equal to the run's final ones are not stored twice: the checkpoint points at the same member.
        The optimizer arrays go in ``runs/<id>/checkpoints/<name>-optimizer.npz`` (key ``"optimizer"`` beside
        the graph names in ``RunModel.checkpoints``).
        """
        run = self.run(run_id)
        member = run.weights.get(graph)
        if member is not None and member in self._blobs and _same_weights(self.weights(run_id, graph), weights):
            self._check_graph(graph)
            run.checkpoints.setdefault(name, {})[graph] = member
        else:
            self.set_weights(run_id, weights, graph, checkpoint=name)
        if optimizer is not None:
            opt = f"runs/{run_id}/checkpoints/{name}-{OPTIMIZER_KEY}.npz"
            run.checkpoints[name][OPTIMIZER_KEY] = opt
            self._blobs[opt] = pack_arrays(optimizer)

    def optimizer_state(self, run_id: str, name: str = "last") -> dict[str, np.ndarray]:
        """The optimizer arrays kept with a checkpoint (empty when none were kept)."""
        member = self.run(run_id).checkpoints.get(name, {}).get(OPTIMIZER_KEY)
        return {} if member is None else unpack_arrays(self._read(member), member)

    def drop_checkpoints(self, run_id: str) -> None:
        """Forget a run's checkpoints (a finished run needs none); their members leave at the next save."""
        self.run(run_id).checkpoints.clear()

    def weights(self, run_id: str | None = None, graph: str = "main", checkpoint: str | None = None) -> Weights:
        """A run's weights for ``graph`` (the latest run's when ``run_id`` is None)."""
        return unpack_weights(*self._weights_blob(run_id, graph, checkpoint))

    def weights_npz(self, run_id: str | None = None, graph: str = "main", checkpoint: str | None = None) -> bytes:
        """The same weights as ``.npz`` bytes, for a worker process or an export."""
        return self._weights_blob(run_id, graph, checkpoint)[0]

    def _weights_blob(self, run_id: str | None, graph: str, checkpoint: str | None) -> tuple[bytes, str]:
        run = self.latest_run(graph) if run_id is None else self.run(run_id)
        if run is None:
            raise ProjectError("the project has no trained weights yet")
        member = run.weights.get(graph) if checkpoint is None else run.checkpoints.get(checkpoint, {}).get(graph)
        if member is None:
            raise ProjectError(f"run {run.id!r} holds no weights for graph {graph!r}")
        return self._read(member), member

    def set_history(self, run_id: str, arrays: Mapping[str, np.ndarray]) -> None:
        """Store a run's metric arrays (name -> 1-D array)."""
        run = self.run(run_id)
        run.history = f"runs/{run_id}/history.npz"
        self._blobs[run.history] = pack_arrays(arrays)

    def history(self, run_id: str) -> dict[str, np.ndarray]:
        run = self.run(run_id)
        if run.history is None:
            return {}
        return unpack_arrays(self._read(run.history), run.history)

    def _read(self, member: str) -> bytes:
        blob = self._blobs.get(member)
        if blob is None:
            raise ProjectError(f"member {member!r} is missing from the project")
        return blob.read() if isinstance(blob, ZipRef) else blob

    def _check_graph(self, graph: str) -> None:
        if graph not in self.graphs:
            raise ProjectError(f"the project has no graph {graph!r}; it has {', '.join(self.graphs)}")

    # ---- files ---------------------------------------------------------------------------------
    def to_dict(self) -> dict[str, Any]:
        """The content of ``project.json``."""
        return {
            "format_version": FORMAT_VERSION,
            "app_version": self.app_version,
            "kind": self.kind,
            "name": self.name,
            "graphs": {name: graph.to_dict() for name, graph in self.graphs.items()},
            "data": self.data,
            "training": self.training,
            "runs": [run.model_dump() for run in self.runs],
        }

    def members(self) -> list[tuple[str, Blob]]:
        """Every member the runs refer to, with its bytes or where to copy it from."""
        names = [m for run in self.runs for m in run.members()]
        return [(name, self._blobs[name]) for name in dict.fromkeys(names) if name in self._blobs]

    def save(self, path: str | Path | None = None, backup: bool = True) -> Path:
        """Write the project atomically (previous file kept as ``NAME.bak``); returns the path."""
        from core.project.io import save_project

        target = Path(path) if path is not None else self.path
        if target is None:
            raise ProjectError("the project has never been saved: give a file name")
        save_project(self, target, backup=backup)
        self.path = target
        return target

    @classmethod
    def load(cls, path: str | Path) -> Project:
        """Read and check a project file; every problem is a ``ProjectError`` saying what and where."""
        from core.project.io import load_project

        project = load_project(Path(path))
        project.data = resolve_data_paths(project.data, Path(path).resolve().parent)
        return project

    def _attach(self, blobs: Mapping[str, Blob]) -> None:
        self._blobs.update(blobs)


def _same_weights(a: Mapping[str, list[np.ndarray]], b: Mapping[str, list[np.ndarray]]) -> bool:
    if set(a) != set(b):
        return False
    return all(len(a[k]) == len(b[k]) and all(np.array_equal(x, y) for x, y in zip(a[k], b[k])) for k in a)


def resolve_data_paths(recipe: dict[str, Any], folder: Path) -> dict[str, Any]:
    """A data recipe whose relative ``path`` option is taken from ``folder`` (the project's), when it is there.

    A project and its data files travel together (the examples ship theirs in ``data/``), so a relative
    path means "beside the project", wherever the app was started from.
    """
    options = recipe.get("options")
    if not isinstance(options, dict) or not isinstance(options.get("path"), str):
        return recipe
    path = Path(options["path"]).expanduser()
    if path.is_absolute() or not (folder / path).exists():
        return recipe
    return {**recipe, "options": {**options, "path": str(folder / path)}}
