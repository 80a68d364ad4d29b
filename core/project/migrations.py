"""Lift an older ``project.json`` to the current ``format_version``, one step at a time.

Each step ``migrate_N_to_M`` takes the plain dict of version N and returns the dict of version N+1; steps
never build objects, so they stay simple and testable. A newer, unknown version is refused.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from core.project.errors import ProjectError
from core.project.schema import FORMAT_VERSION

Migration = Callable[[dict[str, Any]], dict[str, Any]]


def migrate_1_to_2(data: dict[str, Any]) -> dict[str, Any]:
    """Version 1 held one graph under ``graph`` and node positions in a separate ``positions`` map."""
    out = {k: v for k, v in data.items() if k not in ("graph", "positions")}
    graph = data.get("graph", {"nodes": [], "edges": []})
    positions = data.get("positions", {})
    if isinstance(graph, dict) and isinstance(positions, dict):
        for node in graph.get("nodes", []):
            if isinstance(node, dict) and node.get("id") in positions:
                x, y = positions[node["id"]]
                node["ui"] = {"x": x, "y": y}
    out["graphs"] = {"main": graph}
    out.setdefault("kind", "supervised")
    out["format_version"] = 2
    return out


MIGRATIONS: dict[int, Migration] = {1: migrate_1_to_2}
"""``MIGRATIONS[n]`` lifts version n to n + 1."""


def migrate(data: dict[str, Any], where: str, app_version: str) -> dict[str, Any]:
    """Apply every step from the file's version to ``FORMAT_VERSION``."""
    version = data.get("format_version")
    if version is None:
        raise ProjectError("format_version is missing: this is not a Layerbench project file", where)
    if isinstance(version, bool) or not isinstance(version, int):
        raise ProjectError(f"format_version must be a whole number, not {version!r}", where)
    if version > FORMAT_VERSION:
        raise ProjectError(
            f"format_version {version} was written by a newer Layerbench; this one ({app_version}) reads "
            f"format_version {FORMAT_VERSION} and older: update Layerbench to open it",
            where,
        )
    if version < 1:
        raise ProjectError(f"format_version {version} is not a valid version", where)
    while version < FORMAT_VERSION:
        try:
            data = MIGRATIONS[version](data)
        except (KeyError, TypeError, ValueError) as exc:
            raise ProjectError(f"could not update format_version {version}: {exc}", where) from None
        version += 1
    return data
