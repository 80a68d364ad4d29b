"""The RL lab driven through its widgets: runs in the engine's worker, the network check, the MDP view,
frames, greedy play, evaluation and the docks of the main window."""

from __future__ import annotations

import sys
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from PySide6.QtCore import QPoint, Qt
from PySide6.QtWidgets import QHBoxLayout, QTabWidget, QWidget

from core.graph.model import Graph
from core.project.project import Project
from core.rl.networks import mlp_graph
from desktop.panels.rl_lab import RLLab

pytestmark = pytest.mark.gym
RUN_TIMEOUT = 90_000


@pytest.fixture(scope="module")
def engine() -> Iterator[Any]:
    from core.training.engine import TrainingEngine

    eng = TrainingEngine(warm=1)
    yield eng
    eng.close()


def make_lab(qtbot: Any, graph: Graph, engine: Callable[[], Any],
             project: Project | None = None) -> tuple[RLLab, Project, QTabWidget]:
    project = project or Project("rl", {"main": graph})
    lab = RLLab(lambda: project, lambda: graph, engine)
    host = QWidget()
    lab.host = host  # type: ignore[attr-defined]  # keeps the widgets alive as long as the lab
    row = QHBoxLayout(host)
    tabs = QTabWidget()
    tabs.addTab(lab.live, "Live")
    tabs.addTab(lab.mdp, "MDP")
    row.addWidget(lab.panel, 1)
    row.addWidget(tabs, 3)
    qtbot.addWidget(host)
    host.resize(1400, 800)
    host.show()
    qtbot.waitExposed(host)
    return lab, project, tabs


def no_engine() -> Any:
    raise AssertionError("this test starts no run")


def configure(qtbot: Any, lab: RLLab, settings: dict[str, Any]) -> None:
    lab.follow()
    lab.panel.set_config(settings)
    env_id = settings["env"]["id"]
    qtbot.waitUntil(lambda: lab.panel.env_info is not None and lab.panel.env_info.id == env_id, timeout=20_000)


@pytest.fixture
def lab_factory(qtbot: Any) -> Iterator[Callable[..., tuple[RLLab, Project, QTabWidget]]]:
    labs: list[RLLab] = []

    def factory(graph: Graph, engine: Callable[[], Any] = no_engine,
                project: Project | None = None) -> tuple[RLLab, Project, QTabWidget]:
        made = make_lab(qtbot, graph, engine, project)
        labs.append(made[0])
        return made

    yield factory
    for lab in labs:
        lab.close()


def test_q_learning_run_starts_plots_and_stops(qtbot: Any, lab_factory: Any, engine: Any) -> None:
    lab, project, _ = lab_factory(Graph(), lambda: engine)
    configure(qtbot, lab, {"env": {"id": "FrozenLake-v1", "options": {"map_name": "4x4"}},
                           "agent": {"kind": "qlearning", "episodes": 1_000_000, "snapshot_every": 50},
                           "frame_fps": 2})
    assert lab.panel.start_button.isEnabled()
    qtbot.mouseClick(lab.panel.start_button, Qt.MouseButton.LeftButton)
    assert lab.run is not None and lab.panel.stop_button.isEnabled()
    qtbot.waitUntil(lambda: lab.live.curves.points("return") > 20, timeout=RUN_TIMEOUT)
    qtbot.waitUntil(lambda: lab.live.qtable.last is not None, timeout=20_000)
    qtbot.mouseClick(lab.panel.pause_button, Qt.MouseButton.LeftButton)
    assert lab.run.paused and lab.panel.pause_button.text() == "Resume"
    qtbot.mouseClick(lab.panel.pause_button, Qt.MouseButton.LeftButton)
    assert not lab.run.paused and lab.panel.pause_button.text() == "Pause"
    with qtbot.waitSignal(lab.run_ended, timeout=30_000):
        qtbot.mouseClick(lab.panel.stop_button, Qt.MouseButton.LeftButton)
    assert lab.finished is not None and lab.finished.stopped
    assert "Stopped after" in lab.panel.status.text()
    assert lab.panel.start_button.isEnabled() and not lab.panel.stop_button.isEnabled()
    assert [r.info["kind"] for r in project.runs] == ["rl"]
    assert lab.live.qtable.image.image.shape == (16, 4)
    # the learned table on the MDP grid, beside the exact solution
    assert lab.mdp.learned_button.isEnabled()
    qtbot.mouseClick(lab.mdp.learned_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: lab.mdp.answer is not None and lab.mdp.answer["method"] == "learned", timeout=20_000)
    assert lab.mdp.grid.arrow_count() == 11 and "Learned by Q-learning" in lab.mdp.status.text()
    lab.mdp.show_state(0, 0)
    assert "learned max Q" in lab.mdp.details.toPlainText()
    # after training: evaluate and watch the greedy agent (jobs in child processes)
    lab.panel.episodes.setValue(5)
    qtbot.mouseClick(lab.panel.evaluate_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: lab.last_evaluation is not None, timeout=30_000)
    assert "over 5 episodes" in lab.panel.result.text() and "±" in lab.panel.result.text()
    shown = lab.live.frames.shown
    qtbot.mouseClick(lab.panel.play_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: lab.live.frames.shown > shown + 1, timeout=30_000)
    assert "Greedy episode: return" in lab.panel.result.text()


def test_network_that_does_not_fit_is_refused_with_both_numbers(qtbot: Any, lab_factory: Any) -> None:
    had_gym, had_tf = "gymnasium" in sys.modules, "tensorflow" in sys.modules
    graph = Graph.from_dict(mlp_graph((4,), (16,), 3))
    lab, _, _ = lab_factory(graph)
    configure(qtbot, lab, {"env": {"id": "CartPole-v1"}, "agent": {"kind": "dqn"}})
    text = lab.panel.check_label.text()
    assert "outputs 3 values" in text and "CartPole-v1 has 2 actions" in text
    assert lab.panel.check_label.isVisible() and not lab.panel.start_button.isEnabled()
    assert not lab.start()
    # the spaces are shown, read in a child process: the window imports neither gymnasium nor TensorFlow
    assert "Box(4,)" in lab.panel.env.spaces.text() and "Discrete(2): left, right" in lab.panel.env.spaces.text()
    assert had_gym or "gymnasium" not in sys.modules
    assert had_tf or "tensorflow" not in sys.modules
    # one click sizes the last layer to the action count and lifts the refusal
    assert lab.panel.fit_button.isVisible() and "CartPole-v1" in lab.panel.fit_button.text()
    qtbot.mouseClick(lab.panel.fit_button, Qt.MouseButton.LeftButton)
    assert next(n for n in graph.nodes if n.name == "output").params["units"] == 2
    assert lab.panel.start_button.isEnabled() and not lab.panel.fit_button.isVisible()
    assert "fits CartPole-v1" in lab.panel.check_label.text()
    # and an edit of the graph that breaks the fit again is caught at once
    first = next(n for n in graph.nodes if n.type == "Input")
    graph.set_params(first.id, {"shape": [5]})
    assert not lab.panel.start_button.isEnabled()
    assert "(5,)" in lab.panel.check_label.text() and "(4,)" in lab.panel.check_label.text()


def test_mdp_view_shows_values_and_arrows_after_value_iteration(qtbot: Any, lab_factory: Any,
                                                               tmp_path: Path) -> None:
    lab, _, tabs = lab_factory(Graph())
    configure(qtbot, lab, {"env": {"id": "FrozenLake-v1", "options": {"map_name": "4x4"}},
                           "agent": {"kind": "qlearning"}})
    tabs.setCurrentWidget(lab.mdp)
    qtbot.waitUntil(lambda: lab.mdp.value_button.isEnabled(), timeout=5_000)
    qtbot.mouseClick(lab.mdp.value_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: lab.mdp.answer is not None, timeout=20_000)
    grid = lab.mdp.grid
    assert (grid.rows, grid.cols) == (4, 4) and grid.values.shape == (4, 4)
    assert grid.arrow_count() == 11  # 16 cells less 4 holes and the goal
    assert grid.values[3, 2] > grid.values[0, 0] > 0  # next to the goal is worth more than the start
    assert "Value iteration converged" in lab.mdp.status.text()
    side = min(grid.width() / 4, grid.height() / 4)
    x0, y0 = (grid.width() - 4 * side) / 2, (grid.height() - 4 * side) / 2
    qtbot.mouseClick(grid, Qt.MouseButton.LeftButton, pos=QPoint(int(x0 + side / 2), int(y0 + side / 2)))
    assert grid.selected == (0, 0)
    details = lab.mdp.details.toPlainText()
    assert "State 0" in details and "1/3 → 4" in details and "greedy" in details
    assert grid.grab().save(str(tmp_path / "mdp.png"))


@pytest.mark.slow
def test_frames_arrive_during_a_cartpole_run(qtbot: Any, lab_factory: Any, engine: Any) -> None:
    graph = Graph.from_dict(mlp_graph((4,), (16,), 2, "softmax"))
    lab, _, _ = lab_factory(graph, lambda: engine)
    configure(qtbot, lab, {"env": {"id": "CartPole-v1"}, "agent": {"kind": "reinforce", "episodes": 100_000},
                           "frame_fps": 8})
    assert lab.start()
    qtbot.waitUntil(lambda: lab.live.frames.shown >= 2, timeout=RUN_TIMEOUT)
    assert lab.live.frames.picture.pixmap() is not None and not lab.live.frames.picture.pixmap().isNull()
    assert "training · episode" in lab.live.frames.caption.text()
    with qtbot.waitSignal(lab.run_ended, timeout=30_000):
        lab.stop()
    assert lab.panel.export_button.isEnabled()


@pytest.mark.slow
@pytest.mark.tf
def test_the_agent_network_is_exported_as_a_saved_model(qtbot: Any, lab_factory: Any, engine: Any,
                                                        tmp_path: Path) -> None:
    graph = Graph.from_dict(mlp_graph((4,), (8,), 2, "softmax"))
    lab, project, _ = lab_factory(graph, lambda: engine)
    configure(qtbot, lab, {"env": {"id": "CartPole-v1"}, "agent": {"kind": "reinforce", "episodes": 3},
                           "frame_fps": 0, "evaluation": {"episodes": 1}})
    with qtbot.waitSignal(lab.run_ended, timeout=RUN_TIMEOUT):
        assert lab.start()
    assert lab.run_id is not None and project.run(lab.run_id).weights
    assert lab.export(tmp_path / "agent")
    qtbot.waitUntil(lambda: lab.exported is not None, timeout=120_000)
    assert lab.exported == (True, str(tmp_path / "agent")), lab.panel.result.text()
    assert (tmp_path / "agent" / "saved_model.pb").is_file()


def test_a_stored_run_of_a_reopened_project_is_evaluated(qtbot: Any, lab_factory: Any, tmp_path: Path) -> None:
    from core.rl.config import RLConfig
    from core.rl.play import store_run
    from core.rl.runner import run_rl

    config = RLConfig.model_validate({"env": {"id": "FrozenLake-v1", "options": {"is_slippery": False}},
                                      "agent": {"kind": "qlearning", "episodes": 400, "epsilon_decay_episodes": 300},
                                      "evaluation": {"episodes": 1}})
    control = SimpleNamespace(stop=threading.Event(), pause=threading.Event())
    result = run_rl(config, lambda _msg: None, control, tmp_path / "run")
    project = Project("rl", {"main": Graph()})
    project.save(tmp_path / "lake.layerbench")
    store_run(project, config, result)
    project.save(tmp_path / "lake.layerbench")
    reopened = Project.load(tmp_path / "lake.layerbench")
    lab, _, _ = lab_factory(Graph(), project=reopened)
    lab.follow()
    assert "Stored run" in lab.panel.result.text()
    assert lab.panel.evaluate_button.isEnabled() and not lab.panel.export_button.isEnabled()  # a table: no network
    qtbot.waitUntil(lambda: lab.panel.env_info is not None and lab.panel.env_info.id == "FrozenLake-v1", timeout=20_000)
    lab.panel.episodes.setValue(3)
    qtbot.mouseClick(lab.panel.evaluate_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: lab.last_evaluation is not None, timeout=30_000)
    assert "over 3 episodes" in lab.panel.result.text(), lab.panel.result.text()


def test_main_window_shows_the_rl_docks_for_an_rl_project(qtbot: Any, window: Any) -> None:
    from desktop.document import Document

    hooks = window.rl_hooks
    assert not window.docks["rl"].isVisible() and hooks.lab is None
    graph = Graph.from_dict(mlp_graph((4,), (16,), 3))
    project = Project("rl", {"main": graph}, name="cartpole")
    window.set_document(Document(graph, None, project, name="cartpole"))
    qtbot.waitUntil(lambda: window.docks["rl"].isVisible() and hooks.lab is not None, timeout=5_000)
    lab = hooks.lab
    qtbot.waitUntil(lambda: lab.panel.env_info is not None, timeout=20_000)
    assert lab.panel.agent.kind() == "dqn" and lab.panel.env.env_id() == "CartPole-v1"
    assert not lab.panel.start_button.isEnabled() and "outputs 3 values" in lab.panel.check_label.text()
    lab.fit_network()  # through the window's undo stack
    assert lab.panel.start_button.isEnabled()
    window.document.stack.undo()
    assert not lab.panel.start_button.isEnabled()
    window.document.stack.redo()
    assert lab.panel.start_button.isEnabled()
    window.set_document(Document(Graph()))
    qtbot.waitUntil(lambda: not window.docks["rl"].isVisible(), timeout=5_000)
    hooks.close()


def test_new_from_the_q_network_template_opens_the_rl_lab(qtbot: Any, window: Any,
                                                           monkeypatch: pytest.MonkeyPatch) -> None:
    from desktop.dialogs import templates

    def pick_q_network(dialog: templates.TemplateGallery) -> int:
        names = [dialog.list.item(i).data(templates.NAME_ROLE) for i in range(dialog.list.count())]
        dialog.list.setCurrentRow(names.index("dqn_qnetwork"))
        return 1

    monkeypatch.setattr(templates.TemplateGallery, "exec", pick_q_network)
    window.actions_by_id["file.new"].trigger()
    assert window.document.project.kind == "rl"
    hooks = window.rl_hooks
    qtbot.waitUntil(lambda: hooks.lab is not None and window.docks["rl_live"].isVisible(), timeout=5_000)
    qtbot.waitUntil(lambda: hooks.lab.panel.env_info is not None, timeout=20_000)
    assert hooks.lab.panel.agent.kind() == "dqn" and hooks.lab.panel.start_button.isEnabled()
    hooks.close()


@pytest.mark.parametrize("name", ["dqn_cartpole", "reinforce_cartpole", "qlearning_frozenlake"])
def test_an_example_projects_settings_come_back_unchanged(qtbot: Any, lab_factory: Any, name: str) -> None:
    from core.rl.config import RLConfig

    path = Path(__file__).parents[2] / "resources" / "examples" / f"{name}.layerbench"
    if not path.is_file():
        pytest.skip(f"no example {name}")
    project = Project.load(path)
    lab, _, _ = lab_factory(project.main, project=project)
    lab.follow()
    stored = project.training["rl"]
    qtbot.waitUntil(lambda: lab.panel.env_info is not None and lab.panel.env_info.id == stored["env"]["id"],
                    timeout=20_000)
    assert lab.panel.refusal is None
    config = lab.make_config()
    assert config == RLConfig.model_validate({**stored, "graph": config.graph})
