"""One sample from a file the user loads to try a model on: a row of a CSV table, or a picture fitted to the
model's input. Pure Python and NumPy (the window reads files without TensorFlow); errors are ``DataError``s
naming the file, row and column.

Values come out as they are in the file (pixels 0..255); the prediction worker scales them like the run's
training data (``core.training.predict``).
"""

from __future__ import annotations

import csv
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from core.data.errors import DataError
from core.data.files import _fit

FULL_SCALES = (1.0, 16.0, 255.0)
"""Pixel ranges sources use: 0..1 (generated shapes), 0..16 (scikit-learn digits), 0..255 (files, keras sets)."""


@dataclass(frozen=True)
class CsvLayout:
    """The header (None when the first row is all numbers) and how many data rows follow it."""

    header: list[str] | None
    rows: int


def is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def _rows(path: Path, delimiter: str) -> Iterator[tuple[int, list[str]]]:
    """(line number, fields) of each non-empty row, read like the CSV data source reads (UTF-8, BOM dropped)."""
    line = 0
    try:
        with path.open(newline="", encoding="utf-8-sig") as f:
            reader = csv.reader(f, delimiter=delimiter, strict=True)
            for row in reader:
                line = reader.line_num
                if row:
                    yield line, row
    except csv.Error as exc:
        raise DataError(f"{path.name} line {line + 1}: malformed CSV ({exc})", f"{path}:{line + 1}") from None
    except UnicodeDecodeError as exc:
        raise DataError(f"{path.name} is not UTF-8 text ({exc.reason})", str(path)) from None
    except OSError as exc:
        raise DataError(f"cannot read {path.name} ({exc.strerror or exc})", str(path)) from None


def _header(row: list[str]) -> list[str] | None:
    return None if all(is_number(v) for v in row) else [h.strip() for h in row]


def csv_layout(path: Path, delimiter: str = ",") -> CsvLayout:
    """The header and the number of data rows, streamed (nothing but the header is kept)."""
    rows = _rows(path, delimiter)
    first = next(rows, None)
    if first is None:
        raise DataError(f"{path.name} is empty", str(path))
    header = _header(first[1])
    count = sum(1 for _ in rows) + (0 if header else 1)
    if count == 0:
        raise DataError(f"{path.name} has a header but no rows", str(path))
    return CsvLayout(header, count)


def _recipe_columns(options: Mapping[str, Any], delimiter: str) -> tuple[list[str], str]:
    """(feature names, label name) the CSV recipe trained on; its table's header fills in empty choices."""
    features, label = [str(f) for f in options.get("features") or []], str(options.get("label") or "")
    if features and label:
        return features, label
    path = Path(str(options.get("path") or "")).expanduser()
    if not path.is_file():
        return features, label
    with path.open(newline="", encoding="utf-8-sig") as f:
        header = [h.strip() for h in next(csv.reader(f, delimiter=delimiter), [])]
    label = label or (header[-1] if header else "")
    return features or [h for h in header if h != label], label


def _columns(path: Path, header: list[str] | None, first: list[str], size: int,
             recipe: Mapping[str, Any] | None, delimiter: str) -> tuple[list[int], str]:
    """The columns holding the features, and a note saying how they were chosen."""
    names = header or [f"column {i + 1}" for i in range(len(first))]
    features, label = _recipe_columns(recipe, delimiter) if recipe else ([], "")
    if header and features and all(f in header for f in features):
        return [header.index(f) for f in features], f"columns {', '.join(features)} as in the training data"
    cols = [i for i, v in enumerate(first) if is_number(v) and names[i] != label]
    note = "all numeric columns"
    if len(cols) == size + 1:
        note = f"all numeric columns but the last ({names[cols[-1]]}, taken as the label)"
        cols = cols[:-1]
    if len(cols) != size:
        listed = ", ".join(names[i] for i in cols) or "none"
        hint = f" (the training data's columns: {', '.join(features)})" if features else ""
        raise DataError(f"{path.name} has {len(cols)} numeric columns ({listed}) but the model takes {size} "
                        f"features{hint}", str(path))
    return cols, note


def csv_sample(path: Path, row: int, size: int, recipe: Mapping[str, Any] | None = None,
               delimiter: str = ",") -> tuple[np.ndarray, str]:
    """Data row ``row`` (0 = the first after the header) as ``size`` numbers, and a note on the columns used.

    ``recipe`` holds the options of the project's CSV recipe: its feature columns are used when the file's
    header has those names; otherwise every numeric column (a trailing extra one is the label)."""
    rows = _rows(path, delimiter)
    first = next(rows, None)
    if first is None:
        raise DataError(f"{path.name} is empty", str(path))
    header = _header(first[1])
    body = rows if header else _chain(first, rows)
    found = next((r for i, r in enumerate(body) if i == row), None) if row >= 0 else None
    if found is None:
        count = csv_layout(path, delimiter).rows
        raise DataError(f"{path.name} has {count} data rows; row {row} does not exist", str(path))
    line, values = found
    reference = values if header is None else _first_data(path, delimiter) or values
    cols, note = _columns(path, header, reference, size, recipe, delimiter)
    names = header or [f"column {i + 1}" for i in range(len(values))]
    out = np.empty(size, dtype="float32")
    for k, col in enumerate(cols):
        text = values[col] if col < len(values) else ""
        try:
            out[k] = float(text)
        except ValueError:
            raise DataError(f"{path.name} row {row} (line {line}), column {names[col]!r}: {text!r} is not a number",
                            f"{path}:{line}:{names[col]}") from None
    return out, f"row {row} of {path.name}, {note}"


def _chain(first: tuple[int, list[str]], rest: Iterator[tuple[int, list[str]]]) -> Iterator[tuple[int, list[str]]]:
    yield first
    yield from rest


def _first_data(path: Path, delimiter: str) -> list[str] | None:
    rows = _rows(path, delimiter)
    next(rows, None)
    first = next(rows, None)
    return first[1] if first else None


def _channels_word(channels: int) -> str:
    return "grey" if channels == 1 else "RGB"


def fit_image(pixels: np.ndarray, shape: tuple[int, ...]) -> tuple[np.ndarray, str]:
    """uint8 pixels (h, w, c) resized (nearest, as image folders are read) and converted to grey or RGB for an
    input of ``shape`` — (h, w), (h, w, 1), (h, w, 3), or a flat square — and a note saying what was done."""
    img = np.asarray(pixels)
    img = img[..., None] if img.ndim == 2 else img
    if img.ndim != 3 or img.shape[2] not in (1, 2, 3, 4):
        raise DataError(f"pixels of shape {img.shape} are not a picture", "image")
    img = img[..., :1] if img.shape[2] == 2 else img[..., :3]  # alpha dropped
    target = _image_target(shape)
    if target is None:
        raise DataError(f"the model's input {tuple(shape)} is not a picture; load a CSV row instead", "input")
    h, w, channels = target
    fitted = _fit(img, (h, w), channels)
    before = f"{img.shape[1]}x{img.shape[0]} {_channels_word(img.shape[2])}"
    after = f"{w}x{h} {_channels_word(channels)}"
    if before == after:
        note = f"kept {after}"
    else:
        note = f"{'converted' if (h, w) == img.shape[:2] else 'resized'} {before} to {after}"
    return fitted.reshape(shape).astype("float32"), note


def _image_target(shape: tuple[int, ...]) -> tuple[int, int, int] | None:
    if len(shape) == 2:
        return int(shape[0]), int(shape[1]), 1
    if len(shape) == 3 and shape[2] in (1, 3):
        return int(shape[0]), int(shape[1]), int(shape[2])
    if len(shape) == 1:
        for channels in (1, 3):
            side = int(np.sqrt(int(shape[0]) // channels))
            if side >= 2 and side * side * channels == int(shape[0]):
                return side, side, channels
    return None


def pixel_range(x: np.ndarray) -> tuple[float, float]:
    """The value range the source's pictures use (0..1, 0..16, 0..255, or their own min..max beyond that)."""
    lo, hi = (float(np.min(x)), float(np.max(x))) if np.size(x) else (0.0, 255.0)
    low = 0.0 if lo >= 0 else (-1.0 if lo >= -1 else lo)
    high = next((s for s in FULL_SCALES if hi <= s), hi)
    return low, high


def to_range(pixels: np.ndarray, value_range: tuple[float, float]) -> np.ndarray:
    """0..255 pixels mapped linearly to ``value_range``."""
    lo, hi = value_range
    mapped: np.ndarray = (lo + np.asarray(pixels, "float64") / 255.0 * (hi - lo)).astype("float32")
    return mapped
