"""Normalization layers: BatchNormalization and LayerNormalization over the last (feature) axis."""

from __future__ import annotations

from core.catalog.common import IDENTITY_RF, known_last, one_input, pick, regularizer_kwargs, regularizer_params
from core.catalog.specs import Inferred, KerasObj, LayerSpec, Params, ParamSpec, Shape, prod


def _learned(p: Params, features: int) -> int:
    return features * (int(p["center"]) + int(p["scale"]))


def _batch_norm_infer(p: Params, shapes: list[Shape]) -> Inferred:
    shape = one_input(shapes, "BatchNormalization")
    features = known_last(shape, "BatchNormalization")
    # The moving mean and variance are weights too, updated by averaging rather than by gradients.
    return Inferred([shape], trainable=_learned(p, features), non_trainable=2 * features, flops=4 * prod(shape),
                    rf=IDENTITY_RF)


def _common(momentum: bool) -> tuple[ParamSpec, ...]:
    extra = (ParamSpec("momentum", "float", 0.99, "how slowly the running statistics follow each batch",
                       minimum=0.0, maximum=1.0, fuzz=(0.5, 0.99)),) if momentum else ()
    return (
        *extra,
        ParamSpec("epsilon", "float", 1e-3, "small number added to the variance to avoid dividing by zero",
                  minimum=1e-12, maximum=1.0, fuzz=(1e-5, 0.1)),
        ParamSpec("center", "bool", True, "learn an offset (beta) added after normalizing"),
        ParamSpec("scale", "bool", True, "learn a factor (gamma) applied after normalizing"),
        *regularizer_params("gamma_regularizer", "beta_regularizer"),
    )


BATCH_NORMALIZATION = LayerSpec(
    id="BatchNormalization",
    title="BatchNormalization",
    category="Normalization",
    params=_common(momentum=True),
    infer=_batch_norm_infer,
    keras=lambda p: [KerasObj("layers.BatchNormalization", pick(p, "momentum", "epsilon", "center", "scale")
                              | regularizer_kwargs(p))],
    doc="Normalizes each feature channel to mean 0 and variance 1 over the batch, then applies a learned "
    "scale and offset. Training becomes faster and less sensitive to the learning rate. While training it "
    "uses the batch's statistics and keeps running averages (non-trainable weights); at prediction time it "
    "uses those averages, so very small batches make it unreliable.",
)


def _layer_norm_infer(p: Params, shapes: list[Shape]) -> Inferred:
    shape = one_input(shapes, "LayerNormalization")
    features = known_last(shape, "LayerNormalization")
    return Inferred([shape], trainable=_learned(p, features), flops=5 * prod(shape), rf=IDENTITY_RF)


LAYER_NORMALIZATION = LayerSpec(
    id="LayerNormalization",
    title="LayerNormalization",
    category="Normalization",
    params=_common(momentum=False),
    infer=_layer_norm_infer,
    keras=lambda p: [KerasObj("layers.LayerNormalization", pick(p, "epsilon", "center", "scale")
                              | regularizer_kwargs(p))],
    doc="Normalizes the features of each sample (each step of a sequence) on its own to mean 0 and variance "
    "1, then applies a learned scale and offset. Unlike batch normalization it does not depend on the batch, "
    "so it behaves the same in training and prediction; the standard choice in transformers and RNNs.",
)

SPECS = (BATCH_NORMALIZATION, LAYER_NORMALIZATION)
