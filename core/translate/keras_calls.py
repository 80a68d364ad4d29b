"""How a layer was called in a functional model: recorded when importing it (``from_keras``), and the
imported layer rebuilt and called that way again (``to_keras``)."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from core.project.errors import ProjectError
from core.translate.keras_params import check_record


def _is_tensor(value: Any) -> bool:
    return hasattr(value, "_keras_history")


@dataclass
class Call:
    """How a layer was called: ``form`` (single, list, args), extra keyword arguments and, when constants sit
    among the positional arguments (``x + 3.0``), a template of ``{"input": i}`` and ``{"value": v}``."""

    form: str
    kwargs: dict[str, Any]
    template: list[dict[str, Any]] | None = None


def _json(value: Any, layer: Any) -> Any:
    try:
        return json.loads(json.dumps(value))
    except (TypeError, ValueError):
        raise ProjectError(f"layer {layer.name!r} is called with arguments that cannot be stored: {value!r}") from None


def _template(args: tuple[Any, ...], tensor_kwargs: dict[str, Any], layer: Any) -> list[dict[str, Any]]:
    """Positional arguments, then tensor keyword arguments by sorted name: Keras's own order of inputs."""
    out: list[dict[str, Any]] = []
    count = 0
    for arg in args:
        if _is_tensor(arg):
            out.append({"input": count})
            count += 1
        elif isinstance(arg, bool | int | float | str) or arg is None:
            out.append({"value": _json(arg, layer)})
        else:
            raise ProjectError(f"layer {layer.name!r} is called with arguments Layerbench cannot represent")
    for name in sorted(tensor_kwargs):
        out.append({"input": count, "name": name})
        count += 1
    return out


def call_form(layer: Any, knode: Any) -> Call:
    args, kwargs = knode.arguments.args, knode.arguments.kwargs
    tensor_kwargs = {k: v for k, v in kwargs.items() if _is_tensor(v)}
    # Keras records training=False for every symbolic call and the functional model overrides it at run
    # time, so only an explicit training=True (e.g. Monte Carlo dropout) is worth keeping.
    extra = {k: v for k, v in kwargs.items() if k not in tensor_kwargs and v is not None}
    extra = _json({k: v for k, v in extra.items() if not (k == "training" and v is False)}, layer)
    if not tensor_kwargs:
        if len(args) == 1 and _is_tensor(args[0]):
            return Call("single", extra)
        if len(args) == 1 and isinstance(args[0], list | tuple) and all(_is_tensor(a) for a in args[0]):
            return Call("list", extra)
        if args and all(_is_tensor(a) for a in args):
            return Call("args", extra)
    return Call("args", extra, _template(tuple(args), tensor_kwargs, layer))


# ---- building imported layers back (used by core.translate.to_keras) -------------------------------
def make_keras_layer(config: Mapping[str, Any], name: str) -> Any:
    """A Keras layer from its serialized config (safe mode: no code is loaded), named ``name``."""
    import keras

    from core.translate.custom_layers import custom_objects

    custom_objects()  # registers our own layers (MirrorPadding2D) before Keras looks them up
    check_record(config)
    record = dict(config)
    record["config"] = {**dict(record.get("config") or {}), "name": name}
    return keras.saving.deserialize_keras_object(record, safe_mode=True)


def _argument(entry: Mapping[str, Any], inputs: list[Any]) -> Any:
    """One templated argument: a constant, an input, or one item of an input that is a list of tensors."""
    if "input" not in entry:
        return entry.get("value")
    value = inputs[entry["input"]]
    return value[entry["item"]] if "item" in entry else value


def call_layer(layer: Any, inputs: list[Any], params: Mapping[str, Any]) -> Any:
    """Call an imported layer the way its original model did."""
    kwargs = dict(params.get("call_kwargs") or {})
    template = params.get("call_args")
    if template:
        args = [_argument(a, inputs) for a in template if "name" not in a]
        kwargs |= {a["name"]: _argument(a, inputs) for a in template if "name" in a}
        return layer(*args, **kwargs)
    form = params.get("call", "single")
    if form == "single":
        return layer(inputs[0], **kwargs) if len(inputs) == 1 else layer(inputs, **kwargs)
    if form == "args":
        return layer(*inputs, **kwargs)
    return layer(inputs, **kwargs)
