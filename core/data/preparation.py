"""What a new sample needs to be prepared like a recipe's training data: the scaling statistics of the training
part, the class names, the task and the pixel range of the source.

They are computed by training's own steps (``load_raw``, the same shuffle and splits, the same scaler), once:
a JSON file in the user data folder's ``cache/preparation`` keeps them, keyed by the recipe and by the size and
modification time of every file or folder the recipe reads, so an edited data file is read again.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np

from core.data.load import _scaler, _splits, load_raw
from core.data.recipe import DataRecipe
from core.data.sample_file import pixel_range

CACHE_VERSION = 1


@dataclass(frozen=True)
class Preparation:
    """How the recipe's training data was prepared (``stats`` as ``Dataset.scaling_stats`` holds them)."""

    stats: dict[str, Any]
    classes: list[str] | None
    task: str
    pixel_range: tuple[float, float]
    scaling: str


def compute(recipe: DataRecipe) -> Preparation:
    """Read the recipe's data and take the statistics of its training part, as ``load.prepare`` does."""
    raw = load_raw(recipe)
    train, _, _ = _splits(raw, recipe.preprocess)
    stats = {k: np.asarray(v).tolist() for k, v in _scaler(train.x, recipe.preprocess.scaling).items()}
    return Preparation(stats, raw.classes, raw.task, pixel_range(raw.x), recipe.preprocess.scaling)


def _fingerprint(value: Any) -> list[Any]:
    """Size and modification time of a file, or of every file under a folder, an option names."""
    if not isinstance(value, str) or not value:
        return []
    path = Path(value).expanduser()
    if path.is_file():
        stat = path.stat()
        return [str(path), stat.st_size, stat.st_mtime_ns]
    if path.is_dir():
        stats = [p.stat() for p in sorted(path.rglob("*")) if p.is_file()]
        return [str(path), len(stats), sum(s.st_size for s in stats), max((s.st_mtime_ns for s in stats), default=0)]
    return []


def cache_key(recipe: DataRecipe) -> str:
    blob = recipe.to_dict()
    files = [_fingerprint(v) for _, v in sorted(recipe.options.items())]
    text = json.dumps([CACHE_VERSION, blob, files], sort_keys=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()[:32]


def default_cache_dir() -> Path:
    from core.project.autosave import data_dir

    return data_dir() / "cache" / "preparation"


def preparation(recipe: DataRecipe | dict[str, Any], cache_dir: Path | None = None) -> Preparation:
    """The recipe's preparation, from the cache when its data has not changed (computed and stored otherwise)."""
    parsed = recipe if isinstance(recipe, DataRecipe) else DataRecipe.from_dict(recipe)
    folder = cache_dir if cache_dir is not None else default_cache_dir()
    file = folder / f"{cache_key(parsed)}.json"
    with contextlib.suppress(OSError, ValueError, TypeError, KeyError):
        stored = json.loads(file.read_text(encoding="utf-8"))
        low, high = stored["pixel_range"]
        return Preparation(stored["stats"], stored["classes"], stored["task"], (float(low), float(high)),
                           stored["scaling"])
    prep = compute(parsed)
    with contextlib.suppress(OSError):
        folder.mkdir(parents=True, exist_ok=True)
        temp = file.with_suffix(f".{os.getpid()}.tmp")
        temp.write_text(json.dumps(asdict(prep)), encoding="utf-8")
        os.replace(temp, file)
    return prep
