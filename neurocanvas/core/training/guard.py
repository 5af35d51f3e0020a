"""The divergence guard and the checkpoints it restores.

Divergence rule
---------------
A step's loss diverges when it is NaN or infinite, or when, after a warm-up of
``WARMUP_STEPS`` steps, the smoothed loss (an exponential moving average of the step losses,
weight ``EMA_WEIGHT`` on the newest) exceeds both ``EXPLODE_FACTOR`` (1000) times
``max(best smoothed loss so far, reference loss)`` and the first loss seen, and either stays
above that limit for ``PATIENCE_STEPS`` (50) steps in a row or jumps past ``BLOWUP_FACTOR``
(1e6) times the same scale. The reference loss is
what a model that learnt nothing scores on this data (the targets' variance for MSE, log K for
cross-entropy: :func:`metrics.reference_loss`). Without it, a converged fit (best ~1e-5)
continued with an optimizer whose moments start afresh looked like an explosion as soon as
one step lifted the loss to 0.05; with it, only a loss a thousand times worse than knowing
nothing counts, while a real explosion (1e10 and growing) still trips on the step it happens.
Smoothing keeps one unlucky batch from counting.

Why a patience: a learning rate that is too high but not hopeless spikes and then settles. The
tutorials' learning-rate experiment (general-fit, Adam: lr 0.01 fits, 1 misbehaves, 10 diverges)
measured in PyTorch 2.13 with the same network: at lr 1 the step loss rises from 0.7 to ~1e3 for
about 20 steps, then settles near 0.5 (a bad, flat fit: "misbehaves", worth watching); at lr 10
it reaches ~1e8 within 5 steps and stays above 1e3 for over 1,000 steps ("won't go anywhere").
Stopping lr 1 at its first spike hid the very behaviour the experiment is about. While the
loss is above the limit the run counts as diverging (no checkpoint taken then is good), so
waiting never puts worse weights back.

Checkpoints
-----------
A :class:`Checkpoint` is a copy of the weights with *their* loss, measured on a fixed check set
when it is taken. It is *good* when every weight and that loss are finite and the guard did not
consider the run diverging at the time. :meth:`DivergenceGuard.best` is the good checkpoint with
the lowest loss: restoring it never brings back weights that were already broken or on their
way up, and never anything worse than the best the run has seen.

Policies (what a divergence does; chosen by the person)
-------------------------------------------------------
``"stop"``: restore the best checkpoint and end the run. ``"pause"``: restore it and pause, so the
learning rate can be lowered before resuming. ``"continue"``: note the step and keep training, to
watch the loss blow up; only a non-finite loss ends the run then (nothing can be learnt from NaN
weights), with the best checkpoint restored.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

POLICIES: tuple[str, ...] = ("stop", "pause", "continue")
WARMUP_STEPS = 10
EXPLODE_FACTOR = 1e3
BLOWUP_FACTOR = 1e6
PATIENCE_STEPS = 50
EMA_WEIGHT = 0.1


def all_finite(state: dict[str, np.ndarray]) -> bool:
    """Whether every floating-point array in ``state`` holds only finite values."""
    return all(np.isfinite(v).all() for v in state.values() if np.asarray(v).dtype.kind in "fc")


def check_policy(policy: str) -> str:
    if policy not in POLICIES:
        raise ValueError(f"divergence policy must be one of {', '.join(POLICIES)}, got {policy!r}")
    return policy


@dataclass
class Checkpoint:
    """Weights (numpy copies) at ``step`` and their loss on the guard's check set."""

    step: int
    state: dict[str, np.ndarray]
    loss: float
    good: bool


class DivergenceGuard:
    """Watches step losses and keeps the checkpoints a divergence falls back to.

    Parameters
    ----------
    policy : {"stop", "pause", "continue"}
        What the loop does when the guard fires (see the module docstring).
    reference_loss : float
        The loss of a model that learnt nothing on this data (>= 0).
    """

    def __init__(self, policy: str = "stop", reference_loss: float = 0.0) -> None:
        self.policy = check_policy(policy)
        self.reference_loss = float(reference_loss) if math.isfinite(reference_loss) else 0.0
        self._best: Checkpoint | None = None
        self.latest: Checkpoint | None = None
        self.restart()

    def restart(self) -> None:
        """Forget the loss history (new weights, new model or a restore); checkpoints stay."""
        self._seen = 0
        self._first: float | None = None
        self.ema = math.nan
        self.best_ema = math.inf
        self.diverging = False
        self._above = 0  # steps in a row with the smoothed loss past the limit

    def forget_checkpoints(self) -> None:
        """Drop every checkpoint (they belong to another model)."""
        self._best = None
        self.latest = None

    @property
    def _scale(self) -> float:
        return max(self.best_ema, self.reference_loss)

    @property
    def limit(self) -> float:
        """The smoothed loss above which the run counts as diverging."""
        return max(EXPLODE_FACTOR * self._scale, self._first if self._first is not None else 0.0)

    def watch(self, loss: float) -> str | None:
        """Feed one step's loss; return a plain reason when the run is diverging, else None."""
        if not math.isfinite(loss):
            self.diverging = True
            return f"the loss became {loss}"
        self._seen += 1
        if self._first is None:
            self._first = self.ema = loss
        self.ema = (1 - EMA_WEIGHT) * self.ema + EMA_WEIGHT * loss
        if self._seen > WARMUP_STEPS and self.ema > self.limit:
            self.diverging = True
            self._above += 1
            if self.ema > BLOWUP_FACTOR * self._scale:
                return (
                    f"the smoothed loss {self.ema:.3g} jumped past {BLOWUP_FACTOR:g} times "
                    f"the best so far ({self.best_ema:.3g})"
                )
            if self._above >= PATIENCE_STEPS:
                return (
                    f"the smoothed loss {self.ema:.3g} stayed over {EXPLODE_FACTOR:g} times the "
                    f"best so far ({self.best_ema:.3g}) for {self._above} steps"
                )
            return None
        self.best_ema = min(self.best_ema, self.ema)
        self.diverging = False
        self._above = 0
        return None

    def record(self, step: int, state: dict[str, np.ndarray], loss: float) -> Checkpoint:
        """Keep ``state`` (already a copy) taken at ``step`` with its measured ``loss``."""
        good = math.isfinite(loss) and not self.diverging and all_finite(state)
        ckpt = Checkpoint(step=step, state=state, loss=float(loss), good=good)
        self.latest = ckpt
        if good and (self._best is None or ckpt.loss <= self._best.loss):
            self._best = ckpt
        return ckpt

    def best(self) -> Checkpoint | None:
        """The good checkpoint with the lowest loss, or None when there is none."""
        return self._best


def describe_divergence(
    step: int, lr: float, reason: str, restored: Checkpoint | None, policy: str
) -> str:
    """The plain-words message for a divergence: what happened, what was done, what to try."""
    what = f"Training diverged at step {step} with lr {lr:g}: {reason}."
    if restored is None:
        back = "No checkpoint was good enough to go back to."
    else:
        back = (
            f"Put back the weights from step {restored.step} (their loss {restored.loss:.3g}, "
            "the best checkpoint)."
        )
    if policy == "pause":
        return f"{what} {back} Paused: lower the learning rate, then resume."
    return f"{what} {back} Try a smaller learning rate, such as {lr / 10:g}."
