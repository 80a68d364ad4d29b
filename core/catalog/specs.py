"""Layer specifications: what a node type is, its ports, its typed parameters and its shape rules.

A ``LayerSpec`` is the one place a layer type is described. Shape inference, validation, the Keras
translation, code generation, the inspector's editors and the in-app help all read it, so a new layer
type is added by registering one spec and nothing else.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

Shape = tuple[int | None, ...]
"""A tensor shape without the batch axis; ``None`` is an unknown length (e.g. a sequence)."""

Params = Mapping[str, Any]

PARAM_KINDS = ("int", "float", "bool", "choice", "str", "ints", "shape", "regularizer", "json")


@dataclass(frozen=True)
class ParamSpec:
    """One typed parameter of a layer: its kind, default, allowed range or choices and a one-line doc.

    ``kind`` is one of ``PARAM_KINDS``: ``ints`` is a fixed-length tuple of ints (kernel size, strides),
    ``shape`` a tuple of any length (an Input's shape, a Reshape target), ``regularizer`` a dict
    ``{"l1": float, "l2": float}`` (both zero means none), ``json`` any JSON value (an imported Keras
    layer's config). ``fuzz`` narrows the range for random tests.
    """

    name: str
    kind: str
    default: Any
    doc: str = ""
    minimum: float | None = None
    maximum: float | None = None
    choices: tuple[Any, ...] = ()
    length: int | None = None
    allow_none: bool = False
    fuzz: tuple[Any, ...] | None = None
    key: bool = False
    """Shown on the node on the canvas."""

    def __post_init__(self) -> None:
        if self.kind not in PARAM_KINDS:
            raise ValueError(f"unknown parameter kind {self.kind!r} for {self.name!r}")

    def coerce(self, value: Any) -> Any:
        """Return ``value`` typed as this parameter wants it, or raise ``ValueError`` saying why."""
        if value is None:
            # For a shape, allow_none means "sizes may be None"; the shape itself is always needed.
            if self.allow_none and self.kind != "shape":
                return None
            raise ValueError(f"{self.name} needs a value")
        return _COERCE[self.kind](self, value)


def _check_range(spec: ParamSpec, value: float) -> None:
    if spec.minimum is not None and value < spec.minimum:
        raise ValueError(f"{spec.name} must be at least {spec.minimum:g}, not {value:g}")
    if spec.maximum is not None and value > spec.maximum:
        raise ValueError(f"{spec.name} must be at most {spec.maximum:g}, not {value:g}")


_FLOAT_MAX = 1.7976931348623157e308  # a larger int (10**400 in a file) has no float, and math.isfinite raises


def _as_int(spec: ParamSpec, value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        raise ValueError(f"{spec.name} must be a whole number, not {value!r}")
    try:
        number = float(value)
    except (ValueError, OverflowError):  # OverflowError: an int beyond float range (10**400 in a file)
        raise ValueError(f"{spec.name} must be a whole number, not {value!r}") from None
    if not number.is_integer():
        raise ValueError(f"{spec.name} must be a whole number, not {value!r}")
    _check_range(spec, number)
    return int(number)


def _as_float(spec: ParamSpec, value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        raise ValueError(f"{spec.name} must be a number, not {value!r}")
    try:
        number = float(value)
    except (ValueError, OverflowError):
        raise ValueError(f"{spec.name} must be a number, not {value!r}") from None
    if not math.isfinite(number):
        raise ValueError(f"{spec.name} must be a finite number, not {value!r}")
    _check_range(spec, number)
    return number


def _as_bool(spec: ParamSpec, value: Any) -> bool:
    if isinstance(value, bool):
        return value
    raise ValueError(f"{spec.name} must be true or false, not {value!r}")


def _as_choice(spec: ParamSpec, value: Any) -> Any:
    if value in spec.choices and type(value) is type(spec.default):
        return value
    options = ", ".join(str(c) for c in spec.choices)
    raise ValueError(f"{spec.name} must be one of {options}; got {value!r}")


def _as_str(spec: ParamSpec, value: Any) -> str:
    if isinstance(value, str):
        return value
    raise ValueError(f"{spec.name} must be text, not {value!r}")


def _as_ints(spec: ParamSpec, value: Any) -> tuple[int, ...]:
    if isinstance(value, int | float) and not isinstance(value, bool) and spec.length is not None:
        value = [value] * spec.length
    if not isinstance(value, list | tuple):
        raise ValueError(f"{spec.name} must be a list of whole numbers, not {value!r}")
    if spec.length is not None and len(value) != spec.length:
        raise ValueError(f"{spec.name} needs {spec.length} numbers, got {len(value)}")
    return tuple(_as_int(spec, v) for v in value)


def _as_shape(spec: ParamSpec, value: Any) -> tuple[int | None, ...]:
    if not isinstance(value, list | tuple) or not value:
        raise ValueError(f"{spec.name} must be a non-empty list of sizes, not {value!r}")
    dims: list[int | None] = []
    for v in value:
        if v is None and spec.allow_none:
            dims.append(None)
            continue
        dims.append(_as_int(spec, v))
    return tuple(dims)


def _as_regularizer(spec: ParamSpec, value: Any) -> dict[str, float]:
    if not isinstance(value, Mapping) or set(value) - {"l1", "l2"}:
        raise ValueError(f"{spec.name} must be {{'l1': number, 'l2': number}}, not {value!r}")
    out = {}
    for k in ("l1", "l2"):
        v = value.get(k, 0.0)
        if isinstance(v, bool) or not isinstance(v, int | float) or not abs(v) <= _FLOAT_MAX or v < 0:
            raise ValueError(f"{spec.name}.{k} must be a number of at least 0, not {v!r}")
        out[k] = float(v)
    return out


def _json_copy(value: Any, where: str) -> Any:
    if value is None or isinstance(value, bool | int | str):
        return value
    if isinstance(value, float):
        if not math.isfinite(value):
            raise ValueError(f"{where} must hold finite numbers, not {value!r}")
        return value
    if isinstance(value, list | tuple):
        return [_json_copy(v, where) for v in value]
    if isinstance(value, Mapping) and all(isinstance(k, str) for k in value):
        return {k: _json_copy(v, where) for k, v in value.items()}
    raise ValueError(f"{where} must hold only JSON values (text, numbers, lists, objects), not {value!r}")


def _as_json(spec: ParamSpec, value: Any) -> Any:
    return _json_copy(value, spec.name)


_COERCE: dict[str, Callable[[ParamSpec, Any], Any]] = {
    "int": _as_int,
    "float": _as_float,
    "bool": _as_bool,
    "choice": _as_choice,
    "str": _as_str,
    "ints": _as_ints,
    "shape": _as_shape,
    "regularizer": _as_regularizer,
    "json": _as_json,
}


@dataclass(frozen=True)
class PortSpec:
    """An input or output port. ``multiple`` input ports take any number of edges (merges), in order."""

    name: str
    multiple: bool = False
    doc: str = ""


@dataclass(frozen=True)
class KerasObj:
    """A Keras object to construct: ``path`` under ``keras`` (``"layers.Dense"``) or ``"layerbench.X"``
    for our own layers, and its keyword arguments (which may hold further ``KerasObj``)."""

    path: str
    kwargs: Mapping[str, Any] = field(default_factory=dict)


@dataclass
class Inferred:
    """What shape inference knows about one node."""

    outputs: list[Shape]
    trainable: int = 0
    non_trainable: int = 0
    flops: int = 0
    rf: RFStep | None = None


@dataclass(frozen=True)
class RFStep:
    """How a spatial layer changes the receptive field: effective kernel, stride and padding offset."""

    kernel: int
    stride: int
    pad: int = 0


InferFn = Callable[[Params, list[Shape]], Inferred]
KerasFn = Callable[[Params], list[KerasObj]]


@dataclass(frozen=True)
class LayerSpec:
    """A node type: identity, ports, parameters, shape rule and Keras translation."""

    id: str
    title: str
    category: str
    params: tuple[ParamSpec, ...]
    infer: InferFn
    keras: KerasFn
    doc: str
    inputs: tuple[PortSpec, ...] = (PortSpec("in"),)
    outputs: tuple[PortSpec, ...] = (PortSpec("out"),)
    name_prefix: str = ""
    input_ranks: tuple[int, ...] = ()
    """Ranks (without batch) this layer accepts, for random tests; empty means any of 1..3."""

    def param(self, name: str) -> ParamSpec:
        for p in self.params:
            if p.name == name:
                return p
        raise KeyError(name)

    def defaults(self) -> dict[str, Any]:
        return {p.name: p.default for p in self.params}

    def coerce_params(self, params: Params) -> dict[str, Any]:
        """Defaults overlaid with ``params``, each value typed; ``ValueError`` names the bad one."""
        unknown = set(params) - {p.name for p in self.params}
        if unknown:
            raise ValueError(f"{self.title} has no parameter {sorted(unknown)[0]!r}")
        out = {}
        for p in self.params:
            out[p.name] = p.coerce(params.get(p.name, p.default))
        return out

    def input_port(self, name: str) -> PortSpec | None:
        return next((p for p in self.inputs if p.name == name), None)

    def output_port(self, name: str) -> PortSpec | None:
        return next((p for p in self.outputs if p.name == name), None)

    @property
    def prefix(self) -> str:
        return self.name_prefix or _snake(self.id)


def _snake(name: str) -> str:
    """Keras's own layer-name rule: ``Conv2D`` -> ``conv2d``, ``LeakyReLU`` -> ``leaky_re_lu``."""
    name = re.sub(r"(.)([A-Z][a-z]+)", r"\1_\2", name)
    return re.sub(r"([a-z])([A-Z])", r"\1_\2", name).lower()


def prod(values: Sequence[int | None]) -> int:
    """Product of known sizes; an unknown size counts as 1 (used for FLOPs and memory estimates)."""
    result = 1
    for v in values:
        result *= v if v is not None else 1
    return result
