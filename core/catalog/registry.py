"""The layer catalog: every ``LayerSpec`` by id, filled from ``core.catalog.builtin`` on first use."""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Iterator

from core.catalog.specs import LayerSpec
from core.graph.errors import UnknownLayerTypeError

_SPECS: dict[str, LayerSpec] = {}
_LOADED = False

CATEGORIES = (
    "Input",
    "Core",
    "Activation",
    "Convolution",
    "Pooling",
    "Padding",
    "Recurrent",
    "Regularization",
    "Normalization",
    "Merge",
    "Reshape",
    "Imported",  # layers kept by their Keras config (KerasLayer), listed last
)


def register(*specs: LayerSpec) -> None:
    """Add specs to the catalog; an id registered twice is a programming error."""
    for spec in specs:
        if spec.id in _SPECS and _SPECS[spec.id] is not spec:
            raise ValueError(f"layer type {spec.id!r} is registered twice")
        _SPECS[spec.id] = spec


def _load_builtin() -> None:
    global _LOADED
    if _LOADED:
        return
    _LOADED = True  # set first: a builtin module may look up specs while it loads
    import core.catalog.builtin as pkg

    try:
        for info in sorted(pkgutil.iter_modules(pkg.__path__), key=lambda i: i.name):
            module = importlib.import_module(f"{pkg.__name__}.{info.name}")
            register(*getattr(module, "SPECS", ()))
    except BaseException:
        _LOADED = False  # a broken module must fail every lookup loudly, not leave a half-filled catalog
        raise


def get_spec(type_id: str) -> LayerSpec:
    """The spec of ``type_id`` or ``UnknownLayerTypeError`` naming it."""
    _load_builtin()
    try:
        return _SPECS[type_id]
    except KeyError:
        raise UnknownLayerTypeError(f"unknown layer type {type_id!r}") from None


def has_spec(type_id: str) -> bool:
    _load_builtin()
    return type_id in _SPECS


def all_specs() -> list[LayerSpec]:
    """Every spec, ordered by category then title."""
    _load_builtin()
    order = {c: i for i, c in enumerate(CATEGORIES)}
    return sorted(_SPECS.values(), key=lambda s: (order.get(s.category, len(order)), s.title))


def by_category() -> Iterator[tuple[str, list[LayerSpec]]]:
    specs = all_specs()
    for category in dict.fromkeys(s.category for s in specs):
        yield category, [s for s in specs if s.category == category]
