"""GAN projects (kind ``gan``): their settings, their data, a new project from a preset, storing a run.

The GAN settings live in ``project.training["gan"]`` (a ``GanConfig`` dict) and the real data in
``project.data`` (``{"source", "options"}``). Pure Python: weights are read from the run folder's ``.npz``.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np

from core.gan.check import GanShapes, check_gan
from core.gan.config import GanConfig
from core.gan.data import RING
from core.project.errors import ProjectError
from core.project.project import Project
from core.training.history import History, Series
from core.training.messages import Finished

PRESETS = {
    "ring": ("gan_dense_2d_generator", "gan_dense_2d_discriminator", {"source": RING, "options": {}}),
    "digits": ("dcgan_digits_generator", "dcgan_digits_discriminator", {"source": "digits", "options": {}}),
    "shapes": ("dcgan_generator", "dcgan_discriminator", {"source": "shapes", "options": {}}),
}
"""A new GAN project: the generator and discriminator templates and the data they are made for."""

DATA_FOR_SHAPE: dict[tuple[int, ...], dict[str, Any]] = {
    (2,): {"source": RING, "options": {}},
    (8, 8, 1): {"source": "digits", "options": {}},
    (28, 28, 1): {"source": "shapes", "options": {}},
}


def new_gan_project(preset: str = "digits", name: str = "") -> Project:
    """A GAN project from one of ``PRESETS`` with its data and default settings."""
    from core.catalog.templates import load_template

    if preset not in PRESETS:
        raise ProjectError(f"unknown GAN preset {preset!r}; choose one of {', '.join(PRESETS)}")
    generator, discriminator, data = PRESETS[preset]
    graphs = {"generator": load_template(generator), "discriminator": load_template(discriminator)}
    config = GanConfig(sample_count=256) if preset == "ring" else GanConfig()  # a scatter wants many points
    return Project("gan", graphs, name=name or f"GAN on {preset}", data=data, training={"gan": config.to_dict()})


def check_project(project: Project) -> GanShapes:
    """``check_gan`` on the project's two graphs with its latent setting."""
    if project.kind != "gan":
        raise ProjectError(f"this is a {project.kind} project, not a GAN project")
    return check_gan(project.graphs["generator"], project.graphs["discriminator"], gan_config(project).latent_dim)


def gan_config(project: Project, **overrides: Any) -> GanConfig:
    """The project's GAN settings (defaults where it has none) with ``overrides`` applied."""
    data = {**project.training.get("gan", {}), **{k: v for k, v in overrides.items() if v is not None}}
    return GanConfig.from_dict(data)


def gan_data(project: Project) -> dict[str, Any]:
    """The project's data recipe, or the bundled set that fits the generator's output shape."""
    if project.data.get("source"):
        return dict(project.data)
    shape = check_project(project).sample_shape
    if shape not in DATA_FOR_SHAPE:
        raise ProjectError(f"choose a dataset: no bundled set has samples of shape {shape}")
    return dict(DATA_FOR_SHAPE[shape])


def history_arrays(history: History, diversity: Series | None = None) -> dict[str, np.ndarray]:
    """A GAN run's curves as flat arrays for ``Project.set_history`` (``batch/d_loss``, ``grad/generator/…``)."""
    arrays: dict[str, np.ndarray] = {}
    series: list[tuple[str, Series]] = [("batch", history.batch), ("grad", history.gradients)]
    if diversity is not None:
        series.append(("diversity", diversity))
    for prefix, s in series:
        if len(s):
            arrays[f"{prefix}/x"] = s.x.data
            arrays |= {f"{prefix}/{name}": buf.data for name, buf in s.values.items()}
    return arrays


def store_run(project: Project, config: GanConfig, result: Finished, run_dir: str | Path,
              arrays: Mapping[str, np.ndarray] | None = None) -> str:
    """Record a finished GAN run in the project: both networks' weights and the curves; returns the run id."""
    from core.gan.trainer import layer_weights_file
    from core.training.checkpoint import load_layer_weights

    run = project.add_run(label=f"GAN {result.epochs_done} steps", status="stopped" if result.stopped else "finished",
                          info={"kind": "gan", "config": config.to_dict(), "logs": dict(result.logs),
                                "steps": result.epochs_done})
    for role in ("generator", "discriminator"):
        path = Path(run_dir) / layer_weights_file(role)
        if path.is_file():
            project.set_weights(run.id, load_layer_weights(path), graph=role)
    if arrays:
        project.set_history(run.id, arrays)
    return run.id
