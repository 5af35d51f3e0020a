"""Histograms of weights, gradients and activations over the run, and the update ratio.

What TensorBoard's histogram dashboard shows, kept per layer so the GUI can draw the selected
layer's history as a heat map (steps across, values up). With each record goes the
update-to-weight ratio ``||w_after - w_before|| / ||w_before||`` of the step, the number
Karpathy's "A Recipe for Training Neural Networks" (and CS231n's notes) says to watch:
around 1e-3 is healthy, much lower learns slowly, much higher is unstable. It is measured
from the weights themselves, so it holds for any optimizer (Adam's step is not lr * grad).
"""

from __future__ import annotations

import math
import time
from typing import Any

import numpy as np

from neurocanvas.core.backend import to_numpy
from neurocanvas.core.training.probes import Probe, StepContext
from neurocanvas.core.training.probes.capture import Capture, model_layers

__all__ = ["KINDS", "HistogramProbe", "heat_map", "histogram"]

KINDS: tuple[str, ...] = ("weights", "grads", "acts")


def histogram(arr: Any, bins: int) -> dict[str, Any] | None:
    """``{"lo", "hi", "counts"}`` of the finite values of ``arr`` (None when there are none)."""
    values = to_numpy(arr).ravel().astype(np.float64)
    values = values[np.isfinite(values)]
    if values.size == 0:
        return None
    lo, hi = float(values.min()), float(values.max())
    # a range too narrow for ``bins`` distinct float64 edges (all outputs of a saturated
    # sigmoid at 1.0, a constant bias): widen it around its centre
    if not hi - lo > 1e-9 * max(abs(lo), abs(hi), 1e-12) * bins:
        pad = max(abs(lo), abs(hi)) * 1e-6 or 1e-6
        lo, hi = lo - pad, hi + pad
    counts, _ = np.histogram(values, bins=bins, range=(lo, hi))
    return {"lo": lo, "hi": hi, "counts": counts.astype(np.int64)}


def heat_map(records: list[dict[str, Any]], kind: str, rows: int = 48) -> dict[str, Any] | None:
    """One image of a layer's histograms over steps: ``{"image", "lo", "hi", "steps"}``.

    ``image`` is (len(records), rows): column per record in step order, row per value bin on
    one shared range [lo, hi] (each record's counts re-binned there by bin centre), scaled
    so each column sums to 1. None when no record has a histogram of ``kind``.
    """
    hists: list[tuple[int, dict[str, Any]]] = [
        (r["step"], r[kind]) for r in records if r.get(kind) is not None
    ]
    if not hists:
        return None
    lo = min(h["lo"] for _, h in hists)
    hi = max(h["hi"] for _, h in hists)
    image = np.zeros((len(hists), rows))
    for i, (_, h) in enumerate(hists):
        counts = np.asarray(h["counts"], dtype=np.float64)
        width = (h["hi"] - h["lo"]) / len(counts)
        centres = h["lo"] + width * (np.arange(len(counts)) + 0.5)
        column, _ = np.histogram(centres, bins=rows, range=(lo, hi), weights=counts)
        total = column.sum()
        image[i] = column / total if total > 0 else column
    return {"image": image, "lo": lo, "hi": hi, "steps": np.array([s for s, _ in hists])}


class HistogramProbe(Probe):
    """Every few steps, per layer: histograms of weights, weight gradients and outputs.

    ``collect`` returns ``{key: [record, ...]}`` with every record of the run so far (at
    most ``max_records`` per layer: when full, every other one is dropped and the spacing
    doubles, so the history always spans the whole run). A record is ``{"step", "weights",
    "grads", "acts"}`` (each a :func:`histogram` or None) plus ``"update_ratio"`` (None for
    layers without a weight). Records are never changed once made, so the lists may be
    handed to another thread.
    """

    name = "histograms"

    def __init__(
        self,
        bins: int = 32,
        every: int = 10,
        min_interval_s: float = 0.25,
        max_records: int = 120,
    ) -> None:
        self.bins = int(bins)
        self.every = max(1, int(every))
        self.min_interval_s = float(min_interval_s)
        self.max_records = max(2, int(max_records))
        self._stride = self.every
        self._capture: Capture | None = None
        self._before: dict[str, np.ndarray] = {}
        self._pending: dict[str, dict[str, Any]] = {}
        self._records: dict[str, list[dict[str, Any]]] = {}
        self._last_step = -(10**9)
        self._last_time = -math.inf

    def reset(self) -> None:
        self._drop_capture()
        self._stride = self.every
        self._records = {}
        self._pending = {}
        self._last_step = -(10**9)
        self._last_time = -math.inf

    def _drop_capture(self) -> None:
        if self._capture is not None:
            self._capture.remove()
            self._capture = None

    def wants(self, step: int) -> bool:
        if self._capture is not None:
            self._drop_capture()
        if step - self._last_step < self._stride:
            return False
        return time.perf_counter() - self._last_time >= self.min_interval_s

    def before_forward(self, ctx: StepContext) -> None:
        self._drop_capture()
        self._last_step, self._last_time = ctx.step, time.perf_counter()
        layers = model_layers(ctx.model)
        self._capture = Capture(layers)
        self._before = {
            key: to_numpy(weight.array, copy=True)
            for key, m in layers
            if (weight := getattr(m, "weight", None)) is not None
        }

    def after_backward(self, ctx: StepContext) -> None:
        cap = self._capture
        if cap is None:
            return
        self._drop_capture()
        self._pending = {}
        for key, module in cap.layers:
            weight = getattr(module, "weight", None)
            grad = None if weight is None or weight.grad is None else weight.grad.array
            out = cap.outputs.get(key)
            self._pending[key] = {
                "step": int(ctx.step),
                "grads": None if grad is None else histogram(grad, self.bins),
                "acts": None if out is None else histogram(out, self.bins),
            }

    def collect(self, ctx: StepContext) -> Any:
        self._drop_capture()
        if not self._pending:
            return None
        layers = dict(model_layers(ctx.model))
        for key, record in self._pending.items():
            module = layers.get(key)
            weight = getattr(module, "weight", None)
            record["weights"] = None
            record["update_ratio"] = None
            if weight is not None:
                after = to_numpy(weight.array)
                record["weights"] = histogram(after, self.bins)
                before = self._before.get(key)
                if before is not None and before.shape == after.shape:
                    scale = float(np.linalg.norm(before))
                    change = float(np.linalg.norm(after - before))
                    record["update_ratio"] = change / scale if scale > 0 else None
            self._records.setdefault(key, []).append(record)
        self._pending = {}
        if any(len(r) > self.max_records for r in self._records.values()):
            self._records = {k: r[::2] for k, r in self._records.items()}
            self._stride *= 2
        return {k: list(r) for k, r in self._records.items()}
