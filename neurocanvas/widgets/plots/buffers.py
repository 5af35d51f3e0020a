"""Qt-free data structures behind the live plots: growing buffers, the envelope decimator and
range helpers. They hold plain numpy, so they are tested without a screen."""

from __future__ import annotations

from typing import Any

import numpy as np

from neurocanvas.core.training.series import SeriesView


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


class _Buckets:
    """Buckets of ``width`` samples, each kept as 4 numbers; pairs merge when there are too many.

    The bookkeeping the two decimators share: a subclass says how a run of samples becomes a
    bucket (``_reduce``), how two neighbouring buckets combine (``_combine``, with
    ``_empty()`` as its identity) and how many buckets it keeps (``max_buckets``).
    """

    max_buckets: int

    def _empty(self) -> np.ndarray:
        raise NotImplementedError

    def _reduce(self, x: np.ndarray, y: np.ndarray, width: int) -> np.ndarray:
        raise NotImplementedError

    def _combine(self, a: np.ndarray, b: np.ndarray) -> np.ndarray:
        raise NotImplementedError

    def __len__(self) -> int:
        """Samples absorbed so far (not points held)."""
        return self._n

    def clear(self) -> None:
        self.width = 1
        self._n = 0
        self._b = np.empty((4, 0))  # finished buckets, shape (4, buckets)
        self._p = self._empty()  # the unfinished bucket
        self._pending = 0  # samples in it
        self._last = (np.nan, np.nan)  # the newest sample, always drawn

    @property
    def points_held(self) -> int:
        """Numbers kept (for memory checks): bounded by ``4 * max_points``."""
        return self._b.size + self._p.size + 2

    def extend(self, x: np.ndarray, y: np.ndarray) -> None:
        """Append samples (``x`` increasing)."""
        x, y = np.asarray(x, float).ravel(), np.asarray(y, float).ravel()
        if len(x) == 0:
            return
        self._n += len(x)
        self._last = (float(x[-1]), float(y[-1]))
        i = 0
        if self._pending:  # top up the unfinished bucket first
            i = min(self.width - self._pending, len(x))
            self._p = self._combine(self._p, self._reduce(x[:i], y[:i], i)[:, 0])
            self._pending += i
            if self._pending == self.width:
                self._finish_bucket()
        k = (len(x) - i) // self.width
        if k:
            end = i + k * self.width
            rows = self._reduce(x[i:end], y[i:end], self.width)
            self._b = np.concatenate([self._b, rows], axis=1)
            i = end
        if i < len(x):
            self._p = self._reduce(x[i:], y[i:], len(x) - i)[:, 0]
            self._pending = len(x) - i
        while self._b.shape[1] > self.max_buckets:
            self._merge()

    def _finish_bucket(self) -> None:
        self._b = np.concatenate([self._b, self._p[:, None]], axis=1)
        self._p, self._pending = self._empty(), 0

    def _merge(self) -> None:
        """Halve the bucket count: pairs merge; an odd last bucket joins the unfinished one."""
        b = self._b
        pairs = b.shape[1] // 2
        merged = self._combine(b[:, 0 : 2 * pairs : 2], b[:, 1 : 2 * pairs : 2])
        if b.shape[1] % 2:  # its width samples come before the unfinished bucket's
            self._p = self._combine(b[:, -1], self._p)
            self._pending += self.width
        self._b = merged
        self.width *= 2
        if self._pending == self.width:  # the odd bucket and the unfinished one filled it
            self._finish_bucket()


class EnvelopeDecimator(_Buckets):
    """A long noisy series reduced to at most ``max_points`` points, at bounded memory.

    Drawing every step of a long run costs the GUI thread (and, through the GIL, the
    trainer) more each frame. The series is cut into buckets of ``width`` samples; each
    finished bucket keeps only its minimum and maximum sample (x and y), so the curve's
    envelope (spikes included) survives and no raw copy of the series is held. When there
    are more than ``max_points // 2`` buckets, neighbours merge pairwise and the width
    doubles (an odd last bucket joins the unfinished one), so each new point costs O(1)
    amortised, a frame never re-reads the history, and memory stays O(max_points) however
    long the run. The unfinished last bucket contributes its min, max and latest sample, so
    the newest value is always shown. NaN samples (gaps, e.g. a diverged loss) only show
    when a whole bucket is NaN.
    """

    def __init__(self, max_points: int = 1000) -> None:
        if max_points < 8:
            raise ValueError(f"EnvelopeDecimator: max_points must be >= 8, got {max_points}")
        self.max_buckets = max_points // 2 - 2  # room for the unfinished bucket's points
        self.clear()

    def _empty(self) -> np.ndarray:
        return np.full(4, np.nan)  # (x, y) of a minimum and a maximum; NaN never wins

    def _reduce(self, x: np.ndarray, y: np.ndarray, width: int) -> np.ndarray:
        return _extremes(x, y, width)

    def _combine(self, a: np.ndarray, b: np.ndarray) -> np.ndarray:
        return _join(a, b)

    def view(self) -> tuple[np.ndarray, np.ndarray]:
        """The points to draw, in x order: at most ``max_points``."""
        pts = [self._b] if self._b.shape[1] else []
        if self._pending:
            pts.append(self._p[:, None])
        if not pts:
            return np.empty(0), np.empty(0)
        p = np.concatenate(pts, axis=1)
        # each bucket's two points in x order (min and max may come either way round)
        swap = p[2] < p[0]
        first_x, first_y = np.where(swap, p[2], p[0]), np.where(swap, p[3], p[1])
        second_x, second_y = np.where(swap, p[0], p[2]), np.where(swap, p[1], p[3])
        x = np.append(np.stack([first_x, second_x], axis=1).ravel(), self._last[0])
        y = np.append(np.stack([first_y, second_y], axis=1).ravel(), self._last[1])
        keep = np.r_[True, np.diff(x) > 0]  # no sample twice
        return x[keep], y[keep]


class MeanDecimator(_Buckets):
    """A long series reduced to at most ``max_points`` points, each a bucket's mean.

    For curves of averages (the per-epoch losses: each value is already an epoch's mean),
    where the trend matters and the noise is shown elsewhere (the per-step curve's envelope).
    Buckets of ``width`` samples keep their sums: x of all samples, y of the finite ones and
    both counts; when there are more than ``max_points - 2`` of them, neighbours merge pairwise
    and the width doubles, as in :class:`EnvelopeDecimator`, so memory and each frame's work
    are O(max_points) however long the run. A bucket is drawn at its mean x and mean y
    (NaN, a gap, only when none of its values is finite); the unfinished last bucket is drawn
    too, then the newest sample itself.

    Why not the envelope: a bucket's minimum and maximum drift apart as the buckets widen
    (the extremes of more samples), so an envelope's zigzag grows taller the longer the run.
    Drawn dashed (the validation loss), that zigzag was the costliest item of a frame and it
    grew with the run: 6.7 ms per repaint at 50,000 steps of ``general-fit``, 9.9 ms at
    400,000. The means of wider buckets vary less, so this curve's length does not grow.
    """

    def __init__(self, max_points: int = 1000) -> None:
        if max_points < 8:
            raise ValueError(f"MeanDecimator: max_points must be >= 8, got {max_points}")
        self.max_buckets = max_points - 2  # room for the unfinished bucket and the newest sample
        self.clear()

    def _empty(self) -> np.ndarray:
        return np.zeros(4)  # sums: x, samples, finite y, finite samples

    def _reduce(self, x: np.ndarray, y: np.ndarray, width: int) -> np.ndarray:
        return _sums(x, y, width)

    def _combine(self, a: np.ndarray, b: np.ndarray) -> np.ndarray:
        return a + b

    def view(self) -> tuple[np.ndarray, np.ndarray]:
        """The points to draw, in x order: at most ``max_points``."""
        sums = np.concatenate([self._b, self._p[:, None]], axis=1) if self._pending else self._b
        if self._n == 0:
            return np.empty(0), np.empty(0)
        with np.errstate(invalid="ignore", divide="ignore"):
            x = np.append(sums[0] / sums[1], self._last[0])
            y = np.append(np.where(sums[3] > 0, sums[2] / sums[3], np.nan), self._last[1])
        keep = np.r_[np.diff(x) > 0, True]  # a one-sample last bucket is the newest sample
        return x[keep], y[keep]


def _sums(x: np.ndarray, y: np.ndarray, width: int) -> np.ndarray:
    """Per row of ``width`` samples: sum of x, samples, sum of the finite y, finite samples;
    shape (4, rows)."""
    rows_y = y.reshape(-1, width)
    finite = np.isfinite(rows_y)
    return np.stack(
        [
            x.reshape(-1, width).sum(axis=1),
            np.full(len(rows_y), float(width)),
            np.where(finite, rows_y, 0.0).sum(axis=1),
            finite.sum(axis=1).astype(float),
        ]
    )


def _extremes(x: np.ndarray, y: np.ndarray, width: int) -> np.ndarray:
    """(x, y) of the min and max of each row of ``width`` samples, shape (4, rows), NaN-safe
    (a row's NaN only wins when the whole row is NaN)."""
    rows = y.reshape(-1, width)
    nan = np.isnan(rows)
    base = np.arange(len(rows)) * width
    lo = np.argmin(np.where(nan, np.inf, rows), axis=1) + base
    hi = np.argmax(np.where(nan, -np.inf, rows), axis=1) + base
    return np.stack([x[lo], y[lo], x[hi], y[hi]])


def _join(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Buckets ``a`` and the next ones ``b`` (each (x, y, x, y) of min and max) merged.

    A NaN never wins against a number (comparisons with NaN are False).
    """
    take_lo = (b[1] < a[1]) | np.isnan(a[1])
    take_hi = (b[3] > a[3]) | np.isnan(a[3])
    return np.stack(
        [
            np.where(take_lo, b[0], a[0]),
            np.where(take_lo, b[1], a[1]),
            np.where(take_hi, b[2], a[2]),
            np.where(take_hi, b[3], a[3]),
        ]
    )


def tail(values: Any, start: int) -> tuple[np.ndarray, np.ndarray]:
    """``(positions, values)`` of a series from position ``start`` on (0-based).

    ``values`` is a snapshot's record (:class:`SeriesView`: positions it no longer holds
    exactly come as their buckets' min and max) or a plain array.
    """
    if isinstance(values, SeriesView):
        return values.since(start)
    arr = np.asarray(values, dtype=np.float64).ravel()
    return np.arange(start, len(arr)), arr[start:]


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
