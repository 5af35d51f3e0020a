"""Convolutions with thin kernels (``C*KH*KW <= THIN_K``): products straight in NCHW order.

A CNN's first layer sees 1 or 3 channels: a 3x3 kernel makes ``K = C*KH*KW`` 9 or 27 rows of
columns against 32-64 output channels. The products are then so thin that their cost is
writing the output, and the chunked kernels of ``_kernels`` spent more on turning each
chunk's ``(OC, n*OH*OW)`` result into NCHW order (a transposing copy of the whole output, and
of the whole output gradient in backward) than on the products. Here every image is one
product whose result *is* its NCHW slice, ``y[n] = [W b] @ [col_n; 1]`` of shapes ``(OC, K+1)
@ (K+1, OH*OW)``: the row of ones adds the bias inside the product (no extra pass), and in
backward ``g_n @ [col_n; 1]^T`` gives the weight and bias gradients in one product reading the
gradient once (Caffe's per-image layout, with the bias folded in the way ``addmm`` does).

Measured on the 2-core EPYC, the benchmark CNN's first layer (1->64, 3x3, batch 32 of 28x28):
forward ~3 ms -> see benchmarks/README.md; backward (weight and bias) ~6 ms -> see there.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from neurocanvas.core import _threads
from neurocanvas.core._kernels import ConvSizes, _window, chunk_size, workspace
from neurocanvas.core.backend import array_module

Pair = tuple[int, int]
Pads = tuple[int, int, int, int]

#: Largest ``C*KH*KW`` these kernels take: a 3x3 kernel on up to 3 channels, a 5x5 on one.
#: Wider kernels make products thick enough for the chunked kernels to win.
THIN_K = 32


def fits(x_shape: tuple[int, ...], w_shape: tuple[int, ...]) -> bool:
    """Whether ``_thin_conv`` takes this (ungrouped) convolution."""
    return w_shape[1] * w_shape[2] * w_shape[3] <= THIN_K and len(x_shape) == 4


class _Plan(ConvSizes):
    """``ConvSizes`` with this kernel's columns (the valid outputs only) and chunking."""

    def __init__(self, *sizes: Any) -> None:
        """``ConvSizes``'s arguments: x_shape, w_shape, stride, pads, dilation, dtype, xp."""
        super().__init__(*sizes)
        self.m = self.oh * self.ow
        per_image = (self.k + 1 + self.oc) * self.m * self.dtype.itemsize
        # A GPU wants the biggest products it can get: one chunk there, in one thread.
        cpu_chunk = _threads.chunk_for(self.n, chunk_size(self.n, per_image))
        self.chunk = cpu_chunk if self.xp is np else max(1, self.n)

    def columns(self, x: Any, start: int, count: int) -> Any:
        """``(count, K+1, OH*OW)`` columns of images ``start:start+count``; the last row is 1."""
        shape = (self.chunk, self.c, self.hp, self.wp)
        pad = workspace("thin-pad", shape, self.dtype, self.xp, self.pads, self.h, self.w)
        pad = pad[:count]
        top, _, left, _ = self.pads
        # Everything outside the interior is zero: written once when the workspace was made.
        pad[:, :, top : top + self.h, left : left + self.w] = x[start : start + count]
        ws = workspace("thin-col", (self.chunk, self.k + 1, self.m), self.dtype, self.xp)
        col = ws[:count]
        col[:, self.k] = 1
        col6 = col[:, : self.k].reshape(count, self.c, self.kh, self.kw, self.oh, self.ow)
        (sh, sw), (dh, dw) = self.stride, self.dilation
        for i in range(self.kh):
            rows = _window(i, dh, sh, self.oh)
            for j in range(self.kw):
                col6[:, :, i, j] = pad[:, :, rows, _window(j, dw, sw, self.ow)]
        return col

    def fold_into(self, gcol: Any, gx: Any, start: int, count: int) -> None:
        """Adjoint of ``columns`` (without the ones): add ``(count, K, OH*OW)`` into ``gx``."""
        shape = (self.chunk, self.c, self.hp, self.wp)
        gpad = workspace("thin-gpad", shape, self.dtype, self.xp)
        gpad = gpad[:count]
        gpad[...] = 0
        col6 = gcol.reshape(count, self.c, self.kh, self.kw, self.oh, self.ow)
        (sh, sw), (dh, dw) = self.stride, self.dilation
        for i in range(self.kh):
            rows = _window(i, dh, sh, self.oh)
            for j in range(self.kw):
                gpad[:, :, rows, _window(j, dw, sw, self.ow)] += col6[:, :, i, j]
        top, _, left, _ = self.pads
        gx[start : start + count] = gpad[:, :, top : top + self.h, left : left + self.w]


def _augmented(weight: Any, bias: Any | None, xp: Any) -> Any:
    """``[W b]`` of shape ``(OC, K+1)`` (a zero column without bias)."""
    oc = weight.shape[0]
    w_aug = xp.zeros((oc, weight[0].size + 1), dtype=weight.dtype)
    w_aug[:, :-1] = weight.reshape(oc, -1)
    if bias is not None:
        w_aug[:, -1] = bias
    return w_aug


def conv2d_forward(
    x: Any, weight: Any, bias: Any | None, stride: Pair, pads: Pads, dilation: Pair
) -> Any:
    """NCHW convolution with a thin kernel; returns ``y`` of shape (N, OC, OH, OW)."""
    xp = array_module(x)
    p = _Plan(x.shape, weight.shape, stride, pads, dilation, x.dtype, xp)
    w_aug = _augmented(weight, bias, xp)
    y = xp.empty((p.n, p.oc, p.oh, p.ow), dtype=x.dtype)

    def job(chunks: _threads.Chunks) -> None:
        for _, start, stop in chunks:
            count = stop - start
            col = p.columns(x, start, count)
            xp.matmul(w_aug, col, out=y[start:stop].reshape(count, p.oc, p.m))

    p.run(job, _threads.Chunks(p.n, p.chunk))
    return y


def conv2d_backward(
    grad: Any,
    x: Any,
    weight: Any,
    x_shape: tuple[int, int, int, int],
    w_shape: tuple[int, int, int, int],
    stride: Pair,
    pads: Pads,
    dilation: Pair,
    need: tuple[bool, bool, bool],
) -> tuple[Any | None, Any | None, Any | None]:
    """Gradients for (input, weight, bias) of ``conv2d_forward``, each only if ``need`` asks.

    ``x`` is read only for the weight and bias gradients and ``weight`` only for the input
    gradient; either may be None when not asked.
    """
    xp = array_module(grad)
    grad = xp.ascontiguousarray(grad)
    p = _Plan(x_shape, w_shape, stride, pads, dilation, grad.dtype, xp)
    want_wb = need[1] or need[2]
    gx = xp.empty(x_shape, dtype=grad.dtype) if need[0] else None
    if not want_wb and gx is None:
        return None, None, None
    # [gW gb] summed per task and the tasks added in order (``_threads.Chunks``).
    tasks = _threads.Chunks.tasks_for(p.oc * (p.k + 1) * 8)
    chunks = _threads.Chunks(p.n, p.chunk, tasks if want_wb else None)
    parts = xp.zeros((chunks.count, p.oc, p.k + 1)) if want_wb else None
    w_t = weight.reshape(p.oc, p.k).T if gx is not None else None

    def job(chunks: _threads.Chunks) -> None:
        for index, lo, hi in chunks:
            for start, count in chunks.pieces(lo, hi):
                g = grad[start : start + count].reshape(count, p.oc, p.m)
                if parts is not None:
                    col = p.columns(x, start, count)
                    # (count, OC, K+1) products, summed over the images in float64.
                    products = xp.matmul(g, col.transpose(0, 2, 1))
                    parts[index] += products.sum(axis=0, dtype=parts.dtype)
                if gx is not None:
                    gcol = xp.matmul(w_t, g)
                    p.fold_into(gcol, gx, start, count)

    p.run(job, chunks)
    gw = gb = None
    if parts is not None:
        total = parts.sum(axis=0)
        gw = total[:, : p.k].reshape(w_shape).astype(grad.dtype) if need[1] else None
        gb = total[:, p.k].astype(grad.dtype) if need[2] else None
    return gx, gw, gb
