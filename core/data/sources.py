"""The catalog of data sources: each has an id, a title, a one-line explanation, default options and a loader."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from core.data.errors import DataError
from core.data.recipe import RawData

Loader = Callable[[Mapping[str, Any]], RawData]


@dataclass(frozen=True)
class SourceSpec:
    """One data source. ``options`` are the defaults; a recipe overrides any of them. ``choices`` lists the
    allowed values of options that take one of a fixed set (editors show them as a drop-down)."""

    id: str
    title: str
    group: str
    doc: str
    loader: Loader
    options: Mapping[str, Any] = field(default_factory=dict)
    offline: bool = True
    choices: Mapping[str, tuple[str, ...]] = field(default_factory=dict)

    def load(self, options: Mapping[str, Any]) -> RawData:
        unknown = sorted(set(options) - set(self.options))
        if unknown:
            known = ", ".join(sorted(self.options)) or "none"
            raise DataError(f"{self.title}: unknown option {unknown[0]!r} (options: {known})", unknown[0])
        return self.loader({**self.options, **options})


_SOURCES: dict[str, SourceSpec] = {}


def register(*specs: SourceSpec) -> None:
    for spec in specs:
        if spec.id in _SOURCES and _SOURCES[spec.id] is not spec:
            raise ValueError(f"data source {spec.id!r} is registered twice")
        _SOURCES[spec.id] = spec


def _load_builtin() -> None:
    if _SOURCES:
        return
    from core.data.files import SOURCES as FILES
    from core.data.generated import SOURCES as GENERATED
    from core.data.keras_sets import SOURCES as KERAS
    from core.data.sequences import SOURCES as SEQUENCES
    from core.data.toy import SOURCES as TOY

    for group in (TOY, GENERATED, SEQUENCES, KERAS, FILES):
        register(*group)


def get_source(source_id: str) -> SourceSpec:
    _load_builtin()
    try:
        return _SOURCES[source_id]
    except KeyError:
        raise DataError(f"unknown data source {source_id!r}", "source") from None


def all_sources() -> list[SourceSpec]:
    _load_builtin()
    return list(_SOURCES.values())


def opt_int(options: Mapping[str, Any], name: str, minimum: int = 1, maximum: int = 10_000_000) -> int:
    """An integer option checked against its range; a ``DataError`` names the option otherwise."""
    value = options[name]
    if isinstance(value, bool) or not isinstance(value, int | float) or int(value) != value:
        raise DataError(f"option {name} must be a whole number, not {value!r}", name)
    if not minimum <= value <= maximum:
        raise DataError(f"option {name} must be between {minimum} and {maximum}, not {value}", name)
    return int(value)


def opt_float(options: Mapping[str, Any], name: str, minimum: float = 0.0, maximum: float = 1e9) -> float:
    value = options[name]
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise DataError(f"option {name} must be a number, not {value!r}", name)
    if not minimum <= value <= maximum:
        raise DataError(f"option {name} must be between {minimum:g} and {maximum:g}, not {value}", name)
    return float(value)
