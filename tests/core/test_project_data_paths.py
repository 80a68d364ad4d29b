"""A project's relative data path is found beside the project file, wherever the app was started."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from core.project.project import Project

EXAMPLES = Path(__file__).resolve().parents[2] / "resources" / "examples"


def test_example_data_is_found_from_another_folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    project = Project.load(EXAMPLES / "autoencoder.layerbench")
    path = Path(project.data["options"]["path"])
    assert path.is_absolute()
    assert path.is_file()
    assert path == EXAMPLES / "data" / "digits64.npz"


def test_missing_or_absolute_paths_are_left_as_they_are(tmp_path: Path) -> None:
    from core.project.project import resolve_data_paths

    recipe = {"source": "file.numpy", "options": {"path": "nowhere.npz"}}
    assert resolve_data_paths(recipe, tmp_path) == recipe
    absolute = {"source": "file.csv", "options": {"path": os.fspath(tmp_path / "a.csv")}}
    assert resolve_data_paths(absolute, tmp_path) == absolute
    assert resolve_data_paths({"source": "toy.xor"}, tmp_path) == {"source": "toy.xor"}
