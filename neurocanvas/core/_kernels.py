"""Cache-sized convolution kernels for numpy (the CPU path of ``_conv.Conv2dFunction``).

Why not one big GEMM: the whole-batch ``im2col`` of a 64->64 3x3 convolution on a batch of
32 28x28 images is 58 MB, nine times the input. Writing it, reading it for the forward
matmul, keeping it for the weight gradient, writing the same size again for the input
gradient and reading it back in ``col2im`` moved ~300 MB per step, and a (64, 576) @ (576,
25088) matmul ran at a third of the machine's sgemm rate. Here the batch is cut into chunks
whose column buffer is about ``CHUNK_BYTES``: each chunk is unfolded, multiplied and folded
while it is still in the CPU's cache, the column buffer is recomputed in the backward pass
instead of kept (only the input is saved), and all scratch arrays come from a per-thread
workspace that is reused from step to step instead of being allocated (and page-faulted)
again. Bias is added in the same pass that turns each chunk back into NCHW order.

Layout per chunk is Chainer/Caffe's (see ``_conv``): padded ``(C, n, Hp, Wp)``, columns
``(C, KH, KW, n, OH, OW)`` = ``(K, n*OH*OW)``, so each product is one plain 2-D BLAS call.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from typing import Any

import numpy as np

from neurocanvas.core import _threads
from neurocanvas.core.backend import array_module

Pair = tuple[int, int]
Pads = tuple[int, int, int, int]

#: Target size of one chunk's column buffer. Measured on a 2-core EPYC (1 MB L2 per core,
#: 32 MB L3): 2-8 MB chunks ran within noise of each other and 1.5-2x faster than the whole
#: batch; single images made small matmuls that two BLAS threads share badly.
CHUNK_BYTES = 4 << 20

#: Scratch arrays kept per thread (LRU); a few MB each, so a handful of conv layers of
#: different shapes fit without thrashing and memory stays bounded.
_WORKSPACE_SLOTS = 16

_local = threading.local()


def workspace(role: str, shape: tuple[int, ...], dtype: Any, xp: Any, *key: Any) -> Any:
    """A reusable scratch array of ``shape`` for ``role`` in this thread.

    New arrays are zero-filled, and callers only ever overwrite the same region of an array
    with the same key, so padding borders stay zero across calls. Thread-local because the
    app's training thread and the GUI thread (previews) may both run convolutions.
    """
    cache: OrderedDict[tuple, Any] | None = getattr(_local, "cache", None)
    if cache is None:
        cache = _local.cache = OrderedDict()
    full_key = (role, shape, np.dtype(dtype).str, xp.__name__, *key)
    arr = cache.get(full_key)
    if arr is None:
        arr = xp.zeros(shape, dtype=dtype)
        cache[full_key] = arr
        while len(cache) > _WORKSPACE_SLOTS:
            cache.popitem(last=False)
    else:
        cache.move_to_end(full_key)
    return arr


def chunk_size(batch: int, bytes_per_image: int) -> int:
    """Images per chunk so that one chunk's column buffer is about ``CHUNK_BYTES``."""
    return max(1, min(batch, CHUNK_BYTES // max(1, bytes_per_image)))


def _window(offset: int, dilation: int, stride: int, count: int) -> slice:
    start = offset * dilation
    return slice(start, start + stride * (count - 1) + 1, stride)


class ConvSizes:
    """The sizes every CPU convolution kernel needs, from its input, weight and options.

    ``hp, wp`` padded input, ``oh, ow`` output, ``k = C*KH*KW`` rows of columns; ``run``
    shares a job's chunks between the CPU threads (``_threads``), or runs it once on a GPU.
    """

    def __init__(
        self,
        x_shape: tuple[int, ...],
        w_shape: tuple[int, ...],
        stride: Pair,
        pads: Pads,
        dilation: Pair,
        dtype: Any,
        xp: Any,
    ) -> None:
        self.n, self.c, self.h, self.w = x_shape
        self.oc, _, self.kh, self.kw = w_shape
        self.stride, self.pads, self.dilation = stride, pads, dilation
        top, bottom, left, right = pads
        self.hp, self.wp = self.h + top + bottom, self.w + left + right
        self.oh = (self.hp - dilation[0] * (self.kh - 1) - 1) // stride[0] + 1
        self.ow = (self.wp - dilation[1] * (self.kw - 1) - 1) // stride[1] + 1
        self.k = self.c * self.kh * self.kw
        self.dtype = np.dtype(dtype)
        self.xp = xp

    def run(self, job: Any, chunks: _threads.Chunks) -> None:
        """``job(chunks)``: shared by the CPU threads; on a GPU once, in this thread."""
        if self.xp is not np:
            job(chunks)
        else:
            _threads.run(job, chunks)


class _Geometry(ConvSizes):
    """Sizes of one convolution call and its chunking, computed once per call.

    Two ways to unfold a chunk, both giving ``(K, columns)`` matrices:

    * stride 1 ("shift"): output columns are *every* position of the padded grid, so each
      kernel offset's row block is one contiguous run of the flat padded buffer, shifted by
      ``i*dh*Wp + j*dw``: ``KH*KW`` long copies instead of ``C*n*OH*KH*KW`` rows of ``OW``
      values, where numpy's per-row overhead dominated. Positions past the valid output are
      computed and dropped (``Hp*Wp / (OH*OW)`` extra work, 15 % for 28x28 with padding 1);
      in the backward pass their gradient is zero.
    * other strides ("window"): one strided slice copy per kernel offset, as in ``_conv``.
    """

    def __init__(self, *sizes: Any) -> None:
        """``ConvSizes``'s arguments: x_shape, w_shape, stride, pads, dilation, dtype, xp."""
        super().__init__(*sizes)
        self.shift = self.stride == (1, 1)
        # Columns per image: the whole padded plane when shifting, else the valid outputs.
        self.m = self.hp * self.wp if self.shift else self.oh * self.ow
        self.tail = (self.kh - 1) * self.dilation[0] * self.wp + (self.kw - 1) * self.dilation[1]
        # A GPU wants the biggest products it can get: one chunk there.
        per_image = self.k * self.m * self.dtype.itemsize if self.xp is np else CHUNK_BYTES
        # On the CPU at least one chunk per thread (``_threads``).
        self.chunk = (
            _threads.chunk_for(self.n, chunk_size(self.n, per_image)) if self.xp is np else self.n
        )

    def _padded(self, role: str, count: int) -> tuple[Any, Any]:
        """``(C, chunk*Hp*Wp + tail)`` flat buffer and its ``(C, count, Hp, Wp)`` view."""
        plane = self.hp * self.wp
        flat = workspace(
            role, (self.c, self.chunk * plane + self.tail), self.dtype, self.xp, self.pads
        )
        grid = flat[:, : count * plane].reshape(self.c, count, self.hp, self.wp)
        return flat, grid

    def _interior(self, grid: Any) -> Any:
        top, _, left, _ = self.pads
        return grid[:, :, top : top + self.h, left : left + self.w]

    def _offsets(self) -> list[tuple[int, slice, slice]]:
        """Per kernel offset: flat shift (shift mode) and the row/column windows."""
        (dh, dw), (sh, sw) = self.dilation, self.stride
        return [
            (
                i * dh * self.wp + j * dw,
                _window(i, dh, sh, self.oh),
                _window(j, dw, sw, self.ow),
            )
            for i in range(self.kh)
            for j in range(self.kw)
        ]

    def unfold(self, x: Any, start: int, count: int) -> Any:
        """Columns of images ``start:start+count`` of NCHW ``x`` as a ``(K, count*m)`` matrix."""
        flat, grid = self._padded("pad", count)
        self._interior(grid)[...] = x[start : start + count].transpose(1, 0, 2, 3)
        span = count * self.m
        ws = workspace("col", (self.k * self.chunk * self.m,), self.dtype, self.xp)
        col = ws[: self.k * span].reshape(self.c, self.kh * self.kw, span)
        if self.shift:
            used = count * self.hp * self.wp
            # Positions past the last image read the tail: keep it zero, so that a short last
            # chunk reads nothing left in the workspace (only dropped columns read it).
            flat[:, used : used + self.tail] = 0
            for o, (off, _, _) in enumerate(self._offsets()):
                col[:, o] = flat[:, off : off + span]
        else:
            col6 = col.reshape(self.c, self.kh * self.kw, count, self.oh, self.ow)
            for o, (_, rows, cols) in enumerate(self._offsets()):
                col6[:, o] = grid[:, :, rows, cols]
        return col.reshape(self.k, span)

    def fold_into(self, gcol: Any, gx: Any, start: int, count: int) -> None:
        """Adjoint of ``unfold``: add ``(K, count*m)`` columns into ``gx[start:start+count]``."""
        flat, grid = self._padded("gpad", count)
        span = count * self.m
        col = gcol.reshape(self.c, self.kh * self.kw, span)
        if self.shift:
            flat[:, : count * self.hp * self.wp + self.tail] = 0
            for o, (off, _, _) in enumerate(self._offsets()):
                flat[:, off : off + span] += col[:, o]
        else:
            grid[...] = 0
            col6 = col.reshape(self.c, self.kh * self.kw, count, self.oh, self.ow)
            for o, (_, rows, cols) in enumerate(self._offsets()):
                grid[:, :, rows, cols] += col6[:, o]
        gx[start : start + count] = self._interior(grid).transpose(1, 0, 2, 3)

    def rows(self, role: str, count: int) -> Any:
        """``(OC, count*m)`` scratch matrix; its ``(OC, count, ...)`` view is ``valid(...)``."""
        flat = workspace(role, (self.oc * self.chunk * self.m,), self.dtype, self.xp)
        return flat[: self.oc * count * self.m].reshape(self.oc, count * self.m)

    def valid(self, rows: Any, count: int) -> Any:
        """The ``(OC, count, OH, OW)`` outputs that ``rows`` holds (dropping shift positions)."""
        if not self.shift:
            return rows.reshape(self.oc, count, self.oh, self.ow)
        grid = rows.reshape(self.oc, count, self.hp, self.wp)
        return grid[:, :, : self.oh, : self.ow]


def conv2d_forward(
    x: Any,
    weight: Any,
    bias: Any | None,
    stride: Pair,
    pads: Pads,
    dilation: Pair,
) -> Any:
    """Ungrouped NCHW convolution, chunk by chunk; returns ``y`` of shape (N, OC, OH, OW)."""
    xp = array_module(x)
    g = _Geometry(x.shape, weight.shape, stride, pads, dilation, x.dtype, xp)
    w2 = weight.reshape(g.oc, g.k)
    y = xp.empty((g.n, g.oc, g.oh, g.ow), dtype=x.dtype)
    b = None if bias is None else bias.reshape(1, g.oc, 1, 1)

    def job(chunks: _threads.Chunks) -> None:
        for _, start, stop in chunks:
            count = stop - start
            col = g.unfold(x, start, count)
            rows = g.rows("out", count)
            xp.matmul(w2, col, out=rows)
            # Back to NCHW, bias added in the same pass.
            chunk = g.valid(rows, count).transpose(1, 0, 2, 3)
            if b is None:
                y[start : start + count] = chunk
            else:
                xp.add(chunk, b, out=y[start : start + count])

    g.run(job, _threads.Chunks(g.n, g.chunk))
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

    ``x`` is read only for the weight gradient (its columns are unfolded again per chunk) and
    ``weight`` only for the input gradient; either may be None when its gradient is not asked.
    """
    xp = array_module(grad)
    g = _Geometry(x_shape, w_shape, stride, pads, dilation, grad.dtype, xp)
    gb = grad.sum(axis=(0, 2, 3)) if need[2] else None
    gx = xp.empty(x_shape, dtype=grad.dtype) if need[0] else None
    if not need[1] and gx is None:
        return None, None, gb
    w_t = weight.reshape(g.oc, g.k).T if gx is not None else None
    # The weight gradient, accumulated transposed, (K, OC): col @ gy.T is what the device path
    # computes too (same rounding on both devices). Summed per task and the tasks added in
    # order: the same result whichever thread took which task (``_threads.Chunks``).
    tasks = _threads.Chunks.tasks_for(g.k * g.oc * g.dtype.itemsize)
    chunks = _threads.Chunks(g.n, g.chunk, tasks if need[1] else None)
    parts = xp.zeros((chunks.count, g.k, g.oc), dtype=grad.dtype) if need[1] else None

    def job(chunks: _threads.Chunks) -> None:
        part = xp.empty((g.k, g.oc), dtype=grad.dtype) if parts is not None else None
        for index, lo, hi in chunks:
            for start, count in chunks.pieces(lo, hi):
                # Output gradient on the chunk's column grid; shift positions stay zero.
                rows = g.rows("grad", count)
                g.valid(rows, count)[...] = grad[start : start + count].transpose(1, 0, 2, 3)
                if parts is not None:
                    col = g.unfold(x, start, count)
                    xp.matmul(col, rows.T, out=part)
                    parts[index] += part
                if gx is not None:
                    ws = workspace("gcol", (g.k * g.chunk * g.m,), g.dtype, xp)
                    gcol = ws[: g.k * count * g.m].reshape(g.k, count * g.m)
                    xp.matmul(w_t, rows, out=gcol)
                    g.fold_into(gcol, gx, start, count)

    g.run(job, chunks)
    gw = None if parts is None else xp.ascontiguousarray(parts.sum(axis=0).T).reshape(w_shape)
    return gx, gw, gb
