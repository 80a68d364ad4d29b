"""Recipe -> prepared ``Dataset``: load the source, shuffle, limit, split, scale, encode labels."""

from __future__ import annotations

from typing import Any

import numpy as np

from core.data.errors import DataError
from core.data.recipe import DataRecipe, Dataset, Preprocess, RawData, Split
from core.data.sources import get_source


def load_raw(recipe: DataRecipe | dict[str, Any]) -> RawData:
    recipe = recipe if isinstance(recipe, DataRecipe) else DataRecipe.from_dict(recipe)
    return get_source(recipe.source).load(recipe.options)


def load_dataset(recipe: DataRecipe | dict[str, Any]) -> Dataset:
    """Everything a recipe describes, ready for training (see ``Preprocess`` for the steps)."""
    recipe = recipe if isinstance(recipe, DataRecipe) else DataRecipe.from_dict(recipe)
    return prepare(load_raw(recipe), recipe.preprocess)


def _order(n: int, p: Preprocess) -> np.ndarray:
    idx = np.random.default_rng(p.seed).permutation(n) if p.shuffle else np.arange(n)
    return idx[: p.limit] if p.limit else idx


def _splits(raw: RawData, p: Preprocess) -> tuple[Split, Split, Split]:
    x, y = raw.x, raw.y
    if len(x) != len(y):
        raise DataError(f"{len(x)} samples but {len(y)} labels", "data")
    idx = _order(len(x), p)
    if raw.x_test is not None and raw.y_test is not None:
        test_idx = _order(len(raw.x_test), p)
        test = Split(raw.x_test[test_idx], raw.y_test[test_idx])
    else:
        n_test = round(len(idx) * p.test)
        test = Split(x[idx[:n_test]], y[idx[:n_test]])
        idx = idx[n_test:]
    n_val = round(len(idx) * p.validation)
    val = Split(x[idx[:n_val]], y[idx[:n_val]])
    train = Split(x[idx[n_val:]], y[idx[n_val:]])
    if len(train) == 0:
        raise DataError("no training samples are left after the validation/test split", "preprocess")
    return train, val, test


def _scaler(train_x: np.ndarray, mode: str) -> dict[str, Any]:
    axes = 0 if train_x.ndim == 2 else None  # per column for tables, one number for images and sequences
    x = train_x.astype("float64")
    if mode == "minmax":
        lo, hi = x.min(axis=axes), x.max(axis=axes)
        return {"shift": lo, "scale": np.where(hi - lo == 0, 1.0, hi - lo)}
    if mode == "standard":
        std = x.std(axis=axes)
        return {"shift": x.mean(axis=axes), "scale": np.where(std == 0, 1.0, std)}
    if mode == "divide255":
        return {"shift": 0.0, "scale": 255.0}
    return {}


def _scale(split: Split, stats: dict[str, Any]) -> Split:
    x = split.x
    if stats and len(split):
        x = ((x - stats["shift"]) / stats["scale"]).astype("float32")
    elif not np.issubdtype(x.dtype, np.integer):
        x = x.astype("float32")
    return Split(x, split.y)


def one_hot(y: np.ndarray, classes: int) -> np.ndarray:
    flat = y.reshape(-1).astype("int64")
    if len(flat) and (flat.min() < 0 or flat.max() >= classes):
        raise DataError(f"class ids must run from 0 to {classes - 1}, found {flat.min()}..{flat.max()}", "labels")
    out = np.zeros((len(flat), classes), "float32")
    out[np.arange(len(flat)), flat] = 1.0
    return out


def prepare(raw: RawData, p: Preprocess) -> Dataset:
    train, val, test = _splits(raw, p)
    stats = _scaler(train.x, p.scaling)
    train, val, test = (_scale(s, stats) for s in (train, val, test))
    if raw.task == "classification" and p.labels == "onehot" and raw.classes:
        k = len(raw.classes)
        train, val, test = (Split(s.x, one_hot(s.y, k)) for s in (train, val, test))
    return Dataset(train, val, test, raw.task, raw.classes, {k: np.asarray(v).tolist() for k, v in stats.items()})
