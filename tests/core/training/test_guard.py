"""The divergence guard on its own: when it fires, and which checkpoint it would go back to."""

from __future__ import annotations

import math

import numpy as np

from neurocanvas.core.training.guard import DivergenceGuard


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
