"""How a layer was called in a functional model, for importing it (``from_keras``) and calling it again."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from core.project.errors import ProjectError


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


def _template(args: tuple[Any, ...], layer: Any) -> list[dict[str, Any]]:
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
    return out


def call_form(layer: Any, knode: Any) -> Call:
    args, kwargs = knode.arguments.args, knode.arguments.kwargs
    if any(_is_tensor(v) for v in kwargs.values()):
        raise ProjectError(f"layer {layer.name!r} takes a tensor as a keyword argument; pass tensors "
                           "positionally to open this model as a graph")
    # Keras records training=False for every symbolic call and the functional model overrides it at run
    # time, so only an explicit training=True (e.g. Monte Carlo dropout) is worth keeping.
    extra = _json({k: v for k, v in kwargs.items() if v is not None and not (k == "training" and v is False)}, layer)
    if len(args) == 1 and _is_tensor(args[0]):
        return Call("single", extra)
    if len(args) == 1 and isinstance(args[0], list | tuple) and all(_is_tensor(a) for a in args[0]):
        return Call("list", extra)
    if args and all(_is_tensor(a) for a in args):
        return Call("args", extra)
    return Call("args", extra, _template(tuple(args), layer))
