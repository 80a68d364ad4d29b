"""The user's own data: CSV tables, NPZ/NPY arrays, and folders with one sub-folder per class."""

from __future__ import annotations

import csv
import re
from collections import Counter
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np

from core.data.errors import DataError
from core.data.png import read_png, read_pnm
from core.data.recipe import RawData
from core.data.sources import SourceSpec, opt_int

MAX_FILE_BYTES = 2_000_000_000


def _path(o: Mapping[str, Any], name: str = "path") -> Path:
    value = o.get(name)
    if not value:
        raise DataError(f"option {name} needs a file or folder", name)
    path = Path(str(value)).expanduser()
    if not path.exists():
        raise DataError(f"{path} does not exist", str(path))
    if path.is_file() and path.stat().st_size > MAX_FILE_BYTES:
        raise DataError(f"{path} is larger than {MAX_FILE_BYTES // 1_000_000} MB", str(path))
    return path


# ---- CSV ------------------------------------------------------------------------------------------

def _read_rows(path: Path, delimiter: str) -> tuple[list[str], list[tuple[int, list[str]]]]:
    try:
        with path.open(newline="", encoding="utf-8-sig") as f:
            reader = csv.reader(f, delimiter=delimiter, strict=True)
            header = next(reader, None)
            if not header:
                raise DataError(f"{path} is empty", str(path))
            rows = [(reader.line_num, row) for row in reader if row]
    except csv.Error as exc:
        raise DataError(f"{path} line {reader.line_num}: malformed CSV ({exc})", f"{path}:{reader.line_num}") from None
    except UnicodeDecodeError as exc:
        raise DataError(f"{path} is not UTF-8 text ({exc.reason})", str(path)) from None
    header = [h.strip() for h in header]
    for line, row in rows:
        if len(row) != len(header):
            raise DataError(f"{path} line {line}: {len(row)} fields where the header has {len(header)}",
                            f"{path}:{line}")
    return header, rows


def _column(header: list[str], name: str, path: Path) -> int:
    if name not in header:
        raise DataError(f"{path} has no column {name!r} (columns: {', '.join(header)})", name)
    return header.index(name)


def _numbers(path: Path, header: list[str], rows: list[tuple[int, list[str]]], cols: list[int]) -> np.ndarray:
    out = np.empty((len(rows), len(cols)), dtype="float32")
    for r, (line, row) in enumerate(rows):
        for c, col in enumerate(cols):
            try:
                out[r, c] = float(row[col])
            except ValueError:
                raise DataError(f"{path} line {line}, column {header[col]!r}: {row[col]!r} is not a number",
                                f"{path}:{line}:{header[col]}") from None
    return out


def _labels(values: list[str], task: str) -> tuple[np.ndarray, str, list[str] | None]:
    numeric = all(re.fullmatch(r"\s*[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?\s*", v) for v in values)
    if task == "regression" or (task == "auto" and numeric and len(set(values)) > 20):
        if not numeric:
            bad = next(v for v in values if not re.fullmatch(r"\s*[-+]?[\d.eE+-]+\s*", v))
            raise DataError(f"label {bad!r} is not a number, so this cannot be a regression", "label")
        return np.array([float(v) for v in values], "float32")[:, None], "regression", None
    stripped = [v.strip() for v in values]
    if numeric:
        classes = sorted(set(stripped), key=float)
    else:
        classes = sorted(set(stripped))
    index = {c: i for i, c in enumerate(classes)}
    return np.array([index[v] for v in stripped], "int64"), "classification", classes


def csv_table(o: Mapping[str, Any]) -> RawData:
    """Feature columns (all but the label when ``features`` is empty) and one label column."""
    path = _path(o)
    header, rows = _read_rows(path, str(o["delimiter"]))
    if not rows:
        raise DataError(f"{path} has a header but no rows", str(path))
    label = str(o["label"] or header[-1])
    label_col = _column(header, label, path)
    names = list(o["features"] or [h for h in header if h != label])
    cols = [_column(header, str(n), path) for n in names]
    x = _numbers(path, header, rows, cols)
    y, task, classes = _labels([row[label_col] for _, row in rows], str(o["task"]))
    return RawData(x, y, task, classes, notes=f"features: {', '.join(names)}; label: {label}")  # type: ignore[arg-type]


# ---- NPZ / NPY ------------------------------------------------------------------------------------

def _load_array(path: Path, key: str | None = None) -> np.ndarray:
    try:
        loaded = np.load(path, allow_pickle=False)
    except ValueError as exc:
        raise DataError(f"{path}: holds Python objects, which are never loaded ({exc})", str(path)) from None
    except OSError as exc:
        raise DataError(f"{path}: not a NumPy file ({exc})", str(path)) from None
    if isinstance(loaded, np.ndarray):
        return loaded
    with loaded:
        if key not in loaded.files:
            raise DataError(f"{path} has no array {key!r} (arrays: {', '.join(loaded.files)})", str(key))
        try:
            return np.asarray(loaded[key])
        except ValueError as exc:
            raise DataError(f"{path}[{key}]: holds Python objects, which are never loaded ({exc})", key) from None


def numpy_arrays(o: Mapping[str, Any]) -> RawData:
    """``x``/``y`` from one .npz (keys ``x_key``, ``y_key``) or two .npy files (``path`` and ``y_path``)."""
    path = _path(o)
    if path.suffix == ".npz":
        x, y = _load_array(path, str(o["x_key"])), _load_array(path, str(o["y_key"]))
    else:
        x, y = _load_array(path), _load_array(_path(o, "y_path"))
    if len(x) != len(y):
        raise DataError(f"{path}: {len(x)} samples but {len(y)} labels", str(path))
    task = str(o["task"])
    if task == "auto":
        task = "classification" if np.issubdtype(y.dtype, np.integer) and y.ndim == 1 else "regression"
    classes = [str(i) for i in range(int(y.max()) + 1)] if task == "classification" and y.ndim == 1 else None
    x = x.astype("float32") if not np.issubdtype(x.dtype, np.integer) else x
    return RawData(x, y, task, classes)  # type: ignore[arg-type]


# ---- folders ---------------------------------------------------------------------------------------

def _class_folders(root: Path) -> list[Path]:
    if not root.is_dir():
        raise DataError(f"{root} is not a folder", str(root))
    folders = sorted(p for p in root.iterdir() if p.is_dir() and not p.name.startswith("."))
    if len(folders) < 2:
        raise DataError(f"{root} needs one sub-folder per class (at least two), found {len(folders)}", str(root))
    return folders


def _read_image(path: Path) -> np.ndarray:
    suffix = path.suffix.lower()
    if suffix == ".png":
        return read_png(path)
    if suffix in (".pgm", ".ppm"):
        return read_pnm(path)
    arr = _load_array(path)
    return arr if arr.ndim == 3 else arr[..., None]


def _fit(img: np.ndarray, size: tuple[int, int], channels: int) -> np.ndarray:
    rows = (np.arange(size[0]) * img.shape[0] // size[0]).clip(0, img.shape[0] - 1)
    cols = (np.arange(size[1]) * img.shape[1] // size[1]).clip(0, img.shape[1] - 1)
    img = img[rows][:, cols].astype("float32")[..., :3]
    if channels == 1 and img.shape[2] == 3:
        img = img @ np.array([[0.299], [0.587], [0.114]], "float32")
    elif channels == 3 and img.shape[2] == 1:
        img = np.repeat(img, 3, axis=2)
    return img


def image_folder(o: Mapping[str, Any]) -> RawData:
    """Images (PNG, PGM/PPM, .npy) in one sub-folder per class, resized (nearest) to ``size``."""
    root = _path(o)
    size = (opt_int({"h": o["size"][0]}, "h", 1, 4096), opt_int({"w": o["size"][1]}, "w", 1, 4096))
    channels = 1 if o["color"] == "grayscale" else 3
    xs, ys, classes = [], [], []
    for label, folder in enumerate(_class_folders(root)):
        classes.append(folder.name)
        for file in sorted(folder.iterdir()):
            if file.suffix.lower() in (".png", ".pgm", ".ppm", ".npy"):
                xs.append(_fit(_read_image(file), size, channels))
                ys.append(label)
    if not xs:
        raise DataError(f"{root}: no images (.png, .pgm, .ppm, .npy) in its class folders", str(root))
    return RawData(np.stack(xs), np.array(ys, "int64"), "classification", classes)


def _tokens(text: str) -> list[str]:
    return re.findall(r"[a-z0-9']+", text.lower())


def text_folder(o: Mapping[str, Any]) -> RawData:
    """.txt files in one sub-folder per class, as token ids (1 = unknown, 0 = padding) of length ``maxlen``."""
    root = _path(o)
    words = opt_int(o, "num_words", 10, 1_000_000)
    maxlen = opt_int(o, "maxlen", 1, 100_000)
    docs, ys, classes = [], [], []
    for label, folder in enumerate(_class_folders(root)):
        classes.append(folder.name)
        for file in sorted(folder.glob("*.txt")):
            docs.append(_tokens(file.read_text(encoding="utf-8", errors="replace")))
            ys.append(label)
    if not docs:
        raise DataError(f"{root}: no .txt files in its class folders", str(root))
    counts = Counter(t for d in docs for t in d)
    vocab = {w: i + 2 for i, (w, _) in enumerate(sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))[:words - 2])}
    x = np.zeros((len(docs), maxlen), "int32")
    for i, doc in enumerate(docs):
        ids = [vocab.get(t, 1) for t in doc][:maxlen]
        x[i, :len(ids)] = ids
    return RawData(x, np.array(ys, "int64"), "classification", classes, notes=f"vocabulary {len(vocab) + 2} ids")


TASKS = ("auto", "classification", "regression")
SOURCES = (
    SourceSpec("file.csv", "CSV table", "Your files", "A table with a header row; pick feature and label columns.",
               csv_table, {"path": "", "features": [], "label": "", "delimiter": ",", "task": "auto"},
               choices={"task": TASKS}),
    SourceSpec("file.numpy", "NumPy arrays", "Your files", "x and y from an .npz, or two .npy files.",
               numpy_arrays, {"path": "", "y_path": "", "x_key": "x", "y_key": "y", "task": "auto"},
               choices={"task": TASKS}),
    SourceSpec("file.images", "Image folder", "Your files", "One sub-folder of images per class.",
               image_folder, {"path": "", "size": [28, 28], "color": "grayscale"},
               choices={"color": ("grayscale", "rgb")}),
    SourceSpec("file.texts", "Text folder", "Your files", "One sub-folder of .txt files per class.",
               text_folder, {"path": "", "num_words": 10000, "maxlen": 200}),
)
