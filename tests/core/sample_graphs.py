"""Small graphs of known shape shared by the translation and code-generation tests."""

from __future__ import annotations

from core.graph.model import Graph
from tests.conftest import add, link


def residual() -> Graph:
    """Input -> conv -> conv -> Add(conv1, conv2) -> relu -> pool -> dense. Output (10,)."""
    g = Graph()
    x = add(g, "Input", shape=[8, 8, 3])
    c1 = add(g, "Conv2D", filters=4, padding="same")
    c2 = add(g, "Conv2D", filters=4, padding="same", activation="linear")
    merge, act = add(g, "Add"), add(g, "Activation", activation="relu")
    pool, head = add(g, "GlobalAveragePooling2D"), add(g, "Dense", units=10, activation="softmax")
    link(g, x, c1, c2, merge)
    link(g, c1, merge)
    link(g, merge, act, pool, head)
    return g


def inception() -> Graph:
    """Four parallel branches (1x1, 3x3, 5x5, pool+1x1) concatenated. Output (6, 6, 10) -> (5,)."""
    g = Graph()
    x = add(g, "Input", shape=[6, 6, 3])
    cat = add(g, "Concatenate")
    branches = [
        [add(g, "Conv2D", filters=2, kernel_size=[1, 1])],
        [add(g, "Conv2D", filters=3, kernel_size=[3, 3], padding="same")],
        [add(g, "Conv2D", filters=4, kernel_size=[5, 5], padding="same", kernel_regularizer={"l1": 0, "l2": 0.01})],
        [add(g, "MaxPooling2D", pool_size=[3, 3], strides=[1, 1], padding="same"),
         add(g, "Conv2D", filters=1, kernel_size=[1, 1])],
    ]
    for branch in branches:
        link(g, x, *branch, cat)
    link(g, cat, add(g, "Flatten"), add(g, "Dense", units=5))
    return g


def two_in_two_out() -> Graph:
    """An image (mirror-padded conv) and a vector, concatenated, with a class head (3,) and a value head (1,)."""
    g = Graph()
    image = add(g, "Input", shape=[6, 6, 1])
    vector = add(g, "Input", shape=[5])
    conv = add(g, "Conv2D", filters=2, padding="reflect")
    flat, dense = add(g, "Flatten"), add(g, "Dense", units=4, activation="tanh")
    cat, hidden = add(g, "Concatenate"), add(g, "Dense", units=8, activation="relu")
    classes = add(g, "Dense", units=3, activation="softmax")
    value = add(g, "Dense", units=1)
    link(g, image, conv, flat, cat)
    link(g, vector, dense, cat)
    link(g, cat, hidden, classes)
    link(g, hidden, value)
    return g


def recurrent() -> Graph:
    """Token ids -> embedding -> bidirectional LSTM -> GRU -> dense. Output (2,)."""
    g = Graph()
    x = add(g, "Input", shape=[7], dtype="int32")
    emb = add(g, "Embedding", input_dim=20, output_dim=4)
    bi = add(g, "Bidirectional", layer="LSTM", units=3, return_sequences=True,
             kernel_regularizer={"l1": 0.001, "l2": 0.0})
    gru, head = add(g, "GRU", units=3), add(g, "Dense", units=2)
    link(g, x, emb, bi, gru, head)
    return g


def dense_chain(layers: int, units: int = 4) -> Graph:
    """Input followed by ``layers`` Dense layers in a line."""
    g = Graph()
    nodes = [add(g, "Input", shape=[units])]
    nodes += [add(g, "Dense", units=units) for _ in range(layers)]
    link(g, *nodes)
    return g
