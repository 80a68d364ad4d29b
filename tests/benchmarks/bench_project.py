"""Project files and model import at ResNet50 size (25.6 M parameters, ~100 MB of weights).

Baselines, measured in the same run: for saving, writing the same number of bytes to a new file with
fsync (the least an atomic save must do; for comparison only, it is noisy on a shared disk); for loading,
reading that file; for importing, Keras's own ``load_model`` of the same ``.keras`` file (the import adds
the graph and the weight copy on top).
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path
from typing import Any

from core.project import Project
from tests.benchmarks.common import Row, median, timings

REPEATS = 5


def _resnet50() -> Any:
    import keras

    return keras.applications.ResNet50(weights=None, input_shape=(224, 224, 3), classes=1000)


def _project(model: Any) -> Project:
    from core.translate.from_keras import graph_from_model

    imported = graph_from_model(model)
    project = Project("supervised", {"main": imported.graph}, name="resnet50")
    run = project.add_run("imported")
    project.set_weights(run.id, imported.weights)
    return project


def _raw_write(path: Path, size: int) -> None:
    data = os.urandom(1 << 20)
    path.unlink(missing_ok=True)  # a new file each time, as a save makes (rewriting one in place is faster)
    with open(path, "wb") as handle:
        for _ in range(size >> 20):
            handle.write(data)
        handle.flush()
        os.fsync(handle.fileno())


def _file_rows(project: Project, folder: Path) -> list[Row]:
    path = folder / "resnet50.layerbench"
    project.save(path)
    size = path.stat().st_size
    fresh = _project_copy(project)
    save = median(timings(lambda: fresh.save(folder / "fresh.layerbench"), REPEATS))
    resave = median(timings(lambda: Project.load(path).save(folder / "again.layerbench"), REPEATS))
    raw = median(timings(lambda: _raw_write(folder / "raw.bin", size), REPEATS))
    load = median(timings(lambda: Project.load(path), REPEATS))
    load_weights = median(timings(lambda: Project.load(path).weights(), REPEATS))
    read = median(timings(lambda: path.read_bytes(), REPEATS))
    mb = f"{size / 1e6:.0f} MB"
    return [
        Row(f"save ResNet50 project ({mb}, weights in memory)", "< 2 s", save, baseline=raw, limit=2.0,
            repeats=REPEATS),
        Row("load + save again (weights copied, CRC-checked, from the old file)", "< 3 s", resave, baseline=raw,
            limit=3.0, repeats=REPEATS),
        Row("load ResNet50 project (graph, weights left in the file)", "< 1 s", load, limit=1.0, repeats=REPEATS),
        Row("load ResNet50 project and decode all weights", "< 2 s", load_weights, baseline=read, limit=2.0,
            repeats=REPEATS),
    ]


def _project_copy(project: Project) -> Project:
    """A project whose weights are bytes in memory (as after training), not references to a file."""
    copy = Project("supervised", {"main": project.main}, name=project.name)
    run = copy.add_run("imported")
    copy.set_weights(run.id, project.weights("imported"))
    return copy


def _import_row(model: Any, folder: Path) -> Row:
    import keras

    from core.translate.from_keras import import_keras_file

    path = folder / "resnet50.keras"
    model.save(path)
    repeats = 3
    measured = median(timings(lambda: import_keras_file(path), repeats))
    baseline = median(timings(lambda: keras.saving.load_model(path, compile=False, safe_mode=True), repeats))
    return Row("import ResNet50 from .keras (load, graph, weights)", "< 2x load_model", measured,
               baseline=baseline, max_ratio=2.0, repeats=repeats)


def run() -> list[Row]:
    model = _resnet50()
    with tempfile.TemporaryDirectory(prefix="bench-project-") as tmp:
        folder = Path(tmp)
        rows = _file_rows(_project(model), folder)
        rows.append(_import_row(model, folder))
    return rows
