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

Length: over ~400 lines because im2col/col2im, the pooling kernels and their autograd Functions
share the layout described above; a split would separate each kernel from its backward.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Sequence
from typing import Any, cast

import numpy as np

from neurocanvas.core import _kernels, _malloc, _thin_conv
from neurocanvas.core.autograd import Function
from neurocanvas.core.backend import array_module as _xp_of
from neurocanvas.core.tensor import Tensor

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
    return _crop_nchw(buf, pads, h, w)


def _per_group(xp: Any, groups: int, matmul: Any) -> Any:
    """Stack one 2-D matmul per group along the first axis.

    Plain 2-D products on contiguous (or transposed-contiguous) operands go straight to
    sgemm/dgemm; a stacked 3-D matmul could fall back to numpy's slow loop for transposed
    views, and the single-group case skips the stacking copy altogether.
    """
    if groups == 1:
        return matmul(0)
    return xp.concatenate([matmul(g) for g in range(groups)], axis=0)


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
    y = _per_group(xp, groups, lambda g: xp.matmul(w2[g], cols[g]))
    y = y.reshape(oc, n, oh, ow)
    if bias is not None:
        y += bias.reshape(oc, 1, 1, 1)
    return xp.ascontiguousarray(y.transpose(1, 0, 2, 3)), col


def conv2d_backward(
    grad: Any,
    x_shape: tuple[int, int, int, int],
    w_shape: tuple[int, int, int, int],
    weight: Any | None,
    col: Any | None,
    stride: Pair,
    pads: Pads,
    dilation: Pair,
    groups: int,
    need: tuple[bool, bool, bool],
) -> tuple[Any | None, Any | None, Any | None]:
    """Gradients for (input, weight, bias); each is computed only when ``need`` asks for it.

    ``weight`` is read only for the input gradient and ``col`` only for the weight gradient,
    so the caller may pass None for what it did not keep.
    """
    xp = _xp_of(grad)
    n, oc, oh, ow = grad.shape
    _, cg, kh, kw = w_shape
    k = cg * kh * kw
    ocg = oc // groups
    # (OC, N*OH*OW): the same column order as col, so both gradients are plain matmuls.
    gy = xp.ascontiguousarray(grad.transpose(1, 0, 2, 3)).reshape(groups, ocg, n * oh * ow)
    gx = gw = gb = None
    if need[2]:
        # The same reduction as the CPU kernel, so both devices round alike.
        gb = grad.sum(axis=(0, 2, 3))
    if need[1]:
        assert col is not None  # the caller keeps the columns when it needs this gradient
        cols = col.reshape(groups, k, n * oh * ow)
        # (col @ gy.T).T, not gy @ col.T: same flops, but OpenBLAS threads the long inner
        # dimension of the latter badly (measured 5-20x slower on 2 busy cores). Transposed
        # views of contiguous matrices are BLAS-ready, so no operand is copied.
        gw = _per_group(xp, groups, lambda g: xp.matmul(cols[g], gy[g].T).T)
        gw = xp.ascontiguousarray(gw).reshape(w_shape)
    if need[0]:
        assert weight is not None  # the caller keeps the weight when it needs this gradient
        w2 = weight.reshape(groups, ocg, k)
        gcol = _per_group(xp, groups, lambda g: xp.matmul(w2[g].T, gy[g]))
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
    parts = (
        buf[..., _window(i, 1, stride[0], out[0]), _window(j, 1, stride[1], out[1])]
        for i in range(kernel[0])
        for j in range(kernel[1])
    )
    total = next(parts).copy()
    for part in parts:
        total += part
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


# Tiled pooling: when stride == kernel with no padding or dilation, the windows are disjoint
# tiles of the input, so a reshape replaces the KH*KW slice loop. That loop costs 784 slice
# operations for a global AvgPool(28); the reshape costs one reduction.


def is_tiled(kernel: Pair, stride: Pair, pads: Pads, dilation: Pair) -> bool:
    """True when the pooling windows are disjoint tiles starting at the top-left corner."""
    return stride == kernel and pads == (0, 0, 0, 0) and dilation == (1, 1)


def _tiles(x: Any, kernel: Pair, out: Pair) -> Any:
    """``(N, C, OH, KH, OW, KW)`` view of the tiles; rows/columns past the last tile drop."""
    n, c = x.shape[:2]
    (kh, kw), (oh, ow) = kernel, out
    return x[:, :, : oh * kh, : ow * kw].reshape(n, c, oh, kh, ow, kw)


def _untile(tiles: Any, x_shape: tuple[int, int, int, int]) -> Any:
    """Put ``(N, C, OH, KH, OW, KW)`` gradients back into a zero NCHW array."""
    xp = _xp_of(tiles)
    n, c, oh, kh, ow, kw = tiles.shape
    full = tiles.reshape(n, c, oh * kh, ow * kw)
    if full.shape == tuple(x_shape):
        return xp.ascontiguousarray(full)
    gx = xp.zeros(x_shape, dtype=tiles.dtype)
    gx[:, :, : oh * kh, : ow * kw] = full
    return gx


def tiled_avg_pool2d_forward(x: Any, kernel: Pair, out: Pair, divisor: float) -> Any:
    """Average of disjoint tiles (divisor is the tile size unless overridden)."""
    return _tiles(x, kernel, out).sum(axis=(3, 5)) / divisor


def tiled_avg_pool2d_backward(
    grad: Any, x_shape: tuple[int, int, int, int], kernel: Pair, divisor: float
) -> Any:
    """Each input cell of a tile gets the tile's output gradient over the divisor."""
    xp = _xp_of(grad)
    n, c, oh, ow = grad.shape
    g = grad.reshape(n, c, oh, 1, ow, 1) / divisor
    return _untile(xp.broadcast_to(g, (n, c, oh, kernel[0], ow, kernel[1])), x_shape)


def tiled_max_pool2d_forward(x: Any, kernel: Pair, out: Pair) -> tuple[Any, Any]:
    """Max of disjoint tiles; ``arg`` is the winning ``i*KW + j`` in NCHW order."""
    xp = _xp_of(x)
    n, c = x.shape[:2]
    windows = _tiles(x, kernel, out).transpose(0, 1, 2, 4, 3, 5)
    windows = windows.reshape(n, c, out[0], out[1], kernel[0] * kernel[1])
    arg = windows.argmax(axis=-1)
    return xp.take_along_axis(windows, arg[..., None], axis=-1)[..., 0], arg


def tiled_max_pool2d_backward(
    grad: Any, arg: Any, x_shape: tuple[int, int, int, int], kernel: Pair
) -> Any:
    """Send each tile's gradient to its maximum, zero elsewhere."""
    xp = _xp_of(grad)
    n, c, oh, ow = grad.shape
    (kh, kw) = kernel
    hit = arg[..., None] == xp.arange(kh * kw)
    g = xp.where(hit, grad[..., None], xp.zeros((), dtype=grad.dtype))
    return _untile(g.reshape(n, c, oh, ow, kh, kw).transpose(0, 1, 2, 4, 3, 5), x_shape)


# --------------------------------------------------------------------------- autograd Functions


#: Set to False to run 3x3 convolutions through the im2col kernels (benchmarks, tests).
WINOGRAD = True
_winograd: Any = None  # the module once imported; False when numba is not installed


def winograd_module() -> Any:
    """``core._winograd``, imported on first use; None when numba is missing.

    Lazy on purpose, not to dodge a cycle: importing numba (~0.5 s) and loading its compiled
    kernels is then paid by the first 3x3 convolution, never by people who train no CNN.
    """
    global _winograd
    if _winograd is None:
        try:
            from neurocanvas.core import _winograd as module  # noqa: PLC0415 - see docstring

            _winograd = module
            # A CNN frees and reallocates big activations every step: keep those pages.
            _malloc.keep_freed_memory()
        except ImportError:
            _winograd = False
    return _winograd or None


def _winograd_fits(
    x_shape: tuple[int, ...], w_shape: tuple[int, ...], stride: Pair, dilation: Pair, dtype: Any
) -> bool:
    """Whether Winograd pays off: 3x3 kernel, stride 1, dilation 1, >= 8 channels in and out.

    With fewer channels the products are tiny and the 4x larger transformed tiles cost more
    than the multiplies saved (an image CNN's first layer has 1-3 input channels). The numba
    kernels exist for float32 and float64 (numba has no float16 arithmetic).
    """
    return (
        WINOGRAD
        and dtype in (np.float32, np.float64)
        and tuple(w_shape[2:]) == (3, 3)
        and stride == (1, 1)
        and dilation == (1, 1)
        and min(x_shape[1], w_shape[0]) >= 8
        and winograd_module() is not None
    )


class Conv2dFunction(Function):
    """2-D cross-correlation; tensor inputs ``(x, weight)`` or ``(x, weight, bias)``."""

    def forward(
        self,
        x: Any,
        weight: Any,
        *bias: Any,
        stride: Pair,
        pads: Pads,
        dilation: Pair,
        groups: int,
    ) -> Any:
        self.geometry = (stride, pads, dilation, groups)
        self.shapes = (x.shape, weight.shape)
        b = bias[0] if bias else None
        need = self.needs_input_grad
        # 3x3 stride 1 on the CPU: Winograd (_winograd); thin kernels (C*KH*KW <= 32, a
        # first layer): per-image products (_thin_conv); other ungrouped: the shift/chunk
        # kernels (_kernels); grouped: one big GEMM per group.
        self.winograd = (
            groups == 1
            and self.xp is np
            and _winograd_fits(x.shape, weight.shape, stride, dilation, x.dtype)
        )
        self.thin = groups == 1 and not self.winograd and _thin_conv.fits(x.shape, weight.shape)
        self.chunked = groups == 1
        if self.thin:
            y = _thin_conv.conv2d_forward(x, weight, b, stride, pads, dilation)
            # x makes the columns for the weight and the bias gradients alike.
            self.save_for_backward(weight if need[0] else None, x if any(need[1:]) else None)
            return y
        if self.winograd:
            y, kept = winograd_module().conv2d_forward(x, weight, b, pads, keep=need[1])
            # The input only when its tiles were not kept (``_winograd.Kept``).
            keep_x = need[1] and kept is None
            self.save_for_backward(weight if need[0] else None, x if keep_x else None, kept)
            return y
        if self.chunked:
            y = _kernels.conv2d_forward(x, weight, b, stride, pads, dilation)
            # The columns are recomputed per chunk in backward, so only the input is kept.
            self.save_for_backward(weight if need[0] else None, x if need[1] else None)
            return y
        y, col = conv2d_forward(x, weight, b, stride, pads, dilation, groups)
        # col is the big buffer (KH*KW times the input): keep it only for the weight gradient.
        self.save_for_backward(weight if need[0] else None, col if need[1] else None)
        return y

    def backward(self, grad: Any) -> tuple[Any | None, ...]:
        weight, col, *kept = cast(tuple[Any, ...], self.saved)  # None only after backward ran
        stride, pads, dilation, groups = self.geometry
        x_shape, w_shape = self.shapes
        n_in = len(self.needs_input_grad)
        need = (
            self.needs_input_grad[0],
            self.needs_input_grad[1],
            n_in == 3 and self.needs_input_grad[2],
        )
        if self.winograd:
            grads = winograd_module().conv2d_backward(
                grad, col, weight, x_shape, w_shape, pads, need, kept[0]
            )
        elif self.thin:
            grads = _thin_conv.conv2d_backward(
                grad, col, weight, x_shape, w_shape, stride, pads, dilation, need
            )
        elif self.chunked:
            grads = _kernels.conv2d_backward(
                grad, col, weight, x_shape, w_shape, stride, pads, dilation, need
            )
        else:
            grads = conv2d_backward(
                grad, x_shape, w_shape, weight, col, stride, pads, dilation, groups, need
            )
        return grads[:n_in]


class MaxPool2dFunction(Function):
    """Max pooling; remembers which kernel offset won in each window for the backward."""

    def forward(
        self,
        x: Any,
        *,
        kernel: Pair,
        stride: Pair,
        pads: Pads,
        dilation: Pair,
        out: Pair,
        indices_sink: list | None = None,
    ) -> Any:
        self.geometry = (x.shape, kernel, stride, pads, dilation)
        self.tiled = is_tiled(kernel, stride, pads, dilation)
        if self.tiled:
            y, arg = tiled_max_pool2d_forward(x, kernel, out)
            arg_cnhw = arg.transpose(1, 0, 2, 3)
        else:
            y, arg = max_pool2d_forward(x, kernel, stride, pads, dilation)
            arg_cnhw = arg
        if indices_sink is not None:
            # apply() returns one Tensor, so return_indices collects its second output here.
            indices_sink.append(
                max_pool2d_indices(arg_cnhw, x.shape[2:], kernel, stride, pads, dilation)
            )
        self.save_for_backward(arg if self.needs_input_grad[0] else None)
        return y

    def backward(self, grad: Any) -> tuple[Any | None]:
        (arg,) = cast(tuple[Any, ...], self.saved)  # None only after backward ran
        x_shape, kernel = self.geometry[:2]
        if self.tiled:
            return (tiled_max_pool2d_backward(grad, arg, x_shape, kernel),)
        return (max_pool2d_backward(grad, arg, *self.geometry),)


class AvgPool2dFunction(Function):
    """Average pooling with PyTorch's divisor rules (see ``avg_pool2d_divisor``)."""

    def forward(
        self, x: Any, *, kernel: Pair, stride: Pair, pads: Pads, out: Pair, divisor: Any
    ) -> Any:
        self.geometry = (x.shape, kernel, stride, pads, divisor)
        # With no padding every tile has the same divisor, so it is a plain number here.
        self.tiled = is_tiled(kernel, stride, pads, (1, 1)) and isinstance(divisor, float)
        if self.tiled:
            return tiled_avg_pool2d_forward(x, kernel, out, divisor)
        return avg_pool2d_forward(x, kernel, stride, pads, out, divisor)

    def backward(self, grad: Any) -> tuple[Any | None]:
        if self.tiled:
            x_shape, kernel, _, _, divisor = self.geometry
            return (tiled_avg_pool2d_backward(grad, x_shape, kernel, divisor),)
        return (avg_pool2d_backward(grad, *self.geometry),)


class AdaptiveAvgPool2dFunction(Function):
    """Adaptive average pooling: a global mean, a reshape-mean, or two averaging matmuls."""

    def forward(self, x: Any, *, out: Pair) -> Any:
        xp = self.xp
        n, c, h, w = x.shape
        oh, ow = out
        self.x_shape = x.shape
        if h % oh == 0 and w % ow == 0:
            # Equal bins (includes the global mean): a free reshape and one mean, no matmul.
            self.mode = "equal"
            return tiled_avg_pool2d_forward(x, (h // oh, w // ow), out, float(h // oh * (w // ow)))
        self.mode = "matrix"
        self.mats = (adaptive_matrix(h, oh, x.dtype, xp), adaptive_matrix(w, ow, x.dtype, xp))
        return xp.matmul(xp.matmul(self.mats[0], x), self.mats[1].T)

    def backward(self, grad: Any) -> tuple[Any | None]:
        xp = self.xp
        n, c, h, w = self.x_shape
        _, _, oh, ow = grad.shape
        if self.mode == "equal":
            kernel = (h // oh, w // ow)
            return (tiled_avg_pool2d_backward(grad, self.x_shape, kernel, kernel[0] * kernel[1]),)
        mat_h, mat_w = self.mats
        return (xp.matmul(xp.matmul(mat_h.T, grad), mat_w),)


# --------------------------------------------------------------------------- public functions


def _check_input(x: Any, where: str, name: str = "input") -> None:
    if not isinstance(x, Tensor):
        raise TypeError(f"{where}: {name} must be a Tensor, got {type(x).__name__}")
    if len(x.shape) != 4:
        raise ValueError(
            f"{where}: {name} must be 3-D (C, H, W) or 4-D (N, C, H, W), got shape {tuple(x.shape)}"
        )
    if x.dtype.kind != "f":
        raise TypeError(f"{where}: {name} must be floating point, got {x.dtype}")


def _unbatched(fn: Callable[..., Any]) -> Callable[..., Any]:
    """Accept PyTorch's unbatched (C, H, W) input by adding and removing a batch axis."""

    @functools.wraps(fn)
    def wrapper(input: Tensor, *args: Any, **kwargs: Any) -> Any:
        if isinstance(input, Tensor) and len(input.shape) == 3:
            result = fn(input.unsqueeze(0), *args, **kwargs)
            if isinstance(result, tuple):
                return tuple(r.squeeze(0) for r in result)
            return result.squeeze(0)
        return fn(input, *args, **kwargs)

    return wrapper


def _conv_pads(padding: Any, kernel: Pair, stride: Pair, dilation: Pair, where: str) -> Pads:
    """Resolve ``padding`` (int, pair, "valid", "same") to (top, bottom, left, right)."""
    if isinstance(padding, str):
        if padding == "valid":
            return (0, 0, 0, 0)
        if padding == "same":
            if stride != (1, 1):
                raise ValueError(
                    f"{where}: padding='same' is not supported for strided convolutions"
                )
            pads = []
            for k, d in zip(kernel, dilation):
                total = d * (k - 1)
                # PyTorch puts the odd extra cell at the end (bottom / right).
                pads += [total // 2, total - total // 2]
            return (pads[0], pads[1], pads[2], pads[3])
        raise ValueError(
            f"{where}: padding must be 'valid', 'same', an int or a pair, got {padding!r}"
        )
    ph, pw = _pair(padding, "padding", where, 0)
    return (ph, ph, pw, pw)


@_unbatched
def conv2d(
    input: Tensor,
    weight: Tensor,
    bias: Tensor | None = None,
    stride: int | Pair = 1,
    padding: int | Pair | str = 0,
    dilation: int | Pair = 1,
    groups: int = 1,
) -> Tensor:
    """2-D convolution (cross-correlation) over NCHW input, as ``torch.nn.functional.conv2d``.

    ``weight`` is ``(out_channels, in_channels // groups, KH, KW)``; ``padding`` may be an int,
    a pair, ``"valid"`` or ``"same"`` (stride 1 only, odd extra cell at the bottom/right).
    """
    where = "conv2d"
    _check_input(input, where)
    if not isinstance(weight, Tensor) or len(weight.shape) != 4:
        raise ValueError(f"{where}: weight must be a 4-D Tensor (out, in/groups, KH, KW)")
    if not isinstance(groups, int) or groups < 1:
        raise ValueError(f"{where}: groups must be a positive int, got {groups!r}")
    n, c, h, w = input.shape
    oc, cg, kh, kw = weight.shape
    if c != cg * groups:
        raise ValueError(
            f"{where}: weight {tuple(weight.shape)} with groups={groups} expects "
            f"{cg * groups} input channels, but input {tuple(input.shape)} has {c}"
        )
    if oc % groups:
        raise ValueError(f"{where}: out_channels {oc} is not divisible by groups={groups}")
    if weight.dtype != input.dtype:
        raise TypeError(f"{where}: input is {input.dtype} but weight is {weight.dtype}; cast one")
    tensors = [input, weight]
    if bias is not None:
        if not isinstance(bias, Tensor) or tuple(bias.shape) != (oc,):
            shape = tuple(bias.shape) if isinstance(bias, Tensor) else type(bias).__name__
            raise ValueError(f"{where}: bias must be a Tensor of shape ({oc},), got {shape}")
        if bias.dtype != input.dtype:
            raise TypeError(f"{where}: input is {input.dtype} but bias is {bias.dtype}; cast one")
        tensors.append(bias)
    stride_ = _pair(stride, "stride", where, 1)
    dilation_ = _pair(dilation, "dilation", where, 1)
    pads = _conv_pads(padding, (kh, kw), stride_, dilation_, where)
    for size, k, d, total, axis in (
        (h, kh, dilation_[0], pads[0] + pads[1], "height"),
        (w, kw, dilation_[1], pads[2] + pads[3], "width"),
    ):
        if size + total < d * (k - 1) + 1:
            raise ValueError(
                f"{where}: kernel {axis} {d * (k - 1) + 1} (after dilation) is larger than the "
                f"padded input {axis} {size + total}"
            )
    return Conv2dFunction.apply(
        *tensors, stride=stride_, pads=pads, dilation=dilation_, groups=groups
    )


def _pool_geometry(
    input: Tensor,
    kernel_size: Any,
    stride: Any,
    padding: Any,
    dilation: Any,
    ceil_mode: bool,
    where: str,
) -> tuple[Pair, Pair, Pair, Pair, Pads, Pair]:
    """Check pooling arguments; return kernel, stride, dilation, padding, pads, output size."""
    _check_input(input, where)
    kernel = _pair(kernel_size, "kernel_size", where, 1)
    stride_ = kernel if stride is None or stride == [] else _pair(stride, "stride", where, 1)
    dilation_ = _pair(dilation, "dilation", where, 1)
    padding_ = _pair(padding, "padding", where, 0)
    _, _, h, w = input.shape
    sizes, extras = [], []
    for size, k, s, p, d in zip((h, w), kernel, stride_, padding_, dilation_):
        if p > k // 2:
            raise ValueError(f"{where}: padding {p} must be at most half the kernel size {k}")
        o = _pool_out_size(size, k, s, p, d, ceil_mode)
        if o < 1:
            raise ValueError(
                f"{where}: kernel {d * (k - 1) + 1} (after dilation) does not fit the padded "
                f"input of size {size + 2 * p}"
            )
        sizes.append(o)
        # ceil_mode may hang a last window past the padded input: pad the rest virtually.
        extras.append(max(0, (o - 1) * s + d * (k - 1) + 1 - (size + 2 * p)))
    pads = (padding_[0], padding_[0] + extras[0], padding_[1], padding_[1] + extras[1])
    return kernel, stride_, dilation_, padding_, pads, (sizes[0], sizes[1])


@_unbatched
def max_pool2d(
    input: Tensor,
    kernel_size: int | Pair,
    stride: int | Pair | None = None,
    padding: int | Pair = 0,
    dilation: int | Pair = 1,
    ceil_mode: bool = False,
    return_indices: bool = False,
) -> Tensor | tuple[Tensor, Tensor]:
    """2-D max pooling, as ``torch.nn.functional.max_pool2d`` (stride defaults to the kernel).

    With ``return_indices`` also returns int64 flat ``h * W + w`` positions of each maximum.
    """
    kernel, stride_, dilation_, _, pads, out_hw = _pool_geometry(
        input, kernel_size, stride, padding, dilation, ceil_mode, "max_pool2d"
    )
    sink: list[Any] = []
    out = MaxPool2dFunction.apply(
        input,
        kernel=kernel,
        stride=stride_,
        pads=pads,
        dilation=dilation_,
        out=out_hw,
        indices_sink=sink if return_indices else None,
    )
    if return_indices:
        return out, Tensor(sink[0])
    return out


@_unbatched
def avg_pool2d(
    input: Tensor,
    kernel_size: int | Pair,
    stride: int | Pair | None = None,
    padding: int | Pair = 0,
    ceil_mode: bool = False,
    count_include_pad: bool = True,
    divisor_override: int | None = None,
) -> Tensor:
    """2-D average pooling, as ``torch.nn.functional.avg_pool2d`` (same divisor rules)."""
    where = "avg_pool2d"
    kernel, stride_, _, padding_, pads, out = _pool_geometry(
        input, kernel_size, stride, padding, 1, ceil_mode, where
    )
    if divisor_override is not None:
        if not isinstance(divisor_override, int) or divisor_override < 1:
            raise ValueError(
                f"{where}: divisor_override must be a positive int, got {divisor_override!r}"
            )
        divisor: Any = float(divisor_override)
    else:
        divisor = avg_pool2d_divisor(
            tuple(input.shape[2:]),
            kernel,
            stride_,
            padding_,
            pads,
            out,
            count_include_pad,
            _xp_of(input.array),
        )
    return AvgPool2dFunction.apply(
        input, kernel=kernel, stride=stride_, pads=pads, out=out, divisor=divisor
    )


@_unbatched
def adaptive_avg_pool2d(input: Tensor, output_size: int | tuple[int | None, int | None]) -> Tensor:
    """Adaptive average pooling to ``output_size`` with PyTorch's bins (None keeps a size)."""
    where = "adaptive_avg_pool2d"
    _check_input(input, where)
    _, _, h, w = input.shape
    sizes: tuple[Any, ...]
    if isinstance(output_size, (int, np.integer)) and not isinstance(output_size, bool):
        sizes = (int(output_size), int(output_size))
    elif isinstance(output_size, Sequence) and len(output_size) == 2:
        sizes = tuple(full if o is None else o for o, full in zip(output_size, (h, w)))
    else:
        raise TypeError(f"{where}: output_size must be an int or a pair, got {output_size!r}")
    if not all(isinstance(o, (int, np.integer)) and o >= 1 for o in sizes):
        raise ValueError(f"{where}: output_size must be positive ints, got {output_size!r}")
    return AdaptiveAvgPool2dFunction.apply(input, out=(int(sizes[0]), int(sizes[1])))
