"""The trainer's bounded records: exact recent values, extremes kept, memory flat."""

from __future__ import annotations

import math

import numpy as np
import pytest

from neurocanvas.core.training.series import Series, SeriesView


def filled(values: np.ndarray, **kwargs: int) -> Series:
    s = Series(**kwargs)
    for v in values:
        s.append(float(v))
    return s


def held_bytes(s: Series) -> int:
    """Bytes of the arrays the record holds (its exact chunks and its history)."""
    v = s.view()
    h = v.history
    parts = sum(p.base.nbytes if p.base is not None else p.nbytes for p in v._parts)
    return parts + sum(a.nbytes for a in (h.lo, h.hi, h.lo_at, h.hi_at, h.total, h.finite))


def test_a_short_series_is_held_exactly_and_reads_like_an_array():
    y = np.arange(10, dtype=float) ** 2
    view = filled(y, chunk=4).view()
    assert len(view) == 10 and view.first == 0
    np.testing.assert_array_equal(np.asarray(view), y)
    assert view[0] == 0.0 and view[-1] == 81.0 and view[3] == 9.0
    np.testing.assert_array_equal(view[-3:], y[-3:])
    np.testing.assert_array_equal(view[2:9:3], y[2:9:3])
    assert view.last() == 81.0 and view.lowest() == 0.0 and view.highest() == 81.0


def test_memory_stays_bounded_after_many_appends():
    s = Series(chunk=256, keep=4, max_buckets=64)
    rng = np.random.default_rng(0)
    sizes = []
    for n in (10_000, 100_000, 300_000):
        for v in rng.normal(size=n - len(s)):
            s.append(float(v))
        sizes.append(held_bytes(s))
    assert len(s) == 300_000
    bound = 4 * 256 * 8 + 64 * 6 * 8
    assert max(sizes) <= bound  # 30 times the values, never more than the bound
    assert len(s.view().history.lo) <= 64


def test_the_last_values_are_exact_and_older_ones_raise_a_clear_error():
    y = np.random.default_rng(1).normal(size=5000)
    view = filled(y, chunk=100, keep=3, max_buckets=16).view()
    assert 200 <= len(view) - view.first <= 300
    np.testing.assert_array_equal(view.recent(), y[view.first :])
    np.testing.assert_array_equal(view[-150:], y[-150:])
    assert view[4999] == y[4999] and view.last() == y[-1]
    with pytest.raises(IndexError, match="no longer held exactly"):
        view[10]
    with pytest.raises(IndexError, match="outside"):
        view[5000]


def test_the_history_keeps_every_extreme_and_the_mean_at_any_width():
    rng = np.random.default_rng(2)
    y = rng.normal(size=50_000)
    y[123] = 40.0  # spikes long gone from the exact window must survive in the buckets
    y[30_001] = -35.0
    s = filled(y, chunk=512, keep=2, max_buckets=32)
    view = s.view()
    h = view.history
    assert h.width > 512 and h.end == view.first
    assert view.highest() == 40.0 and view.lowest() == -35.0
    for j in range(len(h.lo)):  # each bucket is exactly the min, max and mean of its values
        part = y[j * h.width : min((j + 1) * h.width, h.end)]
        assert h.lo[j] == part.min() and y[h.lo_at[j]] == h.lo[j]
        assert h.hi[j] == part.max() and y[h.hi_at[j]] == h.hi[j]
        assert h.mean[j] == pytest.approx(part.mean())


def test_since_gives_exact_values_and_bucket_extremes_for_the_rest():
    y = np.random.default_rng(3).normal(size=3000)
    view = filled(y, chunk=100, keep=2, max_buckets=8).view()
    pos, values = view.since(2950)
    np.testing.assert_array_equal(pos, np.arange(2950, 3000))
    np.testing.assert_array_equal(values, y[2950:])
    pos, values = view.since(0)  # a reader that fell behind: the buckets' extremes first
    assert np.all(np.diff(pos) > 0)
    np.testing.assert_array_equal(values, y[pos])  # every point a real value at its position
    assert values.max() == y.max() and values.min() == y.min()
    assert len(pos) <= 2 * 8 + (len(view) - view.first)


def test_nan_shows_in_a_bucket_only_when_the_whole_bucket_is_nan():
    y = np.ones(4096)
    y[10:12] = np.nan  # a gap inside a bucket: its numbers win
    y[1024:2048] = np.nan  # whole buckets of NaN stay a gap
    view = filled(y, chunk=256, keep=2, max_buckets=8).view()
    h = view.history
    assert h.width == 512
    assert np.isfinite(h.lo[0]) and math.isnan(h.lo[2]) and math.isnan(h.hi[3])
    assert h.mean[0] == 1.0 and math.isnan(h.mean[2])
    assert view.lowest() == 1.0


def test_views_are_frozen_while_the_series_goes_on():
    s = filled(np.arange(250, dtype=float), chunk=100, keep=3)
    view = s.view()
    for v in range(250, 1000):
        s.append(float(v))
    assert len(view) == 250 and view.last() == 249.0
    np.testing.assert_array_equal(np.asarray(view), np.arange(250.0))
    with pytest.raises(TypeError):
        view[0] = 1.0  # type: ignore[index]
    with pytest.raises(ValueError):
        np.asarray(view._parts[-1])[0] = 1.0  # the current chunk's view is read-only


def test_a_copy_goes_on_independently():
    s = filled(np.arange(300, dtype=float), chunk=100, keep=2)
    c = s.copy()
    c.append(-1.0)
    s.append(7.0)
    assert c.view().last() == -1.0 and s.view().last() == 7.0 and len(c) == len(s) == 301


def test_points_span_the_whole_run_at_bounded_size():
    y = np.linspace(0.0, 1.0, 100_000)
    view = filled(y, chunk=1000, keep=2, max_buckets=16).view()
    pos, values = view.points()
    assert pos[0] < 10_000 and pos[-1] == 99_999 and len(pos) <= 16 + 2000
    assert np.all(np.diff(pos) > 0)
    np.testing.assert_allclose(values, y[np.round(pos).astype(int)], atol=1e-4)


def test_a_view_of_plain_values_is_exact():
    view = SeriesView.of([1.0, 2.0, 3.0])
    assert len(view) == 3 and view[1] == 2.0 and view.last() == 3.0


def test_bad_sizes_are_refused_with_a_clear_message():
    with pytest.raises(ValueError, match="keep >= 2"):
        Series(chunk=10, keep=1)
