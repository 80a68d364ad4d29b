"""Keras layer configs <-> catalog params, for the import of real models (``from_keras``).

A config maps onto a spec's params by name; nested Keras objects are read where the catalog has a value
for them (an initializer class becomes its snake-case name, ``L1L2`` becomes ``{"l1", "l2"}``). The match
is accepted only when the spec rebuilds a layer with exactly the same config (names aside).
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from typing import Any

from core.catalog.common import NO_REG
from core.catalog.specs import LayerSpec, ParamSpec

_NO = object()


def _snake(name: str) -> str:
    name = re.sub(r"(.)([A-Z][a-z]+)", r"\1_\2", name)
    return re.sub(r"([a-z0-9])([A-Z])", r"\1_\2", name).lower()


def _regularizer(value: Any) -> Any:
    if value is None:
        return dict(NO_REG)
    if isinstance(value, Mapping) and value.get("class_name") in ("L1L2", "L1", "L2"):
        config = value.get("config") or {}
        return {"l1": float(config.get("l1", 0.0)), "l2": float(config.get("l2", 0.0))}
    return _NO


def _value(spec: ParamSpec, value: Any) -> Any:
    """A config value as the param wants it, or ``_NO`` when the catalog cannot hold it."""
    if spec.kind == "regularizer":
        return _regularizer(value)
    if isinstance(value, Mapping):
        if spec.kind == "choice" and "class_name" in value:
            name = _snake(str(value["class_name"]))
            return name if name in spec.choices else _NO
        return _NO
    if isinstance(value, tuple):
        return list(value)
    return value


def params_from_config(spec: LayerSpec, config: Mapping[str, Any]) -> dict[str, Any] | None:
    """The spec's typed params read from a Keras layer config, or ``None`` when they do not fit."""
    out: dict[str, Any] = {}
    for p in spec.params:
        if p.name not in config:
            continue
        value = _value(p, config[p.name])
        if value is _NO:
            return None
        out[p.name] = value
    try:
        return spec.coerce_params(out)
    except ValueError:
        return None


def normalized(value: Any) -> Any:
    """A JSON-able copy (tuples become lists) for comparing and storing configs."""
    return json.loads(json.dumps(value, default=_json_default))


def _json_default(value: Any) -> Any:
    if hasattr(value, "tolist"):
        return value.tolist()
    raise TypeError(f"{type(value).__name__} is not JSON-able")


def _comparable(config: Mapping[str, Any]) -> Any:
    return normalized({k: v for k, v in config.items() if k != "name"})


def same_config(spec: LayerSpec, params: Mapping[str, Any], layer: Any) -> bool:
    """Whether the spec, with ``params``, builds a layer whose config equals ``layer``'s (names aside)."""
    from core.translate.to_keras import instantiate, resolve

    objs = spec.keras(params)
    if len(objs) != 1:
        return False
    try:
        built = resolve(objs[0].path)(**{k: instantiate(v) for k, v in objs[0].kwargs.items()})
        return bool(_comparable(built.get_config()) == _comparable(layer.get_config()))
    except Exception:  # a spec that cannot rebuild this layer simply does not match
        return False


def serialized(layer: Any) -> dict[str, Any]:
    """The layer's Keras record (module, class_name, config, registered_name) as JSON, for a KerasLayer node."""
    import keras

    from core.project.errors import ProjectError

    record = keras.saving.serialize_keras_object(layer)
    module = str(record.get("module") or "")
    registered = record.get("registered_name")
    if not module.startswith("keras") and (not registered or keras.saving.get_registered_object(registered) is None):
        raise ProjectError(f"layer {layer.name!r} is of the custom class {type(layer).__name__} (module {module}), "
                           "which is not registered with Keras; Layerbench cannot import custom layer code")
    try:
        return {k: normalized(record[k]) for k in ("module", "class_name", "config", "registered_name") if k in record}
    except TypeError as exc:
        raise ProjectError(f"layer {layer.name!r} has a config that cannot be stored as JSON: {exc}") from None


def check_record(record: Any) -> None:
    """Refuse (``ValueError``) a stored layer record that is not a Keras layer or one registered with Keras,
    before Keras sees it (Keras's safe mode refuses code as well); the builder names the node."""
    import keras

    if not isinstance(record, Mapping) or not isinstance(record.get("class_name"), str) \
            or not isinstance(record.get("config", {}), Mapping):
        raise ValueError("the stored Keras layer is not a {module, class_name, config} record")
    module = str(record.get("module") or "")
    registered = record.get("registered_name")
    if module.split(".")[0] == "keras":
        return
    if isinstance(registered, str) and keras.saving.get_registered_object(registered) is not None:
        return
    raise ValueError(f"the stored layer class {record['class_name']!r} (module {module!r}) is not a Keras "
                           "layer; Layerbench builds only Keras layers and registered ones")
