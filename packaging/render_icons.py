"""Renders packaging/icons/layerbench.svg to the hicolor PNG sizes: ``python packaging/render_icons.py``.

Run once when the SVG changes; the PNGs are committed so installing a shortcut needs no Qt.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

SIZES = (16, 24, 32, 48, 64, 128, 256)
FOLDER = Path(__file__).resolve().parent / "icons"


def render(svg: Path = FOLDER / "layerbench.svg", out: Path = FOLDER) -> list[Path]:
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from PySide6.QtCore import Qt
    from PySide6.QtGui import QGuiApplication, QImage, QPainter
    from PySide6.QtSvg import QSvgRenderer

    _app = QGuiApplication.instance() or QGuiApplication(sys.argv[:1])
    renderer = QSvgRenderer(str(svg))
    written = []
    for size in SIZES:
        image = QImage(size, size, QImage.Format.Format_ARGB32)
        image.fill(Qt.GlobalColor.transparent)
        painter = QPainter(image)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        renderer.render(painter)
        painter.end()
        path = out / f"layerbench-{size}.png"
        image.save(str(path))
        written.append(path)
    return written


if __name__ == "__main__":
    for p in render():
        print(f"wrote {p}")
