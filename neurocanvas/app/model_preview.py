"""The fit of a model that no run is using: what the fit plot shows between runs."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import numpy as np

from neurocanvas.core.network.compiler import loss_targets, make_loss
from neurocanvas.core.network.decision import last_activation
from neurocanvas.core.tensor import Tensor
from neurocanvas.core.training.metrics import FitGrid, Validation

__all__ = ["model_view"]


def model_view(model: Any, dataset: Any) -> SimpleNamespace:
    """The fit (and, for images, confusion and samples) of ``model`` now, shaped like a
    snapshot for the fit plot. Runs in the calling thread: only for a model no run is using."""
    kind = getattr(model, "loss_kind", None) or (
        "cross_entropy" if dataset.kind == "classification" else "mse"
    )
    classification = dataset.kind == "classification"
    x_train = np.asarray(dataset.x_train)
    grid = FitGrid(
        tuple(dataset.input_shape), x_train, classification, getattr(dataset, "x_range", None)
    )
    last = last_activation(model)  # the model's real decision rule (a Sigmoid, a Softmax)
    fit = grid.predict(model, Tensor, kind, last)
    confusion = samples = None
    if grid.grid is None and classification:
        y_val = loss_targets(kind, np.asarray(dataset.y_val))
        val = Validation(np.asarray(dataset.x_val), y_val, kind, dataset.n_outputs, True)
        val.last_layer = last
        result = val.evaluate(model, make_loss(kind), Tensor)
        confusion, samples = result["confusion"], result["samples"]
    return SimpleNamespace(fit=fit, confusion=confusion, samples=samples)
