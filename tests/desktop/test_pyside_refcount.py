"""Regression test for the PySide6 6.12 bug in FACTS.md: void Qt calls lowered ``None``'s refcount until
the interpreter aborted (Python < 3.12, where None is not immortal). 6.11.3 must leak nothing."""

from __future__ import annotations

import sys

from PySide6.QtCore import QObject, QPointF
from PySide6.QtGui import QPainterPath
from PySide6.QtWidgets import QGraphicsRectItem

CALLS = 100_000


def test_void_qt_calls_keep_none_refcount(qapp) -> None:  # type: ignore[no-untyped-def]
    item = QGraphicsRectItem(0, 0, 10, 10)
    obj = QObject()
    path = QPainterPath()
    before = sys.getrefcount(None)
    for i in range(CALLS):
        item.setPos(i % 7, 0)
        obj.setObjectName("x")
        path.lineTo(QPointF(i % 5, 1))
        obj.parent()
    after = sys.getrefcount(None)
    assert after >= before - 100, f"None lost {before - after} references over {CALLS} void Qt calls"
