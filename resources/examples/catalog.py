"""The gallery's examples as data: graphs, data recipes, training settings, and what each one shows.

Each builder returns an ``Example``; ``build.py`` turns it into a ``.layerbench`` project. Variants are the
changes to try next (a parameter of a node type, a training setting or the data); run, change, run again
and overlay the runs to see the effect.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from core.gan.config import GanConfig
from core.graph.model import Graph
from core.rl.config import RLConfig
from core.training.config import TrainingConfig
from resources.examples.graphs import chain, conv_digits, mlp, template

DIGITS = {"source": "digits", "preprocess": {"scaling": "minmax", "validation": 0.2}}


@dataclass
class Example:
    """One gallery entry before it is written."""

    name: str
    title: str
    topic: str
    description: str
    graphs: dict[str, Graph]
    data: dict[str, Any]
    training: dict[str, Any]
    kind: str = "supervised"
    variants: list[dict[str, Any]] = field(default_factory=list)


def train(**settings: Any) -> dict[str, Any]:
    """A checked, complete ``TrainingConfig`` dict (complete, so the training form shows every value)."""
    return TrainingConfig.model_validate(settings).to_dict()


def variant(label: str, **change: Any) -> dict[str, Any]:
    return {"label": label, **change}


def activations() -> Example:
    return Example(
        "activations", "Activations compared", "activations",
        "Two interleaved spirals classified by a small MLP. Train with tanh, then switch the hidden layers' "
        "activation to sigmoid, ReLU and GELU and overlay the runs: sigmoid learns slowest (small gradients), "
        "ReLU and GELU fastest; the Learn dock draws each curve. Measured after 60 epochs: validation accuracy "
        "57% with sigmoid, 87% with tanh, 100% with ReLU.",
        {"main": mlp("activations", 2, [32, 32], 2, activation="tanh")},
        {"source": "toy.spiral", "options": {"samples": 600, "noise": 0.1, "seed": 0}},
        train(optimizer={"name": "adam", "learning_rate": 0.01}, epochs=60, batch_size=32),
        variants=[variant(a, layer="Dense", all=True, params={"activation": a}) for a in ("sigmoid", "relu", "gelu")])


def mse_vs_mae() -> Example:
    return Example(
        "mse_vs_mae", "MSE vs MAE on data with outliers", "losses",
        "A noisy line where one point in ten is a gross outlier. Train with mean squared error, then with mean "
        "absolute error (and Huber): MSE squares the outliers' errors and the fitted line is pulled towards "
        "them; MAE ignores their size and recovers the line. Compare the validation MAE of the runs.",
        {"main": mlp("mse_vs_mae", 1, [16], 1, activation="tanh", out_activation="linear")},
        {"source": "toy.outliers", "options": {"samples": 400, "noise": 0.1, "outliers": 0.1, "seed": 0}},
        train(loss="mse", metrics=["mae"], optimizer={"name": "adam", "learning_rate": 0.02}, epochs=80),
        variants=[variant("MAE", config={"loss": "mae"}), variant("Huber", config={"loss": "huber"})])


def cross_entropies() -> Example:
    return Example(
        "cross_entropy", "Binary vs categorical cross-entropy", "losses",
        "Inside or outside a circle. One sigmoid unit with binary cross-entropy gives P(inside); two softmax "
        "units with categorical cross-entropy (one-hot labels) give the same answer with twice the output "
        "weights. Both curves fall alike: for two classes they are the same loss.",
        {"main": mlp("cross_entropy", 2, [16, 16], 1, out_activation="sigmoid")},
        {"source": "toy.circle", "options": {"samples": 600, "noise": 0.1, "seed": 0}},
        train(loss="binary_crossentropy", optimizer={"name": "adam", "learning_rate": 0.01}, epochs=40),
        variants=[variant("categorical", layer="Dense", params={"units": 2, "activation": "softmax"},
                          config={"loss": "categorical_crossentropy"}, data={"preprocess": {"labels": "onehot"}})])


def optimizers() -> Example:
    names = ("sgd", "momentum", "nesterov", "adagrad", "rmsprop", "adam", "adamw")
    return Example(
        "optimizers", "The seven optimizers on one model", "optimizers",
        "The same small network on 8x8 digits, trained with SGD, SGD with momentum, Nesterov, Adagrad, RMSprop, "
        "Adam and AdamW at their usual learning rates. Overlay the loss curves: plain SGD crawls, momentum "
        "speeds it up, the adaptive methods get there in a few epochs.",
        {"main": conv_digits("optimizers", head=[("Dense", {"units": 32, "activation": "relu"})])},
        DIGITS, train(optimizer={"name": "sgd", "learning_rate": 0.01}, epochs=20, batch_size=32),
        variants=[variant(n, config={"optimizer": {"name": n, "learning_rate": 0.01 if n in (
            "sgd", "momentum", "nesterov", "adagrad") else 0.001}}) for n in names[1:]])


def regularization() -> Example:
    return Example(
        "regularization", "L1 vs L2 vs dropout against overfitting", "regularizers",
        "A wide network on only 300 digits overfits: training loss goes to zero while validation loss turns "
        "up. Add L2 (weights stay small), L1 (many weights become exactly zero: see the weight histogram) or "
        "raise the Dropout rate and compare the gap between the two curves. Measured: training loss 0.001 against "
        "validation loss 0.30 without regularisation, 0.26 with dropout 0.5.",
        {"main": conv_digits("regularization", head=[("Dense", {"units": 256, "activation": "relu"}),
                                                     ("Dropout", {"rate": 0.0}),
                                                     ("Dense", {"units": 256, "activation": "relu"})])},
        {"source": "digits", "preprocess": {"scaling": "minmax", "validation": 0.5, "limit": 300}},
        train(optimizer={"name": "adam", "learning_rate": 0.001}, epochs=100, batch_size=32,
              monitors={"weight_histograms": True}),
        variants=[variant("L2", layer="Dense", all=True, params={"kernel_regularizer": {"l1": 0.0, "l2": 0.001}}),
                  variant("L1", layer="Dense", all=True, params={"kernel_regularizer": {"l1": 0.0001, "l2": 0.0}}),
                  variant("dropout", layer="Dropout", params={"rate": 0.5})])


def backprop() -> Example:
    return Example(
        "backprop", "Backpropagation seen in the gradient plots", "backpropagation",
        "XOR needs a hidden layer. Watch the per-layer gradient plot while it trains: the error signal starts "
        "at the output and flows backwards; each layer's gradient norm is large while it is wrong and shrinks "
        "as the loss falls. The canvas colours each node by its gradient health.",
        {"main": mlp("backprop", 2, [8, 8], 2, activation="tanh")},
        {"source": "toy.xor", "options": {"samples": 400, "noise": 0.1, "seed": 0}},
        train(optimizer={"name": "sgd", "learning_rate": 0.1}, epochs=60, batch_size=16,
              monitors={"gradient_norms": True, "gradient_every": 1}))


def cnn_digits() -> Example:
    conv = {"kernel_size": [3, 3], "padding": "same", "activation": "relu"}
    return Example(
        "cnn_digits", "Convolution and feature maps on digits", "convolution",
        "Two convolutions with pooling on scikit-learn's 8x8 handwritten digits. Open the feature-map view "
        "while it trains: the first layer's maps light up on strokes and edges, the second on parts of digits. "
        "Reaches about 95% validation accuracy in a few epochs.",
        {"main": conv_digits("cnn_digits", ("Conv2D", {"filters": 8, **conv}), ("MaxPooling2D", {}),
                             ("Conv2D", {"filters": 16, **conv}), ("MaxPooling2D", {}))},
        DIGITS, train(optimizer={"name": "adam", "learning_rate": 0.003}, epochs=15, batch_size=32,
                      monitors={"feature_maps": True, "feature_maps_every": 10, "gradient_norms": True}))


def pooling() -> Example:
    conv = {"filters": 8, "kernel_size": [3, 3], "padding": "same"}
    return Example(
        "pooling", "Max vs average pooling", "pooling",
        "A convolution followed by 2x2 pooling. Max pooling keeps the strongest response in each window (sharp, "
        "position-tolerant strokes), average pooling blurs them. Swap MaxPooling2D for AveragePooling2D and "
        "compare the feature maps after the pooling layer and the accuracy curves.",
        {"main": conv_digits("pooling", ("Conv2D", conv), ("MaxPooling2D", {}))},
        DIGITS, train(epochs=15, monitors={"feature_maps": True, "feature_maps_every": 10}),
        variants=[variant("average", replace={"MaxPooling2D": "AveragePooling2D"})])


def padding() -> Example:
    conv = {"filters": 8, "kernel_size": [3, 3], "padding": "same"}
    return Example(
        "padding", "Zero vs mirror padding", "padding",
        "Same-size convolutions pad the border. Zero padding adds a frame of zeros (edge filters fire along the "
        "border); mirror padding (reflect) repeats the image inwards, so the border looks like the inside. "
        "Switch the Conv2D padding to reflect and look at the outer pixels of the feature maps.",
        {"main": conv_digits("padding", ("Conv2D", conv), ("Conv2D", conv), ("MaxPooling2D", {}))},
        DIGITS, train(epochs=10, monitors={"feature_maps": True, "feature_maps_every": 10}),
        variants=[variant("mirror", layer="Conv2D", all=True, params={"padding": "reflect"})])


def stride() -> Example:
    return Example(
        "stride", "Stride", "stride",
        "A 3x3 convolution with stride 2 looks at every other position: the 8x8 input becomes 4x4 without a "
        "pooling layer, and the next layers cost a quarter of the work. Read the shapes on the edges and the "
        "FLOPs in the summary; set strides back to 1 and compare.",
        {"main": conv_digits("stride", ("Conv2D", {"filters": 16, "strides": [2, 2], "padding": "same"}),
                             ("Conv2D", {"filters": 16, "padding": "same"}))},
        DIGITS, train(epochs=15),
        variants=[variant("stride 1", layer="Conv2D", all=True, params={"strides": [1, 1]})])


def bottleneck() -> Example:
    return Example(
        "bottleneck", "1x1 bottleneck", "convolution",
        "A 1x1 convolution mixes channels at each pixel: 32 channels squeezed to 8, a 3x3 on the thin tensor, "
        "expanded back to 32. Compare the parameter count in the summary with one plain 3x3 convolution of 32 "
        "channels: about a quarter, for similar accuracy.",
        {"main": conv_digits("bottleneck", ("Conv2D", {"filters": 32, "padding": "same"}),
                             ("Conv2D", {"filters": 8, "kernel_size": [1, 1]}),
                             ("Conv2D", {"filters": 8, "padding": "same"}),
                             ("Conv2D", {"filters": 32, "kernel_size": [1, 1]}), ("MaxPooling2D", {}))},
        DIGITS, train(epochs=15))


def receptive_field() -> Example:
    return Example(
        "receptive_field", "Receptive field growth", "receptive field",
        "Each 3x3 convolution widens what one output pixel can see by two pixels: 3, 5, 7. Read the RF column "
        "of the summary. Set dilation_rate to 2 on the last layer and the field jumps by four instead, "
        "with no extra weights.",
        {"main": conv_digits("receptive_field", *[("Conv2D", {"filters": 8, "padding": "same"})] * 3)},
        DIGITS, train(epochs=10),
        variants=[variant("dilated", layer="Conv2D", params={"dilation_rate": [2, 2]})])


def vanishing() -> Example:
    return Example(
        "vanishing_gradients", "Vanishing gradients and their fix", "gradients",
        "Ten sigmoid layers: each multiplies the backward signal by at most 0.25, so the first layers' "
        "gradients are a million times smaller than the last ones' (gradient plot, log scale) and the loss "
        "stalls at chance. Switch the hidden layers to ReLU with He initialisation (or accept the banner's fix) "
        "and every layer learns: measured 100% validation accuracy in 40 epochs, against 42% for sigmoid.",
        {"main": mlp("vanishing", 2, [32] * 10, 2, activation="sigmoid")},
        {"source": "toy.circle", "options": {"samples": 600, "noise": 0.1, "seed": 0}},
        train(optimizer={"name": "sgd", "learning_rate": 0.1}, epochs=40,
              monitors={"gradient_norms": True, "gradient_every": 1}),
        variants=[variant("ReLU + He", layer="Dense", all=True, params={"activation": "relu",
                                                                          "kernel_initializer": "he_uniform"})])


def exploding() -> Example:
    return Example(
        "exploding_gradients", "Exploding gradients and clipping", "gradients",
        "Eight ReLU layers fitting a line with gross outliers, trained with momentum at a learning rate too high "
        "for that depth: the global gradient norm grows by orders of magnitude and within five steps the loss is "
        "NaN (the run stops and names the layer). Set optimizer clipnorm to 1.0: each step is scaled down to "
        "length one and the same run trains to the end.",
        {"main": mlp("exploding", 1, [64] * 8, 1, activation="relu", out_activation="linear",
                     kernel_initializer="he_normal")},
        {"source": "toy.outliers", "options": {"samples": 400, "noise": 0.1, "outliers": 0.1, "seed": 0}},
        train(loss="mse", metrics=["mae"], optimizer={"name": "momentum", "learning_rate": 0.05}, epochs=30,
              monitors={"gradient_norms": True, "gradient_every": 1}),
        variants=[variant("clipnorm 1", config={"optimizer": {"clipnorm": 1.0}})])


def recurrent() -> Example:
    return Example(
        "rnn_long_range", "SimpleRNN vs LSTM vs GRU on a long-range task", "recurrent",
        "Recall the bit seen 30 steps ago among random bits. The SimpleRNN's gradient fades over the steps and it "
        "stays at chance (50%) for all 20 epochs; replace it with an LSTM, whose gated cell state carries the bit, "
        "and accuracy jumps to 100% (measured: 100% validation accuracy in 20 epochs). A GRU has gates too but "
        "needed more than 20 epochs here: give it 40.",
        {"main": chain("rnn_long_range", [("Input", {"shape": [35, 1]}), ("SimpleRNN", {"units": 32}),
                                          ("Dense", {"units": 2, "activation": "softmax"})])},
        {"source": "seq.parity", "options": {"samples": 3000, "steps": 35, "delay": 30, "seed": 0}},
        train(optimizer={"name": "adam", "learning_rate": 0.005}, epochs=20, batch_size=64),
        variants=[variant("LSTM", replace={"SimpleRNN": "LSTM"}),
                  variant("GRU", replace={"SimpleRNN": "GRU"}, config={"epochs": 40})])


def autoencoder() -> Example:
    return Example(
        "autoencoder", "An autoencoder", "autoencoder",
        "Digits squeezed through a bottleneck of 8 numbers and rebuilt: the target is the input itself. The "
        "loss is the reconstruction error; the 8-unit layer is a learned compression of the images. After "
        "training, open the dashboard's Predict tab, pick the run and press Predict: eight digits appear as 8x8 "
        "images beside their reconstructions, each with its mean squared error.",
        {"main": chain("autoencoder", [("Input", {"shape": [64]}),
                                       ("Dense", {"units": 32, "activation": "relu"}),
                                       ("Dense", {"units": 8, "activation": "relu"}),
                                       ("Dense", {"units": 32, "activation": "relu"}),
                                       ("Dense", {"units": 64, "activation": "sigmoid"})])},
        {"source": "file.numpy", "options": {"path": "data/digits64.npz", "x_key": "x", "y_key": "x",
                                             "task": "regression"}},
        train(loss="mse", metrics=["mae"], optimizer={"name": "adam", "learning_rate": 0.003}, epochs=40))


BUILDERS: list[Callable[[], Example]] = [
    cnn_digits, activations, mse_vs_mae, cross_entropies, optimizers, regularization, backprop, pooling,
    padding, stride, bottleneck, receptive_field, vanishing, exploding, recurrent, autoencoder,
]


def _rl(agent: dict[str, Any], env: dict[str, Any]) -> dict[str, Any]:
    return {"rl": RLConfig.model_validate({"env": env, "agent": agent}).model_dump(mode="json", exclude={"graph"})}


def gan() -> Example:
    return Example(
        "gan", "A GAN", "GAN",
        "A generator turns noise into points, a discriminator tells them from real points on a ring of eight "
        "Gaussians. Watch the samples plot: the cloud spreads over the ring, mode by mode; if it collapses "
        "onto one blob the mode-collapse warning says so.",
        {"generator": template("gan_dense_2d_generator"), "discriminator": template("gan_dense_2d_discriminator")},
        {"source": "gan.ring", "options": {}},
        {"gan": GanConfig.model_validate({"steps": 1500}).to_dict()},
        kind="gan")


def mdp() -> Example:
    return Example(
        "mdp_exact", "An MDP solved exactly", "RL",
        "The frozen lake as a Markov decision process: every transition probability is known, so value "
        "iteration computes the best policy exactly. Solve it in the RL panel to see the values and arrows on "
        "the grid; the Q-learning run then shows its gap to that exact answer shrinking.",
        {"main": chain("mdp_exact", [])}, {},
        _rl({"kind": "qlearning", "episodes": 2000, "snapshot_every": 100}, {"id": "FrozenLake-v1"}), kind="rl")


def qlearning() -> Example:
    return Example(
        "qlearning_frozenlake", "Q-learning on FrozenLake", "RL",
        "A table of Q-values learned from experience on the slippery 4x4 lake: epsilon-greedy exploration, "
        "then the table settles. Measured: 5,000 episodes in about 20 s, the greedy policy then reaches the goal "
        "about 60% of the time; the exact solution (the MDP example) shows how far that is from the best.",
        {"main": chain("qlearning", [])}, {},
        _rl({"kind": "qlearning", "episodes": 5000, "epsilon_decay_episodes": 2500, "alpha": 0.1},
            {"id": "FrozenLake-v1"}), kind="rl")


def dqn() -> Example:
    return Example(
        "dqn_cartpole", "DQN on CartPole", "RL",
        "A Q-network learns to balance the pole from a replay buffer with a target network. The episode return "
        "climbs from about 20 towards 200 as epsilon decays; the loss is Huber on the TD error. Measured: greedy "
        "evaluation 259 (of 500) after 15,000 steps, about two minutes on two CPU cores.",
        {"main": template("dqn_qnetwork")}, {},
        _rl({"kind": "dqn", "total_steps": 15000, "learning_starts": 500, "epsilon_decay_steps": 5000,
             "target_update_every": 250, "buffer_size": 10000}, {"id": "CartPole-v1"}), kind="rl")


def reinforce() -> Example:
    return Example(
        "reinforce_cartpole", "REINFORCE on CartPole", "RL",
        "A policy network outputs action probabilities and is pushed towards actions that led to high returns. "
        "Noisier than DQN, no replay buffer: compare the two reward curves. Measured: returns reach 500 around "
        "episode 200 and keep swinging (greedy evaluation about 140 at the end), 400 episodes in under a minute. "
        "The entropy bonus keeps it exploring: set it to 0 and a learning rate of 0.01 and the policy can "
        "collapse to always pushing one way (return 9).",
        {"main": template("policy_network")}, {},
        _rl({"kind": "reinforce", "episodes": 400, "entropy_coef": 0.01,
             "optimizer": {"name": "Adam", "params": {"learning_rate": 0.003}}}, {"id": "CartPole-v1"}), kind="rl")


BUILDERS += [gan, mdp, qlearning, dqn, reinforce]
