"""One entry point for every export format; files are written beside the target and renamed into place."""

from __future__ import annotations

import contextlib
import os
import shutil
import tempfile
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from core.export.model import build_trained
from core.project.errors import ProjectError

FORMATS = ("savedmodel", "keras", "python", "tflite", "onnx")
SUFFIXES = {"keras": ".keras", "python": ".py", "tflite": ".tflite", "onnx": ".onnx"}


@dataclass
class ExportResult:
    """Where the export went, every file written and notes for the user."""

    path: Path
    files: list[Path] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


def target_path(out: str | Path, fmt: str) -> Path:
    """The output path, with the format's suffix added when it is missing (a folder for SavedModel)."""
    path = Path(out)
    suffix = SUFFIXES.get(fmt)
    if suffix and path.suffix.lower() != suffix:
        path = path.with_name(path.name + suffix)
    return path


def _quiet() -> None:
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")


def _saved_model(model: Any, tmp: Path) -> None:
    model.export(str(tmp), format="tf_saved_model", verbose=False)


def _keras_file(model: Any, tmp: Path) -> None:
    model.save(str(tmp))


def _tflite(model: Any, tmp: Path) -> None:
    model.export(str(tmp), format="litert", verbose=False)


def _call_once(model: Any) -> None:
    """The ONNX exporter wants a model that has been called: run it on one sample of zeros."""
    import numpy as np

    batch = [np.zeros([1, *(d or 1 for d in t.shape[1:])], dtype=str(t.dtype)) for t in model.inputs]
    model(batch if len(batch) > 1 else batch[0], training=False)


def _onnx(model: Any, tmp: Path) -> None:
    _call_once(model)
    model.export(str(tmp), format="onnx", verbose=False)


WRITERS: dict[str, Callable[[Any, Path], None]] = {
    "savedmodel": _saved_model, "keras": _keras_file, "tflite": _tflite, "onnx": _onnx,
}


def _check_target(path: Path) -> None:
    """Replace a file or an earlier SavedModel, never a folder of something else."""
    if path.is_symlink() or not path.is_dir():
        return
    if any(path.iterdir()) and not (path / "saved_model.pb").is_file():
        raise ProjectError("is a folder that is not an earlier SavedModel; choose a new name", str(path))


def _place(tmp: Path, path: Path) -> None:
    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path)
    os.replace(tmp, path)


def export_graph(graph_data: Mapping[str, Any], weights_path: str | Path | None, out: str | Path, fmt: str,
                 name: str = "layerbench_model") -> ExportResult:
    """Export the graph (with the weights in ``weights_path``, else fresh ones) to ``out`` as ``fmt``."""
    if fmt not in FORMATS:
        raise ProjectError(f"unknown export format {fmt!r}; use one of {', '.join(FORMATS)}")
    path = target_path(out, fmt)
    if not path.parent.is_dir():
        raise ProjectError("the folder does not exist", str(path.parent))
    _check_target(path)
    _quiet()
    model, notes = build_trained(graph_data, weights_path, name=name)
    if fmt == "python":
        from core.export.python_code import write_python

        files = write_python(model, graph_data, path, name)
        return ExportResult(path, files, notes)
    tmp = Path(tempfile.mkdtemp(dir=path.parent, prefix=f".{path.name}.")) / path.name
    try:
        WRITERS[fmt](model, tmp)
        _place(tmp, path)
    except ProjectError:
        raise
    except Exception as exc:
        first = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
        raise ProjectError(f"{fmt} export failed: {first[:300]}", str(path)) from None
    finally:
        with contextlib.suppress(OSError):
            shutil.rmtree(tmp.parent)
    return ExportResult(path, [path], notes)
