"""The divergence guard on its own: when it fires, and which checkpoint it would go back to."""

from __future__ import annotations

import math

import numpy as np

from neurocanvas.core.training.guard import PATIENCE_STEPS, DivergenceGuard


def state(value: float) -> dict[str, np.ndarray]:
    return {"w": np.full((2, 2), value, dtype=np.float32), "n": np.array(3)}


def test_one_loss_spike_after_a_near_perfect_fit_is_not_divergence_but_an_explosion_is():
    guard = DivergenceGuard()
    for i in range(30):
        assert guard.watch(1.0 * 0.6**i) is None  # falls to ~2e-7
    assert guard.watch(1.2) is None  # one unlucky batch, above the first loss
    reason = guard.watch(1e10)
    assert reason is not None and "smoothed loss" in reason


def test_continuing_from_converged_weights_with_a_bump_is_not_divergence():
    # A converged fit (1e-5) continued with fresh Adam moments jumps to ~0.05 for a while:
    # far below the loss of knowing nothing (0.5 here), so it is not an explosion.
    guard = DivergenceGuard(reference_loss=0.5)
    losses = [1e-5] * 3 + [0.05] * 40 + [1e-3] * 20
    assert all(guard.watch(v) is None for v in losses)


def test_a_non_finite_loss_diverges_at_once():
    guard = DivergenceGuard()
    assert guard.watch(math.inf) == "the loss became inf"
    assert guard.diverging


def test_best_is_the_lowest_loss_good_checkpoint_never_a_broken_or_diverging_one():
    guard = DivergenceGuard(reference_loss=1.0)
    guard.record(0, state(0.1), 2.0)
    guard.record(50, state(0.2), 0.5)
    guard.record(100, state(0.3), 0.8)  # later but worse
    broken = guard.record(150, state(math.nan), 0.1)  # a low loss cannot save NaN weights
    assert not broken.good
    for _ in range(5):
        guard.watch(1.0)
    for _ in range(12):
        guard.watch(1e9)  # the run is exploding now
    diverging = guard.record(200, state(0.4), 0.01)
    assert not diverging.good
    best = guard.best()
    assert best is not None and best.step == 50 and best.loss == 0.5


def test_a_checkpoint_with_a_non_finite_loss_is_not_good():
    guard = DivergenceGuard()
    assert not guard.record(0, state(1.0), math.inf).good
    assert guard.best() is None


def test_forgetting_checkpoints_leaves_nothing_to_restore():
    guard = DivergenceGuard()
    guard.record(0, state(1.0), 1.0)
    guard.forget_checkpoints()
    assert guard.best() is None and guard.latest is None


def test_a_spike_that_settles_within_the_patience_is_watched_not_stopped():
    # The shape of Adam at lr 1 on general-fit: ~1e3 for about 20 steps, then a poor fit.
    guard = DivergenceGuard(reference_loss=0.5)
    losses = [0.7] * 5 + [0.4] * 10 + [800.0] * 20 + [0.5] * 60
    reasons = [guard.watch(v) for v in losses]
    assert reasons == [None] * len(losses)
    assert not guard.diverging


def test_checkpoints_taken_during_a_spike_are_not_good():
    guard = DivergenceGuard(reference_loss=0.5)
    guard.record(0, state(0.1), 0.6)
    for v in [0.6] * 12 + [5_000.0] * 10:
        assert guard.watch(v) is None
    assert guard.diverging  # past the limit, still within the patience
    assert not guard.record(20, state(0.2), 0.3).good
    best = guard.best()
    assert best is not None and best.step == 0


def test_a_loss_that_stays_past_the_limit_diverges_after_the_patience():
    guard = DivergenceGuard(reference_loss=0.5)
    for v in [0.6] * 12:
        guard.watch(v)
    reasons = [guard.watch(5_000.0) for _ in range(PATIENCE_STEPS + 10)]
    first = next(i for i, r in enumerate(reasons) if r is not None)
    # the smoothed loss needs a few steps to cross 1000 x 0.6; then PATIENCE_STEPS in a row
    assert PATIENCE_STEPS <= first < PATIENCE_STEPS + 10
    assert "stayed over" in reasons[first] and f"for {PATIENCE_STEPS} steps" in reasons[first]


def test_a_millionfold_jump_diverges_without_waiting():
    guard = DivergenceGuard(reference_loss=0.5)
    for v in [0.6] * 12:
        guard.watch(v)
    assert guard.watch(1e4) is None  # smoothed ~1e3: past the limit, inside the patience
    reason = guard.watch(1e9)
    assert reason is not None and "jumped past" in reason
