"""Match a dataset to a graph and a loss before training: adapt labels, or refuse naming both shapes."""

from __future__ import annotations

from dataclasses import replace

import numpy as np

from core.catalog.common import fmt
from core.data.errors import DataError, DataShapeError
from core.data.load import one_hot
from core.data.recipe import Dataset, Split
from core.graph.model import Graph
from core.translate.shapes import infer_graph

Shape = tuple[int | None, ...]
SPARSE_LOSSES = ("sparse_categorical_crossentropy",)


def graph_io(graph: Graph) -> tuple[str, Shape, str, Shape]:
    """(input name, input shape, output name, output shape) of a one-input, one-output graph."""
    info = infer_graph(graph)
    if info.errors:
        raise DataShapeError(f"the graph is not valid: {info.errors[0].message}", "graph")
    if len(info.inputs) != 1 or len(info.outputs) != 1:
        raise DataShapeError(
            f"the data has one input and one target, but the graph has {len(info.inputs)} inputs and "
            f"{len(info.outputs)} outputs", "graph")
    src, dst = graph.node(info.inputs[0]), graph.node(info.outputs[0])
    out = info.nodes[dst.id].shape
    return src.name, tuple(src.params["shape"]), dst.name, out if out is not None else ()


def _same(data: tuple[int, ...], model: Shape) -> bool:
    return len(data) == len(model) and all(m is None or m == d for d, m in zip(data, model))


def _labels_for(y: np.ndarray, loss: str, classes: int | None, out: Shape) -> np.ndarray:
    """Labels in the form ``loss`` wants: one-hot for categorical, a column for binary and regression."""
    sparse = y.ndim == 1 and np.issubdtype(y.dtype, np.integer)
    if loss == "categorical_crossentropy" and sparse:
        return one_hot(y, classes or int(out[-1] or 0))
    if loss in SPARSE_LOSSES:
        return y.reshape(-1) if y.ndim == 2 and y.shape[1] == 1 else y
    if y.ndim == 1:
        return y.reshape(-1, 1).astype("float32")
    return y


def _check_labels(y: np.ndarray, loss: str, out_name: str, out: Shape) -> None:
    if loss in SPARSE_LOSSES:
        if y.ndim != 1:
            raise DataShapeError(
                f"sparse categorical cross-entropy needs one class id per sample, but the labels have shape "
                f"{fmt(y.shape[1:])}; use categorical cross-entropy for one-hot labels", "labels")
        top = int(y.max()) + 1 if len(y) else 0
        if len(out) != 1 or (out[0] is not None and out[0] < top):
            raise DataShapeError(
                f"the output {out_name} gives {fmt(out)} but the labels have {top} classes: "
                f"the last layer needs {top} units (softmax)", out_name)
        return
    label_shape = tuple(int(d) for d in y.shape[1:])
    if not _same(label_shape, out):
        raise DataShapeError(
            f"the output {out_name} gives {fmt(out)} but the labels have shape {fmt(label_shape)}", out_name)


def fit_to_graph(data: Dataset, graph: Graph, loss: str) -> Dataset:
    """The dataset with labels adapted to ``loss``; ``DataShapeError`` naming both shapes when it cannot fit."""
    in_name, in_shape, out_name, out_shape = graph_io(graph)
    if not _same(data.input_shape, in_shape):
        raise DataShapeError(
            f"the data's samples have shape {fmt(data.input_shape)} but the input {in_name} expects "
            f"{fmt(in_shape)}", in_name)

    def adapt(split: Split) -> Split:
        return Split(split.x, _labels_for(split.y, loss, data.num_classes, out_shape))

    adapted = replace(data, train=adapt(data.train), validation=adapt(data.validation), test=adapt(data.test))
    _check_labels(adapted.train.y, loss, out_name, out_shape)
    return adapted


def with_validation(data: Dataset, fraction: float) -> Dataset:
    """Carve a validation part off the end of the training part when the recipe gave none."""
    if len(data.validation) or fraction <= 0:
        return data
    n = max(1, round(len(data.train) * fraction))
    if n >= len(data.train):
        raise DataError(f"validation split {fraction} leaves no training samples", "validation_split")
    train, val = Split(data.train.x[:-n], data.train.y[:-n]), Split(data.train.x[-n:], data.train.y[-n:])
    return Dataset(train, val, data.test, data.task, data.classes, data.scaling_stats)
