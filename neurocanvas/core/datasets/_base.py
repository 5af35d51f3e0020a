"""The Dataset container, the error type and the helpers every data set builder shares."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np

from .preprocessing import Preprocessing

if TYPE_CHECKING:  # shapes.py imports nothing from here, but keep the import lazy anyway
    from neurocanvas.core.network.shapes import DataSpec

Shape = tuple[int, ...]

__all__ = ["Dataset", "DatasetError", "RawData", "Shape", "split_dataset", "standardize"]


class DatasetError(ValueError):
    """A data set could not be made; the message says what is wrong and where.

    ``param`` names the parameter at fault (None when it is not one parameter), so that the
    data set panel can mark the field.
    """

    def __init__(self, message: str, param: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.param = param


@dataclass
class RawData:
    """What a builder produces: all samples, before the train/validation split."""

    kind: str  # "regression" | "classification"
    x: np.ndarray
    y: np.ndarray
    input_shape: Shape
    n_outputs: int
    class_names: list[str] | None = None
    true_fn: Callable[[np.ndarray], np.ndarray] | None = None
    x_range: tuple[float, float] | None = None
    preprocessing: Preprocessing = field(default_factory=Preprocessing)
    notes: list[str] = field(default_factory=list)
    feature_names: list[str] | None = None
    target_name: str | None = None


@dataclass
class Dataset:
    """Train and validation arrays plus what the graph and the plots need to know about them."""

    name: str
    kind: str  # "regression" | "classification"
    x_train: np.ndarray
    y_train: np.ndarray
    x_val: np.ndarray
    y_val: np.ndarray
    input_shape: Shape
    n_outputs: int
    class_names: list[str] | None = None
    true_fn: Callable[[np.ndarray], np.ndarray] | None = None
    x_range: tuple[float, float] | None = None
    params: dict[str, Any] = field(default_factory=dict)  # the complete, validated parameters
    #: raw input -> network input and network output -> target units; exports apply it
    preprocessing: Preprocessing = field(default_factory=Preprocessing)
    #: what a person should know about the data (how a file was read, hints); not errors
    notes: list[str] = field(default_factory=list)
    feature_names: list[str] | None = None  # one per input column of a table, else None
    target_name: str | None = None  # a regression table's target column

    # ---- the user's units (plots, predictions): the network sees the other side ------------
    def inputs_to_user(self, x: np.ndarray) -> np.ndarray:
        """Network inputs (like ``x_train`` or a fit grid) in the user's units (float64)."""
        return self.preprocessing.inputs_to_user(x)

    def outputs_to_user(self, y: np.ndarray) -> np.ndarray:
        """Regression outputs or targets (like ``y_train``) in the target's units (float64).

        Classification outputs are logits or probabilities: pass those through unchanged.
        """
        if self.kind != "regression":
            return np.asarray(y)
        return self.preprocessing.outputs_to_user(y)

    def inputs_to_model(self, x_raw: np.ndarray) -> np.ndarray:
        """Raw inputs in the user's units -> what the network is fed (float32)."""
        return self.preprocessing.inputs_to_model(x_raw)

    def data_spec(self) -> DataSpec:
        """What a graph must fit to train on this data set."""
        from neurocanvas.core.network.shapes import DataSpec

        return DataSpec(
            input_shape=tuple(self.input_shape), target_kind=self.kind, n_outputs=self.n_outputs
        )

    def preview(self, max_points: int = 500) -> tuple[np.ndarray, np.ndarray]:
        """At most ``max_points`` training samples for plotting, the same ones every call.

        A fixed stride (not a random draw) keeps a redraw of the panel stable.
        """
        n = len(self.x_train)
        if max_points < 1:
            raise ValueError(f"max_points must be at least 1, got {max_points}")
        if n <= max_points:
            return self.x_train, self.y_train
        idx = np.linspace(0, n - 1, max_points).round().astype(np.int64)
        return self.x_train[idx], self.y_train[idx]

    def __repr__(self) -> str:
        return (
            f"Dataset({self.name!r}, {self.kind}, train={len(self.x_train)}, "
            f"val={len(self.x_val)}, input_shape={self.input_shape}, n_outputs={self.n_outputs})"
        )


def split_dataset(raw: RawData, name: str, seed: int, val_fraction: float) -> Dataset:
    """Shuffle with the seed and hold out ``round(n * val_fraction)`` samples for validation.

    The shuffle uses its own stream derived from the seed so that changing the validation
    fraction never changes the generated samples themselves. At least one sample always stays
    in the training set.
    """
    if not 0.0 <= val_fraction < 1.0:
        raise DatasetError(
            f"val_fraction must be at least 0 and below 1, got {val_fraction}", "val_fraction"
        )
    n = len(raw.x)
    if n < 1:
        raise DatasetError(f"data set '{name}' has no samples")
    n_val = min(int(round(n * val_fraction)), n - 1)
    order = np.random.default_rng([seed, 1]).permutation(n)
    val_idx, train_idx = order[:n_val], order[n_val:]
    return Dataset(
        name=name,
        kind=raw.kind,
        x_train=np.ascontiguousarray(raw.x[train_idx]),
        y_train=np.ascontiguousarray(raw.y[train_idx]),
        x_val=np.ascontiguousarray(raw.x[val_idx]),
        y_val=np.ascontiguousarray(raw.y[val_idx]),
        input_shape=raw.input_shape,
        n_outputs=raw.n_outputs,
        class_names=raw.class_names,
        true_fn=raw.true_fn,
        x_range=raw.x_range,
        preprocessing=raw.preprocessing,
        notes=list(raw.notes),
        feature_names=raw.feature_names,
        target_name=raw.target_name,
    )


def standardize(x: np.ndarray) -> np.ndarray:
    """Zero mean, unit standard deviation per column, so the default learning rate fits.

    A constant column is only centred (dividing by a zero spread would make NaN).
    """
    x = np.asarray(x, dtype=np.float64)
    std = x.std(axis=0)
    std[std == 0] = 1.0
    return ((x - x.mean(axis=0)) / std).astype(np.float32)
