"""The model's real decision rule, whatever its last layer: class labels and probabilities.

A classifier's last layer may give logits (the usual case: the loss applies the softmax or
sigmoid itself), probabilities (a Softmax or Sigmoid before the Output) or log-probabilities
(LogSoftmax). Thresholding a Sigmoid's output at 0 calls every sample class 1, so accuracy,
the confusion matrix and decision regions all go through these pure functions, which read
what the last layer is instead of assuming.

Rules (the same PyTorch users apply by hand):

=================  ===========================  ===============================
loss / last layer  label                        probability of each class
=================  ===========================  ===============================
bce, logits        ``z > 0``                    ``sigmoid(z)``
bce, Sigmoid       ``p > 0.5``                  ``p``
cross_entropy      ``argmax`` (any monotone     softmax(z); Softmax: as is;
                   last layer keeps it)         LogSoftmax: ``exp``
=================  ===========================  ===============================
"""

from __future__ import annotations

from typing import Any, Protocol

import numpy as np

from neurocanvas.core.tensor import Tensor, no_grad

__all__ = [
    "ActivationKind",
    "class_probabilities",
    "last_activation",
    "predict",
    "predict_labels",
]

#: What the network's last layer gives: "logits", "probabilities" or "log_probabilities".
ActivationKind = str
_KIND_OF_LAYER = {"Sigmoid": "probabilities", "Softmax": "probabilities"}
_KIND_OF_LAYER["LogSoftmax"] = "log_probabilities"


def output_kind(last_layer_type: str | None) -> ActivationKind:
    """What a last layer of type ``last_layer_type`` outputs (None or any other: logits)."""
    return _KIND_OF_LAYER.get(last_layer_type or "", "logits")


def last_activation(model: Any) -> str | None:
    """The layer type feeding a compiled model's Output (``"Sigmoid"``...), None if unknown."""
    result_of = getattr(model, "result_of", None)
    for step in getattr(model, "plan", ()):
        if step.node_id == result_of:
            return str(step.type)
    return None


def _rows(outputs: np.ndarray) -> np.ndarray:
    out = np.asarray(outputs, dtype=np.float64)
    return out.reshape(len(out), -1)


def predict_labels(outputs: np.ndarray, loss_kind: str, last_layer_type: str | None) -> np.ndarray:
    """Class ids (N,) int64 from the network's outputs (N, k).

    ``loss_kind`` is the Output's loss ("bce" means one column for class 1); ``last_layer_type``
    the type of the layer feeding the Output (see :func:`last_activation`).
    """
    out = _rows(outputs)
    if loss_kind == "bce":
        if output_kind(last_layer_type) == "probabilities":
            return (out[:, 0] > 0.5).astype(np.int64)
        if output_kind(last_layer_type) == "log_probabilities":
            return (out[:, 0] > np.log(0.5)).astype(np.int64)
        return (out[:, 0] > 0).astype(np.int64)
    return out.argmax(axis=1).astype(np.int64)


def class_probabilities(
    outputs: np.ndarray, loss_kind: str, last_layer_type: str | None
) -> np.ndarray:
    """Probabilities (N, classes) float64, each row summing to 1 (bce: two columns)."""
    out = _rows(outputs)
    kind = output_kind(last_layer_type)
    if loss_kind == "bce":
        col = out[:, :1]
        if kind == "probabilities":
            p = np.clip(col, 0.0, 1.0)
        elif kind == "log_probabilities":
            p = np.exp(np.minimum(col, 0.0))
        else:
            p = 1.0 / (1.0 + np.exp(-np.clip(col, -500, 500)))
        return np.concatenate([1.0 - p, p], axis=1)
    if kind == "probabilities":
        p = np.clip(out, 0.0, None)
        total = p.sum(axis=1, keepdims=True)
        return np.divide(p, total, out=np.full_like(p, 1.0 / p.shape[1]), where=total > 0)
    z = out - out.max(axis=1, keepdims=True)
    e = np.exp(z)
    return e / e.sum(axis=1, keepdims=True)


class _Maps(Protocol):
    def inputs_to_model(self, x: np.ndarray) -> np.ndarray: ...
    def outputs_to_user(self, y: np.ndarray) -> np.ndarray: ...


def predict(model: Any, x_raw: np.ndarray, preprocessing: _Maps | None = None) -> np.ndarray:
    """The app's prediction for raw inputs in the user's units: eval mode, no autograd.

    With ``preprocessing`` (a data set's), inputs are mapped in and regression outputs back
    out, exactly as the exports do; classifiers' outputs come back as the network gives them.
    """
    x = np.asarray(x_raw, dtype=np.float32)
    if preprocessing is not None:
        x = preprocessing.inputs_to_model(x)
    was_training = bool(getattr(model, "training", False))
    model.eval()
    try:
        with no_grad():
            out = model(Tensor(x)).detach().numpy()
    finally:
        model.train(was_training)
    if preprocessing is not None and getattr(model, "loss_kind", "mse") in ("mse", "l1", "huber"):
        return np.asarray(preprocessing.outputs_to_user(out))
    return np.asarray(out, dtype=np.float64)
