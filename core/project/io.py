"""Project files: ``NAME.layerbench`` is a zip with ``project.json`` and the runs' ``.npz`` members.

Loading checks the zip, parses the JSON, runs the migrations, validates the schema, checks references
and only then builds graphs; each step's failure is a ``ProjectError`` naming the file, member and field.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from core.catalog.registry import has_spec
from core.graph.errors import GraphError
from core.graph.model import Graph
from core.project.archive import MAX_JSON_BYTES, Blob, ZipRef, open_zip, read_member, write_atomic
from core.project.errors import ProjectError
from core.project.migrations import migrate
from core.project.project import Project
from core.project.schema import APP_VERSION, GraphModel, ProjectModel, validate

PROJECT_JSON = "project.json"
SUFFIX = ".layerbench"


def save_project(project: Project, path: Path, backup: bool = True, adopt: bool = True) -> None:
    """Write ``project`` to ``path`` atomically, keeping the previous file as ``NAME.bak``.

    With ``adopt`` the project's stored weights are read from the new file from now on (a copy, such as
    an autosave, does not adopt).
    """
    members: list[tuple[str, Blob]] = [(PROJECT_JSON, project_json(project)), *project.members()]
    try:
        write_atomic(path, members, backup=backup)
    except OSError as exc:
        raise ProjectError(f"could not be saved: {exc.strerror or exc}", str(path)) from None
    if adopt:
        project._attach({name: ZipRef(path, name) for name, _ in members[1:]})


def project_json(project: Project) -> bytes:
    """The ``project.json`` member as written."""
    return json.dumps(project.to_dict(), indent=1, ensure_ascii=False, allow_nan=False).encode("utf-8")


def _reject_constant(token: str) -> Any:
    raise ValueError(f"{token} is not allowed in JSON")


def parse_json(data: bytes, where: str) -> Any:
    """JSON from bytes, with the line and column of the first problem."""
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ProjectError(f"is not UTF-8 text (byte {exc.start})", where) from None
    try:
        return json.loads(text, parse_constant=_reject_constant)
    except json.JSONDecodeError as exc:
        raise ProjectError(f"is not valid JSON: {exc.msg} at line {exc.lineno}, column {exc.colno}", where) from None
    except (ValueError, RecursionError) as exc:
        raise ProjectError(f"is not valid JSON: {exc}", where) from None


def read_project_json(path: Path) -> tuple[ProjectModel, dict[str, Blob]]:
    """The validated ``project.json`` of ``path`` and references to its other members."""
    with open_zip(path) as (zf, infos):
        where = f"{path}:{PROJECT_JSON}"
        if PROJECT_JSON not in infos:
            raise ProjectError(f"is not a Layerbench project: it has no {PROJECT_JSON}", str(path))
        raw = parse_json(read_member(zf, infos[PROJECT_JSON], str(path), limit=MAX_JSON_BYTES), where)
        if not isinstance(raw, dict):
            raise ProjectError(f"must hold a JSON object, not {type(raw).__name__}", where)
        model = validate(migrate(raw, where, APP_VERSION), where)
        for i, run in enumerate(model.runs):
            for member in run.members():
                if member not in infos:
                    raise ProjectError(f"runs[{i}] ({run.id}) refers to member {member!r}, which is missing", where)
        blobs: dict[str, Blob] = {m: ZipRef(path, m) for run in model.runs for m in run.members()}
    return model, blobs


def _check_references(graph: GraphModel, where: str) -> None:
    ids: set[str] = set()
    for i, node in enumerate(graph.nodes):
        if not has_spec(node.type):
            raise ProjectError(f"nodes[{i}] ({node.name}): unknown layer type {node.type!r}", where)
        if node.id in ids:
            raise ProjectError(f"nodes[{i}] ({node.name}): the id {node.id} is used twice", where)
        ids.add(node.id)
    for i, edge in enumerate(graph.edges):
        for end in ("src", "dst"):
            if getattr(edge, end) not in ids:
                raise ProjectError(f"edges[{i}].{end}: no node has the id {getattr(edge, end)}", where)


def build_graph(graph: GraphModel, where: str) -> Graph:
    """A ``Graph`` from its checked model; a ``GraphError`` becomes a ``ProjectError`` naming the node."""
    _check_references(graph, where)
    try:
        return Graph.from_dict(graph.model_dump())
    except GraphError as exc:
        index = next((i for i, n in enumerate(graph.nodes) if n.id == exc.node_id), None)
        if index is None:
            raise ProjectError(exc.message, where) from None
        raise ProjectError(f"nodes[{index}] ({graph.nodes[index].name}): {exc.message}", where) from None


def load_project(path: Path) -> Project:
    """Read, check and build the project at ``path``; a failure mentions the ``.bak`` beside it, if any."""
    try:
        return _load(path)
    except ProjectError as exc:
        bak = path.with_name(path.name + ".bak")
        if bak.is_file() and path.is_file():
            raise ProjectError(f"{exc.message} (the previous version is kept in {bak.name})", exc.where) from None
        raise


def _load(path: Path) -> Project:
    model, blobs = read_project_json(path)
    where = f"{path}:{PROJECT_JSON}"
    graphs = {name: build_graph(g, f"{where}: graphs.{name}") for name, g in model.graphs.items()}
    project = Project(model.kind, graphs, name=model.name, data=model.data, training=model.training)
    project.runs = list(model.runs)
    project.path = path
    project._attach(blobs)
    return project
