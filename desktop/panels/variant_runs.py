"""An example's variants, compared in one click and applied one at a time as one undoable step.

``VariantQueue`` trains the base project, then each variant in turn, through the window's training session
(the same path as Start). Each run trains a copy of the project with the variant applied (``apply_variant``),
so the document's graph and settings stay as they are. Each run is kept in the runs list named after its
variant ("optimizer: RMSprop") and ticked as soon as it ends, so the dashboard overlays it with a legend.
Stop ends the whole queue; the runs that ended stay.

``apply_command`` is the same change on the document: one macro on the undo stack (graph edits, training
settings, data recipe), so one undo takes it back.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from pydantic import ValidationError
from PySide6.QtCore import QObject, QTimer, Signal

from core.graph.commands import SetParams
from core.graph.model import Graph, Node
from core.graph.undo import Command, Macro
from core.project.project import Project
from core.training.config import OPTIMIZER_TITLES, TrainingConfig, describe_error
from core.training.messages import Failed, Finished
from core.training.runstore import new_record
from desktop.panels.settings_edit import ReplaceSettings
from resources.examples.variants import apply_variant, variant_graph

if TYPE_CHECKING:
    from desktop.panels.training_docks import TrainingDocks


def example_variants(project: Any) -> list[dict[str, Any]]:
    """The variants an example project lists (``training["example"]["variants"]``); [] for other projects."""
    meta = getattr(project, "training", {}).get("example") if project is not None else None
    if not isinstance(meta, dict):
        return []
    return [v for v in meta.get("variants", []) if isinstance(v, dict)]


def variant_key(variant: dict[str, Any]) -> str:
    """What a variant changes, in one word: ``optimizer``, ``loss``, ``activation``, ``layer``…"""
    if variant.get("replace"):  # a layer swap says the most, even with a setting changed beside it
        return "layer"
    if variant.get("params"):
        return str(next(iter(variant["params"])))
    if variant.get("config"):
        return str(next(iter(variant["config"])))
    return "data" if variant.get("data") else "variant"


def _title(key: str, value: Any) -> str:
    return OPTIMIZER_TITLES.get(str(value), str(value)) if key == "optimizer" else str(value)


def run_name(variant: dict[str, Any]) -> str:
    """A variant's run name: ``optimizer: RMSprop``, ``activation: relu``, ``layer: LSTM``."""
    key = variant_key(variant)
    return f"{key}: {_title(key, variant.get('label', '?'))}"


def base_name(project: Project, variants: list[dict[str, Any]]) -> str:
    """The base run's name, in the terms of the first variant (``optimizer: SGD (mini-batch)``)."""
    meta = project.training.get("example", {})
    if isinstance(meta, dict) and meta.get("base_label"):
        return str(meta["base_label"])
    if not variants:
        return "base"
    variant, key = variants[0], variant_key(variants[0])
    value: Any = None
    if variant.get("replace"):
        value = next(iter(variant["replace"]))
    elif variant.get("params"):
        nodes = [n for n in project.graphs["main"].nodes if n.type == variant.get("layer")]
        value = nodes[0].params.get(key) if nodes else None
    elif variant.get("config"):
        change, current = variant["config"][key], project.training.get(key)
        if isinstance(change, dict) and isinstance(current, dict):
            sub = "name" if "name" in change else next(iter(change))
            value = current.get(sub) if sub == "name" else (
                f"{sub} {current[sub]}" if current.get(sub) is not None else f"no {sub}")
        else:
            value = current
    if value is None or isinstance(value, dict | list):  # a regulariser's settings say little in a legend
        return f"{key}: base"
    return f"{key}: {_title(key, value)}"


# ---- applying a variant to the document -------------------------------------------------------
class ReplaceNodeType(Command):
    """Swap a node for one of another type with the same id, name, place and connections (SimpleRNN -> LSTM)."""

    def __init__(self, graph: Graph, old: Node, new: Node) -> None:
        self.graph, self.old, self.new = graph, old, new
        self.text = f"Replace {old.name} ({old.type}) with {new.type}"

    def _swap(self, out: Node, into: Node) -> None:
        edges = sorted(((self.graph.edges.index(e), e) for e in self.graph.edges_of(out.id)), key=lambda p: p[0])
        for _i, edge in reversed(edges):
            self.graph.remove_edge(edge.id)
        index = self.graph.node_index(out.id)
        self.graph.remove_node(out.id)
        self.graph.add_node(into, index)
        for i, edge in edges:
            self.graph.add_edge(edge, i)

    def redo(self) -> None:
        self._swap(self.old, self.new)

    def undo(self) -> None:
        self._swap(self.new, self.old)


def graph_commands(graph: Graph, variant: dict[str, Any]) -> list[Command]:
    """The edits taking ``graph`` to the variant's graph: a type swap or a parameter change per node."""
    if not (variant.get("params") or variant.get("replace")):
        return []
    target = {n["id"]: n for n in variant_graph(graph, variant).to_dict()["nodes"]}
    out: list[Command] = []
    for node in graph.nodes:
        new = target[node.id]
        if new["type"] != node.type:
            swapped = graph.make_node(new["type"], new["params"], node.x, node.y, name=node.name, node_id=node.id)
            out.append(ReplaceNodeType(graph, node, swapped))
            continue
        current = node.to_dict()["params"]
        changed = {k: v for k, v in new["params"].items() if current.get(k) != v}
        if changed:
            out.append(SetParams(graph, node.id, changed))
    return out


def apply_command(graph: Graph, project: Project, variant: dict[str, Any],
                  notify: Callable[[], None] | None = None) -> Command | None:
    """One macro applying ``variant`` to the document (None: it changes nothing). ``notify`` shows the
    settings again in the forms after undo and redo."""
    children = graph_commands(graph, variant)
    changed = apply_variant(Project(graphs={"main": Graph()}, training=copy.deepcopy(project.training),
                                    data=copy.deepcopy(project.data)), {k: v for k, v in variant.items()
                                                                        if k in ("config", "data")})
    for store, new, what in ((project.training, changed.training, "training settings"),
                             (project.data, changed.data, "data")):
        command = ReplaceSettings(store, new, what, None, notify)
        if command.fields:
            children.append(command)
    return Macro(f"Apply variant {variant.get('label', '')}", children) if children else None


# ---- comparing the variants -------------------------------------------------------------------
@dataclass
class Job:
    name: str
    variant: dict[str, Any] | None


class VariantQueue(QObject):
    """Trains the base project and each variant one after the other; ``changed`` when a run starts or the
    queue ends. ``prepare`` (if set) changes each run's project copy just before it trains."""

    changed = Signal()

    def __init__(self, docks: TrainingDocks) -> None:
        super().__init__(docks)
        self.docks = docks
        self.jobs: list[Job] = []
        self.index = -1
        self.run_ids: list[str] = []
        self.cancelled = False
        self.summary = ""
        self.prepare: Callable[[Project], None] | None = None
        docks.session.run_ended.connect(self._ended)

    @property
    def active(self) -> bool:
        return 0 <= self.index < len(self.jobs)

    def start(self) -> str | None:
        """Start the queue; returns why it cannot start, or None."""
        project = self.docks.project()
        variants = example_variants(project)
        if self.docks.session.running or self.active:
            return "a run is going: stop it first"
        if not variants:
            return "this project lists no variants"
        self.jobs = [Job(base_name(project, variants), None)] + [Job(run_name(v), v) for v in variants]
        self.index, self.run_ids, self.cancelled, self.summary = -1, [], False, ""
        self._next()
        return None

    def cancel(self) -> None:
        """Stop: the running run stops, no further one starts."""
        if self.active:
            self.cancelled = True

    def copy_of_project(self) -> Project:
        """The document's graph, settings and data as a separate project (edits of it reach nothing else)."""
        project, doc_graph = self.docks.project(), self.docks.window.document.graph
        data = copy.deepcopy(project.data or self.docks.panel.data.recipe())
        return Project(kind=project.kind, graphs={"main": Graph.from_dict(doc_graph.to_dict())}, name=project.name,
                       data=data, training=copy.deepcopy(project.training))

    def _next(self) -> None:
        self.index += 1
        if self.cancelled or self.index >= len(self.jobs):
            self._finish()
            return
        job = self.jobs[self.index]
        snapshot = self.copy_of_project()
        if job.variant is not None:
            apply_variant(snapshot, job.variant)
        if self.prepare is not None:
            self.prepare(snapshot)
        fields = TrainingConfig.model_fields
        try:
            config = TrainingConfig.model_validate({k: v for k, v in snapshot.training.items() if k in fields})
        except ValidationError as exc:
            self.docks.panel.error.setText(f"{job.name}: {describe_error(exc)}")
            self._finish()
            return
        graph, data = snapshot.graphs["main"], snapshot.data
        run_dir = self.docks.session.new_run_dir()
        record = new_record(self.docks.project(), config, run_dir, graph.to_dict(), data)
        record.label = job.name
        self.docks.begin(graph, data, config, run_dir, record)
        self.changed.emit()

    def _ended(self, _run: Any, result: Finished | Failed) -> None:
        if not self.active:
            return
        run_id = self.docks.live_run_id
        if run_id is not None:
            self.run_ids.append(run_id)
            self.docks.runs.set_ticked(run_id, True)  # overlaid from now on, with its name in the legend
        if isinstance(result, Finished) and result.stopped:
            self.cancelled = True
        QTimer.singleShot(0, self._next)

    def _finish(self) -> None:
        done, total = len(self.run_ids), len(self.jobs)
        self.summary = (f"Compared {done} runs: ticked in the runs list and overlaid." if done == total and
                        not self.cancelled else f"Stopped after {done} of {total} runs; the ones kept are ticked.")
        self.index = len(self.jobs)
        self.docks.show_queue(self.summary)
        self.changed.emit()

    def status(self, progress: Any) -> str:
        """``run 3 of 7: optimizer: SGD with Nesterov momentum — epoch 2/5``."""
        job = self.jobs[self.index]
        epochs = max(progress.epochs, 1)
        return (f"run {self.index + 1} of {len(self.jobs)}: {job.name} — epoch "
                f"{min(progress.epoch + 1, epochs)}/{progress.epochs}")
