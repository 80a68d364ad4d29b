"""``KerasLayer``: any Keras layer kept by its own config, for imported layers the catalog has no spec for.

The node stores the layer's class and full config (JSON) plus the shapes and parameter counts Keras
reported at import time, so pure-Python inference can show them without TensorFlow. It builds through
``keras.saving.deserialize_keras_object`` in safe mode (``core.translate.keras_calls.make_keras_layer``).
"""

from __future__ import annotations

from typing import Any

from core.catalog.common import IDENTITY_RF, fmt
from core.catalog.specs import Inferred, KerasObj, LayerSpec, Params, ParamSpec, PortSpec, RFStep, Shape
from core.graph.errors import ShapeError

KERAS_LAYER = "KerasLayer"
CALL_FORMS = ("single", "list", "args")


def _shapes(value: Any) -> list[Shape]:
    return [tuple(None if d is None else int(d) for d in shape) for shape in value]


def _first(value: Any) -> int:
    if isinstance(value, list | tuple):
        return int(value[0]) if value else 1
    return int(value) if isinstance(value, int | float) else 1


def _rf_step(config: dict[str, Any], inputs: list[Shape], outputs: list[Shape]) -> RFStep | None:
    """A receptive-field step read from the config's window (kernel or pool size, strides, dilation)."""
    window = config.get("kernel_size", config.get("pool_size"))
    if window is not None:
        kernel = _first(window)
        stride = _first(config.get("strides") or window)
        dilation = _first(config.get("dilation_rate", 1))
        k_eff = dilation * (kernel - 1) + 1
        pad = (k_eff - 1) // 2 if config.get("padding") == "same" else 0
        return RFStep(kernel=k_eff, stride=stride, pad=pad)
    if len(inputs) >= 1 and len(outputs) == 1 and inputs[0][:-1] == outputs[0][:-1]:
        return IDENTITY_RF
    return None


def _infer(p: Params, shapes: list[Shape]) -> Inferred:
    """Shapes recorded at import; damaged records (a hand-edited file) are a ShapeError, never a crash."""
    try:
        return _infer_recorded(p, shapes)
    except (ValueError, TypeError, AttributeError, KeyError, IndexError) as exc:
        title = p.get("class_name") or "Keras layer"
        raise ShapeError(f"{title}: the shapes recorded when it was imported are damaged ({exc}); "
                         "import the model again") from None


def _infer_recorded(p: Params, shapes: list[Shape]) -> Inferred:
    title = p["class_name"] or "Keras layer"
    if p["output_shapes"] is None:
        if len(shapes) != 1:
            raise ShapeError(f"{title} has no recorded shapes and takes exactly one input")
        return Inferred([shapes[0]], rf=IDENTITY_RF)
    if p["input_shapes"] is not None:
        expected = _shapes(p["input_shapes"])
        if expected != shapes:
            got = ", ".join(fmt(s) for s in shapes) or "nothing"
            want = ", ".join(fmt(s) for s in expected)
            raise ShapeError(
                f"{title} was imported for input {want} but now receives {got}; this imported layer cannot "
                "adapt its shape: restore the input or replace it with a layer from the palette"
            )
    outputs = _shapes(p["output_shapes"])
    config = p["config"].get("config", {}) if isinstance(p["config"], dict) else {}
    return Inferred(outputs, trainable=p["trainable_params"], non_trainable=p["non_trainable_params"],
                    flops=p["flops"], rf=_rf_step(config, shapes, outputs))


def _keras(p: Params) -> list[KerasObj]:
    return [KerasObj("layerbench.KerasLayer", {"config": p["config"]})]


IDENTITY_CONFIG: dict[str, Any] = {
    "module": "keras.layers", "class_name": "Identity", "config": {}, "registered_name": None,
}

KERAS_LAYER_SPEC = LayerSpec(
    id=KERAS_LAYER,
    title="Keras layer",
    category="Imported",
    params=(
        ParamSpec("class_name", "str", "Identity", "the Keras class of this layer", key=True),
        ParamSpec("config", "json", IDENTITY_CONFIG, "the layer's serialized Keras config "
                  "(module, class_name, config), as Keras wrote it"),
        ParamSpec("call", "choice", "single", "how the inputs are passed: one tensor, a list, or positional "
                  "arguments in edge order", choices=CALL_FORMS),
        ParamSpec("call_kwargs", "json", {}, "further keyword arguments of the call (no tensors)"),
        ParamSpec("call_args", "json", None, "positional arguments when constants sit among the inputs: a list "
                  "of {\"input\": index} and {\"value\": constant}", allow_none=True),
        ParamSpec("input_shapes", "json", None, "input shapes recorded at import (without batch)",
                  allow_none=True),
        ParamSpec("output_shapes", "json", None, "output shapes recorded at import (without batch)",
                  allow_none=True),
        ParamSpec("trainable_params", "int", 0, "trainable parameters recorded at import", minimum=0),
        ParamSpec("non_trainable_params", "int", 0, "non-trainable parameters recorded at import", minimum=0),
        ParamSpec("flops", "int", 0, "floating-point operations, when known", minimum=0),
    ),
    infer=_infer,
    keras=_keras,
    inputs=(PortSpec("in", multiple=True, doc="inputs in the order the layer takes them"),),
    name_prefix="keras_layer",
    doc="A Keras layer imported as it is, because Layerbench has no editable layer type for it (or its "
    "settings go beyond what the palette offers). It builds, trains and exports exactly like the original, "
    "but its settings are the raw Keras config and its shapes were recorded at import: if its input shape "
    "changes, replace it with a layer from the palette.",
)

SPECS = (KERAS_LAYER_SPEC,)
