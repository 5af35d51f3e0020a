"""A per-step (or per-epoch) record of bounded size: an exact recent window and a coarse history.

A run "until paused" makes millions of steps; keeping every step's loss grew the trainer by
8 bytes a step, and every reader of the whole array (the plots, the runs table) cost more each
frame. :class:`Series` keeps

* the latest values **exactly**, in fixed-size chunks (between ``(keep - 1) * chunk`` and
  ``keep * chunk`` of them), and
* everything older as at most ``max_buckets`` **buckets** of a power-of-two width, each with
  its minimum and maximum (and where they were) and its mean: the min/max decimation plot
  resamplers use (e.g. Plotly-Resampler's MinMaxAggregator). When the buckets overflow,
  neighbours merge pairwise and the width doubles, so the history always spans the whole run
  at a bounded size and keeps every extreme.

Its memory is therefore bounded whatever the run's length (about ``keep * chunk * 8`` bytes
plus ``max_buckets * 48``). The trainer appends in its own thread; :meth:`Series.view` hands a
:class:`SeriesView` to the GUI thread without copying values: full chunks and the history
arrays are never written again once made (a fold builds new arrays), and the view of the
current chunk stops at the values written so far.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np

CHUNK = 4096  # values per exact chunk (32 KB)
KEEP_CHUNKS = 8  # exact chunks kept: the latest 28,672..32,768 values
MAX_BUCKETS = 1024  # history buckets at most (power-of-two widths)

_EMPTY_F = np.empty(0, dtype=np.float64)
_EMPTY_I = np.empty(0, dtype=np.int64)


@dataclass(frozen=True)
class History:
    """Buckets of ``width`` values covering ``[0, end)``: bucket ``j`` holds ``[j*width, ...)``.

    ``lo``/``hi``: the bucket's least/greatest value (NaN only when all of it is NaN);
    ``lo_at``/``hi_at``: their 0-based positions in the series; ``total``/``finite``: the sum
    and count of its finite values (the mean is ``total / finite``).
    """

    width: int = 1
    end: int = 0
    lo: np.ndarray = field(default_factory=lambda: _EMPTY_F)
    hi: np.ndarray = field(default_factory=lambda: _EMPTY_F)
    lo_at: np.ndarray = field(default_factory=lambda: _EMPTY_I)
    hi_at: np.ndarray = field(default_factory=lambda: _EMPTY_I)
    total: np.ndarray = field(default_factory=lambda: _EMPTY_F)
    finite: np.ndarray = field(default_factory=lambda: _EMPTY_I)

    @property
    def mean(self) -> np.ndarray:
        with np.errstate(invalid="ignore", divide="ignore"):
            return self.total / self.finite

    def fold(self, values: np.ndarray, max_buckets: int) -> History:
        """A new history that also covers ``values`` (the series' next values from ``end``)."""
        h = self
        if len(values) == 0:
            return h
        pos = np.arange(h.end, h.end + len(values), dtype=np.int64)
        bucket = pos // h.width
        starts = np.flatnonzero(np.r_[True, bucket[1:] != bucket[:-1]])
        nan = np.isnan(values)
        lo_v = np.where(nan, np.inf, values)
        hi_v = np.where(nan, -np.inf, values)
        lo_at = _arg_reduce(lo_v, starts, np.minimum) + h.end
        hi_at = _arg_reduce(hi_v, starts, np.maximum) + h.end
        lo, hi = values[lo_at - h.end], values[hi_at - h.end]
        fin = np.where(nan | np.isinf(values), 0.0, values)
        total = np.add.reduceat(fin, starts)
        finite = np.add.reduceat((~(nan | np.isinf(values))).astype(np.int64), starts)
        if len(h.lo) and bucket[0] == len(h.lo) - 1:  # the last bucket was partly filled
            first = _combine(h, len(h.lo) - 1, lo[0], hi[0], lo_at[0], hi_at[0])
            lo[0], hi[0], lo_at[0], hi_at[0] = first
            total[0] += h.total[-1]
            finite[0] += h.finite[-1]
            keep = slice(0, len(h.lo) - 1)
        else:
            keep = slice(0, len(h.lo))
        h = History(
            h.width,
            h.end + len(values),
            np.concatenate([h.lo[keep], lo]),
            np.concatenate([h.hi[keep], hi]),
            np.concatenate([h.lo_at[keep], lo_at]),
            np.concatenate([h.hi_at[keep], hi_at]),
            np.concatenate([h.total[keep], total]),
            np.concatenate([h.finite[keep], finite]),
        )
        while len(h.lo) > max_buckets:
            h = h._halved()
        return h

    def _halved(self) -> History:
        """Pairs of buckets merged into one of twice the width (an odd last one stays alone)."""
        n = len(self.lo)
        a, b = np.arange(0, n - 1, 2), np.arange(1, n, 2)
        # A NaN never wins against a number (comparisons with NaN are False).
        take_lo = (self.lo[b] < self.lo[a]) | np.isnan(self.lo[a])
        take_hi = (self.hi[b] > self.hi[a]) | np.isnan(self.hi[a])
        lo = np.where(take_lo, self.lo[b], self.lo[a])
        hi = np.where(take_hi, self.hi[b], self.hi[a])
        lo_at = np.where(take_lo, self.lo_at[b], self.lo_at[a])
        hi_at = np.where(take_hi, self.hi_at[b], self.hi_at[a])
        total = self.total[a] + self.total[b]
        finite = self.finite[a] + self.finite[b]
        if n % 2:
            lo, hi = np.append(lo, self.lo[-1]), np.append(hi, self.hi[-1])
            lo_at, hi_at = np.append(lo_at, self.lo_at[-1]), np.append(hi_at, self.hi_at[-1])
            total, finite = np.append(total, self.total[-1]), np.append(finite, self.finite[-1])
        return History(2 * self.width, self.end, lo, hi, lo_at, hi_at, total, finite)


def _arg_reduce(v: np.ndarray, starts: np.ndarray, op: np.ufunc) -> np.ndarray:
    """Per segment (``starts``), the position of its first extreme under ``op``."""
    ext = op.reduceat(v, starts)
    seg = np.repeat(np.arange(len(starts)), np.diff(np.r_[starts, len(v)]))
    hit = np.flatnonzero(v == ext[seg])
    first = np.searchsorted(seg[hit], np.arange(len(starts)))
    return hit[first]


def _combine(
    h: History, j: int, lo: float, hi: float, lo_at: int, hi_at: int
) -> tuple[float, float, int, int]:
    """Bucket ``j`` of ``h`` merged with a later piece of the same bucket."""
    take_lo = (lo < h.lo[j]) or math.isnan(h.lo[j])
    take_hi = (hi > h.hi[j]) or math.isnan(h.hi[j])
    return (
        lo if take_lo else float(h.lo[j]),
        hi if take_hi else float(h.hi[j]),
        lo_at if take_lo else int(h.lo_at[j]),
        hi_at if take_hi else int(h.hi_at[j]),
    )


class Series:
    """A float64 record of bounded size: the latest values exactly, older ones as buckets.

    ``len`` is the number of values ever appended. Appending is O(1) amortised (a chunk is
    folded into the history once every ``chunk`` appends).
    """

    def __init__(
        self, chunk: int = CHUNK, keep: int = KEEP_CHUNKS, max_buckets: int = MAX_BUCKETS
    ) -> None:
        if chunk < 1 or keep < 2 or max_buckets < 2:
            raise ValueError(
                f"Series: need chunk >= 1, keep >= 2, max_buckets >= 2; "
                f"got {chunk}, {keep}, {max_buckets}"
            )
        self.chunk, self.keep, self.max_buckets = chunk, keep, max_buckets
        self._chunks: list[np.ndarray] = [np.empty(chunk)]
        self._fill = 0  # values in the last chunk
        self._first = 0  # position of the first value held exactly
        self._history = History()
        self._n = 0

    def __len__(self) -> int:
        return self._n

    def append(self, value: float) -> None:
        if self._fill == self.chunk:
            self._chunks.append(np.empty(self.chunk))  # a new one: views of the old stay valid
            self._fill = 0
            if len(self._chunks) > self.keep:
                old = self._chunks.pop(0)
                self._history = self._history.fold(old, self.max_buckets)
                self._first += self.chunk
        self._chunks[-1][self._fill] = value
        self._fill += 1
        self._n += 1

    def copy(self) -> Series:
        """An independent record with the same values (full chunks are shared: never written)."""
        out = Series(self.chunk, self.keep, self.max_buckets)
        out._chunks = [*self._chunks[:-1], self._chunks[-1].copy()]
        out._fill, out._first, out._history, out._n = (
            self._fill,
            self._first,
            self._history,
            self._n,
        )
        return out

    def view(self) -> SeriesView:
        """What the record holds now, frozen (O(chunks); later appends do not show in it)."""
        last = self._chunks[-1][: self._fill]
        last.flags.writeable = False
        parts = tuple(self._chunks[:-1]) + (last,)
        return SeriesView(self._n, self._first, parts, self._history, self.chunk)


class SeriesView:
    """A frozen, read-only look at a :class:`Series` (what a snapshot carries).

    ``len(view)`` is the number of values the series had; positions are 0-based. Integers and
    slices index like an array as long as they fall in the exact window (``first`` on; an
    older position raises IndexError saying so); ``np.asarray(view)`` gives the exact values
    held (all of them for a series shorter than the window). Whole-run questions go to
    :meth:`last`, :meth:`lowest`, :meth:`highest`, :meth:`since` and :meth:`points`, which also read
    the history.
    """

    __slots__ = ("_n", "first", "_parts", "_chunk", "history")

    def __init__(
        self, n: int, first: int, parts: tuple[np.ndarray, ...], history: History, chunk: int
    ) -> None:
        self._n, self.first, self._parts = n, first, parts
        self.history, self._chunk = history, chunk

    @classmethod
    def of(cls, values: Any) -> SeriesView:
        """A view holding ``values`` exactly (shape (n,)), e.g. a record read back from a file."""
        arr = np.array(values, dtype=np.float64).ravel()
        arr.flags.writeable = False
        return cls(len(arr), 0, (arr,), History(), max(len(arr), 1))

    def __len__(self) -> int:
        return self._n

    def _exact(self, begin: int, end: int) -> np.ndarray:
        """Exact values at positions ``begin..end-1`` (``first <= begin``), a new array."""
        if end <= begin:
            return np.empty(0)
        a, b = divmod(begin - self.first, self._chunk)
        c = (end - 1 - self.first) // self._chunk
        out = np.concatenate(self._parts[a : c + 1]) if c > a else self._parts[a].copy()
        return out[b : b + end - begin]

    def recent(self) -> np.ndarray:
        """The exact values held, positions ``first`` to ``len - 1`` (a copy, shape (n,))."""
        return self._exact(self.first, self._n)

    def __array__(self, dtype: Any = None, copy: Any = None) -> np.ndarray:
        out = self.recent()
        return out if dtype is None else out.astype(dtype)

    def __getitem__(self, key: int | slice) -> Any:
        if isinstance(key, slice):
            idx = np.arange(*key.indices(self._n))
            if len(idx) == 0:
                return np.empty(0)
            self._check(int(idx.min()))
            return self.recent()[idx - self.first]
        i = int(key) + (self._n if key < 0 else 0)
        if not 0 <= i < self._n:
            raise IndexError(f"position {key} is outside a series of {self._n} values")
        self._check(i)
        k, r = divmod(i - self.first, self._chunk)
        return float(self._parts[k][r])

    def _check(self, i: int) -> None:
        if i < self.first:
            raise IndexError(
                f"position {i} is no longer held exactly (the series keeps positions "
                f"{self.first}..{self._n - 1}; older ones only as min/max/mean buckets)"
            )

    def last(self) -> float | None:
        """The latest value, None when empty."""
        return self[-1] if self._n else None

    def lowest(self) -> float:
        """The least finite value of the whole series (NaN when there is none)."""
        return _extreme(np.fmin, self.recent(), self.history.lo)

    def highest(self) -> float:
        """The greatest finite value of the whole series (NaN when there is none)."""
        return _extreme(np.fmax, self.recent(), self.history.hi)

    def since(self, start: int) -> tuple[np.ndarray, np.ndarray]:
        """``(positions, values)`` from position ``start`` on: the exact values held and, for
        the part only the history covers, each bucket's min and max at their positions."""
        h = self.history
        start = max(start, 0)
        pos, val = [_EMPTY_I], [_EMPTY_F]
        if start < self.first and len(h.lo):
            j = start // h.width
            at = np.concatenate([h.lo_at[j:], h.hi_at[j:]])
            v = np.concatenate([h.lo[j:], h.hi[j:]])
            order = np.argsort(at, kind="stable")
            at, v = at[order], v[order]
            keep = np.r_[True, np.diff(at) > 0] & (at >= start)
            pos.append(at[keep])
            val.append(v[keep])
        begin = max(start, self.first)
        if begin < self._n:
            pos.append(np.arange(begin, self._n, dtype=np.int64))
            val.append(self._exact(begin, self._n))
        return np.concatenate(pos), np.concatenate(val)

    def points(self) -> tuple[np.ndarray, np.ndarray]:
        """``(positions, values)`` spanning the whole series at bounded size: each history
        bucket's mean at its centre, then the exact values held."""
        h = self.history
        start = np.arange(len(h.lo)) * h.width
        centre = (start + np.minimum(start + h.width, h.end) - 1) / 2  # the last may be short
        return (
            np.concatenate([centre, np.arange(self.first, self._n, dtype=np.float64)]),
            np.concatenate([h.mean, self.recent()]),
        )


def _extreme(op: np.ufunc, recent: np.ndarray, buckets: np.ndarray) -> float:
    values = np.concatenate([recent, buckets])
    values = values[np.isfinite(values)]
    return float(op.reduce(values)) if len(values) else math.nan
