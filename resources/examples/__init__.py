"""The concept gallery: one ``.layerbench`` project per idea, written by ``python -m resources.examples.build``.

``index.json`` lists each example's file, title, description (what to look at) and kind, so the welcome page
can show the gallery without opening every project.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

INDEX = "index.json"


@dataclass(frozen=True)
class ExampleInfo:
    """One gallery entry."""

    name: str
    title: str
    description: str
    kind: str
    topic: str

    @property
    def path(self) -> Path:
        return folder() / f"{self.name}.layerbench"


def folder() -> Path:
    """The folder holding the example projects (a real directory: the package is installed unzipped)."""
    return Path(str(resources.files("resources").joinpath("examples")))


def list_examples() -> list[ExampleInfo]:
    """Every example in gallery order."""
    data = json.loads((folder() / INDEX).read_text(encoding="utf-8"))
    return [ExampleInfo(e["name"], e["title"], e["description"], e["kind"], e["topic"]) for e in data["examples"]]


def example_path(name: str) -> Path:
    """The project file of the example called ``name``."""
    for info in list_examples():
        if info.name == name:
            return info.path
    raise LookupError(f"there is no example named {name!r}")
