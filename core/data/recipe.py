"""Data recipes (JSON-able: stored in the project) and the arrays they produce."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np
from pydantic import BaseModel, ConfigDict, Field

Task = Literal["classification", "regression"]
Scaling = Literal["none", "minmax", "standard", "divide255"]
LabelMode = Literal["auto", "sparse", "onehot"]


class Preprocess(BaseModel):
    """How raw arrays become training arrays: scaling, label encoding, splits, shuffling."""

    model_config = ConfigDict(extra="forbid")

    scaling: Scaling = "none"
    labels: LabelMode = "auto"
    """``auto`` keeps integer class ids (for sparse categorical cross-entropy); ``onehot`` expands them."""
    validation: float = Field(default=0.2, ge=0.0, lt=1.0)
    test: float = Field(default=0.0, ge=0.0, lt=1.0)
    seed: int = 0
    shuffle: bool = True
    limit: int | None = Field(default=None, ge=1)
    """Use at most this many samples (taken after shuffling), handy for quick experiments."""


class DataRecipe(BaseModel):
    """Where the data comes from (``source`` id + its ``options``) and how it is prepared."""

    model_config = ConfigDict(extra="forbid")

    source: str
    options: dict[str, Any] = Field(default_factory=dict)
    preprocess: Preprocess = Field(default_factory=lambda: Preprocess())

    def to_dict(self) -> dict[str, Any]:
        return self.model_dump(mode="json")

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> DataRecipe:
        return cls.model_validate(data)


@dataclass
class RawData:
    """What a source returns before preprocessing. ``x_test``/``y_test`` are set when the source has its own."""

    x: np.ndarray
    y: np.ndarray
    task: Task
    classes: list[str] | None = None
    x_test: np.ndarray | None = None
    y_test: np.ndarray | None = None
    notes: str = ""


@dataclass
class Split:
    x: np.ndarray
    y: np.ndarray

    def __len__(self) -> int:
        return len(self.x)


@dataclass
class Dataset:
    """Prepared arrays, ready for ``fit``: ``validation``/``test`` may be empty (length 0)."""

    train: Split
    validation: Split
    test: Split
    task: Task
    classes: list[str] | None = None
    scaling_stats: dict[str, Any] = field(default_factory=dict)

    @property
    def input_shape(self) -> tuple[int, ...]:
        return tuple(int(d) for d in self.train.x.shape[1:])

    @property
    def label_shape(self) -> tuple[int, ...]:
        return tuple(int(d) for d in self.train.y.shape[1:])

    @property
    def num_classes(self) -> int | None:
        return len(self.classes) if self.classes is not None else None
