"""Exports of a graph with its trained weights: SavedModel, ``.keras``, Python script, TFLite, ONNX.

Each export is a pure function of (graph dict, weights ``.npz`` path or None, output path), so it can run
in a worker process. See ``core.export.run.export_graph``.
"""

from __future__ import annotations

from core.export.run import FORMATS, ExportResult, export_graph

__all__ = ["FORMATS", "ExportResult", "export_graph"]
