"""What the Learn dock explains: short texts for activations, losses, optimizers, regularizers, convolution
geometry, recurrent, RL and GAN terms, each with the diagram that says more than words (if any)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Topic:
    key: str
    title: str
    text: str
    diagram: str = ""
    """``activation:<name>``, ``padding``, ``stride``, ``receptive_field`` or a key of
    ``learn_diagrams.EXTRA`` (``autoencoder``, ``residual``, ``clipping``, ``learning_rate``): drawn beside
    the text."""


ACTIVATIONS = {
    "linear": "f(x) = x. No nonlinearity: the output layer of a regression. Layers without one collapse into a "
              "single linear map, however many you stack.",
    "sigmoid": "σ(x) = 1 / (1 + e⁻ˣ) squashes to (0, 1): a probability for binary outputs. Its slope is at most "
               "0.25, so deep stacks of sigmoids shrink gradients layer by layer (vanishing gradients).",
    "tanh": "tanh(x) squashes to (−1, 1) and is centred on zero; slope 1 at the origin, flat far out. Good for "
            "recurrent layers, but it too saturates.",
    "relu": "max(0, x): passes positives unchanged (slope 1, no vanishing), zeroes negatives. Cheap and the default "
            "for hidden layers; a unit stuck at negative inputs stops learning (dying ReLU). Use He initialisation.",
    "leaky_relu": "max(x, a·x): like ReLU, with a small slope a for negatives so no unit dies.",
    "elu": "x for x > 0, eˣ − 1 below: smooth, negative outputs pull the mean towards zero.",
    "selu": "A scaled ELU that keeps activations normalised through deep dense stacks (with lecun_normal).",
    "gelu": "x·Φ(x): a smooth ReLU weighting inputs by how likely they are positive; used in transformers.",
    "swish": "x·σ(x): smooth, slightly negative dip below zero; often a little better than ReLU in deep nets.",
    "softplus": "log(1 + eˣ): a smooth ReLU whose slope is the sigmoid.",
    "softmax": "exp(xᵢ) / Σ exp(xⱼ): turns a vector of scores into probabilities summing to one; the last layer "
               "of a classifier trained with categorical cross-entropy.",
}
LOSSES = {
    "mse": ("Mean squared error", "The mean of (y − ŷ)². Large errors count quadratically, so a few outliers "
            "pull the fit towards them. The natural loss for Gaussian noise."),
    "mae": ("Mean absolute error", "The mean of |y − ŷ|. Every unit of error costs the same, so outliers matter "
            "far less; its gradient has constant size, which can make the end of training jumpy."),
    "huber": ("Huber loss", "Squared for small errors, absolute for large ones: MSE's smoothness near the target "
              "and MAE's robustness to outliers."),
    "binary_crossentropy": ("Binary cross-entropy", "−[y log p + (1 − y) log(1 − p)] for one sigmoid output p. "
                            "Punishes confident wrong answers hard."),
    "categorical_crossentropy": ("Categorical cross-entropy", "−Σ yᵢ log pᵢ over softmax outputs with one-hot "
                                 "labels. For two classes it equals binary cross-entropy."),
    "sparse_categorical_crossentropy": ("Sparse categorical cross-entropy", "Categorical cross-entropy with "
                                        "integer class ids instead of one-hot vectors: same loss, less memory."),
}
OPTIMIZERS = {
    "gd": ("Gradient descent", "One step per pass over the whole training set: smooth but slow and memory-hungry."),
    "sgd": ("SGD", "w ← w − η·g on each mini-batch: noisy steps that still go downhill on average."),
    "momentum": ("SGD with momentum", "Keeps a running velocity v ← βv + g and steps along it: rolls through "
                 "small bumps and speeds up along consistent directions."),
    "nesterov": ("Nesterov momentum", "Momentum that looks ahead: the gradient is taken where the velocity is "
                 "about to carry the weights, which damps overshooting."),
    "adagrad": ("Adagrad", "Divides each weight's step by the root of its summed squared gradients: rare features "
                "get large steps; the steps only ever shrink."),
    "rmsprop": ("RMSprop", "Like Adagrad with a decaying average of squared gradients, so steps do not shrink to "
                "nothing."),
    "adam": ("Adam", "Momentum on the gradient plus RMSprop's per-weight scaling, with bias correction: a robust "
             "default at learning rate 0.001."),
    "adamw": ("AdamW", "Adam with weight decay applied directly to the weights (decoupled from the gradient): "
              "better regularisation than adding L2 to the loss."),
    "nadam": ("Nadam", "Adam whose momentum looks ahead like Nesterov's: the step uses the gradient where the "
              "momentum is about to carry the weights; often settles a little faster than Adam."),
}
GENERAL = [
    Topic("regularizer:l1", "L1 regularisation", "Adds λ·Σ|w| to the loss. Its constant pull drives many weights "
          "to exactly zero: a sparse model. Look at the weight histogram's spike at zero."),
    Topic("regularizer:l2", "L2 regularisation", "Adds λ·Σw² to the loss: large weights cost more, so the model "
          "prefers many small weights and a smoother function (weight decay)."),
    Topic("regularizer:activity", "Activity regularisation", "Adds λ·Σ|a| (L1) or λ·Σa² (L2) of the layer's "
          "outputs a to the loss, not of its weights: the layer is pushed to answer with few or small activations "
          "(sparse codes, as in a sparse autoencoder). A bias regulariser does the same to the biases."),
    Topic("regularizer:dropout", "Dropout", "During training, each unit's output is zeroed with probability "
          "rate (the rest scaled up). No unit can rely on another, like training an ensemble; off at inference."),
    Topic("padding", "Padding", "A k×k window over an n×n image gives (n − k + 1)² outputs ('valid'). 'same' adds "
          "a border so the size stays n: zeros (zero padding) or a mirror of the image (reflect/symmetric), "
          "which avoids a dark frame that edge filters react to.", "padding"),
    Topic("stride", "Stride", "The step between windows. Stride s divides the output size by about s and the work "
          "of later layers by s², a learned alternative to pooling.", "stride"),
    Topic("receptive_field", "Receptive field", "The input pixels one output can see. Each k×k layer adds (k − 1)·j "
          "where j is the product of earlier strides; dilation d widens a kernel to d·(k − 1) + 1.",
          "receptive_field"),
    Topic("pooling", "Pooling", "Summarises each window: max pooling keeps the strongest response (a feature "
          "present anywhere in the window), average pooling keeps the mean (smoother, keeps weak evidence)."),
    Topic("recurrent", "Recurrent layers", "A recurrent layer reads a sequence step by step, carrying a state. "
          "SimpleRNN multiplies the gradient by the same matrix at each step, so it fades over long spans; LSTM "
          "and GRU gates let information (and gradient) pass unchanged across many steps."),
    Topic("backprop", "Backpropagation", "The chain rule applied from the loss backwards: each layer's gradient is "
          "the next layer's gradient times its local derivative. Products of many small factors vanish, of many "
          "large ones explode; the gradient plot shows each layer's norm."),
    Topic("unsupervised", "Unsupervised learning", "Learning from inputs without labels: the data's own structure "
          "is the target. Clustering groups similar samples; an autoencoder learns a compact code by rebuilding "
          "its input; a GAN learns to produce new samples like the data. No one says what the right answer is, so "
          "the loss measures how well the structure is captured (here: how well the input is rebuilt)."),
    Topic("autoencoder", "Autoencoder", "An encoder squeezes the input through a narrow bottleneck (the code) and "
          "a decoder rebuilds the input from it; the target is the input itself, the loss the reconstruction "
          "error (MSE). A bottleneck smaller than the input forces a compression that keeps what matters: similar "
          "digits get similar codes. Train on noisy inputs with clean targets and it becomes a denoiser. After "
          "training, the Predict tab of the dashboard shows inputs beside their reconstructions.", "autoencoder"),
    Topic("gradients:vanishing", "Vanishing gradients", "Backpropagation multiplies the gradient by each layer's "
          "slope and weights on the way to the input. Many factors below one (a sigmoid's slope is at most 0.25) "
          "shrink it geometrically, so the first layers stop learning. Fixes: ReLU with He initialisation, "
          "BatchNormalization, residual connections."),
    Topic("gradients:exploding", "Exploding gradients", "Many factors above one (large initial weights, a long "
          "recurrence) make the gradient grow geometrically: huge steps throw the weights out of range and the "
          "loss jumps or becomes NaN. Fixes: He initialisation, BatchNormalization, gradient clipping, a lower "
          "learning rate."),
    Topic("he_initialization", "He initialisation", "Starting weights drawn with variance 2 / fan-in. ReLU zeroes "
          "about half the signal, and the factor 2 makes up for it, so activations and gradients keep their scale "
          "through any number of layers instead of shrinking or growing at each one."),
    Topic("batch_normalization", "Batch normalisation", "Normalises each feature over the mini-batch to mean 0 "
          "and variance 1, then applies a learned scale γ and shift β. Activations stay where their slope is "
          "large, the scale of earlier weights no longer multiplies through, and higher learning rates become "
          "safe. At inference it uses running averages instead of the batch's statistics."),
    Topic("residual", "Residual connection", "y = x + F(x): the layer learns a correction to its input, and an "
          "Add node sums them. The gradient reaching x is the gradient of y plus what passes through F, so there "
          "is always an identity path back: very deep networks (ResNets) train because gradients cannot vanish "
          "along it.", "residual"),
    Topic("gradient_clipping", "Gradient clipping", "Caps the size of each step: clipnorm rescales the gradient "
          "when its norm exceeds c (g ← g·c/‖g‖, direction kept); clipvalue cuts each component to ±c. Rare "
          "huge gradients no longer throw the weights away, while normal steps are untouched.", "clipping"),
    Topic("learning_rate", "Learning rate", "The step size η in w ← w − η·g. Too small: slow progress; too "
          "large: each step overshoots the valley and the loss oscillates or diverges (on a parabola any η above "
          "2 / curvature diverges). Lower it when the loss jumps; a schedule lowers it as training settles.",
          "learning_rate"),
    Topic("rl:mdp", "Markov decision process", "States, actions, transition probabilities P(s'|s,a) and rewards. "
          "With P known, value iteration V(s) ← maxₐ Σ P(s'|s,a)[r + γV(s')] finds the optimal policy exactly."),
    Topic("rl:qlearning", "Q-learning", "Learns Q(s,a), the return of taking a then acting greedily, from "
          "experience: Q ← Q + α(r + γ maxₐ' Q(s',a') − Q). ε-greedy: a random action with probability ε."),
    Topic("rl:dqn", "DQN", "Q-learning with a neural network for Q: a replay buffer breaks correlations between "
          "samples, a slowly updated target network keeps the regression target still."),
    Topic("rl:reinforce", "REINFORCE", "A policy gradient: raise the log-probability of each action in proportion "
          "to the return that followed it; a baseline subtracts the average return to reduce noise."),
    Topic("gan:gan", "Generative adversarial network", "A generator maps noise to samples, a discriminator tells "
          "them from real data; each is trained against the other. At balance D cannot tell them apart."),
    Topic("gan:latent", "Latent space and prior", "The generator's input: a vector z drawn from a fixed prior "
          "(a standard normal or uniform on [−1, 1]). Training maps regions of this space to kinds of samples, "
          "so walking from one z to another morphs one sample into another (the latent interpolation)."),
    Topic("gan:d_steps", "Discriminator steps per generator step (k)", "The discriminator is trained k times for "
          "each generator update. A stronger discriminator gives the generator a more useful signal, but one that "
          "wins outright saturates and its gradient to the generator vanishes: k = 1 is the usual start."),
    Topic("gan:label_smoothing", "Label smoothing", "The discriminator's targets for real samples become 1 − s "
          "(e.g. 0.9) instead of 1 (one-sided: fakes stay 0). It stops the discriminator from growing "
          "over-confident, which keeps its gradients to the generator informative."),
    Topic("gan:mode_collapse", "Mode collapse", "The generator finds a few outputs that fool the discriminator and "
          "produces only those: the samples lose their variety. Watch the diversity signal."),
]


def all_topics() -> dict[str, Topic]:
    """Every topic by key."""
    out = {t.key: t for t in GENERAL}
    for name, text in ACTIVATIONS.items():
        out[f"activation:{name}"] = Topic(f"activation:{name}", f"Activation: {name}", text,
                                          "" if name == "softmax" else f"activation:{name}")
    for name, (title, text) in LOSSES.items():
        out[f"loss:{name}"] = Topic(f"loss:{name}", f"Loss: {title}", text)
    for name, (title, text) in OPTIMIZERS.items():
        out[f"optimizer:{name}"] = Topic(f"optimizer:{name}", f"Optimizer: {title}", text)
    return out


NODE_TOPICS = {"Conv": ["padding", "stride", "receptive_field"], "Pooling": ["pooling", "stride"],
               "Padding": ["padding"], "RNN": ["recurrent"], "LSTM": ["recurrent"], "GRU": ["recurrent"],
               "Dropout": ["regularizer:dropout"], "BatchNormalization": ["batch_normalization"],
               "Add": ["residual"]}
FIX_TOPICS = {"relu": "he_initialization", "he": "he_initialization", "batchnorm": "batch_normalization",
              "residual": "residual", "clip": "gradient_clipping", "lr": "learning_rate"}
"""The health banner's fixes (``health_fixes.Fix.key``) and the topic explaining each."""


def topics_for_node(type_id: str, params: dict[str, Any]) -> list[str]:
    """The keys worth showing beside a layer's own documentation."""
    keys: list[str] = []
    if isinstance(params.get("activation"), str):
        keys.append(f"activation:{params['activation']}")
    for fragment, extra in NODE_TOPICS.items():
        if fragment in type_id:
            keys += [k for k in extra if k not in keys]
    for param, reg in params.items():  # kernel, bias, activity, recurrent, … regularizers alike
        if not param.endswith("_regularizer") or not isinstance(reg, dict):
            continue
        used = [f"regularizer:{k}" for k in ("l1", "l2") if float(reg.get(k) or 0) > 0]
        if used and param == "activity_regularizer":
            used.insert(0, "regularizer:activity")
        keys += [k for k in used if k not in keys]
    return keys
