"""The entries: one :class:`LayerSpec` per layer type, in palette order.

The palette, the inspector, validation, the compiler, the exporters and code generation all
read these, so adding a layer type is one entry here, not five edits elsewhere.
"""

from __future__ import annotations

from typing import Any

from neurocanvas.core.network.catalogue import builders, rules
from neurocanvas.core.network.catalogue.spec import LOSSES, LayerSpec, ParamSpec

# --------------------------------------------------------------------------------------
# The entries
# --------------------------------------------------------------------------------------


def _int(name: str, default: int, lo: int, hi: int, label: str, help: str) -> ParamSpec:
    return ParamSpec(name, "int", default, label=label, help=help, min=lo, max=hi)


_KERNEL = _int("kernel_size", 2, 1, 15, "Kernel size", "Side of the square pooling window.")
_POOL_STRIDE = _int(
    "stride", 0, 0, 15, "Stride", "Step between windows; 0 means the same as the kernel size."
)
_POOL_PAD = _int("padding", 0, 0, 7, "Padding", "Zeros added on each side (at most kernel/2).")


def _pool_summary(params: dict) -> str:
    k = params["kernel_size"]
    s = rules.pool_stride(params)
    return f"{k}×{k}" + (f" /{s}" if s != k else "")


def _shape_summary(shape: Any) -> str:
    return "×".join(str(d) for d in shape)


_ENTRIES: tuple[LayerSpec, ...] = (
    LayerSpec(
        "Input",
        "Input",
        "Data",
        "Where the data enters the network. Its shape comes from the data set.",
        (
            ParamSpec(
                "shape",
                "shape",
                (1,),
                label="Shape",
                help="One sample's shape without the batch dimension; set from the data set.",
                max=4,
            ),
        ),
        (),
        rules.OUT,
        rules.infer_input,
        None,
        lambda p: _shape_summary(p["shape"]),
    ),
    LayerSpec(
        "Linear",
        "Linear",
        "Dense",
        "A fully connected layer: y = x Wᵀ + b. The number of inputs is taken from the "
        "incoming shape.",
        (
            _int("out_features", 32, 1, 65536, "Outputs", "How many numbers this layer outputs."),
            ParamSpec("bias", "bool", True, label="Bias", help="Add a learned offset b."),
        ),
        rules.IN,
        rules.OUT,
        rules.infer_linear,
        builders.build_linear,
        lambda p: f"→ {p['out_features']}",
        cost=rules.cost_linear,
    ),
    LayerSpec(
        "Conv2d",
        "Conv2d",
        "Convolution",
        "A 2-D convolution: slides learned square filters over an image. The number of "
        "input channels is taken from the incoming shape.",
        (
            _int("out_channels", 8, 1, 4096, "Filters", "How many feature maps it outputs."),
            _int("kernel_size", 3, 1, 15, "Kernel size", "Side of each square filter."),
            _int("stride", 1, 1, 15, "Stride", "Step between filter positions."),
            _int("padding", 0, 0, 15, "Padding", "Zeros added around each side of the image."),
            _int("dilation", 1, 1, 8, "Dilation", "Spacing between the filter's taps."),
            ParamSpec("bias", "bool", True, label="Bias", help="Add a learned offset per filter."),
        ),
        rules.IN,
        rules.OUT,
        rules.infer_conv,
        builders.build_conv,
        lambda p: f"{p['out_channels']} × {p['kernel_size']}×{p['kernel_size']}",
        cost=rules.cost_conv,
        name_prefix="conv",
    ),
    LayerSpec(
        "MaxPool2d",
        "MaxPool2d",
        "Convolution",
        "Keeps the largest value in each window: shrinks the image, keeps strong features.",
        (_KERNEL, _POOL_STRIDE, _POOL_PAD),
        rules.IN,
        rules.OUT,
        rules.infer_pool,
        builders.build_maxpool,
        _pool_summary,
        name_prefix="maxpool",
    ),
    LayerSpec(
        "AvgPool2d",
        "AvgPool2d",
        "Convolution",
        "Averages each window: shrinks the image smoothly.",
        (_KERNEL, _POOL_STRIDE, _POOL_PAD),
        rules.IN,
        rules.OUT,
        rules.infer_pool,
        builders.build_avgpool,
        _pool_summary,
        name_prefix="avgpool",
    ),
    LayerSpec(
        "GlobalAvgPool",
        "Global average pool",
        "Convolution",
        "Averages each channel over the whole image: (N, C, H, W) → (N, C). The same as "
        "AdaptiveAvgPool2d(1) followed by Flatten.",
        (),
        rules.IN,
        rules.OUT,
        rules.infer_gap,
        builders.custom_build("GlobalAvgPool"),
        lambda p: "(N, C)",
        name_prefix="gap",
    ),
    LayerSpec(
        "Flatten",
        "Flatten",
        "Structure",
        "Turns each sample into one flat vector, e.g. before a Linear layer.",
        (),
        rules.IN,
        rules.OUT,
        rules.infer_flatten,
        builders.simple("Flatten"),
        lambda p: "",
    ),
    LayerSpec(
        "Reshape",
        "Reshape",
        "Structure",
        "Gives each sample a new shape with the same number of values; -1 infers one size.",
        (
            ParamSpec(
                "shape",
                "shape",
                (-1,),
                label="Shape",
                help="Target shape without the batch dimension, e.g. 1, 8, 8.",
                min=-1,
                max=4,
            ),
        ),
        rules.IN,
        rules.OUT,
        rules.infer_reshape,
        builders.build_reshape,
        lambda p: _shape_summary(p["shape"]),
    ),
    LayerSpec(
        "Dropout",
        "Dropout",
        "Normalisation",
        "While training, zeroes each value with probability p (and scales the rest) so the "
        "network cannot rely on any single unit. Does nothing when evaluating.",
        (
            ParamSpec(
                "p",
                "float",
                0.5,
                label="Drop probability",
                help="Chance to zero a value.",
                min=0.0,
                max=0.99,
            ),
        ),
        rules.IN,
        rules.OUT,
        rules.same,
        builders.simple("Dropout"),
        lambda p: f"p={p['p']:g}",
    ),
    LayerSpec(
        "BatchNorm",
        "BatchNorm",
        "Normalisation",
        "Normalises each feature or channel over the batch, then scales and shifts it. "
        "Becomes BatchNorm1d for (N, C) or (N, C, L) and BatchNorm2d for images.",
        (
            ParamSpec(
                "momentum",
                "float",
                0.1,
                label="Momentum",
                help="How fast the running statistics follow the batches.",
                min=0.0,
                max=1.0,
            ),
            ParamSpec(
                "eps",
                "float",
                1e-5,
                label="Epsilon",
                help="Added to the variance to avoid dividing by zero.",
                min=1e-10,
                max=1.0,
                log=True,
            ),
        ),
        rules.IN,
        rules.OUT,
        rules.infer_batchnorm,
        builders.build_batchnorm,
        lambda p: "",
        cost=rules.cost_batchnorm,
        name_prefix="bn",
    ),
    LayerSpec(
        "ReLU",
        "ReLU",
        "Activation",
        "max(0, x): the default non-linearity.",
        (),
        rules.IN,
        rules.OUT,
        rules.same,
        builders.simple("ReLU"),
        lambda p: "",
    ),
    LayerSpec(
        "LeakyReLU",
        "LeakyReLU",
        "Activation",
        "Like ReLU, but lets a small slope through for negative inputs.",
        (
            ParamSpec(
                "negative_slope",
                "float",
                0.01,
                label="Negative slope",
                help="Slope for x < 0.",
                min=0.0,
                max=1.0,
            ),
        ),
        rules.IN,
        rules.OUT,
        rules.same,
        builders.simple("LeakyReLU"),
        lambda p: f"{p['negative_slope']:g}",
    ),
    LayerSpec(
        "Sigmoid",
        "Sigmoid",
        "Activation",
        "1 / (1 + e^-x): squashes into (0, 1).",
        (),
        rules.IN,
        rules.OUT,
        rules.same,
        builders.simple("Sigmoid"),
        lambda p: "",
    ),
    LayerSpec(
        "Tanh",
        "Tanh",
        "Activation",
        "Squashes into (-1, 1).",
        (),
        rules.IN,
        rules.OUT,
        rules.same,
        builders.simple("Tanh"),
        lambda p: "",
    ),
    LayerSpec(
        "GELU",
        "GELU",
        "Activation",
        "A smooth ReLU used by transformers: x·Φ(x).",
        (
            ParamSpec(
                "approximate",
                "choice",
                "none",
                label="Approximation",
                help="'tanh' uses the faster tanh formula.",
                choices=("none", "tanh"),
            ),
        ),
        rules.IN,
        rules.OUT,
        rules.same,
        builders.simple("GELU"),
        lambda p: "" if p["approximate"] == "none" else "tanh",
    ),
    LayerSpec(
        "Softmax",
        "Softmax",
        "Activation",
        "Turns scores into probabilities that sum to 1 over dim 1 (features, or channels "
        "for images). Not needed before a cross-entropy Output: that loss applies it itself.",
        (),
        rules.IN,
        rules.OUT,
        rules.same,
        builders.simple("Softmax", dim=1),
        lambda p: "",
    ),
    LayerSpec(
        "PolynomialFeatures",
        "Polynomial features",
        "Dense",
        "x → [x, x², …, x^degree] side by side, so one Linear on top fits a polynomial.",
        (_int("degree", 3, 1, 10, "Degree", "Highest power of x."),),
        rules.IN,
        rules.OUT,
        rules.infer_poly,
        builders.custom_build("PolynomialFeatures", "degree"),
        lambda p: f"degree {p['degree']}",
        cost=rules.cost_poly,
        name_prefix="poly",
    ),
    LayerSpec(
        "Add",
        "Add",
        "Structure",
        "Adds its inputs element by element (a skip connection). All shapes must be equal.",
        (),
        rules.IN_MULTI,
        rules.OUT,
        rules.infer_add,
        builders.custom_build("Add"),
        lambda p: "+",
    ),
    LayerSpec(
        "Concat",
        "Concat",
        "Structure",
        "Puts its inputs side by side: along features for vectors, along channels for images.",
        (),
        rules.IN_MULTI,
        rules.OUT,
        rules.infer_concat,
        builders.custom_build("Concat"),
        lambda p: "",
    ),
    LayerSpec(
        "Output",
        "Output",
        "Output",
        "The network's prediction and the loss that trains it. mse/l1/huber for "
        "regression; cross_entropy (one output per class) or bce (one output, two "
        "classes) for classification.",
        (
            ParamSpec(
                "loss",
                "choice",
                "mse",
                label="Loss",
                help="What training minimises.",
                choices=LOSSES,
            ),
        ),
        rules.IN,
        (),
        rules.infer_output,
        None,
        lambda p: p["loss"],
    ),
)

LAYERS: dict[str, LayerSpec] = {spec.type: spec for spec in _ENTRIES}
"""Every layer type, in palette order."""


def get_layer(type: str) -> LayerSpec:
    """The entry for ``type``; a ``KeyError`` listing the known types otherwise."""
    try:
        return LAYERS[type]
    except KeyError:
        known = ", ".join(LAYERS)
        raise KeyError(f"unknown layer type {type!r} (known: {known})") from None


def default_params(type: str) -> dict[str, Any]:
    """A fresh dict of ``type``'s parameters at their defaults."""
    return {p.name: p.default for p in get_layer(type).params}
