"""The layer catalogue: one entry per layer type, read by every other part.

The palette, the inspector, validation, the compiler, the exporters and code generation all
read the same :class:`LayerSpec`, so adding a layer type is one entry here, not five edits
elsewhere. This module needs no engine: builders import ``neurocanvas.core.nn`` only when
they are called.
"""

from __future__ import annotations

import keyword
import math
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

Shape = tuple[int, ...]
"""A tensor shape without the batch dimension: ``(64,)``, ``(1, 28, 28)``."""

CATEGORIES: tuple[str, ...] = (
    "Data",
    "Dense",
    "Convolution",
    "Activation",
    "Normalisation",
    "Structure",
    "Output",
)

LOSSES: tuple[str, ...] = ("mse", "l1", "huber", "cross_entropy", "bce")
REGRESSION_LOSSES: tuple[str, ...] = ("mse", "l1", "huber")
CLASSIFICATION_LOSSES: tuple[str, ...] = ("cross_entropy", "bce")


class ShapeError(ValueError):
    """A layer cannot take the shapes it receives.

    The message is a phrase that reads after the layer's type and name, e.g.
    ``"needs a flat input (N, features) but receives (N, 1, 8, 8)"``; validation
    prefixes ``"Linear 'linear1' "`` so the person sees which node is meant.
    """


def fmt_shape(shape: Shape) -> str:
    """Show a shape the way people read it, with the batch dimension: ``(N, 64)``."""
    return "(" + ", ".join(["N", *(str(d) for d in shape)]) + ")"


# --------------------------------------------------------------------------------------
# Schema
# --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ParamSpec:
    """One editable parameter of a layer: its kind, default, range and help text."""

    name: str
    kind: str  # "int" "float" "bool" "choice" "str" "shape"
    default: Any
    label: str = ""
    help: str = ""
    min: float | None = None
    max: float | None = None
    choices: tuple[str, ...] = ()
    log: bool = False

    def validate(self, value: Any) -> Any:
        """Return ``value`` coerced to this parameter's kind, or raise ``ValueError``.

        Coercion keeps JSON round trips exact (lists come back as tuples, ``2.0`` as ``2``)
        while refusing anything a person did not mean (``True`` is not an int).
        """
        check = _VALIDATORS.get(self.kind)
        if check is None:
            raise ValueError(f"{self.name} has an unknown kind {self.kind!r}")
        return check(self, value)

    def _range_text(self) -> str:
        if self.min is not None and self.max is not None:
            return f"between {_num(self.min)} and {_num(self.max)}"
        if self.min is not None:
            return f"at least {_num(self.min)}"
        return f"at most {_num(self.max)}"

    def _check_range(self, value: float) -> None:
        low = self.min is not None and value < self.min
        high = self.max is not None and value > self.max
        if low or high:
            raise ValueError(f"{self.name} must be {self._range_text()}, got {_num(value)}")


def _num(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else repr(float(value))


def _as_int(spec: ParamSpec, value: Any, what: str) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise ValueError(f"{what} must be a whole number, got {value!r}")
    if isinstance(value, float) and not value.is_integer():
        raise ValueError(f"{what} must be a whole number, got {value!r}")
    return int(value)


def _validate_int(spec: ParamSpec, value: Any) -> int:
    out = _as_int(spec, value, spec.name)
    spec._check_range(out)
    return out


def _validate_float(spec: ParamSpec, value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise ValueError(f"{spec.name} must be a number, got {value!r}")
    out = float(value)
    if not math.isfinite(out):
        raise ValueError(f"{spec.name} must be a finite number, got {value!r}")
    spec._check_range(out)
    return out


def _validate_bool(spec: ParamSpec, value: Any) -> bool:
    if not isinstance(value, bool):
        raise ValueError(f"{spec.name} must be true or false, got {value!r}")
    return value


def _validate_choice(spec: ParamSpec, value: Any) -> str:
    if value not in spec.choices:
        options = ", ".join(spec.choices)
        raise ValueError(f"{spec.name} must be one of {options}, got {value!r}")
    return str(value)


def _validate_str(spec: ParamSpec, value: Any) -> str:
    if not isinstance(value, str):
        raise ValueError(f"{spec.name} must be text, got {value!r}")
    return value


def _validate_shape(spec: ParamSpec, value: Any) -> Shape:
    # A shape may contain one -1 ("infer this size") only where min == -1 (Reshape).
    if not isinstance(value, (list, tuple)) or len(value) == 0:
        raise ValueError(f"{spec.name} must be a non-empty list of sizes, got {value!r}")
    dims = tuple(_as_int(spec, v, f"each size in {spec.name}") for v in value)
    allow_infer = spec.min == -1
    for d in dims:
        if d >= 1 or (allow_infer and d == -1):
            continue
        extra = " (or -1 once, to infer it)" if allow_infer else ""
        raise ValueError(f"each size in {spec.name} must be at least 1{extra}, got {d}")
    if dims.count(-1) > 1:
        raise ValueError(f"{spec.name} may contain -1 only once, got {value!r}")
    if spec.max is not None and len(dims) > spec.max:
        raise ValueError(f"{spec.name} may have at most {int(spec.max)} sizes, got {len(dims)}")
    return dims


_VALIDATORS: dict[str, Callable[[ParamSpec, Any], Any]] = {
    "int": _validate_int,
    "float": _validate_float,
    "bool": _validate_bool,
    "choice": _validate_choice,
    "str": _validate_str,
    "shape": _validate_shape,
}


@dataclass(frozen=True)
class PortSpec:
    """A named port; ``multi`` ports accept several wires (Add, Concat)."""

    name: str
    multi: bool = False


InferFn = Callable[[dict, list[Shape]], Shape]
BuildFn = Callable[[dict, list[Shape]], Any]
CostFn = Callable[[dict, list[Shape], Shape], tuple[int, int]]


def _no_cost(params: dict, in_shapes: list[Shape], out_shape: Shape) -> tuple[int, int]:
    return 0, 0


@dataclass(frozen=True, eq=False)
class LayerSpec:
    """Everything the application knows about one layer type.

    ``cost(params, in_shapes, out_shape) -> (parameters, multiply_adds)`` per sample; its
    parameter count equals the built module's. ``name_prefix`` gives default node names
    (``"conv"`` -> ``conv1``). ``extras`` holds exporters' hooks, keyed by exporter.
    """

    type: str
    display_name: str
    category: str
    help: str
    params: tuple[ParamSpec, ...]
    inputs: tuple[PortSpec, ...]
    outputs: tuple[PortSpec, ...]
    infer: InferFn
    build: BuildFn | None
    summary: Callable[[dict], str]
    cost: CostFn = _no_cost
    name_prefix: str = ""
    extras: dict[str, Any] = field(default_factory=dict)

    def param(self, name: str) -> ParamSpec:
        """The parameter called ``name``; ``KeyError`` naming the layer otherwise."""
        for p in self.params:
            if p.name == name:
                return p
        known = ", ".join(p.name for p in self.params) or "none"
        raise KeyError(f"{self.type} has no parameter {name!r} (it has: {known})")

    def input_port(self, name: str) -> PortSpec | None:
        return next((p for p in self.inputs if p.name == name), None)

    def output_port(self, name: str) -> PortSpec | None:
        return next((p for p in self.outputs if p.name == name), None)

    @property
    def default_name_prefix(self) -> str:
        return self.name_prefix or self.type.lower()


# --------------------------------------------------------------------------------------
# Shape rules (pure functions of params and input shapes)
# --------------------------------------------------------------------------------------

IN = (PortSpec("in"),)
IN_MULTI = (PortSpec("in", multi=True),)
OUT = (PortSpec("out"),)


def _one(in_shapes: list[Shape]) -> Shape:
    if len(in_shapes) != 1:
        raise ShapeError(f"takes exactly one input but receives {len(in_shapes)}")
    return in_shapes[0]


def _needs_flat(shape: Shape) -> None:
    if len(shape) != 1:
        raise ShapeError(
            f"needs a flat input (N, features) but receives {fmt_shape(shape)}: "
            "add a Flatten before it"
        )


def _needs_image(shape: Shape) -> None:
    if len(shape) != 3:
        hint = ": add a Reshape before it" if len(shape) == 1 else ""
        raise ShapeError(
            f"needs an image input (N, channels, height, width) but receives "
            f"{fmt_shape(shape)}{hint}"
        )


def _same(params: dict, in_shapes: list[Shape]) -> Shape:
    return _one(in_shapes)


def _infer_input(params: dict, in_shapes: list[Shape]) -> Shape:
    return tuple(params["shape"])


def _infer_linear(params: dict, in_shapes: list[Shape]) -> Shape:
    shape = _one(in_shapes)
    _needs_flat(shape)
    return (params["out_features"],)


def _window_out(size: int, kernel: int, stride: int, padding: int, dilation: int = 1) -> int:
    return (size + 2 * padding - dilation * (kernel - 1) - 1) // stride + 1


def _check_window(shape: Shape, kernel: int, padding: int, dilation: int = 1) -> None:
    span = dilation * (kernel - 1) + 1
    _, h, w = shape
    if span > h + 2 * padding or span > w + 2 * padding:
        what = f"kernel {kernel}" if dilation == 1 else f"kernel {kernel} (dilated to {span})"
        raise ShapeError(
            f"has a {what} larger than its padded input "
            f"{h + 2 * padding}x{w + 2 * padding} (input {h}x{w}, padding {padding})"
        )


def _infer_conv(params: dict, in_shapes: list[Shape]) -> Shape:
    shape = _one(in_shapes)
    _needs_image(shape)
    k, s, p, d = params["kernel_size"], params["stride"], params["padding"], params["dilation"]
    _check_window(shape, k, p, d)
    _, h, w = shape
    return (params["out_channels"], _window_out(h, k, s, p, d), _window_out(w, k, s, p, d))


def pool_stride(params: dict) -> int:
    """A pool's effective stride: 0 means "same as the kernel", PyTorch's default."""
    return params["stride"] or params["kernel_size"]


def _infer_pool(params: dict, in_shapes: list[Shape]) -> Shape:
    shape = _one(in_shapes)
    _needs_image(shape)
    k, p = params["kernel_size"], params["padding"]
    if 2 * p > k:
        raise ShapeError(f"has padding {p}, which must be at most half the kernel size {k}")
    _check_window(shape, k, p)
    s = pool_stride(params)
    c, h, w = shape
    return (c, _window_out(h, k, s, p), _window_out(w, k, s, p))


def _infer_gap(params: dict, in_shapes: list[Shape]) -> Shape:
    shape = _one(in_shapes)
    _needs_image(shape)
    return (shape[0],)


def _infer_flatten(params: dict, in_shapes: list[Shape]) -> Shape:
    return (math.prod(_one(in_shapes)),)


def _infer_reshape(params: dict, in_shapes: list[Shape]) -> Shape:
    shape = _one(in_shapes)
    target = tuple(params["shape"])
    total = math.prod(shape)
    if -1 in target:
        known = math.prod(d for d in target if d != -1)
        if total % known:
            raise ShapeError(
                f"cannot reshape {fmt_shape(shape)} ({total} values per sample) "
                f"to {fmt_shape(target)}: {total} is not a multiple of {known}"
            )
        target = tuple(total // known if d == -1 else d for d in target)
    if math.prod(target) != total:
        raise ShapeError(
            f"cannot reshape {fmt_shape(shape)} ({total} values per sample) "
            f"to {fmt_shape(target)} ({math.prod(target)} values)"
        )
    return target


def _infer_batchnorm(params: dict, in_shapes: list[Shape]) -> Shape:
    shape = _one(in_shapes)
    if len(shape) not in (1, 2, 3):
        raise ShapeError(f"needs (N, C), (N, C, L) or (N, C, H, W) but receives {fmt_shape(shape)}")
    return shape


def _infer_poly(params: dict, in_shapes: list[Shape]) -> Shape:
    shape = _one(in_shapes)
    _needs_flat(shape)
    return (shape[0] * params["degree"],)


def _infer_add(params: dict, in_shapes: list[Shape]) -> Shape:
    if not in_shapes:
        raise ShapeError("has nothing connected to its input")
    first = in_shapes[0]
    for other in in_shapes[1:]:
        if other != first:
            shown = " and ".join(fmt_shape(s) for s in dict.fromkeys(in_shapes))
            raise ShapeError(f"needs equal shapes, got {shown}")
    return first


def _infer_concat(params: dict, in_shapes: list[Shape]) -> Shape:
    # Batch layout puts features (vectors) and channels (images) both at dim 1.
    if not in_shapes:
        raise ShapeError("has nothing connected to its input")
    first = in_shapes[0]
    for other in in_shapes[1:]:
        if len(other) != len(first) or other[1:] != first[1:]:
            shown = " and ".join(fmt_shape(s) for s in dict.fromkeys(in_shapes))
            what = "features" if len(first) == 1 else "channels"
            raise ShapeError(f"joins along {what} and needs every other size equal, got {shown}")
    return (sum(s[0] for s in in_shapes), *first[1:])


def _infer_output(params: dict, in_shapes: list[Shape]) -> Shape:
    shape = _one(in_shapes)
    if len(shape) != 1:
        raise ShapeError(
            f"needs a flat input (N, outputs) but receives {fmt_shape(shape)}: "
            "add a Flatten and a Linear before it"
        )
    if params["loss"] == "bce" and shape[0] != 1:
        raise ShapeError(
            f"uses bce, which needs exactly 1 output (N, 1), but receives {fmt_shape(shape)}"
        )
    return shape


# --------------------------------------------------------------------------------------
# Costs: (parameters, multiply-adds per sample)
# --------------------------------------------------------------------------------------


def _cost_linear(params: dict, in_shapes: list[Shape], out_shape: Shape) -> tuple[int, int]:
    fan_in, fan_out = in_shapes[0][0], params["out_features"]
    weights = fan_in * fan_out
    return weights + (fan_out if params["bias"] else 0), weights


def _cost_conv(params: dict, in_shapes: list[Shape], out_shape: Shape) -> tuple[int, int]:
    c_in, k = in_shapes[0][0], params["kernel_size"]
    c_out, oh, ow = out_shape
    weights = c_out * c_in * k * k
    return weights + (c_out if params["bias"] else 0), weights * oh * ow


def _cost_batchnorm(params: dict, in_shapes: list[Shape], out_shape: Shape) -> tuple[int, int]:
    # One scale-and-shift per value once the statistics are known.
    return 2 * out_shape[0], math.prod(out_shape)


def _cost_poly(params: dict, in_shapes: list[Shape], out_shape: Shape) -> tuple[int, int]:
    # x^k is x^(k-1) * x: one multiply per value beyond the first power.
    return 0, in_shapes[0][0] * (params["degree"] - 1)


# --------------------------------------------------------------------------------------
# Builders (the engine is imported lazily so this module loads without it)
# --------------------------------------------------------------------------------------


def _nn() -> Any:
    from neurocanvas.core import nn

    return nn


def _custom(name: str) -> Any:
    from neurocanvas.core.network import compiler

    return getattr(compiler, name)


def _build_linear(params: dict, in_shapes: list[Shape]) -> Any:
    return _nn().Linear(in_shapes[0][0], params["out_features"], bias=params["bias"])


def _build_conv(params: dict, in_shapes: list[Shape]) -> Any:
    kwargs: dict[str, Any] = {
        "stride": params["stride"],
        "padding": params["padding"],
        "bias": params["bias"],
    }
    if params["dilation"] != 1:  # only passed when used, to keep simple engines working
        kwargs["dilation"] = params["dilation"]
    return _nn().Conv2d(in_shapes[0][0], params["out_channels"], params["kernel_size"], **kwargs)


def _build_maxpool(params: dict, in_shapes: list[Shape]) -> Any:
    return _nn().MaxPool2d(params["kernel_size"], pool_stride(params), params["padding"])


def _build_avgpool(params: dict, in_shapes: list[Shape]) -> Any:
    return _nn().AvgPool2d(params["kernel_size"], pool_stride(params), params["padding"])


def _build_batchnorm(params: dict, in_shapes: list[Shape]) -> Any:
    nn = _nn()
    cls = nn.BatchNorm2d if len(in_shapes[0]) == 3 else nn.BatchNorm1d
    return cls(in_shapes[0][0], eps=params["eps"], momentum=params["momentum"])


def _simple(cls_name: str, **fixed: Any) -> BuildFn:
    def build(params: dict, in_shapes: list[Shape]) -> Any:
        return getattr(_nn(), cls_name)(**fixed, **params)

    return build


def _custom_build(cls_name: str, *param_names: str) -> BuildFn:
    def build(params: dict, in_shapes: list[Shape]) -> Any:
        return _custom(cls_name)(*(params[n] for n in param_names))

    return build


def _build_reshape(params: dict, in_shapes: list[Shape]) -> Any:
    return _custom("Reshape")(_infer_reshape(params, in_shapes))


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
    s = pool_stride(params)
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
        OUT,
        _infer_input,
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
        IN,
        OUT,
        _infer_linear,
        _build_linear,
        lambda p: f"→ {p['out_features']}",
        cost=_cost_linear,
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
        IN,
        OUT,
        _infer_conv,
        _build_conv,
        lambda p: f"{p['out_channels']} × {p['kernel_size']}×{p['kernel_size']}",
        cost=_cost_conv,
        name_prefix="conv",
    ),
    LayerSpec(
        "MaxPool2d",
        "MaxPool2d",
        "Convolution",
        "Keeps the largest value in each window: shrinks the image, keeps strong features.",
        (_KERNEL, _POOL_STRIDE, _POOL_PAD),
        IN,
        OUT,
        _infer_pool,
        _build_maxpool,
        _pool_summary,
        name_prefix="maxpool",
    ),
    LayerSpec(
        "AvgPool2d",
        "AvgPool2d",
        "Convolution",
        "Averages each window: shrinks the image smoothly.",
        (_KERNEL, _POOL_STRIDE, _POOL_PAD),
        IN,
        OUT,
        _infer_pool,
        _build_avgpool,
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
        IN,
        OUT,
        _infer_gap,
        _custom_build("GlobalAvgPool"),
        lambda p: "(N, C)",
        name_prefix="gap",
    ),
    LayerSpec(
        "Flatten",
        "Flatten",
        "Structure",
        "Turns each sample into one flat vector, e.g. before a Linear layer.",
        (),
        IN,
        OUT,
        _infer_flatten,
        _simple("Flatten"),
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
        IN,
        OUT,
        _infer_reshape,
        _build_reshape,
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
        IN,
        OUT,
        _same,
        _simple("Dropout"),
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
        IN,
        OUT,
        _infer_batchnorm,
        _build_batchnorm,
        lambda p: "",
        cost=_cost_batchnorm,
        name_prefix="bn",
    ),
    LayerSpec(
        "ReLU",
        "ReLU",
        "Activation",
        "max(0, x): the default non-linearity.",
        (),
        IN,
        OUT,
        _same,
        _simple("ReLU"),
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
        IN,
        OUT,
        _same,
        _simple("LeakyReLU"),
        lambda p: f"{p['negative_slope']:g}",
    ),
    LayerSpec(
        "Sigmoid",
        "Sigmoid",
        "Activation",
        "1 / (1 + e^-x): squashes into (0, 1).",
        (),
        IN,
        OUT,
        _same,
        _simple("Sigmoid"),
        lambda p: "",
    ),
    LayerSpec(
        "Tanh",
        "Tanh",
        "Activation",
        "Squashes into (-1, 1).",
        (),
        IN,
        OUT,
        _same,
        _simple("Tanh"),
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
        IN,
        OUT,
        _same,
        _simple("GELU"),
        lambda p: "" if p["approximate"] == "none" else "tanh",
    ),
    LayerSpec(
        "Softmax",
        "Softmax",
        "Activation",
        "Turns scores into probabilities that sum to 1 over dim 1 (features, or channels "
        "for images). Not needed before a cross-entropy Output: that loss applies it itself.",
        (),
        IN,
        OUT,
        _same,
        _simple("Softmax", dim=1),
        lambda p: "",
    ),
    LayerSpec(
        "PolynomialFeatures",
        "Polynomial features",
        "Dense",
        "x → [x, x², …, x^degree] side by side, so one Linear on top fits a polynomial.",
        (_int("degree", 3, 1, 10, "Degree", "Highest power of x."),),
        IN,
        OUT,
        _infer_poly,
        _custom_build("PolynomialFeatures", "degree"),
        lambda p: f"degree {p['degree']}",
        cost=_cost_poly,
        name_prefix="poly",
    ),
    LayerSpec(
        "Add",
        "Add",
        "Structure",
        "Adds its inputs element by element (a skip connection). All shapes must be equal.",
        (),
        IN_MULTI,
        OUT,
        _infer_add,
        _custom_build("Add"),
        lambda p: "+",
    ),
    LayerSpec(
        "Concat",
        "Concat",
        "Structure",
        "Puts its inputs side by side: along features for vectors, along channels for images.",
        (),
        IN_MULTI,
        OUT,
        _infer_concat,
        _custom_build("Concat"),
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
        IN,
        (),
        _infer_output,
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


def is_valid_name(name: str) -> bool:
    """Whether ``name`` can be a node name: a Python identifier usable as a module key."""
    return (
        isinstance(name, str)
        and name.isidentifier()
        and not keyword.iskeyword(name)
        and not name.startswith("_")
        and name not in RESERVED_NAMES
    )


# Attribute names of nn.Module and GraphModule: a node with such a name would shadow them.
RESERVED_NAMES: frozenset[str] = frozenset(
    {
        "forward",
        "train",
        "eval",
        "training",
        "parameters",
        "named_parameters",
        "buffers",
        "named_buffers",
        "children",
        "named_children",
        "modules",
        "named_modules",
        "state_dict",
        "load_state_dict",
        "zero_grad",
        "double",
        "float",
        "half",
        "to",
        "cpu",
        "cuda",
        "device",
        "dtype",
        "apply",
        "add_module",
        "register_parameter",
        "register_buffer",
        "register_module",
        "input_node",
        "output_node",
        "loss_kind",
        "plan",
        "graph",
        "requires_grad_",
        "extra_repr",
    }
)
