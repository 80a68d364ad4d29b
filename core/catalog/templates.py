"""Starter networks bundled as JSON in ``resources/templates`` (read with importlib.resources, never executed).

Each file is a graph in the ``Graph.to_dict`` format plus ``format_version``, ``title``, ``description`` and
``kind`` (what the network is for: ``classifier``, ``sequence_classifier``, ``gan_generator``,
``gan_discriminator``, ``q_network``, ``policy``). Node ids are fixed, so a template loads the same every time.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from importlib import resources
from importlib.resources.abc import Traversable
from typing import Any

from core.graph.model import Graph

FORMAT_VERSION = 1
SUFFIX = ".json"


class UnknownTemplateError(LookupError):
    """No bundled template has this name."""


class TemplateFormatError(ValueError):
    """A template file that is not a template this version understands."""


@dataclass(frozen=True)
class TemplateInfo:
    """What the gallery shows before a template is opened."""

    name: str
    title: str
    description: str
    kind: str


def _folder() -> Traversable:
    return resources.files("resources").joinpath("templates")


def _read(name: str) -> dict[str, Any]:
    entry = _folder().joinpath(name + SUFFIX)
    if not name.replace("_", "").isalnum() or not entry.is_file():
        raise UnknownTemplateError(f"there is no template named {name!r}; choose one of {', '.join(names())}")
    data = json.loads(entry.read_text(encoding="utf-8"))
    if not isinstance(data, dict) or data.get("format_version") != FORMAT_VERSION:
        raise TemplateFormatError(f"template {name!r} has format version {data.get('format_version')!r}, "
                                  f"this version of Layerbench reads {FORMAT_VERSION}")
    return data


def names() -> list[str]:
    """Names of the bundled templates, sorted."""
    return sorted(e.name[: -len(SUFFIX)] for e in _folder().iterdir() if e.name.endswith(SUFFIX))


def list_templates() -> list[TemplateInfo]:
    """Every bundled template's name, title, description and kind, sorted by name."""
    out = []
    for name in names():
        data = _read(name)
        out.append(TemplateInfo(name, data["title"], data["description"], data["kind"]))
    return out


def template_data(name: str) -> dict[str, Any]:
    """The template's graph dict (``nodes`` and ``edges``), e.g. to adapt before loading."""
    data = _read(name)
    return {"nodes": data["nodes"], "edges": data["edges"]}


def load_template(name: str) -> Graph:
    """A new ``Graph`` holding the template (every node, parameter and edge checked on the way in)."""
    return Graph.from_dict(template_data(name))
