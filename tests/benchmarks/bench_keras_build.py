"""Graph -> Keras build time against writing the same model by hand in Keras (target: at most 1.2x).

Both sides build the identical functional model (same layers, names and arguments) in the same process,
alternating, with ``keras.backend.clear_session()`` before each build; medians of several repeats.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from core.graph.model import Graph
from tests.benchmarks.common import Row, median
from tests.benchmarks.graphs import dense_chain, residual

REPEATS = 5
MAX_RATIO = 1.2
UNITS = 32


def _hand_chain(keras: Any, nodes: int) -> Any:
    x = inputs = keras.Input(shape=(UNITS,), name="input_1")
    for i in range(1, nodes):
        x = keras.layers.Dense(UNITS, name=f"dense_{i}")(x)
    return keras.Model(inputs, x)


def _hand_residual(keras: Any, nodes: int) -> Any:
    x = inputs = keras.Input(shape=(UNITS,), name="input_1")
    blocks = (nodes - 1) // 3
    for i in range(blocks):
        a = keras.layers.Dense(UNITS, activation="relu", name=f"dense_{2 * i + 1}")(x)
        b = keras.layers.Dense(UNITS, name=f"dense_{2 * i + 2}")(a)
        x = keras.layers.Add(name=f"add_{i + 1}")([b, x])
    for i in range(nodes - 1 - 3 * blocks):
        x = keras.layers.Dense(UNITS, name=f"dense_{2 * blocks + i + 1}")(x)
    return keras.Model(inputs, x)


def _timed(keras: Any, build: Callable[[], Any]) -> tuple[float, int]:
    keras.backend.clear_session()
    start = time.perf_counter()
    model = build()
    return time.perf_counter() - start, model.count_params()


def _compare(figure: str, graph: Graph, hand: Callable[[Any, int], Any]) -> Row:
    import keras

    from core.translate.to_keras import build_model

    ours, theirs = [], []
    for i in range(REPEATS + 1):  # the first pair warms Keras up and is not counted
        pair = [("graph", lambda: build_model(graph)), ("hand", lambda: hand(keras, len(graph)))]
        results = {name: _timed(keras, fn) for name, fn in (pair if i % 2 else pair[::-1])}
        assert results["graph"][1] == results["hand"][1], "the two models differ"
        if i:
            ours.append(results["graph"][0])
            theirs.append(results["hand"][0])
    return Row(figure, f"<= {MAX_RATIO}x hand", median(ours), baseline=median(theirs), max_ratio=MAX_RATIO,
               repeats=REPEATS)


def run() -> list[Row]:
    return [
        _compare("graph -> Keras build, 100-layer Dense chain", dense_chain(100, UNITS), _hand_chain),
        _compare("graph -> Keras build, 151-node residual graph", residual(151, UNITS), _hand_residual),
    ]
