"""Writes the bundled template JSON files from the definitions below: ``python -m resources.templates.build``.

Ids are derived from the template and node key (uuid5), so re-running gives the same files; the test
suite checks that the committed JSON equals what this script produces. Layout: one column per depth,
220 apart, parallel branches on separate rows.
"""

from __future__ import annotations

import itertools
import json
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

from core.graph.model import Edge, Graph, Node
from core.graph.validation import check_connect, topological_order

FOLDER = Path(__file__).resolve().parent
NAMESPACE = uuid.UUID("5b0c64a4-5d8e-4f4e-9c55-6c8f3a1d2e70")
X_STEP, Y_STEP = 220.0, 140.0


class Template:
    """A graph under construction with stable ids and optional rows per node."""

    def __init__(self, name: str, title: str, kind: str, description: str) -> None:
        self.name, self.title, self.kind, self.description = name, title, kind, description
        self.graph = Graph()
        self.rows: dict[str, float] = {}

    def _id(self, key: str) -> str:
        return uuid.uuid5(NAMESPACE, f"{self.name}/{key}").hex

    def add(self, type_id: str, row: float | None = None, **params: Any) -> Node:
        key = f"{len(self.graph)}:{type_id}"
        node = self.graph.add_node(self.graph.make_node(type_id, params, node_id=self._id(key)))
        if row is not None:
            self.rows[node.id] = row
        return node

    def chain(self, *nodes: Node) -> Node:
        for src, dst in itertools.pairwise(nodes):
            edge = Edge(src.id, dst.id, id=self._id(f"{src.id}->{dst.id}"))
            check_connect(self.graph, edge)
            self.graph.add_edge(edge)
        return nodes[-1]

    def layout(self) -> None:
        depth: dict[str, int] = {}
        for nid in topological_order(self.graph):
            depth[nid] = max((depth[e.src] + 1 for e in self.graph.in_edges(nid)), default=0)
        columns: dict[int, list[str]] = {}
        for nid, d in depth.items():
            columns.setdefault(d, []).append(nid)
        positions = {}
        for d, ids in columns.items():
            free = [nid for nid in ids if nid not in self.rows]
            for nid in ids:
                row = self.rows.get(nid, free.index(nid) - (len(free) - 1) / 2 if nid in free else 0.0)
                positions[nid] = (d * X_STEP, row * Y_STEP)
        self.graph.move_nodes(positions)

    def to_dict(self) -> dict[str, Any]:
        self.layout()
        head = {"format_version": 1, "title": self.title, "description": self.description, "kind": self.kind}
        return head | self.graph.to_dict()


def mlp() -> Template:
    t = Template("mlp", "Multilayer perceptron", "classifier",
                 "Digits as flat vectors through two ReLU layers to ten class probabilities; dropout against "
                 "overfitting. The classic first network.")
    t.chain(t.add("Input", shape=[28, 28, 1]), t.add("Flatten"), t.add("Dense", units=128, activation="relu"),
            t.add("Dropout", rate=0.2), t.add("Dense", units=64, activation="relu"),
            t.add("Dense", units=10, activation="softmax"))
    return t


def lenet_cnn() -> Template:
    t = Template("lenet_cnn", "LeNet-style CNN", "classifier",
                 "Two convolution + pooling stages find strokes and then shapes; dense layers classify. "
                 "After LeCun's LeNet-5 (1998), with ReLU.")
    t.chain(t.add("Input", shape=[28, 28, 1]), t.add("Conv2D", filters=6, kernel_size=[5, 5], padding="same"),
            t.add("AveragePooling2D"), t.add("Conv2D", filters=16, kernel_size=[5, 5]), t.add("AveragePooling2D"),
            t.add("Flatten"), t.add("Dense", units=120, activation="relu"), t.add("Dense", units=84, activation="relu"),
            t.add("Dense", units=10, activation="softmax"))
    return t


def _residual_block(t: Template, x: Node, filters: int) -> Node:
    a = t.add("Conv2D", row=1, filters=filters, padding="same", use_bias=False)
    b = t.add("BatchNormalization", row=1)
    c = t.add("Conv2D", row=1, filters=filters, padding="same", activation="linear", use_bias=False)
    d = t.add("BatchNormalization", row=1)
    merge = t.add("Add", row=0)
    t.chain(x, a, b, c, d, merge)
    t.chain(x, merge)
    return t.chain(merge, t.add("Activation", row=0, activation="relu"))


def resnet_block_cnn() -> Template:
    t = Template("resnet_block_cnn", "CNN with residual blocks", "classifier",
                 "Two residual blocks: each adds its input to the output of two convolutions (the skip "
                 "connection along the top), so gradients reach early layers. After He et al. (2015).")
    x = t.chain(t.add("Input", row=0, shape=[32, 32, 3]), t.add("Conv2D", row=0, filters=16, padding="same"))
    x = _residual_block(t, x, 16)
    x = _residual_block(t, x, 16)
    t.chain(x, t.add("GlobalAveragePooling2D", row=0), t.add("Dense", row=0, units=10, activation="softmax"))
    return t


def bottleneck_1x1() -> Template:
    t = Template("bottleneck_1x1", "1x1 bottleneck block", "classifier",
                 "A 1x1 convolution squeezes 64 channels to 16, a 3x3 works on the thin tensor, another 1x1 "
                 "expands back to 64 and the input is added: the same view for a fraction of the weights.")
    x = t.chain(t.add("Input", row=0, shape=[32, 32, 3]), t.add("Conv2D", row=0, filters=64, padding="same"))
    squeeze = t.add("Conv2D", row=1, filters=16, kernel_size=[1, 1])
    conv = t.add("Conv2D", row=1, filters=16, padding="same")
    expand = t.add("Conv2D", row=1, filters=64, kernel_size=[1, 1], activation="linear")
    merge = t.add("Add", row=0)
    t.chain(x, squeeze, conv, expand, merge)
    t.chain(x, merge, t.add("Activation", row=0, activation="relu"), t.add("GlobalAveragePooling2D", row=0),
            t.add("Dense", row=0, units=10, activation="softmax"))
    return t


def _text(name: str, title: str, description: str, *middle: tuple[str, dict[str, Any]]) -> Template:
    t = Template(name, title, "sequence_classifier", description)
    nodes = [t.add("Input", shape=[100], dtype="int32"), t.add("Embedding", input_dim=10000, output_dim=32)]
    nodes += [t.add(type_id, **params) for type_id, params in middle]
    t.chain(*nodes, t.add("Dense", units=1, activation="sigmoid"))
    return t


def simple_rnn_classifier() -> Template:
    return _text("simple_rnn_classifier", "Simple RNN text classifier",
                 "Token ids become vectors; a simple recurrent layer reads them in order and its last state "
                 "decides positive or negative. Struggles with long-range dependencies (vanishing gradients).",
                 ("SimpleRNN", {"units": 32}))


def lstm_classifier() -> Template:
    return _text("lstm_classifier", "LSTM text classifier",
                 "Two stacked LSTMs: gates decide what the cell state keeps and forgets, so information "
                 "survives long sequences. The first returns every step for the second to read.",
                 ("LSTM", {"units": 64, "return_sequences": True}), ("LSTM", {"units": 32}),
                 ("Dropout", {"rate": 0.3}))


def gru_classifier() -> Template:
    return _text("gru_classifier", "GRU text classifier",
                 "A bidirectional GRU reads the text forwards and backwards; GRUs have two gates instead of "
                 "the LSTM's three and train a little faster.",
                 ("Bidirectional", {"layer": "GRU", "units": 32}), ("Dense", {"units": 16, "activation": "relu"}))


def dcgan_generator() -> Template:
    t = Template("dcgan_generator", "DCGAN generator", "gan_generator",
                 "Turns a 100-number noise vector into a 28x28 image: a dense layer makes a 7x7 map, two "
                 "transposed convolutions double it twice, tanh puts pixels in (-1, 1). After Radford et al.")
    t.chain(t.add("Input", shape=[100]), t.add("Dense", units=7 * 7 * 64, use_bias=False),
            t.add("BatchNormalization"), t.add("LeakyReLU", negative_slope=0.2),
            t.add("Reshape", target_shape=[7, 7, 64]),
            t.add("Conv2DTranspose", filters=32, kernel_size=[4, 4], activation="linear", use_bias=False),
            t.add("BatchNormalization"), t.add("LeakyReLU", negative_slope=0.2),
            t.add("Conv2DTranspose", filters=1, kernel_size=[4, 4], activation="tanh"))
    return t


def dcgan_discriminator() -> Template:
    t = Template("dcgan_discriminator", "DCGAN discriminator", "gan_discriminator",
                 "Judges a 28x28 image real or generated: strided convolutions with leaky ReLU halve the size "
                 "twice, one output unit gives a logit (no sigmoid; the loss applies it).")
    t.chain(t.add("Input", shape=[28, 28, 1]),
            t.add("Conv2D", filters=32, kernel_size=[4, 4], strides=[2, 2], padding="same", activation="linear"),
            t.add("LeakyReLU", negative_slope=0.2), t.add("Dropout", rate=0.3),
            t.add("Conv2D", filters=64, kernel_size=[4, 4], strides=[2, 2], padding="same", activation="linear"),
            t.add("LeakyReLU", negative_slope=0.2), t.add("Dropout", rate=0.3), t.add("Flatten"),
            t.add("Dense", units=1))
    return t


def _control(name: str, title: str, kind: str, description: str, activation: str) -> Template:
    t = Template(name, title, kind, description)
    t.chain(t.add("Input", shape=[4]), t.add("Dense", units=64, activation="relu", kernel_initializer="he_uniform"),
            t.add("Dense", units=64, activation="relu", kernel_initializer="he_uniform"),
            t.add("Dense", units=2, activation=activation))
    return t


def dqn_qnetwork() -> Template:
    return _control("dqn_qnetwork", "DQN Q-network", "q_network",
                    "Maps an observation (CartPole's 4 numbers) to one value per action: the expected return of "
                    "taking it. Linear output, since Q-values are unbounded.", "linear")


def policy_network() -> Template:
    return _control("policy_network", "Policy network", "policy",
                    "Maps an observation to a probability per action (softmax); REINFORCE samples actions from "
                    "it and pushes up the probability of actions that led to high returns.", "softmax")



def dcgan_digits_generator() -> Template:
    t = Template("dcgan_digits_generator", "DCGAN generator for 8x8 digits", "gan_generator",
                 "Turns a 16-number noise vector into an 8x8 digit: a dense layer makes a 4x4 map, one transposed "
                 "convolution doubles it, a 3x3 convolution with tanh gives pixels in (-1, 1). Trains in minutes.")
    t.chain(t.add("Input", shape=[16]), t.add("Dense", units=4 * 4 * 32, use_bias=False),
            t.add("BatchNormalization"), t.add("LeakyReLU", negative_slope=0.2),
            t.add("Reshape", target_shape=[4, 4, 32]),
            t.add("Conv2DTranspose", filters=16, kernel_size=[4, 4], activation="linear", use_bias=False),
            t.add("BatchNormalization"), t.add("LeakyReLU", negative_slope=0.2),
            t.add("Conv2D", filters=1, kernel_size=[3, 3], padding="same", activation="tanh"))
    return t


def dcgan_digits_discriminator() -> Template:
    t = Template("dcgan_digits_discriminator", "DCGAN discriminator for 8x8 digits", "gan_discriminator",
                 "Judges an 8x8 digit real or generated: two strided convolutions with leaky ReLU (8 to 4 to 2), "
                 "then one output unit giving a logit.")
    t.chain(t.add("Input", shape=[8, 8, 1]),
            t.add("Conv2D", filters=16, kernel_size=[3, 3], strides=[2, 2], padding="same", activation="linear"),
            t.add("LeakyReLU", negative_slope=0.2),
            t.add("Conv2D", filters=32, kernel_size=[3, 3], strides=[2, 2], padding="same", activation="linear"),
            t.add("LeakyReLU", negative_slope=0.2), t.add("Flatten"), t.add("Dense", units=1))
    return t


def gan_dense_2d_generator() -> Template:
    t = Template("gan_dense_2d_generator", "Dense GAN generator for 2-D points", "gan_generator",
                 "Maps an 8-number noise vector to a point in the plane with two hidden ReLU layers; trained "
                 "against a ring of Gaussians you can watch its points move onto the modes (or collapse).")
    t.chain(t.add("Input", shape=[8]), t.add("Dense", units=64, activation="relu"),
            t.add("Dense", units=64, activation="relu"), t.add("Dense", units=2))
    return t


def gan_dense_2d_discriminator() -> Template:
    t = Template("gan_dense_2d_discriminator", "Dense GAN discriminator for 2-D points", "gan_discriminator",
                 "Judges a point in the plane real or generated with two hidden leaky-ReLU layers and one output "
                 "unit giving a logit.")
    t.chain(t.add("Input", shape=[2]), t.add("Dense", units=64, activation="leaky_relu"),
            t.add("Dense", units=64, activation="leaky_relu"), t.add("Dense", units=1))
    return t

TEMPLATES: tuple[Callable[[], Template], ...] = (
    mlp, lenet_cnn, resnet_block_cnn, bottleneck_1x1, simple_rnn_classifier, lstm_classifier, gru_classifier,
    dcgan_generator, dcgan_discriminator, dqn_qnetwork, policy_network,
    dcgan_digits_generator, dcgan_digits_discriminator, gan_dense_2d_generator, gan_dense_2d_discriminator,
)


def render(template: Template) -> str:
    return json.dumps(template.to_dict(), indent=1) + "\n"


def main() -> None:
    for make in TEMPLATES:
        template = make()
        (FOLDER / f"{template.name}.json").write_text(render(template), encoding="utf-8")
        print(f"wrote {template.name}.json")


if __name__ == "__main__":
    main()
