"""Saving what a plot shows: PNG of the widget, its data as CSV, both to the clipboard.

Every plot and view offers the same Export menu (``MENU``), made by ``export_button``: a view mixes in
``Exportable`` and says what its file is called (``export_stem``), which widget is pictured
(``export_target``) and what its data is (``export_csv``). CSV layouts, shared by all views:

- curves: one column per curve beside its x column (``csv_text``);
- heatmaps and matrices: a label column, then one column per matrix column (``matrix_text``);
- image grids (feature maps, GAN samples, reconstructions): long format, one row per pixel, the image's keys
  (channel, sample, kind…) then ``row``, ``col`` (and ``channel`` for colour images), ``value``
  (``images_text``): images of any size fit one table and every value is kept unscaled;
- anything else: a header and rows (``table_text``).

Numbers are written with full precision (``repr``), whole numbers as integers, NaN as an empty cell.

NumPy is imported inside the functions: the Learn dock's diagrams use this module at start-up, before
anything needs NumPy.
"""

from __future__ import annotations

import csv
import io
import itertools
import numbers
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QEvent, QObject, Qt
from PySide6.QtGui import QAction, QGuiApplication, QPixmap
from PySide6.QtWidgets import QFileDialog, QMenu, QToolButton, QWidget

if TYPE_CHECKING:
    import numpy as np

Columns = Mapping[str, Any]
"""Name -> a 1-D array (or sequence) of numbers."""
MENU = ("Save PNG…", "Export CSV…", "Copy image", "Copy data")
"""The Export menu of every plot and view, in this order."""
OVERLAY = "export_overlay"
"""Object name of an Export button drawn over its view (hidden while the view is pictured)."""


# ---- CSV text ------------------------------------------------------------------------------------
def csv_text(columns: Columns) -> str:
    """Columns side by side (shorter ones padded with blanks); numbers written with full precision."""
    import numpy as np

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
    return "" if v != v else repr(v)


def cell(value: Any) -> str:
    """One CSV cell: text as it is, integers as integers, other numbers in full precision, NaN/None empty."""
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    if isinstance(value, numbers.Integral):  # NumPy's integers included
        return str(int(value))
    v = float(value)
    return "" if v != v else repr(v)


def table_text(header: Sequence[str], rows: Iterable[Sequence[Any]]) -> str:
    """A header row and the rows under it (cells written by ``cell``)."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(list(header))
    writer.writerows([cell(v) for v in row] for row in rows)
    return out.getvalue()


def matrix_text(matrix: np.ndarray, row_labels: Sequence[Any], col_labels: Sequence[Any], corner: str) -> str:
    """A matrix with its labels: ``corner`` heads the label column, ``col_labels`` the other columns."""
    import numpy as np

    m = np.asarray(matrix)
    header = [corner, *(str(c) for c in col_labels)]
    return table_text(header, ([label, *m[i].tolist()] for i, label in enumerate(row_labels)))


def images_text(keys: Sequence[str], images: Iterable[tuple[Sequence[Any], np.ndarray]]) -> str:
    """Long format: per image (its key values, an ``(h, w)`` or ``(h, w, c)`` array) one row per value,
    ``*keys, row, col[, channel], value``. A 1-D array is one row of values."""
    import numpy as np

    items = [(list(k), np.asarray(a)) for k, a in images]
    colour = any(a.ndim == 3 for _, a in items)
    out = io.StringIO()
    csv.writer(out, lineterminator="\n").writerow([*keys, "row", "col", *(["channel"] if colour else []), "value"])
    for key, a in items:
        a = a.reshape(1, -1) if a.ndim < 2 else a
        a = a[..., None] if a.ndim == 2 else a
        prefix = _line([cell(k) for k in key])
        values = _numbers(a.reshape(-1))
        places = itertools.product(range(a.shape[0]), range(a.shape[1]), range(a.shape[2]))
        if colour:
            out.writelines(f"{prefix}{r},{k},{ch},{v}\n" for (r, k, ch), v in zip(places, values, strict=True))
        else:
            out.writelines(f"{prefix}{r},{k},{v}\n" for (r, k, _ch), v in zip(places, values, strict=True))
    return out.getvalue()


def _line(cells: list[str]) -> str:
    """CSV cells (quoted where needed) and a trailing comma; empty for no cells."""
    if not cells:
        return ""
    out = io.StringIO()
    csv.writer(out, lineterminator="").writerow(cells)
    return out.getvalue() + ","


def _numbers(values: np.ndarray) -> list[str]:
    """Cells of a 1-D array, fast: integers as integers, floats in full precision, NaN empty."""
    if values.dtype.kind in "iub":
        return [str(v) for v in values.astype("int64").tolist()]
    return ["" if v != v else repr(v) for v in values.astype("float64").tolist()]


def read_csv(text: str) -> dict[str, np.ndarray]:
    """The inverse of ``csv_text`` (blanks become NaN); used by tests and by a user reloading a file."""
    import numpy as np

    rows = list(csv.reader(io.StringIO(text)))
    if not rows:
        return {}
    names, body = rows[0], rows[1:]
    return {name: np.array([float(r[j]) if j < len(r) and r[j] else np.nan for r in body])
            for j, name in enumerate(names)}


def stem(text: str) -> str:
    """A file name stem from a title: ``"Mean squared error"`` -> ``mean_squared_error``."""
    return re.sub(r"[^0-9a-z]+", "_", text.lower()).strip("_") or "plot"


# ---- files and the clipboard ---------------------------------------------------------------------
def save_csv(columns: Columns, path: str | Path) -> Path:
    return write_text(csv_text(columns), path)


def write_text(text: str, path: str | Path) -> Path:
    target = Path(path)
    target.write_text(text, encoding="utf-8")
    return target


def copy_csv(columns: Columns) -> None:
    QGuiApplication.clipboard().setText(csv_text(columns))


def grab(widget: QWidget) -> QPixmap:
    """The widget as pixels, without the Export buttons drawn over it."""
    shown = [b for b in widget.findChildren(QToolButton, OVERLAY) if b.isVisible()]
    for button in shown:
        button.hide()
    try:
        return widget.grab()
    finally:
        for button in shown:
            button.show()


def save_png(widget: QWidget, path: str | Path) -> Path:
    target = Path(path)
    if not grab(widget).save(str(target), "PNG"):
        raise OSError(f"could not write {target}")
    return target


def copy_png(widget: QWidget) -> None:
    QGuiApplication.clipboard().setPixmap(grab(widget))


def ask_path(parent: QWidget, title: str, name: str, pattern: str) -> str:
    chosen, _ = QFileDialog.getSaveFileName(parent, title, name, pattern)
    return chosen


# ---- the shared Export menu ----------------------------------------------------------------------
class Exportable:
    """Mixin of every plot and view: the Export menu's four actions work on what these three methods say."""

    export_button: QToolButton

    def export_stem(self) -> str:
        """The default file name without extension (``loss``, ``feature_maps_conv2d_1``)."""
        raise NotImplementedError

    def export_target(self) -> QWidget:
        """The widget a PNG shows."""
        assert isinstance(self, QWidget)
        return self

    def export_csv(self) -> str:
        """The data shown, as CSV text (what "Export CSV…" writes and "Copy data" copies)."""
        raise NotImplementedError

    def export_actions(self) -> dict[str, QAction]:
        """The Export menu's actions by their text (``MENU``)."""
        menu = self.export_button.menu()
        return {a.text(): a for a in menu.actions() if not a.isSeparator()}

    def ask_save_png(self) -> None:
        assert isinstance(self, QWidget)
        path = ask_path(self, "Save as PNG", f"{self.export_stem()}.png", "PNG images (*.png)")
        if path:
            save_png(self.export_target(), path)

    def ask_save_csv(self) -> None:
        assert isinstance(self, QWidget)
        path = ask_path(self, "Export data as CSV", f"{self.export_stem()}.csv", "CSV files (*.csv)")
        if path:
            write_text(self.export_csv(), path)

    def copy_image(self) -> None:
        copy_png(self.export_target())

    def copy_data(self) -> None:
        QGuiApplication.clipboard().setText(self.export_csv())


def export_button(owner: Exportable, parent: QWidget | None = None) -> QToolButton:
    """The Export button with its menu (``MENU``) for ``owner``; stored as ``owner.export_button``."""
    button = QToolButton(parent)
    button.setText("Export")
    button.setObjectName("export_button")
    button.setToolTip("Save this plot as PNG or its data as CSV, or copy either")
    button.setPopupMode(QToolButton.ToolButtonPopupMode.InstantPopup)
    menu = QMenu(button)
    slots: tuple[Callable[[], None], ...] = (owner.ask_save_png, owner.ask_save_csv, owner.copy_image,
                                             owner.copy_data)
    for i, (text, slot) in enumerate(zip(MENU, slots, strict=True)):
        if i == 2:
            menu.addSeparator()
        menu.addAction(text, slot)
    button.setMenu(menu)
    owner.export_button = button
    return button


class _Corner(QObject):
    """Keeps an overlay button in its host's top-right corner; with ``hover`` shown only under the mouse."""

    def __init__(self, host: QWidget, button: QToolButton, hover: bool) -> None:
        super().__init__(host)
        self.host, self.button, self.hover = host, button, hover

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        kind = event.type()
        if kind in (QEvent.Type.Resize, QEvent.Type.Show):
            self.place()
        elif self.hover and kind == QEvent.Type.Enter:
            self.place()
            self.button.show()
        elif self.hover and kind == QEvent.Type.Leave and not self.button.menu().isVisible():
            self.button.hide()
        return False

    def place(self) -> None:
        self.button.adjustSize()
        self.button.move(max(0, self.host.width() - self.button.width() - 2), 2)
        self.button.raise_()


def overlay_button(owner: Exportable, host: QWidget, hover: bool = False) -> QToolButton:
    """An Export button drawn over ``host``'s top-right corner (for views with no toolbar of their own); left out
    of the view's PNG. ``hover``: shown only while the mouse is over the view, and the menu is also the view's
    right-click menu (for pictures whose corner holds a drawing)."""
    button = export_button(owner, host)
    button.setObjectName(OVERLAY)
    button.setAutoRaise(True)
    corner = _Corner(host, button, hover)
    host.installEventFilter(corner)
    corner.place()
    if hover:
        button.hide()
        host.addActions(list(owner.export_actions().values()))
        host.setContextMenuPolicy(Qt.ContextMenuPolicy.ActionsContextMenu)
    return button
