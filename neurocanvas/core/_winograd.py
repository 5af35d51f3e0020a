"""Winograd F(2x2, 3x3) convolution: the CPU path for 3x3, stride-1, dilation-1 convolutions.

Lavin & Gray, "Fast Algorithms for Convolutional Neural Networks" (2015, arXiv:1509.09308),
section 4: every 2x2 block of outputs comes from a 4x4 input tile ``d`` as

    Y = A^T [ (G g G^T) * (B^T d B) ] A          (* elementwise, summed over input channels)

so the 36 multiply-adds per output block and channel of a direct 3x3 convolution become 16.
Written per tile element ``k`` (16 of them), the channel sum is a matrix product
``M[k] = U[k] @ V[k]`` of ``(OC, C) x (C, tiles)``; the forward pass and both gradients are 16
such products each: 2.25x fewer multiply-adds than im2col for the same BLAS.

The backward pass is the exact adjoint of this forward (``dM = A dY A^T``; ``dU[k] = dM[k] @
V[k]^T``, ``dg = G^T dU G``; ``dV[k] = U[k]^T @ dM[k]``, ``dx`` = the tiles ``B dV B^T``
added back where they overlap), which in exact arithmetic is the convolution's gradient. In
float32 the transforms add a few ulps (the matrices hold only 0, +-1 and +-1/2).

The tile transforms are numba kernels (each reads and writes its arrays once; in numpy they
were ~20 elementwise passes with stride-2 views, slower than the multiplies they save). This
module imports numba, so ``_conv`` imports it only when such a convolution first runs; without
numba the im2col kernels of ``_kernels`` are used. The batch is cut into chunks whose
transformed tiles (``16 * C * tiles``) stay in the CPU cache between the transform and the
products, as in ``_kernels``; scratch arrays come from ``_kernels.workspace``.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from typing import Any

import numba  # type: ignore[import-untyped]
import numpy as np

from neurocanvas.core._kernels import workspace

#: Target bytes of one chunk's transformed tiles, ``16 * C * tiles * itemsize``. Measured on
#: the 2-core EPYC (1 MB L2 per core, 32 MB L3) for C=OC=64 on 28x28: 8 images per chunk ran
#: the 16 (64, 64) x (64, 1568) products at 70-100 GFLOP/s against 55-80 for the whole batch.
CHUNK_BYTES = 6 << 20

#: The filter transform G (4x3) of F(2x2, 3x3) (Lavin & Gray, eq. 8).
G = np.array([[1.0, 0.0, 0.0], [0.5, 0.5, 0.5], [0.5, -0.5, 0.5], [0.0, 0.0, 1.0]])

Pads = tuple[int, int, int, int]

#: Worker threads (the caller included): the chunks are split between the cores. Never more
#: than BLAS's own thread count, so ``threadpool_limits(1)`` makes the whole convolution
#: single-threaded (on a busy machine a second thread mostly waits for a core).
THREADS = max(1, min(2, os.cpu_count() or 1))
_pool: ThreadPoolExecutor | None = None

try:
    from threadpoolctl import ThreadpoolController

    _blas = ThreadpoolController()
except ImportError:  # threadpoolctl is optional: BLAS then keeps its own thread count
    _blas = None


def _blas_threads() -> int:
    """BLAS's current thread count: a limit set with threadpoolctl limits the workers too."""
    if _blas is None:
        return THREADS
    counts = [lib.num_threads for lib in _blas.lib_controllers if lib.user_api == "blas"]
    return min(counts, default=THREADS)


@contextmanager
def _blas_single_thread() -> Iterator[None]:
    if _blas is None:
        yield
        return
    with _blas.limit(limits=1, user_api="blas"):
        yield


# --------------------------------------------------------------------------- numba kernels
# Scalar code on purpose: each tile is 16 loads, ~32 adds and 16 stores, all in registers.


@numba.njit(cache=True, nogil=True)
def _bt(v0: Any, v1: Any, v2: Any, v3: Any) -> Any:
    """``B^T v`` for a 4-vector (rows of B^T: 1 0 -1 0 / 0 1 1 0 / 0 -1 1 0 / 0 1 0 -1)."""
    return v0 - v2, v1 + v2, v2 - v1, v1 - v3


@numba.njit(cache=True, nogil=True)
def _b(v0: Any, v1: Any, v2: Any, v3: Any) -> Any:
    """``B v``, the adjoint of ``_bt``."""
    return v0, v1 - v2 + v3, v1 + v2 - v0, -v3


@numba.njit(cache=True, nogil=True)
def _input_tiles(pad: Any, out: Any, th: int, tw: int) -> None:
    """``V = B^T d B`` of every tile: ``pad`` (n, C, 2*th+2, 2*tw+2) -> ``out`` (16, C, n*th*tw)."""
    n, channels = pad.shape[0], pad.shape[1]
    for c in range(channels):
        for i in range(n):
            img = pad[i, c]
            for ti in range(th):
                r = 2 * ti
                p0 = (i * th + ti) * tw
                for tj in range(tw):
                    q = 2 * tj
                    p = p0 + tj
                    # B^T along the rows of the tile, for each of its 4 columns...
                    a0, a1, a2, a3 = _bt(img[r, q], img[r + 1, q], img[r + 2, q], img[r + 3, q])
                    b0, b1, b2, b3 = _bt(
                        img[r, q + 1], img[r + 1, q + 1], img[r + 2, q + 1], img[r + 3, q + 1]
                    )
                    c0, c1, c2, c3 = _bt(
                        img[r, q + 2], img[r + 1, q + 2], img[r + 2, q + 2], img[r + 3, q + 2]
                    )
                    d0, d1, d2, d3 = _bt(
                        img[r, q + 3], img[r + 1, q + 3], img[r + 2, q + 3], img[r + 3, q + 3]
                    )
                    # ...then along the columns: row k of the result is (ak, bk, ck, dk) @ B.
                    out[0, c, p], out[1, c, p], out[2, c, p], out[3, c, p] = _bt(a0, b0, c0, d0)
                    out[4, c, p], out[5, c, p], out[6, c, p], out[7, c, p] = _bt(a1, b1, c1, d1)
                    out[8, c, p], out[9, c, p], out[10, c, p], out[11, c, p] = _bt(a2, b2, c2, d2)
                    out[12, c, p], out[13, c, p], out[14, c, p], out[15, c, p] = _bt(a3, b3, c3, d3)


@numba.njit(cache=True, nogil=True)
def _output_tiles(m: Any, y: Any, start: int, bias: Any, th: int, tw: int) -> None:
    """``Y = A^T M A`` (+ bias): ``m`` (16, OC, n*th*tw) -> ``y[start:start+n]`` (N, OC, OH, OW)."""
    oc_count = m.shape[1]
    n = m.shape[2] // (th * tw)
    oh, ow = y.shape[2], y.shape[3]
    for o in range(oc_count):
        bo = bias[o]
        for i in range(n):
            plane = y[start + i, o]
            for ti in range(th):
                r = 2 * ti
                p0 = (i * th + ti) * tw
                for tj in range(tw):
                    q = 2 * tj
                    p = p0 + tj
                    # A^T = (1 1 1 0 / 0 1 -1 -1), first along each row k of the 4x4 tile.
                    u0 = m[0, o, p] + m[1, o, p] + m[2, o, p]
                    v0 = m[1, o, p] - m[2, o, p] - m[3, o, p]
                    u1 = m[4, o, p] + m[5, o, p] + m[6, o, p]
                    v1 = m[5, o, p] - m[6, o, p] - m[7, o, p]
                    u2 = m[8, o, p] + m[9, o, p] + m[10, o, p]
                    v2 = m[9, o, p] - m[10, o, p] - m[11, o, p]
                    u3 = m[12, o, p] + m[13, o, p] + m[14, o, p]
                    v3 = m[13, o, p] - m[14, o, p] - m[15, o, p]
                    plane[r, q] = u0 + u1 + u2 + bo
                    if q + 1 < ow:
                        plane[r, q + 1] = v0 + v1 + v2 + bo
                    if r + 1 < oh:
                        plane[r + 1, q] = u1 - u2 - u3 + bo
                        if q + 1 < ow:
                            plane[r + 1, q + 1] = v1 - v2 - v3 + bo


@numba.njit(cache=True, nogil=True)
def _grad_tiles(grad: Any, start: int, n: int, dm: Any, th: int, tw: int, zero: Any) -> None:
    """``dM = A dY A^T`` of every 2x2 output block of ``grad[start:start+n]`` -> ``dm``."""
    oc_count = grad.shape[1]
    oh, ow = grad.shape[2], grad.shape[3]
    for o in range(oc_count):
        for i in range(n):
            plane = grad[start + i, o]
            for ti in range(th):
                r = 2 * ti
                p0 = (i * th + ti) * tw
                for tj in range(tw):
                    q = 2 * tj
                    p = p0 + tj
                    g00 = plane[r, q]
                    g01 = plane[r, q + 1] if q + 1 < ow else zero
                    g10 = plane[r + 1, q] if r + 1 < oh else zero
                    g11 = plane[r + 1, q + 1] if (r + 1 < oh and q + 1 < ow) else zero
                    # A = (A^T)^T maps (g0, g1) to (g0, g0 + g1, g0 - g1, -g1): rows, then columns.
                    s0, s1, s2, s3 = g00, g00 + g01, g00 - g01, -g01
                    t0, t1, t2, t3 = g10, g10 + g11, g10 - g11, -g11
                    dm[0, o, p], dm[1, o, p], dm[2, o, p], dm[3, o, p] = s0, s1, s2, s3
                    dm[4, o, p], dm[5, o, p] = s0 + t0, s1 + t1
                    dm[6, o, p], dm[7, o, p] = s2 + t2, s3 + t3
                    dm[8, o, p], dm[9, o, p] = s0 - t0, s1 - t1
                    dm[10, o, p], dm[11, o, p] = s2 - t2, s3 - t3
                    dm[12, o, p], dm[13, o, p], dm[14, o, p], dm[15, o, p] = -t0, -t1, -t2, -t3


@numba.njit(cache=True, nogil=True)
def _scatter_tiles(dv: Any, gpad: Any, th: int, tw: int) -> None:
    """Add ``B dV B^T`` of every tile into ``gpad`` (n, C, 2*th+2, 2*tw+2) where tiles overlap."""
    n, channels = gpad.shape[0], gpad.shape[1]
    for c in range(channels):
        for i in range(n):
            img = gpad[i, c]
            for ti in range(th):
                r = 2 * ti
                p0 = (i * th + ti) * tw
                for tj in range(tw):
                    q = 2 * tj
                    p = p0 + tj
                    # B along each row k of dV (giving columns 0..3 of the tile)...
                    a0, a1, a2, a3 = _b(dv[0, c, p], dv[1, c, p], dv[2, c, p], dv[3, c, p])
                    b0, b1, b2, b3 = _b(dv[4, c, p], dv[5, c, p], dv[6, c, p], dv[7, c, p])
                    c0, c1, c2, c3 = _b(dv[8, c, p], dv[9, c, p], dv[10, c, p], dv[11, c, p])
                    d0, d1, d2, d3 = _b(dv[12, c, p], dv[13, c, p], dv[14, c, p], dv[15, c, p])
                    # ...then along each column j: rows 0..3 of the tile.
                    e0, e1, e2, e3 = _b(a0, b0, c0, d0)
                    img[r, q] += e0
                    img[r + 1, q] += e1
                    img[r + 2, q] += e2
                    img[r + 3, q] += e3
                    e0, e1, e2, e3 = _b(a1, b1, c1, d1)
                    img[r, q + 1] += e0
                    img[r + 1, q + 1] += e1
                    img[r + 2, q + 1] += e2
                    img[r + 3, q + 1] += e3
                    e0, e1, e2, e3 = _b(a2, b2, c2, d2)
                    img[r, q + 2] += e0
                    img[r + 1, q + 2] += e1
                    img[r + 2, q + 2] += e2
                    img[r + 3, q + 2] += e3
                    e0, e1, e2, e3 = _b(a3, b3, c3, d3)
                    img[r, q + 3] += e0
                    img[r + 1, q + 3] += e1
                    img[r + 2, q + 3] += e2
                    img[r + 3, q + 3] += e3


# --------------------------------------------------------------------------- drivers


class _Plan:
    """Sizes of one call: tiles, padded planes, chunking."""

    def __init__(self, x_shape: tuple[int, ...], oc: int, pads: Pads, dtype: Any) -> None:
        self.n, self.c, self.h, self.w = x_shape
        self.oc, self.pads = oc, pads
        top, bottom, left, right = pads
        self.oh, self.ow = self.h + top + bottom - 2, self.w + left + right - 2
        self.th, self.tw = (self.oh + 1) // 2, (self.ow + 1) // 2
        # Tiles read 2*t+2 rows/columns: one more than the padding gives when OH/OW is odd.
        self.hp, self.wp = 2 * self.th + 2, 2 * self.tw + 2
        self.dtype = np.dtype(dtype)
        per_image = 16 * max(self.c, self.oc) * self.th * self.tw * self.dtype.itemsize
        self.chunk = max(1, min(self.n, CHUNK_BYTES // per_image))

    def tiles(self, count: int) -> int:
        return count * self.th * self.tw

    def buffer(self, role: str, rows: int, count: int) -> Any:
        """``(16, rows, tiles)`` scratch for ``count`` images (a view of a reused workspace)."""
        ws = workspace(role, (16 * rows * self.tiles(self.chunk),), self.dtype, np, "wino")
        return ws[: 16 * rows * self.tiles(count)].reshape(16, rows, self.tiles(count))

    def padded(self, role: str, count: int) -> Any:
        ws = workspace(role, (self.chunk, self.c, self.hp, self.wp), self.dtype, np, self.pads)
        return ws[:count]

    def interior(self, grid: Any) -> Any:
        top, _, left, _ = self.pads
        return grid[:, :, top : top + self.h, left : left + self.w]

    def input_tiles(self, x: Any, start: int, count: int) -> Any:
        pad = self.padded("wpad", count)
        # Everything outside the interior is zero: written once when the workspace was made.
        self.interior(pad)[...] = x[start : start + count]
        v = self.buffer("wv", self.c, count)
        _input_tiles(pad, v, self.th, self.tw)
        return v


def filter_tiles(weight: Any) -> Any:
    """``U = G g G^T`` of every (OC, C) filter as ``(16, OC, C)``, contiguous per tile element."""
    g = G.astype(weight.dtype)
    u = np.einsum("ai,ocij,bj->aboc", g, weight, g, optimize=True)
    return np.ascontiguousarray(u.reshape(16, weight.shape[0], weight.shape[1]))


def _split(p: _Plan) -> list[tuple[int, int]]:
    """Image ranges for the worker threads: whole chunks, as even as the chunking allows."""
    chunks = -(-p.n // p.chunk)
    parts = max(1, min(THREADS, _blas_threads(), chunks))
    bounds = [min(p.n, (chunks * j // parts) * p.chunk) for j in range(parts + 1)]
    return [(lo, hi) for lo, hi in zip(bounds, bounds[1:]) if hi > lo]


def _run(job: Callable[[int, int], Any], ranges: list[tuple[int, int]]) -> list[Any]:
    """``job(lo, hi)`` for each range: the first in this thread, the others on the pool.

    The kernels and BLAS release the GIL, so the ranges run on separate cores. BLAS runs
    single-threaded meanwhile (one call per core already; two threaded calls at once fight
    for the same cores). Each thread has its own workspaces (``_kernels.workspace``).
    """
    if len(ranges) == 1:
        return [job(*ranges[0])]
    global _pool
    if _pool is None:
        _pool = ThreadPoolExecutor(max_workers=THREADS - 1, thread_name_prefix="winograd")
    with _blas_single_thread():
        futures = [_pool.submit(job, lo, hi) for lo, hi in ranges[1:]]
        first = job(*ranges[0])
        return [first, *(f.result() for f in futures)]


def conv2d_forward(x: Any, weight: Any, bias: Any | None, pads: Pads) -> Any:
    """3x3 stride-1 convolution of NCHW ``x``; returns ``y`` (N, OC, OH, OW). Numpy arrays only."""
    x = np.ascontiguousarray(x)
    p = _Plan(x.shape, weight.shape[0], pads, x.dtype)
    u = filter_tiles(weight)
    b = np.zeros(p.oc, x.dtype) if bias is None else np.ascontiguousarray(bias)
    y = np.empty((p.n, p.oc, p.oh, p.ow), dtype=x.dtype)

    def job(lo: int, hi: int) -> None:
        for start in range(lo, hi, p.chunk):
            count = min(p.chunk, hi - start)
            v = p.input_tiles(x, start, count)
            m = p.buffer("wm", p.oc, count)
            for k in range(16):
                np.matmul(u[k], v[k], out=m[k])
            _output_tiles(m, y, start, b, p.th, p.tw)

    _run(job, _split(p))
    return y


def conv2d_backward(
    grad: Any,
    x: Any | None,
    weight: Any | None,
    x_shape: tuple[int, int, int, int],
    w_shape: tuple[int, int, int, int],
    pads: Pads,
    need: tuple[bool, bool, bool],
) -> tuple[Any | None, Any | None, Any | None]:
    """Gradients for (input, weight, bias) of ``conv2d_forward``, each only if ``need`` asks.

    ``x`` is read only for the weight gradient (its tiles are transformed again per chunk)
    and ``weight`` only for the input gradient; either may be None when not asked.
    """
    grad = np.ascontiguousarray(grad)
    p = _Plan(x_shape, w_shape[0], pads, grad.dtype)
    gb = grad.sum(axis=(0, 2, 3)) if need[2] else None
    if not (need[0] or need[1]):
        return None, None, gb
    u_t = np.ascontiguousarray(filter_tiles(weight).transpose(0, 2, 1)) if need[0] else None
    gx = np.empty(x_shape, dtype=grad.dtype) if need[0] else None
    xc = np.ascontiguousarray(x) if need[1] else None
    zero = grad.dtype.type(0)

    def job(lo: int, hi: int) -> Any:
        du = np.zeros((16, p.oc, p.c), dtype=grad.dtype) if xc is not None else None
        part = np.empty((p.oc, p.c), dtype=grad.dtype)
        for start in range(lo, hi, p.chunk):
            count = min(p.chunk, hi - start)
            dm = p.buffer("wdm", p.oc, count)
            _grad_tiles(grad, start, count, dm, p.th, p.tw, zero)
            if du is not None:
                v = p.input_tiles(xc, start, count)
                for k in range(16):
                    np.matmul(dm[k], v[k].T, out=part)
                    du[k] += part
            if gx is not None and u_t is not None:
                dv = p.buffer("wdv", p.c, count)
                for k in range(16):
                    np.matmul(u_t[k], dm[k], out=dv[k])
                gpad = p.padded("wgpad", count)
                gpad[...] = 0
                _scatter_tiles(dv, gpad, p.th, p.tw)
                gx[start : start + count] = p.interior(gpad)
        return du

    parts = _run(job, _split(p))
    gw = None
    if xc is not None:
        du = parts[0] if len(parts) == 1 else sum(parts[1:], parts[0])
        g = G.astype(grad.dtype)
        gw = np.einsum("ai,abxy,bj->xyij", g, du.reshape(4, 4, p.oc, p.c), g, optimize=True)
        gw = np.ascontiguousarray(gw)
    return gx, gw, gb
