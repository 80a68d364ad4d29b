"""Saving what a plot shows: PNG of the widget, its data as CSV, both to the clipboard."""

from __future__ import annotations

import csv
import io
from collections.abc import Mapping
from pathlib import Path

import numpy as np
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import QFileDialog, QWidget

Columns = Mapping[str, np.ndarray]


def csv_text(columns: Columns) -> str:
    """Columns side by side (shorter ones padded with blanks); numbers written with full precision."""
    names = list(columns)
    arrays = [np.asarray(columns[n]).reshape(-1) for n in names]
    rows = max((len(a) for a in arrays), default=0)
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(names)
    for i in range(rows):
        writer.writerow([_cell(a, i) for a in arrays])
    return out.getvalue()


def _cell(values: np.ndarray, i: int) -> str:
    if i >= len(values):
        return ""
    v = float(values[i])
    return "" if np.isnan(v) else repr(v)


def read_csv(text: str) -> dict[str, np.ndarray]:
    """The inverse of ``csv_text`` (blanks become NaN); used by tests and by a user reloading a file."""
    rows = list(csv.reader(io.StringIO(text)))
    if not rows:
        return {}
    names, body = rows[0], rows[1:]
    return {name: np.array([float(r[j]) if j < len(r) and r[j] else np.nan for r in body])
            for j, name in enumerate(names)}


def save_csv(columns: Columns, path: str | Path) -> Path:
    target = Path(path)
    target.write_text(csv_text(columns), encoding="utf-8")
    return target


def copy_csv(columns: Columns) -> None:
    QGuiApplication.clipboard().setText(csv_text(columns))


def save_png(widget: QWidget, path: str | Path) -> Path:
    target = Path(path)
    if not widget.grab().save(str(target), "PNG"):
        raise OSError(f"could not write {target}")
    return target


def copy_png(widget: QWidget) -> None:
    QGuiApplication.clipboard().setPixmap(widget.grab())


def ask_path(parent: QWidget, title: str, name: str, pattern: str) -> str:
    chosen, _ = QFileDialog.getSaveFileName(parent, title, name, pattern)
    return chosen
