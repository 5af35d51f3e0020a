"""Learning-rate range test: which learning rate makes this model learn fastest right now.

Leslie N. Smith, "Cyclical Learning Rates for Training Neural Networks" (2017), section 3.3,
as fastai's ``Learner.lr_find`` runs it: from the current weights, train a few hundred
mini-batch steps while the learning rate grows exponentially from ``start_lr`` to
``end_lr``; record the loss, smoothed by a debiased exponential moving average (fastai's
``beta = 0.98``), and stop once the smoothed loss exceeds ``diverge_factor`` (4) times the
best so far. The suggestion is the learning rate where the smoothed loss falls fastest
against log(lr) before its minimum (fastai's original ``suggestion``: the steepest point).
Afterwards the weights (and buffers such as BatchNorm's running statistics) are put back
exactly as they were; the optimizer used for the test is a fresh one of the run's kind, so
a running training's optimizer state is never touched.
"""

from __future__ import annotations

import math
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from neurocanvas.core import nn
from neurocanvas.core.network.compiler import loss_targets, make_loss
from neurocanvas.core.tensor import Tensor
from neurocanvas.core.training.control import TrainingConfig, make_optimizer

__all__ = ["LRFindResult", "LRFinder", "lr_find", "suggest_lr"]

SKIP_START = 10  # fastai's plot(skip_start=10): the first smoothed points are mostly noise
SLOPE_SPAN = 0.5  # decades of lr each slope is measured across


@dataclass
class LRFindResult:
    """What the range test saw, in plain numpy (safe to hand to the GUI thread).

    ``lrs``, ``losses`` (smoothed) and ``raw_losses`` have one entry per step taken;
    ``suggestion`` is None when the curve never fell (then no learning rate in the range
    helps); ``state`` is ``"finished"``, ``"diverged"`` (the loss blew up: the normal end)
    or ``"stopped"``.
    """

    lrs: np.ndarray
    losses: np.ndarray
    raw_losses: np.ndarray
    suggestion: float | None
    min_loss_lr: float | None
    state: str
    steps: int
    total_steps: int

    @property
    def message(self) -> str:
        if self.suggestion is None:
            return "The loss did not fall for any learning rate tried; check the network."
        return (
            f"Suggested learning rate {self.suggestion:.2g}: where the loss fell fastest "
            f"(lowest loss at {self.min_loss_lr:.2g})."
        )


def suggest_lr(
    lrs: np.ndarray, losses: np.ndarray, skip_start: int = SKIP_START, span: float = SLOPE_SPAN
) -> float | None:
    """The lr of steepest descent of ``losses`` against log10(``lrs``) before their minimum.

    The slope at each point is taken across ``span`` decades of lr (a central difference
    over the points that far either side) rather than between neighbours: a few hundred
    points over seven decades lie so close that batch noise in the smoothed loss would
    otherwise outweigh the real descent. The first ``skip_start`` points are left out when
    enough remain. None when too few points precede the minimum or the loss never falls.
    """
    lrs, losses = np.asarray(lrs, float), np.asarray(losses, float)
    finite = np.isfinite(losses)
    if finite.sum() < 3:
        return None
    end = int(np.nanargmin(np.where(finite, losses, np.nan))) + 1
    start = skip_start if end - skip_start >= 3 else 0
    if end - start < 3:
        return None
    logs = np.log10(lrs)
    per_decade = (len(logs) - 1) / max(logs[-1] - logs[0], 1e-12)
    half = max(1, int(round(per_decade * span / 2)))
    idx = np.arange(start, end)
    lo = np.clip(idx - half, start, end - 1)
    hi = np.clip(idx + half, start, end - 1)
    slope = (losses[hi] - losses[lo]) / np.maximum(logs[hi] - logs[lo], 1e-12)
    best = int(np.argmin(slope))
    if not slope[best] < 0:
        return None
    return float(lrs[idx[best]])


class LRFinder:
    """Runs the range test on ``model`` with ``dataset``'s training rows.

    Parameters
    ----------
    model
        Usually a compiled ``GraphModule`` (its ``loss_kind`` picks the loss; otherwise MSE
        for regression, cross-entropy for classification).
    dataset
        A ``core.datasets.Dataset`` (``x_train``, ``y_train``, ``kind``).
    config
        Optimizer kind, momentum, weight decay, batch size and seed of the test.
    start_lr, end_lr, num_iter
        The range, 1e-6 to 10 by default (the issue's; fastai starts at 1e-7), over
        ``num_iter`` steps.
    beta, diverge_factor
        Smoothing of the loss and the early-stop rule (fastai's 0.98 and 4).

    :meth:`run` blocks; :meth:`stop` (from any thread) ends it after the current step.
    Raises ``ValueError`` for a range that is not ``0 < start_lr < end_lr`` or fewer than
    5 steps, and for a data set without training rows.
    """

    def __init__(
        self,
        model: nn.Module,
        dataset: Any,
        config: TrainingConfig | None = None,
        start_lr: float = 1e-6,
        end_lr: float = 10.0,
        num_iter: int = 200,
        beta: float = 0.98,
        diverge_factor: float = 4.0,
    ) -> None:
        if not (0 < start_lr < end_lr and math.isfinite(end_lr)):
            raise ValueError(f"the lr range must satisfy 0 < start < end, got {start_lr}..{end_lr}")
        if int(num_iter) < 5:
            raise ValueError(f"the range test needs at least 5 steps, got {num_iter}")
        if len(dataset.x_train) == 0:
            raise ValueError(f"data set {getattr(dataset, 'name', '?')!r} has no training rows")
        self.model = model
        self.dataset = dataset
        self.config = (config or TrainingConfig()).validate()
        self.start_lr, self.end_lr = float(start_lr), float(end_lr)
        self.num_iter = int(num_iter)
        self.beta = float(beta)
        self.diverge_factor = float(diverge_factor)
        default = "cross_entropy" if dataset.kind == "classification" else "mse"
        self.loss_kind: str = getattr(model, "loss_kind", None) or default
        self._stop = threading.Event()

    def stop(self) -> None:
        self._stop.set()

    @property
    def stopped(self) -> bool:
        return self._stop.is_set()

    def lr_at(self, i: int) -> float:
        """The learning rate of step ``i`` (0-based): exponential from start to end."""
        return self.start_lr * (self.end_lr / self.start_lr) ** (i / (self.num_iter - 1))

    def run(self, callback: Callable[[LRFindResult], None] | None = None) -> LRFindResult:
        """Run the test, restore the weights, return the result (also handed to ``callback``,
        which additionally receives a partial result every 10 steps)."""
        model = self.model
        saved = {k: np.array(v, copy=True) for k, v in model.state_dict().items()}
        was_training = model.training
        params = list(model.parameters())
        saved_grads = [p.grad for p in params]
        device = str(params[0].device) if params else "cpu"
        loss_fn = make_loss(self.loss_kind)
        x_all = np.asarray(self.dataset.x_train)
        y_all = loss_targets(self.loss_kind, np.asarray(self.dataset.y_train))
        rng = np.random.default_rng(self.config.seed)
        bs = min(self.config.batch_size, len(x_all))
        optimizer = make_optimizer(params, self.config.to_dict())  # a fresh one, the run's kind
        lrs: list[float] = []
        raw: list[float] = []
        smooth: list[float] = []
        state, avg, best = "finished", 0.0, math.inf
        order, cursor = rng.permutation(len(x_all)), 0
        model.train()
        try:
            with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
                for i in range(self.num_iter):
                    if self._stop.is_set():
                        state = "stopped"
                        break
                    if cursor + bs > len(order):
                        order, cursor = rng.permutation(len(x_all)), 0
                    idx = order[cursor : cursor + bs]
                    cursor += bs
                    lr = self.lr_at(i)
                    for group in optimizer.param_groups:
                        group["lr"] = lr
                    optimizer.zero_grad()
                    out = model(Tensor(x_all[idx], device=device))
                    loss = loss_fn(out, Tensor(y_all[idx], device=device))
                    value = float(loss.item())
                    avg = self.beta * avg + (1 - self.beta) * value
                    smoothed = avg / (1 - self.beta ** (i + 1))
                    lrs.append(lr)
                    raw.append(value)
                    smooth.append(smoothed)
                    if not math.isfinite(smoothed) or (
                        i > 0 and smoothed > self.diverge_factor * best
                    ):
                        state = "diverged"
                        break
                    best = min(best, smoothed)
                    loss.backward()
                    optimizer.step()
                    if callback is not None and i % 10 == 9:
                        callback(self._result(lrs, smooth, raw, "running"))
        finally:
            model.load_state_dict(saved)
            for p, g in zip(params, saved_grads, strict=True):
                p.grad = g
            model.train(was_training)
        result = self._result(lrs, smooth, raw, state)
        if callback is not None:
            callback(result)
        return result

    def _result(
        self, lrs: list[float], smooth: list[float], raw: list[float], state: str
    ) -> LRFindResult:
        lr_arr, sm = np.array(lrs), np.array(smooth)
        # the step that tripped the divergence rule is shown, but not searched
        search = len(sm) - 1 if state == "diverged" else len(sm)
        suggestion = suggest_lr(lr_arr[:search], sm[:search]) if state != "running" else None
        finite = np.isfinite(sm[:search])
        min_lr = (
            float(lr_arr[:search][np.nanargmin(np.where(finite, sm[:search], np.nan))])
            if finite.any()
            else None
        )
        return LRFindResult(
            lrs=lr_arr,
            losses=sm,
            raw_losses=np.array(raw),
            suggestion=suggestion,
            min_loss_lr=min_lr,
            state=state,
            steps=len(lrs),
            total_steps=self.num_iter,
        )


def lr_find(
    model: nn.Module, dataset: Any, config: TrainingConfig | None = None, **kwargs: Any
) -> LRFindResult:
    """Run :class:`LRFinder` once and return its result (the keyword arguments are its own)."""
    return LRFinder(model, dataset, config, **kwargs).run()
