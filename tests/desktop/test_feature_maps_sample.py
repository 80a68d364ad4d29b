"""The input shown beside the live feature maps is the one the worker sent (any data source, any sample index),
kept by the session from the run's first ``FeatureMaps`` message."""

from __future__ import annotations

import numpy as np
from pytestqt.qtbot import QtBot

from core.training.messages import FeatureMaps
from desktop.panels.dashboard import Dashboard
from desktop.panels.session import TrainingSession
from desktop.plots.feature_maps import normalise


def test_the_workers_sample_is_shown_beside_the_maps(qtbot: QtBot) -> None:
    session = TrainingSession()
    sample = np.linspace(0.0, 1.0, 36, dtype="float32").reshape(6, 6, 1)
    maps = {"max_pooling2d_1": np.ones((3, 3, 2), "float32")}
    session._on_features(FeatureMaps(1, maps, sample))
    session._on_features(FeatureMaps(50, maps))  # later messages carry no sample: the first one's is kept
    assert session.feature_sample is sample
    assert session.last_features is not None
    assert session.last_features.step == 50

    dashboard = Dashboard(lambda command: None)
    qtbot.addWidget(dashboard)
    dashboard.features.set_input(np.zeros((28, 28, 1)))  # what the GUI's data preview showed at the start
    dashboard.tabs.setCurrentWidget(dashboard.features)
    dashboard.refresh([], session, force=True)
    shown = dashboard.features.input_image.image
    assert shown is not None
    np.testing.assert_allclose(shown, normalise(sample[..., 0]))
    assert dashboard.features.layer.currentText() == "max_pooling2d_1"
