"""GAN and RL runs started from their panels in the main window train in a worker process of lower CPU priority
than the window, as training-panel runs do (``desktop.panels.session.WORKER_NICE``): the panels share the
training docks' engine, whose every run is lowered when it starts."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import Qt

from desktop.panels.session import WORKER_NICE
from desktop.panels.training_install import training_docks
from resources.examples import example_path

pytestmark = pytest.mark.skipif(not hasattr(os, "setpriority"), reason="Unix priorities")


def nice_values(pid: int) -> list[int]:
    """The nice value of each thread of process ``pid`` (Linux keeps one per thread)."""
    tasks = Path(f"/proc/{pid}/task")
    ids = [int(t.name) for t in tasks.iterdir()] if tasks.is_dir() else [pid]
    return [os.getpriority(os.PRIO_PROCESS, tid) for tid in ids]


def expected_nice() -> int:
    return max(os.getpriority(os.PRIO_PROCESS, 0), WORKER_NICE)


@pytest.mark.gym
def test_an_rl_run_started_from_its_panel_has_a_lower_priority_worker(qtbot: Any, window: Any) -> None:
    hooks = window.rl_hooks
    assert window.projects.load_path(example_path("qlearning_frozenlake"))
    qtbot.waitUntil(lambda: hooks.lab is not None, timeout=5_000)
    lab = hooks.lab
    lab.follow()
    settings = lab.panel.config_data()
    settings["agent"]["episodes"] = 1_000_000  # still running when its priority is read
    lab.panel.set_config(settings)
    qtbot.waitUntil(lambda: lab.panel.env_info is not None and lab.panel.start_button.isEnabled(), timeout=20_000)
    try:
        qtbot.mouseClick(lab.panel.start_button, Qt.MouseButton.LeftButton)
        assert lab.run is not None
        pid = lab.run.worker.process.pid
        assert pid != os.getpid()
        assert set(nice_values(pid)) == {expected_nice()}
    finally:
        hooks.close()  # kills the run
        training_docks(window).close()  # and the engine with its warm worker


@pytest.mark.tf
def test_a_gan_run_started_from_its_panel_has_a_lower_priority_worker(qtbot: Any, window: Any) -> None:
    assert window.projects.load_path(example_path("gan"))
    hooks = window.gan_hooks
    qtbot.waitUntil(lambda: hooks.gan is not None and window.docks["gan"].isVisible(), timeout=5_000)
    cockpit = hooks.gan
    cockpit.refresh_project()
    try:
        qtbot.mouseClick(cockpit.start_button, Qt.MouseButton.LeftButton)
        assert cockpit.run is not None
        pid = cockpit.run.worker.process.pid
        assert pid != os.getpid()
        assert set(nice_values(pid)) == {expected_nice()}
    finally:
        cockpit.close_run()
        training_docks(window).close()
