"""The GAN cockpit: a run on a tiny DCGAN started and stopped with the real buttons, its plots and sample grid fed
from the worker; a mismatched pair refused with both shapes named; the dock shown only for GAN projects."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from PySide6.QtCore import Qt

from core.gan.config import GanConfig
from core.gan.presets import dcgan_digits, dense_2d
from core.gan.project import new_gan_project
from core.project.project import Project
from desktop.document import Document
from desktop.main_window import MainWindow
from desktop.panels.gan import GanCockpit

TINY = GanConfig(steps=100_000, batch_size=16, sample_every=2, gradients_every=2, sample_count=4,
                 diversity_samples=16, interpolation_steps=5)


def shown(dock: Any) -> bool:
    """The dock is open (possibly as a tab behind another)."""
    return bool(dock.toggleViewAction().isChecked())


@pytest.fixture
def engine() -> Iterator[Any]:
    from core.training.engine import TrainingEngine

    eng = TrainingEngine(warm=0)
    yield eng
    eng.close()


def tiny_digits_project() -> Project:
    project = new_gan_project("digits")
    project.graphs["generator"], project.graphs["discriminator"] = dcgan_digits(latent_dim=4, width=4)
    project.training["gan"] = TINY.to_dict()
    return project


def _no_engine() -> Any:
    raise AssertionError("no run may start")


@pytest.mark.tf
def test_start_and_stop_a_tiny_gan_run(qtbot: Any, engine: Any) -> None:
    project = tiny_digits_project()
    cockpit = GanCockpit(lambda: project, lambda: engine)
    qtbot.addWidget(cockpit)
    cockpit.resize(1300, 520)
    cockpit.show()
    cockpit.refresh_project()
    assert cockpit.form.steps.value() == 100_000
    qtbot.mouseClick(cockpit.start_button, Qt.MouseButton.LeftButton)
    assert cockpit.run is not None
    assert not cockpit.start_button.isEnabled()
    qtbot.waitUntil(lambda: cockpit.view.losses.points("d_loss") >= 4 and cockpit.view.samples.picture_shape is not None
                    and cockpit.view.gradients.curves and cockpit.view.gradients.points_total() > 0, timeout=180_000)
    with qtbot.waitSignal(cockpit.run_ended, timeout=60_000) as ended:
        qtbot.mouseClick(cockpit.stop_button, Qt.MouseButton.LeftButton)
    result = ended.args[0]
    assert result.stopped
    steps = result.epochs_done
    assert steps >= 4
    assert cockpit.view.losses.points("g_loss") == steps
    assert cockpit.view.outputs.points("d_real") == steps
    assert cockpit.view.samples.picture_shape == (2 * 8 + 1, 2 * 8 + 1)  # 4 seeds: 2 x 2 tiles of 8x8, 1-pixel gaps
    assert cockpit.view.meter.value is not None
    keys = set(cockpit.view.gradients.curves)
    assert any(k.startswith("generator/") for k in keys) and any(k.startswith("discriminator/") for k in keys)
    assert cockpit.view.interpolation.picture_shape == (8, 5 * 9 - 1)  # a strip of 5 samples
    assert cockpit.run_id is not None and project.run(cockpit.run_id).weights.keys() == {"generator",
                                                                                         "discriminator"}
    assert cockpit.start_button.isEnabled() and cockpit.export_button.isEnabled()


def test_a_mismatched_pair_is_refused_with_both_shapes(qtbot: Any) -> None:
    project = new_gan_project("ring")
    project.graphs["discriminator"] = dense_2d(data_dim=3)[1]
    cockpit = GanCockpit(lambda: project, _no_engine)
    qtbot.addWidget(cockpit)
    cockpit.show()
    qtbot.mouseClick(cockpit.start_button, Qt.MouseButton.LeftButton)
    assert cockpit.run is None
    assert cockpit.error.isVisible()
    text = cockpit.error.text()
    assert "(2,)" in text and "(3,)" in text
    assert "generator" in text and "discriminator" in text


class FakeRun:
    """What the cockpit reads of a run, fed from messages as the engine's reader thread would."""

    def __init__(self) -> None:
        from core.gan.record import GanCurves

        self.curves = GanCurves()
        self.history, self.diversity = self.curves.history, self.curves.diversity
        self.current_phase, self.done = "training", False

    started_info = property(lambda self: self.curves.started)
    last_samples = property(lambda self: self.curves.last_samples)
    interpolation = property(lambda self: self.curves.interpolation)


def test_two_d_scatter_and_collapse_banner_from_messages(qtbot: Any) -> None:
    import numpy as np

    from core.gan.messages import GanDiversity, GanInterpolation, GanSamples, GanStarted, GanStep
    from core.gan.toy import ring_of_gaussians

    project = new_gan_project("ring")
    cockpit = GanCockpit(lambda: project, _no_engine)
    qtbot.addWidget(cockpit)
    cockpit.show()
    run = FakeRun()
    real = ring_of_gaussians(300)
    for msg in (GanStarted(8, (2,), real, ["dense_1"], ["dense_4"]),
                *(GanStep(i, 1.3, 0.7, 0.6, 0.4) for i in range(1, 11)),
                GanSamples(10, np.zeros((256, 2), "float32") + 0.1),
                GanDiversity(10, 0.04, 1.5, True), GanInterpolation(np.zeros((10, 2), "float32"), None, "slerp")):
        run.curves.add(msg)
    cockpit.run, cockpit.config = run, GanConfig(sample_count=256)
    cockpit.tick()
    assert cockpit.view.samples.mode == "points"
    assert cockpit.view.samples.point_count() == 256
    assert len(cockpit.view.samples.real.getData()[0]) == 300
    assert cockpit.view.banner.isVisible() and "4%" in cockpit.view.banner.text()
    assert cockpit.view.losses.points("d_loss") == 10
    assert cockpit.view.meter.value == pytest.approx(0.2)
    assert cockpit.view.interpolation.mode == "points"


def test_balance_verdicts() -> None:
    import numpy as np

    from desktop.plots.gan_curves import balance, balance_verdict

    assert balance(np.full(30, 0.99), np.full(30, 0.01)) == pytest.approx(0.98)
    assert balance_verdict(0.98).startswith("D is winning")
    assert balance_verdict(0.2) == "balanced"
    assert balance(np.zeros(0), np.zeros(0)) is None


def test_gan_dock_only_for_gan_projects(qtbot: Any) -> None:
    project = tiny_digits_project()
    window = MainWindow(Document(project.graphs["generator"], None, project, graph_name="generator"))
    qtbot.addWidget(window)
    window.show()
    qtbot.waitExposed(window)
    qtbot.waitUntil(lambda: shown(window.docks["gan"]), timeout=15_000)
    window.docks["gan"].raise_()
    qtbot.waitUntil(lambda: window.gan_hooks.gan is not None, timeout=15_000)
    assert window.gan_hooks.gan.form.steps.value() == TINY.steps
    assert not shown(window.docks["rnn"])
    cockpit = window.gan_hooks.gan
    assert cockpit.error.isHidden()
    window.projects.switch_graph("discriminator")
    first = next(n for n in window.document.graph.nodes if n.type == "Input")
    window.editor.set_params(first.id, {"shape": [8, 8, 3]})  # an edit on the canvas: the pair no longer fits
    qtbot.waitUntil(lambda: not cockpit.error.isHidden(), timeout=15_000)  # shown (its tab may be behind)
    assert "(8, 8, 1)" in cockpit.error.text() and "(8, 8, 3)" in cockpit.error.text()
    window.projects.replace(Document(dcgan_digits()[0]))
    qtbot.waitUntil(lambda: not shown(window.docks["gan"]), timeout=15_000)
    window.document.mark_saved()
    window.projects.timer.stop()


@pytest.mark.tf
@pytest.mark.slow
def test_export_the_trained_generator_as_a_savedmodel(qtbot: Any, engine: Any, tmp_path: Any) -> None:
    project = tiny_digits_project()
    project.training["gan"] = {**TINY.to_dict(), "steps": 2}
    cockpit = GanCockpit(lambda: project, lambda: engine)
    qtbot.addWidget(cockpit)
    cockpit.show()
    assert not cockpit.export_button.isEnabled()
    with qtbot.waitSignal(cockpit.run_ended, timeout=180_000):
        assert cockpit.start()
    assert cockpit.export_button.isEnabled()
    out = tmp_path / "generator_savedmodel"
    with qtbot.waitSignal(cockpit.exported, timeout=240_000) as done:
        assert cockpit.export_generator(out)
    assert done.args == [True, str(out)], cockpit.export_job.output
    assert (out / "saved_model.pb").is_file()
    assert f"using the weights of run {cockpit.run_id}" in cockpit.export_job.output


def test_form_edits_are_kept_in_the_project(qtbot: Any) -> None:
    project = new_gan_project("ring")
    changed: list[bool] = []
    cockpit = GanCockpit(lambda: project, _no_engine, lambda: changed.append(True))
    qtbot.addWidget(cockpit)
    cockpit.refresh_project()
    assert not changed  # filling the form from the project is no edit
    cockpit.form.k.setValue(3)
    cockpit.form.g_opt.rate.setValue(0.001)
    assert project.training["gan"]["d_steps"] == 3
    assert project.training["gan"]["g_optimizer"]["learning_rate"] == pytest.approx(0.001)
    assert project.training["gan"]["sample_count"] == 256  # settings the form does not show are kept
    assert changed
