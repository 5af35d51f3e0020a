"""Qt-free data structures behind the live plots: growing buffers, the envelope decimator and
range helpers. They hold plain numpy, so they are tested without a screen."""

from __future__ import annotations

import numpy as np


class GrowingBuffer:
    """A preallocated (x, y) buffer that doubles when full.

    ``setData`` on a view of it costs no reallocation per point, so a curve of a long run
    stays cheap to extend.
    """

    def __init__(self, capacity: int = 1024) -> None:
        self._x = np.empty(capacity, dtype=np.float64)
        self._y = np.empty(capacity, dtype=np.float64)
        self._n = 0

    def __len__(self) -> int:
        return self._n

    def set_tail(self, start: int, x: np.ndarray, y: np.ndarray) -> None:
        """Write ``x``, ``y`` from index ``start`` on (earlier points stay untouched)."""
        end = start + len(x)
        if end > len(self._x):
            cap = max(end, 2 * len(self._x))
            self._x = np.resize(self._x, cap)
            self._y = np.resize(self._y, cap)
        self._x[start:end] = x
        self._y[start:end] = y
        self._n = end

    def view(self) -> tuple[np.ndarray, np.ndarray]:
        return self._x[: self._n], self._y[: self._n]

    def clear(self) -> None:
        self._n = 0


class EnvelopeDecimator:
    """A long noisy series reduced to at most ``max_points`` points, kept up to date cheaply.

    Drawing every step of a long run costs the GUI thread (and, through the GIL, the
    trainer) more each frame. The series is cut into buckets of ``width`` samples; each
    finished bucket keeps the samples holding its minimum and maximum, in their order, so
    the curve's envelope (spikes included) survives. When there are more than
    ``max_points // 2`` buckets, neighbours merge pairwise and the width doubles, so each new
    point costs O(1) amortised and a frame never re-reads the whole history. The unfinished
    last bucket contributes its min, max and latest sample, so the newest value is always
    shown. NaN samples (gaps, e.g. a diverged loss) only show when a whole bucket is NaN.
    """

    def __init__(self, max_points: int = 1000) -> None:
        if max_points < 8:
            raise ValueError(f"EnvelopeDecimator: max_points must be >= 8, got {max_points}")
        self.max_buckets = max_points // 2 - 2  # room for the unfinished bucket's points
        self.width = 1
        self._raw = GrowingBuffer()
        self._lo = np.empty(0, dtype=np.int64)  # raw index of each bucket's minimum
        self._hi = np.empty(0, dtype=np.int64)  # raw index of each bucket's maximum

    def __len__(self) -> int:
        return len(self._raw)

    def extend(self, x: np.ndarray, y: np.ndarray) -> None:
        """Append samples (``x`` increasing)."""
        self._raw.set_tail(len(self._raw), np.asarray(x, float), np.asarray(y, float))
        self._absorb()

    def clear(self) -> None:
        self._raw.clear()
        self.width = 1
        self._lo = self._lo[:0]
        self._hi = self._hi[:0]

    def _absorb(self) -> None:
        _, y = self._raw.view()
        done = len(self._lo) * self.width
        k = (len(y) - done) // self.width
        if k:
            lo, hi = _bucket_extremes(y[done : done + k * self.width], self.width)
            self._lo = np.concatenate([self._lo, lo + done])
            self._hi = np.concatenate([self._hi, hi + done])
        while len(self._lo) > self.max_buckets:
            self._merge()

    def _merge(self) -> None:
        """Halve the bucket count: pairs merge, an odd last bucket goes back to the tail."""
        _, y = self._raw.view()
        pairs = len(self._lo) // 2
        lo_a, lo_b = self._lo[0 : 2 * pairs : 2], self._lo[1 : 2 * pairs : 2]
        hi_a, hi_b = self._hi[0 : 2 * pairs : 2], self._hi[1 : 2 * pairs : 2]
        # A NaN never wins against a number (comparisons with NaN are False).
        self._lo = np.where((y[lo_b] < y[lo_a]) | np.isnan(y[lo_a]), lo_b, lo_a)
        self._hi = np.where((y[hi_b] > y[hi_a]) | np.isnan(y[hi_a]), hi_b, hi_a)
        self.width *= 2
        self._absorb()

    def view(self) -> tuple[np.ndarray, np.ndarray]:
        """The points to draw, in x order: at most ``max_points``."""
        x, y = self._raw.view()
        idx = np.sort(np.stack([self._lo, self._hi], axis=1), axis=1).ravel()
        start = len(self._lo) * self.width
        if start < len(y):
            lo, hi = _bucket_extremes(y[start:], len(y) - start)
            idx = np.concatenate([idx, np.sort([lo[0] + start, hi[0] + start])])
        if len(y):  # the newest sample, whatever bucket it ends
            idx = np.append(idx, len(y) - 1)
            idx = idx[np.r_[True, np.diff(idx) > 0]]  # no sample twice
        return x[idx], y[idx]


def _bucket_extremes(y: np.ndarray, width: int) -> tuple[np.ndarray, np.ndarray]:
    """Index (within each row of ``width`` samples) of the row's min and max, NaN-safe."""
    rows = y.reshape(-1, width)
    nan = np.isnan(rows)
    lo = np.argmin(np.where(nan, np.inf, rows), axis=1)
    hi = np.argmax(np.where(nan, -np.inf, rows), axis=1)
    base = np.arange(len(rows)) * width
    return lo + base, hi + base


def log_losses(y: np.ndarray) -> np.ndarray:
    """log10 of losses, once per new point; non-finite or <= 0 (diverged) become NaN gaps.

    The loss plot holds log10 values itself instead of using pyqtgraph's log mode, which
    re-transforms every curve's whole array on each redraw.
    """
    y = np.asarray(y, dtype=np.float64)
    ok = np.isfinite(y) & (y > 0)
    out = np.full(y.shape, np.nan)
    np.log10(y, out=out, where=ok)
    return out


def nice_log_range(lo: float, hi: float) -> tuple[float, float]:
    """Outward to whole decades: the view (and the axes) change only a few times a run."""
    lo, hi = np.floor(lo), np.ceil(hi)
    if hi - lo < 1:
        hi = lo + 1
    return float(lo - 0.02), float(hi + 0.02)


def nice_steps(n: int) -> float:
    """The x extent: the run's planned steps, rounded so it rarely changes."""
    n = max(n, 10)
    mag = 10 ** np.floor(np.log10(n))
    return float(np.ceil(n / (mag / 4)) * (mag / 4))
