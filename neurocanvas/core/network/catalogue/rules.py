"""Shape rules and costs: pure functions of a layer's parameters and input shapes.

Each ``_infer_*`` returns the output shape or raises :class:`ShapeError` with a phrase that
reads after the layer's name; each ``_cost_*`` returns ``(parameters, multiply-adds per
sample)``, computed from shapes alone so validation never allocates weights.
"""

from __future__ import annotations

import math

from neurocanvas.core.network.catalogue.spec import PortSpec, Shape, ShapeError, fmt_shape

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


def same(params: dict, in_shapes: list[Shape]) -> Shape:
    return _one(in_shapes)


def infer_input(params: dict, in_shapes: list[Shape]) -> Shape:
    return tuple(params["shape"])


def infer_linear(params: dict, in_shapes: list[Shape]) -> Shape:
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


def infer_conv(params: dict, in_shapes: list[Shape]) -> Shape:
    shape = _one(in_shapes)
    _needs_image(shape)
    k, s, p, d = params["kernel_size"], params["stride"], params["padding"], params["dilation"]
    _check_window(shape, k, p, d)
    _, h, w = shape
    return (params["out_channels"], _window_out(h, k, s, p, d), _window_out(w, k, s, p, d))


def pool_stride(params: dict) -> int:
    """A pool's effective stride: 0 means "same as the kernel", PyTorch's default."""
    return params["stride"] or params["kernel_size"]


def infer_pool(params: dict, in_shapes: list[Shape]) -> Shape:
    shape = _one(in_shapes)
    _needs_image(shape)
    k, p = params["kernel_size"], params["padding"]
    if 2 * p > k:
        raise ShapeError(f"has padding {p}, which must be at most half the kernel size {k}")
    _check_window(shape, k, p)
    s = pool_stride(params)
    c, h, w = shape
    return (c, _window_out(h, k, s, p), _window_out(w, k, s, p))


def infer_gap(params: dict, in_shapes: list[Shape]) -> Shape:
    shape = _one(in_shapes)
    _needs_image(shape)
    return (shape[0],)


def infer_flatten(params: dict, in_shapes: list[Shape]) -> Shape:
    return (math.prod(_one(in_shapes)),)


def infer_reshape(params: dict, in_shapes: list[Shape]) -> Shape:
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


def infer_batchnorm(params: dict, in_shapes: list[Shape]) -> Shape:
    shape = _one(in_shapes)
    if len(shape) not in (1, 2, 3):
        raise ShapeError(f"needs (N, C), (N, C, L) or (N, C, H, W) but receives {fmt_shape(shape)}")
    return shape


def infer_poly(params: dict, in_shapes: list[Shape]) -> Shape:
    shape = _one(in_shapes)
    _needs_flat(shape)
    return (shape[0] * params["degree"],)


def infer_add(params: dict, in_shapes: list[Shape]) -> Shape:
    if not in_shapes:
        raise ShapeError("has nothing connected to its input")
    first = in_shapes[0]
    for other in in_shapes[1:]:
        if other != first:
            shown = " and ".join(fmt_shape(s) for s in dict.fromkeys(in_shapes))
            raise ShapeError(f"needs equal shapes, got {shown}")
    return first


def infer_concat(params: dict, in_shapes: list[Shape]) -> Shape:
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


def infer_output(params: dict, in_shapes: list[Shape]) -> Shape:
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


def cost_linear(params: dict, in_shapes: list[Shape], out_shape: Shape) -> tuple[int, int]:
    fan_in, fan_out = in_shapes[0][0], params["out_features"]
    weights = fan_in * fan_out
    return weights + (fan_out if params["bias"] else 0), weights


def cost_conv(params: dict, in_shapes: list[Shape], out_shape: Shape) -> tuple[int, int]:
    c_in, k = in_shapes[0][0], params["kernel_size"]
    c_out, oh, ow = out_shape
    weights = c_out * c_in * k * k
    return weights + (c_out if params["bias"] else 0), weights * oh * ow


def cost_batchnorm(params: dict, in_shapes: list[Shape], out_shape: Shape) -> tuple[int, int]:
    # One scale-and-shift per value once the statistics are known.
    return 2 * out_shape[0], math.prod(out_shape)


def cost_poly(params: dict, in_shapes: list[Shape], out_shape: Shape) -> tuple[int, int]:
    # x^k is x^(k-1) * x: one multiply per value beyond the first power.
    return 0, in_shapes[0][0] * (params["degree"] - 1)
