"""The training configuration: loss, metrics, optimizer and schedule, batches, stopping, device, monitors."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

Loss = Literal[
    "mse", "mae", "huber", "binary_crossentropy", "categorical_crossentropy", "sparse_categorical_crossentropy"
]
OptimizerName = Literal["gd", "sgd", "momentum", "nesterov", "adagrad", "rmsprop", "adam", "adamw"]
ScheduleName = Literal["constant", "exponential", "cosine"]
Strategy = Literal["none", "mirrored", "multi-worker"]

OPTIMIZER_TITLES = {
    "gd": "Gradient descent (full batch)",
    "sgd": "SGD (mini-batch)",
    "momentum": "SGD with momentum",
    "nesterov": "SGD with Nesterov momentum",
    "adagrad": "Adagrad",
    "rmsprop": "RMSprop",
    "adam": "Adam",
    "adamw": "AdamW",
}
CLASSIFICATION_LOSSES = ("binary_crossentropy", "categorical_crossentropy", "sparse_categorical_crossentropy")


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", validate_assignment=True)


class Schedule(_Strict):
    """Learning-rate schedule. ``exponential``: lr·rate^(step/decay_steps); ``cosine``: down to alpha·lr."""

    kind: ScheduleName = "constant"
    decay_steps: int = Field(default=1000, ge=1)
    decay_rate: float = Field(default=0.9, gt=0.0, le=1.0)
    alpha: float = Field(default=0.0, ge=0.0, le=1.0)


class Optimizer(_Strict):
    """The optimizer and its parameters; ``gd`` is SGD on the whole training set as one batch."""

    name: OptimizerName = "adam"
    learning_rate: float = Field(default=0.001, gt=0.0, le=1e6)
    momentum: float = Field(default=0.9, ge=0.0, lt=1.0)
    beta_1: float = Field(default=0.9, ge=0.0, lt=1.0)
    beta_2: float = Field(default=0.999, ge=0.0, lt=1.0)
    rho: float = Field(default=0.9, ge=0.0, lt=1.0)
    epsilon: float = Field(default=1e-7, gt=0.0)
    weight_decay: float = Field(default=0.004, ge=0.0)
    clipnorm: float | None = Field(default=None, gt=0.0)
    clipvalue: float | None = Field(default=None, gt=0.0)
    schedule: Schedule = Field(default_factory=lambda: Schedule())

    @model_validator(mode="after")
    def _one_clip(self) -> Optimizer:
        if self.clipnorm is not None and self.clipvalue is not None:
            raise ValueError("set either clipnorm or clipvalue, not both (Keras applies only one)")
        return self


class Monitors(_Strict):
    """Switchable live monitors; each is cheap (or free) when off."""

    gradient_norms: bool = False
    gradient_every: int = Field(default=10, ge=1)
    weight_histograms: bool = False
    update_ratios: bool = False
    feature_maps: bool = False
    feature_maps_every: int = Field(default=50, ge=1)
    feature_map_sample: int = Field(default=0, ge=0)
    """Which training sample (index) the feature maps are computed on; past the end, the last one is used."""
    confusion_matrix: bool = False
    nan_check: bool = True
    tensorboard: bool = False
    batch_messages_every: int = Field(default=1, ge=1)
    """Send a ``BatchEnd`` message every this many batches (1 = every batch)."""


class EarlyStopping(_Strict):
    enabled: bool = False
    monitor: str = "val_loss"
    patience: int = Field(default=5, ge=0)
    min_delta: float = Field(default=0.0, ge=0.0)
    restore_best_weights: bool = True


class TrainingConfig(_Strict):
    """Everything ``fit`` needs besides the graph and the data. JSON-able (stored in the project)."""

    loss: Loss = "sparse_categorical_crossentropy"
    metrics: list[str] = Field(default_factory=lambda: ["accuracy"])
    optimizer: Optimizer = Field(default_factory=lambda: Optimizer())
    batch_size: int = Field(default=32, ge=1)
    epochs: int = Field(default=10, ge=1, le=1_000_000)
    validation_split: float = Field(default=0.0, ge=0.0, lt=1.0)
    """Taken from the training data when the data recipe has no validation part of its own."""
    early_stopping: EarlyStopping = Field(default_factory=lambda: EarlyStopping())
    seed: int | None = 0
    checkpoint_seconds: float = Field(default=5.0, ge=0.0)
    """Checkpoint at the end of an epoch when this long has passed since the last one (0: every epoch). The
    last epoch and a stop are always checkpointed; epochs longer than this are each checkpointed."""
    device: str = Field(default="auto", pattern=r"^(auto|cpu|gpu(:\d+)?)$")
    mixed_precision: bool = False
    strategy: Strategy = "none"
    monitors: Monitors = Field(default_factory=lambda: Monitors())

    @model_validator(mode="after")
    def _check(self) -> TrainingConfig:
        allowed = {"accuracy", "mae", "mse", "auc", "precision", "recall", "top_k_categorical_accuracy"}
        unknown = [m for m in self.metrics if m not in allowed]
        if unknown:
            raise ValueError(f"unknown metric {unknown[0]!r} (known: {', '.join(sorted(allowed))})")
        return self

    @property
    def is_classifier(self) -> bool:
        return self.loss in CLASSIFICATION_LOSSES

    def batch_size_for(self, samples: int) -> int:
        """``gd`` uses the whole training set as one batch (full-batch gradient descent)."""
        return max(1, samples) if self.optimizer.name == "gd" else self.batch_size

    def to_dict(self) -> dict[str, Any]:
        return self.model_dump(mode="json")

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> TrainingConfig:
        return cls.model_validate(data)


def describe_error(exc: ValidationError) -> str:
    """A config validation error as one line per problem, each naming the setting (``optimizer.learning_rate``)."""
    lines = []
    for err in exc.errors():
        where = ".".join(str(p) for p in err["loc"]) or "config"
        lines.append(f"{where}: {err['msg']}")
    return "; ".join(lines)
