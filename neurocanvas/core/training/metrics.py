"""What a run measures: per-epoch loss and accuracy, validation, confusion, the fit.

The per-step and per-epoch records themselves are :mod:`.series`. Everything here returns
plain numpy, so results can cross to the GUI thread. The decision rule that turns outputs into
class ids (:func:`predict_labels`) is the model's real one, from
:mod:`neurocanvas.core.network.decision`: it follows the loss *and* the last layer (a Sigmoid
before ``bce`` gives probabilities, thresholded at 0.5, not logits thresholded at 0).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import numpy as np

from neurocanvas.core import nn
from neurocanvas.core.network import decision
from neurocanvas.core.tensor import Tensor, no_grad

FIT_POINTS_1D = 200
FIT_GRID_2D = 80
N_SAMPLE_PREDICTIONS = 8
EVAL_CHUNK = 1024

ToTensor = Callable[[np.ndarray], Tensor]


def labels_from_targets(y: np.ndarray) -> np.ndarray:
    """Class ids from classification targets (int ids, or BCE's float column), shape (N,)."""
    y = np.asarray(y)
    if y.dtype.kind == "f":
        return (y.reshape(len(y), -1)[:, 0] > 0.5).astype(np.int64)
    return y.reshape(-1).astype(np.int64)


def predict_labels(
    outputs: np.ndarray, loss_kind: str, last_layer: str | None = None
) -> np.ndarray:
    """Class ids (N,) from model outputs (N, ...); ``last_layer``: the type of the layer
    feeding the Output (``decision.last_activation(model)``), None for logits."""
    return decision.predict_labels(outputs, loss_kind, last_layer)


def softmax(z: np.ndarray) -> np.ndarray:
    z = z - z.max(axis=-1, keepdims=True)
    e = np.exp(z)
    return e / e.sum(axis=-1, keepdims=True)


def probabilities(outputs: np.ndarray, loss_kind: str, last_layer: str | None = None) -> np.ndarray:
    """Class probabilities (N, K) from outputs (BCE: K = 2), whatever the last layer."""
    return decision.class_probabilities(outputs, loss_kind, last_layer)


def confusion_matrix(true: np.ndarray, pred: np.ndarray, n_classes: int) -> np.ndarray:
    """(K, K) counts, rows the true class and columns the predicted one (sklearn's layout)."""
    k = max(int(n_classes), 2)
    conf = np.zeros((k, k), dtype=np.int64)
    np.add.at(conf, (true, pred), 1)
    return conf


def reference_loss(loss_kind: str, y: np.ndarray, n_outputs: int) -> float:
    """The loss of a model that learnt nothing: the scale a healthy run never leaves far behind.

    MSE: the targets' variance (predicting their mean); L1/Huber: the mean absolute deviation
    from the median; cross-entropy: log K (uniform probabilities); BCE: log 2. Used by the
    divergence guard so that a loss far below this scale (a converged fit) rising a little is
    not called diverging.
    """
    y = np.asarray(y, dtype=np.float64)
    if loss_kind == "cross_entropy":
        return math.log(max(int(n_outputs), 2))
    if loss_kind == "bce":
        return math.log(2.0)
    if y.size == 0:
        return 0.0
    flat = y.reshape(len(y), -1)
    if loss_kind == "mse":
        return float(flat.var(axis=0).mean())
    return float(np.abs(flat - np.median(flat, axis=0)).mean())


def forward_eval(model: nn.Module, x: np.ndarray, to_tensor: ToTensor) -> np.ndarray:
    """Model outputs for ``x`` in eval mode, without building a graph (chunked for memory)."""
    was_training = getattr(model, "training", True)
    model.eval()
    outs = []
    try:
        with no_grad(), np.errstate(over="ignore", invalid="ignore", divide="ignore"):
            for i in range(0, len(x), EVAL_CHUNK):
                outs.append(model(to_tensor(x[i : i + EVAL_CHUNK])).detach().numpy())
    finally:
        if was_training:
            model.train()
    return np.concatenate(outs) if outs else np.empty((0,))


def loss_of(loss_fn: nn.Module, outputs: np.ndarray, targets: np.ndarray) -> float:
    """``loss_fn`` on host arrays, as a Python float (no graph)."""
    with no_grad(), np.errstate(over="ignore", invalid="ignore", divide="ignore"):
        return float(loss_fn(Tensor(outputs), Tensor(targets)).item())


class EpochMeter:
    """Sums one epoch's batch losses (weighted by batch size) and correct predictions."""

    def __init__(self) -> None:
        self.samples = 0
        self.loss_sum = 0.0
        self.correct = 0

    def add(self, loss: float, n: int, correct: int = 0) -> None:
        self.samples += n
        self.loss_sum += loss * n
        self.correct += correct

    @property
    def mean_loss(self) -> float:
        return self.loss_sum / max(self.samples, 1)

    @property
    def accuracy(self) -> float:
        return self.correct / max(self.samples, 1)


class Validation:
    """Validation loss, accuracy, confusion and a few sample predictions for one set of weights."""

    def __init__(
        self, x: np.ndarray, y: np.ndarray, loss_kind: str, n_outputs: int, classification: bool
    ) -> None:
        self.x, self.y = x, y
        self.loss_kind = loss_kind
        self.n_outputs = n_outputs
        self.classification = classification
        self.last_layer: str | None = None  # the layer feeding the Output (decision rule)

    def evaluate(self, model: nn.Module, loss_fn: nn.Module, to_tensor: ToTensor) -> dict[str, Any]:
        """``{"loss", "accuracy", "confusion", "samples"}``; NaN loss/accuracy without data."""
        if len(self.x) == 0:
            return {"loss": math.nan, "accuracy": math.nan, "confusion": None, "samples": None}
        out = forward_eval(model, self.x, to_tensor)
        result: dict[str, Any] = {
            "loss": loss_of(loss_fn, out, self.y),
            "accuracy": None,
            "confusion": None,
            "samples": None,
        }
        if not self.classification:
            return result
        pred = predict_labels(out, self.loss_kind, self.last_layer)
        true = labels_from_targets(self.y)
        result["accuracy"] = float((pred == true).mean())
        result["confusion"] = confusion_matrix(true, pred, self.n_outputs)
        if self.x.ndim >= 3:  # images: a few sample predictions
            m = min(N_SAMPLE_PREDICTIONS, len(out))
            result["samples"] = {
                "images": np.array(self.x[:m], copy=True),
                "true": true[:m].copy(),
                "pred": pred[:m].copy(),
                "probs": probabilities(out[:m], self.loss_kind, self.last_layer).max(axis=1),
            }
        return result


class FitGrid:
    """The model's fit over its input range: a curve for 1-D regression, regions for 2-D classes.

    ``grid`` is None for data the plots cannot draw this way (images, many inputs).
    """

    def __init__(
        self,
        input_shape: tuple[int, ...],
        x_train: np.ndarray,
        classification: bool,
        x_range: tuple[float, float] | None = None,
    ) -> None:
        lo_hi = x_range
        if lo_hi is None and input_shape in ((1,), (2,)) and len(x_train):
            lo, hi = float(x_train.min()), float(x_train.max())
            pad = 0.05 * (hi - lo or 1.0)
            lo_hi = (lo - pad, hi + pad)
        self.grid: dict[str, np.ndarray] | None = None
        if lo_hi is None:
            return
        if input_shape == (1,) and not classification:
            x = np.linspace(lo_hi[0], lo_hi[1], FIT_POINTS_1D, dtype=np.float32)
            self.grid = {"x": x, "input": x.reshape(-1, 1)}
        elif input_shape == (2,) and classification:
            axis = np.linspace(lo_hi[0], lo_hi[1], FIT_GRID_2D, dtype=np.float32)
            xx, yy = np.meshgrid(axis, axis)
            self.grid = {"xx": xx, "yy": yy, "input": np.stack([xx.ravel(), yy.ravel()], axis=1)}

    def predict(
        self, model: nn.Module, to_tensor: ToTensor, loss_kind: str, last_layer: str | None = None
    ) -> dict[str, np.ndarray] | None:
        """``{"x", "y"}`` (a curve) or ``{"xx", "yy", "probs"}`` (regions), or None."""
        grid = self.grid
        if grid is None:
            return None
        out = forward_eval(model, grid["input"], to_tensor)
        if "x" in grid:
            y = out.reshape(len(out), -1)
            return {"x": grid["x"].copy(), "y": y[:, 0].copy() if y.shape[1] == 1 else y}
        probs = probabilities(out, loss_kind, last_layer).reshape(FIT_GRID_2D, FIT_GRID_2D, -1)
        return {"xx": grid["xx"].copy(), "yy": grid["yy"].copy(), "probs": probs}
