"""A quick look at a recipe's data: shapes, dtypes, class counts and a few samples (for the dataset dialog)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from core.data.load import load_dataset
from core.data.recipe import DataRecipe, Dataset


@dataclass
class Preview:
    """What the dataset dialog shows. ``samples`` are the first few training inputs (and labels)."""

    source: str
    task: str
    sizes: dict[str, int]
    x_shape: tuple[int, ...]
    x_dtype: str
    y_shape: tuple[int, ...]
    y_dtype: str
    classes: list[str] | None
    class_counts: dict[str, int] = field(default_factory=dict)
    samples_x: np.ndarray | None = None
    samples_y: np.ndarray | None = None
    value_range: tuple[float, float] = (0.0, 0.0)

    def summary(self) -> str:
        sizes = ", ".join(f"{k} {v}" for k, v in self.sizes.items())
        text = f"{self.source}: {self.task}; {sizes}; x {self.x_shape} {self.x_dtype}, y {self.y_shape} {self.y_dtype}"
        if self.class_counts:
            text += "; classes " + ", ".join(f"{k}: {v}" for k, v in self.class_counts.items())
        return text


def _counts(data: Dataset) -> dict[str, int]:
    if data.classes is None:
        return {}
    y = data.train.y
    ids = y.argmax(axis=1) if y.ndim == 2 and y.shape[1] > 1 else y.reshape(-1).astype("int64")
    counts = np.bincount(ids, minlength=len(data.classes))
    return {name: int(c) for name, c in zip(data.classes, counts)}


def preview(recipe: DataRecipe | dict[str, Any], samples: int = 8) -> Preview:
    recipe = recipe if isinstance(recipe, DataRecipe) else DataRecipe.from_dict(recipe)
    data = load_dataset(recipe)
    x, y = data.train.x, data.train.y
    return Preview(
        source=recipe.source, task=data.task,
        sizes={"train": len(data.train), "validation": len(data.validation), "test": len(data.test)},
        x_shape=tuple(x.shape[1:]), x_dtype=str(x.dtype), y_shape=tuple(y.shape[1:]), y_dtype=str(y.dtype),
        classes=data.classes, class_counts=_counts(data), samples_x=x[:samples], samples_y=y[:samples],
        value_range=(float(x.min()), float(x.max())) if x.size else (0.0, 0.0),
    )
