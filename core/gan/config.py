"""Settings of one GAN run (pydantic, JSON-able so a run can be snapshotted into the worker process)."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

OPTIMIZERS = ("SGD", "RMSprop", "Adam", "AdamW", "Adagrad", "Adadelta", "Adamax", "Nadam", "Lion", "Ftrl")
"""Keras optimizers a network of the GAN may use, by class name (the training engine's set)."""


class OptimizerChoice(BaseModel):
    """One optimizer by Keras class name with its keyword arguments, e.g. Adam(learning_rate=2e-4, beta_1=0.5)."""

    model_config = ConfigDict(extra="forbid")

    name: str = "Adam"
    params: dict[str, float | int | bool] = Field(default_factory=lambda: {"learning_rate": 2e-4, "beta_1": 0.5})

    def build(self) -> Any:
        """The Keras optimizer; only the names in ``OPTIMIZERS`` are accepted (nothing else is looked up)."""
        import keras

        if self.name not in OPTIMIZERS:
            raise ValueError(f"unknown optimizer {self.name!r}; choose one of {', '.join(OPTIMIZERS)}")
        return getattr(keras.optimizers, self.name)(**self.params)


class GanConfig(BaseModel):
    """How to train a GAN: latent prior, alternation, optimizers, smoothing and what to report how often."""

    model_config = ConfigDict(extra="forbid")

    latent_dim: int | None = Field(default=None, ge=1, description="None: take it from the generator's input")
    latent_distribution: Literal["normal", "uniform"] = "normal"
    steps: int = Field(default=1000, ge=1, description="generator updates")
    batch_size: int = Field(default=64, ge=1)
    d_steps: int = Field(default=1, ge=1, le=20, description="discriminator updates per generator update (k)")
    g_optimizer: OptimizerChoice = Field(default_factory=OptimizerChoice)
    d_optimizer: OptimizerChoice = Field(default_factory=OptimizerChoice)
    label_smoothing: float = Field(default=0.0, ge=0.0, lt=0.5, description="one-sided: real labels become 1 - this")
    sample_every: int = Field(default=50, ge=1, description="steps between sample grids from the fixed seeds")
    sample_count: int = Field(default=16, ge=1, le=400, description="fixed latent seeds in the sample grid")
    gradients_every: int = Field(default=25, ge=1, description="steps between per-layer gradient norms")
    diversity_samples: int = Field(default=128, ge=2, le=2048, description="samples for the mode-collapse signal")
    collapse_ratio: float = Field(default=0.3, gt=0.0, lt=1.0, description="diversity ratio below which we warn")
    interpolation_steps: int = Field(default=10, ge=2, le=100)
    seed: int = Field(default=0, ge=0)
    export_dir: str | None = Field(default=None, description="where to export the generator as a SavedModel at the end")
