"""Settings of one GAN run (pydantic, JSON-able so a run can be snapshotted into the worker process)."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from core.training.config import Optimizer


def gan_optimizer() -> Optimizer:
    """Adam with the DCGAN settings (learning rate 2e-4, beta_1 0.5)."""
    return Optimizer(name="adam", learning_rate=2e-4, beta_1=0.5)


class GanConfig(BaseModel):
    """How to train a GAN: latent prior, alternation, optimizers, smoothing and what to report how often.

    Each network has its own optimizer, any of the training engine's (``core.training.config.Optimizer``).
    """

    model_config = ConfigDict(extra="forbid")

    latent_dim: int | None = Field(default=None, ge=1, description="None: take it from the generator's input")
    latent_distribution: Literal["normal", "uniform"] = "normal"
    steps: int = Field(default=1000, ge=1, description="generator updates")
    batch_size: int = Field(default=64, ge=1)
    d_steps: int = Field(default=1, ge=1, le=20, description="discriminator updates per generator update (k)")
    g_optimizer: Optimizer = Field(default_factory=gan_optimizer)
    d_optimizer: Optimizer = Field(default_factory=gan_optimizer)
    label_smoothing: float = Field(default=0.0, ge=0.0, lt=0.5, description="one-sided: real labels become 1 - this")
    sample_every: int = Field(default=50, ge=1, description="steps between sample grids from the fixed seeds")
    sample_count: int = Field(default=16, ge=1, le=400, description="fixed latent seeds in the sample grid")
    gradients_every: int = Field(default=25, ge=1, description="steps between per-layer gradient norms")
    diversity_samples: int = Field(default=128, ge=2, le=2048, description="samples for the mode-collapse signal")
    collapse_ratio: float = Field(default=0.3, gt=0.0, lt=1.0, description="diversity ratio below which we warn")
    interpolation_steps: int = Field(default=10, ge=2, le=100)
    seed: int = Field(default=0, ge=0)
    device: str = Field(default="auto", pattern=r"^(auto|cpu|gpu(:\d+)?)$")
    export_dir: str | None = Field(default=None, description="where to export the generator as a SavedModel at the end")

    def to_dict(self) -> dict[str, object]:
        return self.model_dump(mode="json")

    @classmethod
    def from_dict(cls, data: dict[str, object]) -> GanConfig:
        return cls.model_validate(data)
