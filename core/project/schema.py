"""The schema of ``project.json`` (pydantic), checked before anything is built from it.

The data recipe, the training configuration and each run's ``info`` are open-ended dictionaries for now:
the training engine fills them. Everything else is closed (unknown keys are refused).
"""

from __future__ import annotations

from importlib import metadata
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from core.project.errors import ProjectError

FORMAT_VERSION = 2
"""The ``format_version`` this code writes; ``core.project.migrations`` lifts older files to it."""



def _app_version() -> str:
    try:
        return metadata.version("layerbench")
    except metadata.PackageNotFoundError:
        return "0.1.0"


APP_VERSION = _app_version()

Kind = Literal["supervised", "gan", "rl"]
GRAPHS_OF_KIND: dict[str, tuple[str, ...]] = {
    "supervised": ("main",),
    "rl": ("main",),
    "gan": ("generator", "discriminator"),
}
OPTIMIZER_KEY = "optimizer"
"""The key of a checkpoint's optimizer state in ``RunModel.checkpoints`` (never a graph name)."""
SAFE_ID = r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$"
"""Run, graph and checkpoint ids become parts of zip member names: no slashes, no dots at the start."""


class _Closed(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)


class UiModel(BaseModel):
    model_config = ConfigDict(extra="ignore", strict=True)
    x: float = 0.0
    y: float = 0.0


class NodeModel(_Closed):
    id: str = Field(min_length=1, max_length=64)
    type: str = Field(min_length=1, max_length=200)
    name: str = Field(min_length=1, max_length=200)
    params: dict[str, Any] = Field(default_factory=dict)
    ui: UiModel = Field(default_factory=UiModel)


class EdgeModel(_Closed):
    id: str = Field(min_length=1, max_length=64)
    src: str = Field(min_length=1, max_length=64)
    dst: str = Field(min_length=1, max_length=64)
    src_port: str = "out"
    dst_port: str = "in"


class GraphModel(_Closed):
    nodes: list[NodeModel] = Field(default_factory=list)
    edges: list[EdgeModel] = Field(default_factory=list)


class RunModel(_Closed):
    """One training run (or an import): where its weights, history and checkpoints live in the zip."""

    id: str = Field(pattern=SAFE_ID)
    created: str = ""
    label: str = ""
    status: str = "finished"
    weights: dict[str, str] = Field(default_factory=dict)
    """Graph name -> zip member (``.npz``) with that graph's weights by layer name."""
    history: str | None = None
    checkpoints: dict[str, dict[str, str]] = Field(default_factory=dict)
    """Checkpoint name (``last``) -> graph name -> member with that graph's weights; the key ``optimizer``
    holds the optimizer's slot arrays. A checkpoint may share its member with ``weights``."""
    info: dict[str, Any] = Field(default_factory=dict)

    def members(self) -> list[str]:
        out = list(self.weights.values()) + ([self.history] if self.history else [])
        return out + [m for per_graph in self.checkpoints.values() for m in per_graph.values()]


class ProjectModel(_Closed):
    format_version: int
    app_version: str = ""
    kind: Kind = "supervised"
    name: str = ""
    graphs: dict[str, GraphModel]
    data: dict[str, Any] = Field(default_factory=dict)
    training: dict[str, Any] = Field(default_factory=dict)
    runs: list[RunModel] = Field(default_factory=list)

    @model_validator(mode="after")
    def _graphs_fit_kind(self) -> ProjectModel:
        missing = [g for g in GRAPHS_OF_KIND[self.kind] if g not in self.graphs]
        if missing:
            raise ValueError(f"a {self.kind} project needs a graph named {missing[0]!r}")
        return self


def field_path(loc: tuple[int | str, ...]) -> str:
    """A pydantic location as people read it: ``graphs.main.nodes[3].params``."""
    out = ""
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


def validate(data: Any, where: str) -> ProjectModel:
    """The checked model of ``project.json``; ``ProjectError`` names the first bad field."""
    try:
        return ProjectModel.model_validate(data)
    except RecursionError:
        return _raise("is nested too deeply to be a project", where)
    except ValidationError as exc:
        err = exc.errors()[0]
        path = field_path(tuple(err["loc"]))
        problem = err["msg"]
        if err["type"] == "missing":
            problem = "this field is missing"
        elif err["type"] == "extra_forbidden":
            problem = "unknown field"
        elif err["type"] == "string_pattern_mismatch":
            problem = f"{err['input']!r} must be 1 to 64 letters, digits, '_', '.' or '-', not starting with '.'"
        elif err["type"] == "value_error":
            problem = problem.removeprefix("Value error, ")
        return _raise(f"{path}: {problem}" if path else problem, where)


def _raise(message: str, where: str) -> ProjectModel:
    raise ProjectError(message, where)
