"""GAN projects: presets, settings and data, and ``layerbench train`` on a GAN project (run saved, export)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from core.gan.data import RING
from core.gan.project import PRESETS, check_project, gan_config, gan_data, new_gan_project
from core.project.errors import ProjectError
from core.project.project import Project


@pytest.mark.parametrize("preset", sorted(PRESETS))
def test_presets_make_valid_gan_projects(preset: str) -> None:
    project = new_gan_project(preset)
    assert project.kind == "gan"
    shapes = check_project(project)
    assert gan_data(project)["source"] == PRESETS[preset][2]["source"]
    assert gan_config(project).latent_dim is None
    assert shapes.latent_dim > 0


def test_data_defaults_to_the_bundled_set_of_the_sample_shape() -> None:
    project = new_gan_project("ring")
    project.data = {}
    assert gan_data(project)["source"] == RING
    assert gan_config(project, steps=7).steps == 7


def test_unknown_preset_and_wrong_kind_are_refused() -> None:
    with pytest.raises(ProjectError, match="preset"):
        new_gan_project("faces")
    with pytest.raises(ProjectError, match="not a GAN project"):
        check_project(Project("supervised"))


@pytest.mark.tf
def test_train_command_saves_the_run_and_exports_the_generator(tmp_path: Path,
                                                               capsys: pytest.CaptureFixture[str]) -> None:
    import tensorflow as tf

    from core.cli import main
    from core.project.weights import apply_weights
    from core.translate.to_keras import build_model

    path = tmp_path / "ring.layerbench"
    new_gan_project("ring").save(path)
    out_dir = tmp_path / "generator"
    status = main(["train", str(path), "--steps", "12", "--print-every", "6", "--export", str(out_dir)])
    assert status == 0
    printed = capsys.readouterr().out
    assert "step 12  d_loss" in printed
    assert "diversity" in printed
    project = Project.load(path)
    run = project.runs[-1]
    assert run.info["steps"] == 12
    assert set(run.weights) == {"generator", "discriminator"}
    history = project.history(run.id)
    assert len(history["batch/d_loss"]) == 12
    assert np.isfinite(history["batch/g_loss"]).all()
    generator = build_model(project.graphs["generator"])
    apply_weights(generator, project.weights(run.id, "generator"))
    z = np.random.default_rng(0).standard_normal((4, 8)).astype("float32")
    exported = tf.saved_model.load(str(out_dir))
    np.testing.assert_allclose(np.asarray(exported.serve(z)), np.asarray(generator(z, training=False)), atol=1e-5)
