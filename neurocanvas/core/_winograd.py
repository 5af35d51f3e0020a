"""Winograd convolution: the CPU path for 3x3, stride-1, dilation-1 convolutions.

Lavin & Gray, "Fast Algorithms for Convolutional Neural Networks" (2015, arXiv:1509.09308),
section 4: every m x m block of outputs comes from an (m+2) x (m+2) input tile ``d`` as

    Y = A^T [ (G g G^T) * (B^T d B) ] A          (* elementwise, summed over input channels)

Written per tile element ``k``, the channel sum is a matrix product ``M[k] = U[k] @ V[k]`` of
``(OC, C) x (C, tiles)``; the forward pass and both gradients are ``(m+2)^2`` such products
each. F(2x2, 3x3) (``_winograd_f2``) does 16 multiplies per 2x2 block where a direct 3x3
convolution does 36 (2.25x fewer). F(4x4, 3x3) was measured too (36 per 4x4 block, 4x fewer)
and dropped: its larger transforms cost as much time as the products it saved and its
float32 error was ~10x larger (benchmarks/README.md).

The backward pass is the exact adjoint of this forward (``dM = A dY A^T``; ``dU[k] = dM[k] @
V[k]^T``, ``dg = G^T dU G``; ``dV[k] = U[k]^T @ dM[k]``, ``dx`` = the tiles ``B dV B^T``
added back where they overlap), which in exact arithmetic is the convolution's gradient.

The tile transforms are numba kernels (each reads and writes its arrays once; in numpy they
were ~20 elementwise passes with stride-2 views, slower than the multiplies they save). This
module imports numba, so ``_conv`` imports it only when such a convolution first runs; without
numba the im2col kernels of ``_kernels`` are used. The batch is cut into chunks whose
transformed tiles stay in the CPU cache between the transform and the products, as in
``_kernels`` (scratch arrays come from ``_kernels.workspace``), and the chunks are shared
between the cores (``_threads``: the kernels and BLAS release the GIL).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from neurocanvas.core import _threads, _winograd_f2
from neurocanvas.core._kernels import workspace

#: Target bytes of one chunk's transformed tiles, ``(m+2)^2 * C * tiles * itemsize``. Measured
#: on the 2-core EPYC (1 MB L2 per core, 32 MB L3), C=OC=64 on 28x28, conv forward + backward
#: interleaved at load ~5 (03:00 UTC, two probes of 9): 3-4 MB chunks (4-5 images) ran 15-25 %
#: faster than 6 MB (median 88-100 vs 116-119 ms at 1 thread); the whole batch at once ran the
#: transforms 4-8x slower than in chunks.
CHUNK_BYTES = 4 << 20


Pads = tuple[int, int, int, int]

#: The tile transforms in use (F(2x2, 3x3)); a module with the same kernels and constants
#: (``M``, ``ALPHA``, ``G``) could replace it.
VARIANT: Any = _winograd_f2

# --------------------------------------------------------------------------- drivers


class _Plan:
    """Sizes of one call: tiles, padded planes, chunking."""

    def __init__(self, x_shape: tuple[int, ...], oc: int, pads: Pads, dtype: Any) -> None:
        self.n, self.c, self.h, self.w = x_shape
        self.oc, self.pads = oc, pads
        top, bottom, left, right = pads
        self.oh, self.ow = self.h + top + bottom - 2, self.w + left + right - 2
        f = self.f = VARIANT
        self.th, self.tw = -(-self.oh // f.M), -(-self.ow // f.M)
        self.a2 = f.ALPHA * f.ALPHA
        # Tiles read 2*t+2 rows/columns: one more than the padding gives when OH/OW is odd.
        self.hp, self.wp = f.M * self.th + 2, f.M * self.tw + 2
        self.dtype = np.dtype(dtype)
        per_image = self.a2 * max(self.c, self.oc) * self.th * self.tw * self.dtype.itemsize
        self.chunk = _threads.chunk_for(self.n, max(1, min(self.n, CHUNK_BYTES // per_image)))

    def tiles(self, count: int) -> int:
        return count * self.th * self.tw

    def buffer(self, role: str, rows: int, count: int, own: bool = False) -> Any:
        """``(a2, rows, tiles)`` scratch for ``count`` images (a view of a reused workspace).

        Each ``[k]`` is a contiguous matrix, but the ``a2`` of them are not packed back to back:
        their starts are skewed by an odd number of cache lines. The tile kernels read or write
        all ``a2`` planes at once, and when a plane's size is a multiple of 4 KB (C=64 with 784
        tiles, 4 images of 28x28, is exactly 49 pages) those 16 streams fall into the same L1
        cache sets: the transforms then ran 3-8x slower (measured, input_tiles 15.5 ms instead
        of 2.5 per batch of 32). An odd line count apart, they use 16 different sets.
        """
        line = 64 // self.dtype.itemsize
        plane = rows * self.tiles(count)
        stride = -(-plane // line) * line
        if (stride // line) % 2 == 0:
            stride += line
        size = self.a2 * (rows * self.tiles(self.chunk) + 2 * line)
        ws = np.empty(size, self.dtype) if own else workspace(role, (size,), self.dtype, np, "wino")
        planes = ws[: self.a2 * stride].reshape(self.a2, stride)
        return planes[:, :plane].reshape(self.a2, rows, self.tiles(count))

    def padded(self, role: str, count: int) -> Any:
        # Keyed by the interior too: two sizes may share a padded shape but not its zero border.
        shape = (self.chunk, self.c, self.hp, self.wp)
        ws = workspace(role, shape, self.dtype, np, self.pads, self.h, self.w)
        return ws[:count]

    def interior(self, grid: Any) -> Any:
        top, _, left, _ = self.pads
        return grid[:, :, top : top + self.h, left : left + self.w]

    def v_bytes(self) -> int:
        """Bytes of the whole batch's input tiles ``V``."""
        return self.a2 * self.c * self.tiles(self.n) * self.dtype.itemsize

    def input_tiles(self, x: Any, start: int, count: int, own: bool = False) -> Any:
        """``V`` of images ``start:start+count``: in a workspace, or with ``own`` a new array."""
        pad = self.padded("wpad", count)
        # Everything outside the interior is zero: written once when the workspace was made.
        self.interior(pad)[...] = x[start : start + count]
        v = self.buffer("wv", self.c, count, own)
        self.f.input_tiles(pad, v, self.th, self.tw)
        return v


def filter_tiles(weight: Any, f: Any) -> Any:
    """``U = G g G^T`` of every (OC, C) filter as ``(a2, OC, C)``, contiguous per tile element."""
    g = f.G.astype(weight.dtype)
    u = np.einsum("ai,ocij,bj->aboc", g, weight, g, optimize=True)
    return np.ascontiguousarray(u.reshape(f.ALPHA**2, weight.shape[0], weight.shape[1]))


class Kept:
    """The forward pass's input tiles ``V``, one ``(a2, C, tiles)`` array per chunk, for backward.

    The weight gradient needs ``V`` again; kept, backward skips transforming the input a
    second time (~1.5 ms of the benchmark CNN's 2-thread step) at the cost of ``a2 / 4`` times
    the input's memory (F(2x2): 4x), so only up to ``KEEP_BYTES``.
    """

    def __init__(self, chunk: int, tiles: list[Any]) -> None:
        self.chunk, self.tiles = chunk, tiles


#: Largest ``V`` kept from forward for backward (``Kept``); bigger ones are recomputed.
KEEP_BYTES = 64 << 20


def conv2d_forward(
    x: Any, weight: Any, bias: Any | None, pads: Pads, keep: bool = False
) -> tuple[Any, Kept | None]:
    """3x3 stride-1 convolution of NCHW ``x``; returns ``y`` (N, OC, OH, OW). Numpy arrays only.

    With ``keep`` (the weight gradient will be asked) the input tiles are kept when they fit
    in ``KEEP_BYTES``; pass the returned ``Kept`` (or None) to ``conv2d_backward``.
    """
    x = np.ascontiguousarray(x)
    p = _Plan(x.shape, weight.shape[0], pads, x.dtype)
    u = filter_tiles(weight, p.f)
    b = np.zeros(p.oc, x.dtype) if bias is None else np.ascontiguousarray(bias)
    y = np.empty((p.n, p.oc, p.oh, p.ow), dtype=x.dtype)
    kept = (
        Kept(p.chunk, [None] * -(-p.n // p.chunk)) if keep and p.v_bytes() <= KEEP_BYTES else None
    )

    def job(chunks: _threads.Chunks) -> None:
        for _, lo, hi in chunks:
            for start, count in chunks.pieces(lo, hi):
                v = p.input_tiles(x, start, count, own=kept is not None)
                if kept is not None:
                    kept.tiles[start // p.chunk] = v
                m = p.buffer("wm", p.oc, count)
                np.matmul(u, v, out=m)  # a2 products in one call (numpy loops over BLAS)
                p.f.output_tiles(m, y, start, b, p.th, p.tw)

    _threads.run(job, _threads.Chunks(p.n, p.chunk))
    return y, kept


def conv2d_backward(
    grad: Any,
    x: Any | None,
    weight: Any | None,
    x_shape: tuple[int, int, int, int],
    w_shape: tuple[int, int, int, int],
    pads: Pads,
    need: tuple[bool, bool, bool],
    kept: Kept | None = None,
) -> tuple[Any | None, Any | None, Any | None]:
    """Gradients for (input, weight, bias) of ``conv2d_forward``, each only if ``need`` asks.

    ``x`` is read only for the weight gradient (its tiles are transformed again per chunk,
    unless forward ``kept`` them) and ``weight`` only for the input gradient; either may be
    None when not asked.
    """
    grad = np.ascontiguousarray(grad)
    p = _Plan(x_shape, w_shape[0], pads, grad.dtype)
    if kept is not None:
        p.chunk = kept.chunk  # the chunks forward used, whatever the thread setting now
    if not (need[0] or need[1]):
        return None, None, grad.sum(axis=(0, 2, 3)) if need[2] else None
    u_t = np.ascontiguousarray(filter_tiles(weight, p.f).transpose(0, 2, 1)) if need[0] else None
    gx = np.empty(x_shape, dtype=grad.dtype) if need[0] else None
    xc = np.ascontiguousarray(x) if need[1] and kept is None else None
    want_gw = need[1]
    zero = grad.dtype.type(0)

    # The weight gradient's tile products, one (a2, OC, C) sum per task, added in task order
    # below: the same result whichever thread took which task.
    slot = (p.a2, p.oc, p.c)
    tasks = _threads.Chunks.tasks_for(int(np.prod(slot)) * grad.dtype.itemsize)
    chunks = _threads.Chunks(p.n, p.chunk, tasks if want_gw else None)
    du = np.zeros((chunks.count, *slot), dtype=grad.dtype) if want_gw else None
    # The bias gradient, summed in float64 by the tile kernel per task (it reads every value).
    bias_sums = np.zeros((chunks.count, p.oc))

    def job(chunks: _threads.Chunks) -> None:
        part = np.empty(slot, dtype=grad.dtype)
        for index, lo, hi in chunks:
            for start, count in chunks.pieces(lo, hi):
                dm = p.buffer("wdm", p.oc, count)
                p.f.grad_tiles(grad, start, count, dm, p.th, p.tw, zero, bias_sums[index])
                if du is not None:
                    v = kept.tiles[start // p.chunk] if kept else p.input_tiles(xc, start, count)
                    np.matmul(dm, v.transpose(0, 2, 1), out=part)
                    du[index] += part
                if gx is not None and u_t is not None:
                    # v is no longer needed: its buffer takes dv (a smaller working set).
                    dv = p.buffer("wv", p.c, count)
                    np.matmul(u_t, dm, out=dv)
                    gpad = p.padded("wgpad", count)
                    gpad[...] = 0
                    p.f.scatter_tiles(dv, gpad, p.th, p.tw)
                    gx[start : start + count] = p.interior(gpad)

    _threads.run(job, chunks)
    gb = bias_sums.sum(axis=0).astype(grad.dtype) if need[2] else None
    gw = None
    if du is not None:
        g, a = p.f.G.astype(grad.dtype), p.f.ALPHA
        total = du.sum(axis=0) if chunks.count else np.zeros((p.a2, p.oc, p.c), grad.dtype)
        gw = np.einsum("ai,abxy,bj->xyij", g, total.reshape(a, a, p.oc, p.c), g, optimize=True)
        gw = np.ascontiguousarray(gw)
    return gx, gw, gb
