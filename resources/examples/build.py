"""Writes the gallery: ``python -m resources.examples.build`` (one ``.layerbench`` per example + ``index.json``).

The example's title, description and variants are kept in ``project.training["example"]`` (the training
section is open-ended; the engine reads only its own keys), its title also as the project name.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from core.project.project import Project
from resources.examples import INDEX
from resources.examples.catalog import BUILDERS, Example

FOLDER = Path(__file__).resolve().parent


def project_of(example: Example) -> Project:
    """The example as a project ready to run."""
    meta = {"title": example.title, "description": example.description, "topic": example.topic,
            "variants": example.variants}
    training = {**example.training, "example": meta}
    return Project(example.kind, example.graphs, name=example.title, data=example.data, training=training)


def write_digits(folder: Path) -> None:
    """The autoencoder's data: scikit-learn's digits as 64 values in 0..1 (x is also the target)."""
    from sklearn.datasets import load_digits

    x = (load_digits().data / 16.0).astype("float32")
    (folder / "data").mkdir(exist_ok=True)
    np.savez_compressed(folder / "data" / "digits64.npz", x=x)


def main(folder: Path = FOLDER) -> list[Path]:
    examples = [build() for build in BUILDERS]
    written = []
    for example in examples:
        written.append(project_of(example).save(folder / f"{example.name}.layerbench", backup=False))
    index = {"examples": [{"name": e.name, "title": e.title, "description": e.description,
                           "kind": e.kind, "topic": e.topic} for e in examples]}
    (folder / INDEX).write_text(json.dumps(index, indent=1) + "\n", encoding="utf-8")
    write_digits(folder)
    return written


if __name__ == "__main__":
    for path in main():
        print(f"wrote {path}")
