"""Regularization layers: dropout variants, Gaussian noise and an activity penalty. Active only in training."""

from __future__ import annotations

from core.catalog.common import IDENTITY_RF, need_rank, one_input
from core.catalog.specs import InferFn, Inferred, KerasObj, LayerSpec, Params, ParamSpec, Shape, prod


def _identity(title: str, ranks: tuple[int, ...] = (), hint: str = "") -> InferFn:
    def infer(p: Params, shapes: list[Shape]) -> Inferred:
        shape = one_input(shapes, title)
        if ranks:
            need_rank(shape, ranks, title, hint)
        return Inferred([shape], flops=prod(shape), rf=IDENTITY_RF)

    return infer


_RATE = ParamSpec("rate", "float", 0.5, "fraction of the values set to zero in each training step", minimum=0.0,
                  maximum=0.95, fuzz=(0.0, 0.9), key=True)

DROPOUT = LayerSpec(
    id="Dropout",
    title="Dropout",
    category="Regularization",
    params=(_RATE,),
    infer=_identity("Dropout"),
    keras=lambda p: [KerasObj("layers.Dropout", {"rate": p["rate"]})],
    doc="While training, zeroes a random fraction of the values and scales the rest up to keep the sum; at "
    "prediction time it does nothing. The network cannot rely on any single unit, which fights overfitting.",
)

SPATIAL_DROPOUT1D = LayerSpec(
    id="SpatialDropout1D",
    title="SpatialDropout1D",
    category="Regularization",
    params=(_RATE,),
    infer=_identity("SpatialDropout1D", (2,), "it drops whole feature channels of a sequence (steps, features)"),
    keras=lambda p: [KerasObj("layers.SpatialDropout1D", {"rate": p["rate"]})],
    input_ranks=(2,),
    doc="Dropout for sequences that drops whole feature channels for all steps at once. Neighbouring steps "
    "are strongly correlated, so dropping single values would barely regularize.",
)

SPATIAL_DROPOUT2D = LayerSpec(
    id="SpatialDropout2D",
    title="SpatialDropout2D",
    category="Regularization",
    params=(_RATE,),
    infer=_identity("SpatialDropout2D", (3,), "it drops whole feature maps of an image (height, width, channels)"),
    keras=lambda p: [KerasObj("layers.SpatialDropout2D", {"rate": p["rate"]})],
    input_ranks=(3,),
    doc="Dropout for convolutional feature maps that drops entire channels rather than single pixels, "
    "because neighbouring pixels carry nearly the same information.",
)

GAUSSIAN_NOISE = LayerSpec(
    id="GaussianNoise",
    title="GaussianNoise",
    category="Regularization",
    params=(ParamSpec("stddev", "float", 0.1, "standard deviation of the noise added in training",
                      minimum=0.0, maximum=100.0, fuzz=(0.0, 1.0), key=True),),
    infer=_identity("GaussianNoise"),
    keras=lambda p: [KerasObj("layers.GaussianNoise", {"stddev": p["stddev"]})],
    doc="Adds random normal noise with mean 0 while training (nothing at prediction time), a simple data "
    "augmentation that makes the network robust to small changes of its input.",
)

ACTIVITY_REGULARIZATION = LayerSpec(
    id="ActivityRegularization",
    title="ActivityRegularization",
    category="Regularization",
    params=(
        ParamSpec("l1", "float", 0.0, "L1 penalty on the values passing through (pushes them to zero)",
                  minimum=0.0, maximum=10.0, fuzz=(0.0, 0.1)),
        ParamSpec("l2", "float", 0.0, "L2 penalty on the values passing through (keeps them small)",
                  minimum=0.0, maximum=10.0, fuzz=(0.0, 0.1)),
    ),
    infer=_identity("ActivityRegularization"),
    keras=lambda p: [KerasObj("layers.ActivityRegularization", {"l1": p["l1"], "l2": p["l2"]})],
    doc="Passes its input through unchanged but adds l1·Σ|x| + l2·Σx² to the training loss, encouraging "
    "small or sparse activations (as in sparse autoencoders).",
)

SPECS = (DROPOUT, SPATIAL_DROPOUT1D, SPATIAL_DROPOUT2D, GAUSSIAN_NOISE, ACTIVITY_REGULARIZATION)
