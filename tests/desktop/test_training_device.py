"""The training panel shows the device the run actually uses as soon as the worker has built the model, before
the first batch (the worker is held just before it by a test callback), and keeps showing it at the end."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import Qt

from core.graph.model import Graph
from tests.desktop.test_training_panel import chain, configure, open_window
from tests.hardening.worker_faults import hold_until

pytestmark = [pytest.mark.tf, pytest.mark.slow]
TIMEOUT = 120_000


def test_device_is_shown_before_the_first_batch(qtbot: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                tf_guard: Any) -> None:
    graph = chain(Graph(), ("Input", {"shape": [2]}), ("Dense", {"units": 8, "activation": "tanh"}),
                  ("Dense", {"units": 2, "activation": "softmax"}))
    w, docks = open_window(qtbot, graph)
    try:
        docks.panel.data.set_recipe({"source": "toy.xor", "options": {"samples": 200}})
        configure(docks, epochs=2, batch_size=50)
        engine = docks.session.ensure_engine()
        release = tmp_path / "release"
        start = engine.start
        monkeypatch.setattr(engine, "start", lambda *a, **k: start(*a, callbacks=(hold_until(str(release)),), **k))
        qtbot.mouseClick(docks.panel.start_button, Qt.MouseButton.LeftButton)
        details = docks.panel.details
        qtbot.waitUntil(lambda: "device: CPU:0" in details.text() or "device: GPU:" in details.text(),
                        timeout=TIMEOUT)
        run = docks.session.run
        assert run.device is not None
        assert len(run.history.batch) == 0  # held before the first batch: the device came first
        assert docks.session.progress.step == 0
        shown = details.text()
        release.touch()
        qtbot.waitUntil(lambda: docks.session.progress.phase == "finished", timeout=TIMEOUT)
        qtbot.waitUntil(lambda: docks.panel.phase.text() == "Finished", timeout=TIMEOUT)
        assert details.text().startswith(shown.split(" · ")[0])
        tf_guard()
    finally:
        docks.close()
        w.document.mark_saved()
        w.projects.timer.stop()
