"""What the app does to a data set's inputs and targets before the network sees them.

A network trained on standardised inputs (or pixels scaled to [0, 1]) gives wrong answers
when fed the user's raw numbers, so this is part of the model: the project stores it, every
export applies it (ONNX nodes, buffers in the PyTorch code, metadata beside the weights) and
the plots use it to show the user's units.

Both maps are affine and per feature (per column for tables, one number for images)::

    model input  = (raw input - input_shift) / input_scale
    user output  = model output * output_scale + output_shift

so ``input_shift = mean`` and ``input_scale = std`` is scikit-learn's ``StandardScaler``, and
``input_scale = 255`` is the usual ``ToTensor()`` scaling of 8-bit images.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import numpy as np

__all__ = ["METADATA_KEY", "Preprocessing", "PreprocessingError", "standardize_inplace"]

#: Key under which weight files and ONNX models carry the preprocessing (a JSON text).
METADATA_KEY = "neurocanvas.preprocessing"


class PreprocessingError(ValueError):
    """Stored preprocessing that cannot be read (damaged or hand-edited metadata)."""


def _array(value: Any, what: str) -> np.ndarray | None:
    if value is None:
        return None
    try:
        arr = np.asarray(value, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise PreprocessingError(f"{what} must be numbers, got {value!r:.60}") from exc
    if arr.ndim > 1 or not np.all(np.isfinite(arr)):
        raise PreprocessingError(f"{what} must be a finite number or a list of them")
    return arr


@dataclass(frozen=True)
class Preprocessing:
    """Affine maps raw input -> model input and model output -> user output.

    Attributes are float64 arrays of shape () (one number for every value, e.g. pixels) or
    (F,) (one per feature column), or None for "unchanged". Scales are never 0.
    ``input_note`` / ``output_note`` say in words where the numbers come from.
    """

    input_shift: np.ndarray | None = None
    input_scale: np.ndarray | None = None
    output_shift: np.ndarray | None = None
    output_scale: np.ndarray | None = None
    input_note: str = ""
    output_note: str = ""

    def __post_init__(self) -> None:
        for name in ("input_shift", "input_scale", "output_shift", "output_scale"):
            value = _array(getattr(self, name), name)
            object.__setattr__(self, name, value)
        for name in ("input_scale", "output_scale"):
            scale = getattr(self, name)
            if scale is not None and np.any(scale == 0):
                raise PreprocessingError(f"{name} must not contain 0")

    # ------------------------------------------------------------------ factories
    @classmethod
    def standardizing(
        cls, x: np.ndarray | None = None, y: np.ndarray | None = None
    ) -> Preprocessing:
        """Zero mean, unit standard deviation per column of ``x`` (inputs) and ``y`` (targets).

        A constant column keeps scale 1 (only centred): dividing by a zero spread makes NaN.
        Statistics are computed in float64 whatever the arrays' dtype.
        """
        fields: dict[str, Any] = {}
        if x is not None:
            shift, scale = _mean_std(x)
            fields.update(input_shift=shift, input_scale=scale, input_note="standardised")
        if y is not None:
            shift, scale = _mean_std(y)
            fields.update(output_shift=shift, output_scale=scale, output_note="standardised")
        return cls(**fields)

    @classmethod
    def scaling_inputs(cls, divisor: float, note: str) -> Preprocessing:
        """Inputs divided by one number (8-bit pixels: 255)."""
        return cls(input_shift=np.array(0.0), input_scale=np.array(float(divisor)), input_note=note)

    # ------------------------------------------------------------------ queries
    @property
    def has_input(self) -> bool:
        return self.input_shift is not None or self.input_scale is not None

    @property
    def has_output(self) -> bool:
        return self.output_shift is not None or self.output_scale is not None

    @property
    def is_identity(self) -> bool:
        return not (self.has_input or self.has_output)

    def output_maps(self) -> tuple[np.ndarray | None, np.ndarray | None]:
        """(output_shift, output_scale), to combine with another input map."""
        return self.output_shift, self.output_scale

    def describe(self) -> str:
        """In words, for the export notes and the CLI: 'inputs standardised; outputs ...'."""
        parts = []
        if self.has_input:
            parts.append(f"inputs {self.input_note or 'scaled'} inside the model")
        if self.has_output:
            parts.append(f"outputs back in the target's units ({self.output_note or 'scaled'})")
        return "; ".join(parts) or "no preprocessing"

    # ------------------------------------------------------------------ maps
    def inputs_to_model(self, x: np.ndarray) -> np.ndarray:
        """Raw inputs (N, *input_shape) -> what the network is fed, float32."""
        out = np.asarray(x, dtype=np.float64)
        if self.input_shift is not None:
            out = out - self.input_shift
        if self.input_scale is not None:
            out = out / self.input_scale
        return out.astype(np.float32)

    def inputs_to_user(self, x: np.ndarray) -> np.ndarray:
        """The network's inputs back in the user's units (for plot axes)."""
        out = np.asarray(x, dtype=np.float64)
        if self.input_scale is not None:
            out = out * self.input_scale
        if self.input_shift is not None:
            out = out + self.input_shift
        return out

    def outputs_to_user(self, y: np.ndarray) -> np.ndarray:
        """Regression outputs (N, k) or targets in the network's units -> the user's units."""
        out = np.asarray(y, dtype=np.float64)
        if self.output_scale is not None:
            out = out * self.output_scale
        if self.output_shift is not None:
            out = out + self.output_shift
        return out

    def targets_to_model(self, y: np.ndarray) -> np.ndarray:
        """User-unit regression targets -> the network's units, float32."""
        out = np.asarray(y, dtype=np.float64)
        if self.output_shift is not None:
            out = out - self.output_shift
        if self.output_scale is not None:
            out = out / self.output_scale
        return out.astype(np.float32)

    # ------------------------------------------------------------------ storage
    def to_dict(self) -> dict[str, Any]:
        """JSON-able; arrays become (lists of) floats, which round-trip float64 exactly."""
        out: dict[str, Any] = {}
        for name in ("input_shift", "input_scale", "output_shift", "output_scale"):
            value = getattr(self, name)
            if value is not None:
                out[name] = value.tolist()
        for name in ("input_note", "output_note"):
            if getattr(self, name):
                out[name] = getattr(self, name)
        return out

    @classmethod
    def from_dict(cls, data: Any) -> Preprocessing:
        """Inverse of :meth:`to_dict`; PreprocessingError for anything else."""
        if not isinstance(data, dict):
            raise PreprocessingError(f"preprocessing must be an object, got {data!r:.60}")
        known = {"input_shift", "input_scale", "output_shift", "output_scale"}
        notes = {"input_note", "output_note"}
        unknown = set(data) - known - notes
        if unknown:
            raise PreprocessingError(f"unknown preprocessing field {sorted(unknown)[0]!r}")
        for name in notes & set(data):
            if not isinstance(data[name], str):
                raise PreprocessingError(f"{name} must be a text")
        return cls(**data)

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), sort_keys=True)

    @classmethod
    def from_json(cls, text: str) -> Preprocessing:
        try:
            data = json.loads(text)
        except (TypeError, ValueError) as exc:
            raise PreprocessingError(f"preprocessing metadata is not JSON ({exc})") from exc
        return cls.from_dict(data)

    def same_as(self, other: Preprocessing, rtol: float = 1e-6) -> bool:
        """Equal maps (numbers within ``rtol``), whatever the notes say."""
        for name in ("input_shift", "input_scale", "output_shift", "output_scale"):
            a, b = getattr(self, name), getattr(other, name)
            if (a is None) != (b is None):
                return False
            if a is not None and (a.shape != b.shape or not np.allclose(a, b, rtol=rtol)):
                return False
        return True

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Preprocessing) and self.same_as(other, 0.0)

    def __hash__(self) -> int:
        return hash(self.to_json())


_CHUNK = 4096  # rows per block: float64 temporaries stay ~25 MB even for 785 columns


def _mean_std(a: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Column mean and (population) standard deviation in float64, two passes over row
    blocks so a large float32 table never gets a float64 copy."""
    a = np.asarray(a)
    a = a.reshape(len(a), -1)
    n = max(len(a), 1)
    total = np.zeros(a.shape[1], dtype=np.float64)
    for i in range(0, len(a), _CHUNK):
        total += a[i : i + _CHUNK].sum(axis=0, dtype=np.float64)
    mean = total / n
    sq = np.zeros(a.shape[1], dtype=np.float64)
    for i in range(0, len(a), _CHUNK):
        sq += ((a[i : i + _CHUNK] - mean) ** 2).sum(axis=0)
    std = np.sqrt(sq / n)
    std[std == 0] = 1.0
    return mean, std


def standardize_inplace(x: np.ndarray, pre: Preprocessing) -> None:
    """Apply ``pre``'s input map to a float32 table in place, block by block (no copy)."""
    for i in range(0, len(x), _CHUNK):
        x[i : i + _CHUNK] = pre.inputs_to_model(x[i : i + _CHUNK])
