"""Convolution and pooling for the autograd engine (NCHW, PyTorch semantics).

The raw kernels work on plain arrays of any array module ``xp`` (numpy or cupy), so they can be
tested on their own; the ``Function`` subclasses wrap them for autograd and the public functions
(``conv2d``, ``max_pool2d``, ``avg_pool2d``, ``adaptive_avg_pool2d``) are re-exported by
``functional.py``.

Layout choice (Chainer/Caffe): ``im2col`` builds ``col`` of shape ``(C, KH, KW, N, OH, OW)``.
Padding is written into a ``(C, N, Hp, Wp)`` buffer, so that each of the ``KH * KW`` kernel
offsets is one strided slice copied into a contiguous block of ``col`` with the same leading
axes. ``col`` reshaped to ``(C*KH*KW, N*OH*OW)`` is then the right operand of a single BLAS
matmul for the forward pass and for both gradients, and ``col2im`` is ``KH * KW`` slice-adds.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

Pair = tuple[int, int]
# (top, bottom, left, right): asymmetric because of padding="same" and ceil_mode.
Pads = tuple[int, int, int, int]


# --------------------------------------------------------------------------- argument parsing


def _pair(value: Any, name: str, where: str, minimum: int) -> Pair:
    """Turn an int or a pair of ints into a pair, with a message naming the bad argument."""
    if isinstance(value, (int, np.integer)) and not isinstance(value, bool):
        pair = (int(value), int(value))
    elif (
        isinstance(value, Sequence)
        and len(value) == 2
        and all(isinstance(v, (int, np.integer)) and not isinstance(v, bool) for v in value)
    ):
        pair = (int(value[0]), int(value[1]))
    else:
        raise TypeError(f"{where}: {name} must be an int or a pair of ints, got {value!r}")
    if min(pair) < minimum:
        raise ValueError(f"{where}: {name} must be >= {minimum}, got {value!r}")
    return pair


def out_size(size: int, kernel: int, stride: int, pad_total: int, dilation: int = 1) -> int:
    """Number of window positions along one axis (floor mode), as PyTorch computes it."""
    return (size + pad_total - dilation * (kernel - 1) - 1) // stride + 1


def _pool_out_size(
    size: int, kernel: int, stride: int, pad: int, dilation: int, ceil_mode: bool
) -> int:
    """PyTorch's pooling output size: ceil mode keeps a last window only if it starts inside."""
    span = size + 2 * pad - dilation * (kernel - 1) - 1
    if not ceil_mode:
        return span // stride + 1
    out = -(-span // stride) + 1
    if (out - 1) * stride >= size + pad:
        out -= 1
    return out


def _window(offset: int, dilation: int, stride: int, count: int) -> slice:
    """Slice of the padded input that kernel offset ``offset`` sees at all ``count`` positions."""
    start = offset * dilation
    return slice(start, start + stride * (count - 1) + 1, stride)


# --------------------------------------------------------------------------- raw array kernels


def pad_cnhw(x: Any, pads: Pads, value: float, xp: Any = np) -> Any:
    """Copy NCHW ``x`` into a padded ``(C, N, Hp, Wp)`` buffer.

    The transpose rides along with the padding copy, which is needed anyway, so every later
    slice of the buffer already has ``col``'s leading ``(C, N)`` axes.
    """
    n, c, h, w = x.shape
    top, bottom, left, right = pads
    shape = (c, n, h + top + bottom, w + left + right)
    buf = xp.zeros(shape, dtype=x.dtype) if value == 0 else xp.full(shape, value, dtype=x.dtype)
    buf[:, :, top : top + h, left : left + w] = x.transpose(1, 0, 2, 3)
    return buf


def im2col_padded(buf: Any, kernel: Pair, stride: Pair, dilation: Pair, out: Pair) -> Any:
    """Gather windows of a padded ``(C, N, Hp, Wp)`` buffer into ``(C, KH, KW, N, OH, OW)``."""
    c, n = buf.shape[:2]
    (kh, kw), (sh, sw), (dh, dw), (oh, ow) = kernel, stride, dilation, out
    xp = _xp_of(buf)
    col = xp.empty((c, kh, kw, n, oh, ow), dtype=buf.dtype)
    for i in range(kh):
        rows = _window(i, dh, sh, oh)
        for j in range(kw):
            col[:, i, j] = buf[:, :, rows, _window(j, dw, sw, ow)]
    return col


def im2col(
    x: Any,
    kernel: Pair,
    stride: Pair = (1, 1),
    pads: Pads = (0, 0, 0, 0),
    dilation: Pair = (1, 1),
    pad_value: float = 0.0,
) -> Any:
    """Unfold NCHW ``x`` into a contiguous ``(C, KH, KW, N, OH, OW)`` column array."""
    _, _, h, w = x.shape
    oh = out_size(h, kernel[0], stride[0], pads[0] + pads[1], dilation[0])
    ow = out_size(w, kernel[1], stride[1], pads[2] + pads[3], dilation[1])
    buf = pad_cnhw(x, pads, pad_value, _xp_of(x))
    return im2col_padded(buf, kernel, stride, dilation, (oh, ow))


def col2im(
    col: Any,
    in_shape: tuple[int, int, int, int],
    stride: Pair = (1, 1),
    pads: Pads = (0, 0, 0, 0),
    dilation: Pair = (1, 1),
) -> Any:
    """Adjoint of ``im2col``: sum ``(C, KH, KW, N, OH, OW)`` columns back into NCHW.

    One slice-add per kernel offset; overlapping windows accumulate, padding is cropped.
    """
    n, c, h, w = in_shape
    _, kh, kw, _, oh, ow = col.shape
    top, bottom, left, right = pads
    xp = _xp_of(col)
    buf = xp.zeros((c, n, h + top + bottom, w + left + right), dtype=col.dtype)
    for i in range(kh):
        rows = _window(i, dilation[0], stride[0], oh)
        for j in range(kw):
            buf[:, :, rows, _window(j, dilation[1], stride[1], ow)] += col[:, i, j]
    return xp.ascontiguousarray(buf[:, :, top : top + h, left : left + w].transpose(1, 0, 2, 3))


def _xp_of(arr: Any) -> Any:
    """Array module of ``arr`` without importing cupy on machines that lack it."""
    if isinstance(arr, np.ndarray):
        return np
    import cupy  # noqa: PLC0415 - only reached with a cupy array

    return cupy.get_array_module(arr)


def conv2d_forward(
    x: Any,
    weight: Any,
    bias: Any | None,
    stride: Pair,
    pads: Pads,
    dilation: Pair,
    groups: int,
) -> tuple[Any, Any]:
    """Convolution as one matmul per group on ``col``; returns ``(y, col)``.

    ``col`` is returned so that the weight gradient can reuse it instead of unfolding again.
    """
    xp = _xp_of(x)
    n = x.shape[0]
    oc, cg, kh, kw = weight.shape
    col = im2col(x, (kh, kw), stride, pads, dilation)
    _, _, _, _, oh, ow = col.shape
    k = cg * kh * kw
    cols = col.reshape(groups, k, n * oh * ow)
    w2 = weight.reshape(groups, oc // groups, k)
    if groups == 1:
        # Plain 2-D matmul: numpy hands contiguous 2-D operands straight to sgemm/dgemm.
        y = xp.matmul(w2[0], cols[0])
    else:
        y = xp.concatenate([xp.matmul(w2[g], cols[g]) for g in range(groups)], axis=0)
    y = y.reshape(oc, n, oh, ow)
    if bias is not None:
        y += bias.reshape(oc, 1, 1, 1)
    return xp.ascontiguousarray(y.transpose(1, 0, 2, 3)), col


def conv2d_backward(
    grad: Any,
    x_shape: tuple[int, int, int, int],
    weight: Any,
    col: Any | None,
    stride: Pair,
    pads: Pads,
    dilation: Pair,
    groups: int,
    need: tuple[bool, bool, bool],
) -> tuple[Any | None, Any | None, Any | None]:
    """Gradients for (input, weight, bias); each is computed only when ``need`` asks for it."""
    xp = _xp_of(grad)
    n, oc, oh, ow = grad.shape
    _, cg, kh, kw = weight.shape
    k = cg * kh * kw
    ocg = oc // groups
    # (OC, N*OH*OW): the same column order as col, so both gradients are plain matmuls.
    gy = xp.ascontiguousarray(grad.transpose(1, 0, 2, 3)).reshape(groups, ocg, n * oh * ow)
    gx = gw = gb = None
    if need[2]:
        gb = gy.reshape(oc, -1).sum(axis=1)
    if need[1]:
        cols = col.reshape(groups, k, n * oh * ow)
        # A transposed view of a contiguous matrix is still BLAS-ready: no copy is made.
        gw = xp.concatenate([xp.matmul(gy[g], cols[g].T) for g in range(groups)], axis=0)
        gw = gw.reshape(weight.shape)
    if need[0]:
        w2 = weight.reshape(groups, ocg, k)
        gcol = xp.concatenate([xp.matmul(w2[g].T, gy[g]) for g in range(groups)], axis=0)
        gx = col2im(gcol.reshape(groups * cg, kh, kw, n, oh, ow), x_shape, stride, pads, dilation)
    return gx, gw, gb


def _crop_nchw(buf: Any, pads: Pads, h: int, w: int) -> Any:
    """Undo ``pad_cnhw``: drop the padding and go back to a contiguous NCHW array."""
    xp = _xp_of(buf)
    top, left = pads[0], pads[2]
    return xp.ascontiguousarray(buf[:, :, top : top + h, left : left + w].transpose(1, 0, 2, 3))


def max_pool2d_forward(
    x: Any, kernel: Pair, stride: Pair, pads: Pads, dilation: Pair
) -> tuple[Any, Any]:
    """Max over each window; returns ``(y, arg)`` with ``arg`` the kernel offset ``i*KW + j``.

    Padding is ``-inf`` so it never wins. ``argmax`` takes the first maximum in row-major
    kernel order and propagates NaN, as PyTorch does.
    """
    xp = _xp_of(x)
    kh, kw = kernel
    col = im2col(x, kernel, stride, pads, dilation, pad_value=-np.inf)
    c, _, _, n, oh, ow = col.shape
    col = col.reshape(c, kh * kw, n, oh, ow)
    arg = col.argmax(axis=1)
    y = xp.take_along_axis(col, arg[:, None], axis=1)[:, 0]
    return xp.ascontiguousarray(y.transpose(1, 0, 2, 3)), arg


def max_pool2d_backward(
    grad: Any,
    arg: Any,
    x_shape: tuple[int, int, int, int],
    kernel: Pair,
    stride: Pair,
    pads: Pads,
    dilation: Pair,
) -> Any:
    """Route each output gradient to its window's maximum: one masked slice-add per offset."""
    xp = _xp_of(grad)
    n, c, h, w = x_shape
    _, _, oh, ow = grad.shape
    top, bottom, left, right = pads
    buf = xp.zeros((c, n, h + top + bottom, w + left + right), dtype=grad.dtype)
    g = grad.transpose(1, 0, 2, 3)
    zero = xp.zeros((), dtype=grad.dtype)
    for i in range(kernel[0]):
        rows = _window(i, dilation[0], stride[0], oh)
        for j in range(kernel[1]):
            cols = _window(j, dilation[1], stride[1], ow)
            buf[:, :, rows, cols] += xp.where(arg == i * kernel[1] + j, g, zero)
    return _crop_nchw(buf, pads, h, w)


def max_pool2d_indices(
    arg: Any, in_hw: Pair, kernel: Pair, stride: Pair, pads: Pads, dilation: Pair
) -> Any:
    """PyTorch's ``return_indices``: flat ``h * W + w`` position of each maximum, NCHW int64."""
    xp = _xp_of(arg)
    _, _, oh, ow = arg.shape
    ki, kj = arg // kernel[1], arg % kernel[1]
    rows = xp.arange(oh).reshape(oh, 1) * stride[0] - pads[0] + ki * dilation[0]
    cols = xp.arange(ow).reshape(1, ow) * stride[1] - pads[2] + kj * dilation[1]
    return xp.ascontiguousarray((rows * in_hw[1] + cols).astype(xp.int64).transpose(1, 0, 2, 3))


def _window_sum_cnhw(buf: Any, kernel: Pair, stride: Pair, out: Pair) -> Any:
    """Sum over each window of a padded ``(..., Hp, Wp)`` buffer by slice-adds (no col)."""
    total = None
    for i in range(kernel[0]):
        rows = _window(i, 1, stride[0], out[0])
        for j in range(kernel[1]):
            part = buf[..., rows, _window(j, 1, stride[1], out[1])]
            total = part.copy() if total is None else total.__iadd__(part)
    return total


def avg_pool2d_divisor(
    in_hw: Pair,
    kernel: Pair,
    stride: Pair,
    padding: Pair,
    pads: Pads,
    out: Pair,
    count_include_pad: bool,
    xp: Any = np,
) -> Any:
    """Per-window divisor as PyTorch defines it, ``(OH, OW)`` or a plain number.

    PyTorch counts the zero padding when ``count_include_pad`` but never the extra cells that
    ``ceil_mode`` hangs past the padded input; counting ones of an indicator image with the
    same window sum reproduces both rules exactly.
    """
    h, w = in_hw
    top, bottom, left, right = pads
    if count_include_pad and (bottom, right) == tuple(padding):
        return float(kernel[0] * kernel[1])
    mask = xp.zeros((h + top + bottom, w + left + right), dtype=np.float64)
    if count_include_pad:
        mask[: h + 2 * padding[0], : w + 2 * padding[1]] = 1.0
    else:
        mask[top : top + h, left : left + w] = 1.0
    return _window_sum_cnhw(mask, kernel, stride, out)


def avg_pool2d_forward(
    x: Any, kernel: Pair, stride: Pair, pads: Pads, out: Pair, divisor: Any
) -> Any:
    """Mean over each window: ``KH * KW`` slice-adds on the padded buffer, then one divide."""
    xp = _xp_of(x)
    buf = pad_cnhw(x, pads, 0.0, xp)
    total = _window_sum_cnhw(buf, kernel, stride, out)
    total /= _as_dtype(divisor, x.dtype, xp)
    return xp.ascontiguousarray(total.transpose(1, 0, 2, 3))


def avg_pool2d_backward(
    grad: Any,
    x_shape: tuple[int, int, int, int],
    kernel: Pair,
    stride: Pair,
    pads: Pads,
    divisor: Any,
) -> Any:
    """Spread each output gradient evenly over its window (the adjoint of the forward)."""
    xp = _xp_of(grad)
    n, c, h, w = x_shape
    _, _, oh, ow = grad.shape
    top, bottom, left, right = pads
    g = grad.transpose(1, 0, 2, 3) / _as_dtype(divisor, grad.dtype, xp)
    buf = xp.zeros((c, n, h + top + bottom, w + left + right), dtype=grad.dtype)
    for i in range(kernel[0]):
        rows = _window(i, 1, stride[0], oh)
        for j in range(kernel[1]):
            buf[:, :, rows, _window(j, 1, stride[1], ow)] += g
    return _crop_nchw(buf, pads, h, w)


def _as_dtype(value: Any, dtype: Any, xp: Any) -> Any:
    """Keep float32 results float32 when dividing by a float64 divisor array."""
    if isinstance(value, float):
        return value
    return xp.asarray(value, dtype=dtype)


def adaptive_matrix(size: int, out: int, dtype: Any, xp: Any = np) -> Any:
    """``(out, size)`` averaging matrix with PyTorch's adaptive bins.

    Bin ``i`` covers ``[floor(i*size/out), ceil((i+1)*size/out))``; the adaptive average is
    separable, so ``A_h @ x @ A_w.T`` computes it for any sizes with two small matmuls.
    """
    mat = np.zeros((out, size), dtype=np.float64)
    for i in range(out):
        start = (i * size) // out
        end = -(-((i + 1) * size) // out)
        mat[i, start:end] = 1.0 / (end - start)
    return xp.asarray(mat.astype(dtype))
