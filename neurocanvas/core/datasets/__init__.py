"""Data sets to train on: the registry read by the data set panel, and ``make_dataset``.

Every data set is deterministic given its parameters and seed. ``make_dataset`` fills in
defaults, validates each parameter against its :class:`ParamSpec`, builds the samples and
splits them into training and validation sets; anything wrong becomes a :class:`DatasetError`
whose message names the problem and whose ``param`` names the field at fault.

Length: over ~400 lines because the registry is one table of every data set's parameter schema
(the panel and the CLI read it whole); splitting it by family would scatter the one list a
reader looks for.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from neurocanvas.core.network.catalogue import ParamSpec

from . import bundled, classification, images, regression, tabular
from ._base import Dataset, DatasetError, RawData, split_dataset
from .formula import Formula, FormulaError
from .preprocessing import Preprocessing, PreprocessingError

__all__ = [
    "DATASETS",
    "PATH_PARAMS",
    "Dataset",
    "DatasetError",
    "DatasetInfo",
    "Formula",
    "FormulaError",
    "Preprocessing",
    "PreprocessingError",
    "default_params",
    "get_dataset_info",
    "make_dataset",
]

Builder = Callable[[dict[str, Any], np.random.Generator], RawData]


@dataclass(frozen=True)
class DatasetInfo:
    """A registry entry: what the data set panel shows and edits.

    ``kind`` is "regression", "classification" or, for CSV, "tabular" (its task parameter
    decides which the made data set is).
    """

    key: str
    display_name: str
    kind: str
    params: tuple[ParamSpec, ...]
    help: str

    @property
    def path_params(self) -> tuple[str, ...]:
        """The parameters that name files (a project stores them relative to itself)."""
        return tuple(spec.name for spec in self.params if spec.name in PATH_PARAMS)


#: Parameter names that hold a file path, in every data set that has them.
PATH_PARAMS = frozenset({"path", "images_path", "labels_path"})


# ---- shared parameter schemas --------------------------------------------------------------


def _n(default: int, lo: int = 10, hi: int = 100_000) -> ParamSpec:
    return ParamSpec("n_samples", "int", default, "Samples", "How many samples to draw.", lo, hi)


def _noise(default: float, help_text: str, hi: float = 5.0) -> ParamSpec:
    return ParamSpec("noise", "float", default, "Noise", help_text, 0.0, hi)


def _x_range(lo: float, hi: float) -> tuple[ParamSpec, ParamSpec]:
    return (
        ParamSpec("x_min", "float", lo, "x from", "Left end of the sampled interval.", -1e3, 1e3),
        ParamSpec("x_max", "float", hi, "x to", "Right end of the sampled interval.", -1e3, 1e3),
    )


_GAUSS = "Standard deviation of the Gaussian noise added to y."
_JITTER = "Standard deviation of the Gaussian noise added to each point (before scaling)."
_CLASSES = "How many classes (arms / clusters)."


def _entry(
    key: str, name: str, kind: str, params: tuple[ParamSpec, ...], help_text: str, build: Builder
) -> tuple[DatasetInfo, Builder]:
    return DatasetInfo(key, name, kind, params, help_text), build


_ENTRIES = [
    _entry(
        "linear",
        "Linear: y = 2x + 1",
        "regression",
        (
            _n(100),
            _noise(0.5, "Noise standard deviation per unit of |x|: the spread grows with |x|."),
            *_x_range(-2.0, 2.0),
        ),
        "The tutorial's straight line y = 2x + 1, with noise that grows with |x|. "
        "One Linear(1, 1) layer learns w = 2, b = 1.",
        regression.make_linear,
    ),
    _entry(
        "polynomial",
        "Polynomial: y = 3x² + 2x + 1",
        "regression",
        (_n(200), _noise(0.3, _GAUSS), *_x_range(-2.0, 2.0)),
        "A parabola: a line cannot fit it, polynomial features or a hidden layer can.",
        regression.make_polynomial,
    ),
    _entry(
        "sine",
        "Sine wave",
        "regression",
        (
            _n(300),
            _noise(0.1, _GAUSS),
            *_x_range(-3.14159, 3.14159),
            ParamSpec("frequency", "float", 1.0, "Frequency", "y = sin(frequency * x).", 0.1, 20.0),
        ),
        "y = sin(frequency * x): needs a nonlinear network; higher frequencies need more units.",
        regression.make_sine,
    ),
    _entry(
        "step",
        "Step",
        "regression",
        (_n(200), _noise(0.05, _GAUSS), *_x_range(-2.0, 2.0)),
        "0 left of x = 0 and 1 from there on: a jump that smooth networks only approximate.",
        regression.make_step,
    ),
    _entry(
        "formula",
        "Custom formula",
        "regression",
        (
            ParamSpec(
                "formula",
                "str",
                "x^3 - 2*x",
                "y =",
                "An expression in x with + - * / ^, parentheses, numbers, pi, e and "
                "sin cos tan exp log abs sqrt tanh, e.g. 3*x^2 - sin(pi*x).",
            ),
            _n(200),
            _noise(0.1, _GAUSS),
            *_x_range(-2.0, 2.0),
        ),
        "Any function of x you type; it must be defined (finite) over the whole x range.",
        regression.make_formula,
    ),
    _entry(
        "moons",
        "Two moons",
        "classification",
        (_n(300), _noise(0.1, _JITTER, 2.0)),
        "Two interleaving half circles: the classic first nonlinear boundary.",
        classification.make_moons,
    ),
    _entry(
        "circles",
        "Circles",
        "classification",
        (
            _n(300),
            _noise(0.05, _JITTER, 2.0),
            ParamSpec(
                "factor", "float", 0.5, "Inner radius", "Inner ring radius / outer.", 0.05, 0.95
            ),
        ),
        "A ring around a smaller ring: the boundary is a circle.",
        classification.make_circles,
    ),
    _entry(
        "spirals",
        "Spirals",
        "classification",
        (
            _n(300),
            _noise(0.05, _JITTER, 2.0),
            ParamSpec("classes", "int", 2, "Classes", _CLASSES, 2, 5),
        ),
        "Arms winding around each other: needs a deeper or wider network.",
        classification.make_spirals,
    ),
    _entry(
        "xor",
        "XOR",
        "classification",
        (_n(300), _noise(0.1, _JITTER, 2.0)),
        "Class 1 where the coordinates have opposite signs: no single line separates it.",
        classification.make_xor,
    ),
    _entry(
        "blobs",
        "Gaussian blobs",
        "classification",
        (
            _n(300),
            _noise(0.5, "Spread (standard deviation) of each cluster.", 5.0),
            ParamSpec("classes", "int", 3, "Classes", _CLASSES, 2, 10),
        ),
        "Round clusters, one per class: nearly linearly separable at a small spread.",
        classification.make_blobs,
    ),
    _entry(
        "digits",
        "Digits 8×8",
        "classification",
        (
            ParamSpec(
                "n_samples", "int", 1797, "Samples", "How many of the 1,797 images.", 20, 1797
            ),
        ),
        "The 8×8 handwritten digits that scikit-learn ships (no download), scaled to [0, 1].",
        images.make_digits,
    ),
    _entry(
        "mnist",
        "MNIST / Fashion-MNIST (IDX files)",
        "classification",
        (
            ParamSpec("images_path", "str", "", "Images file", "An IDX images file (.gz or not)."),
            ParamSpec("labels_path", "str", "", "Labels file", "The matching IDX labels file."),
            ParamSpec(
                "variant",
                "choice",
                "MNIST",
                "Variant",
                "Only changes the class names.",
                choices=("MNIST", "Fashion-MNIST"),
            ),
            ParamSpec(
                "max_samples",
                "int",
                0,
                "Max samples",
                "Use a random subset of this many images (0 = all).",
                0,
                1_000_000,
            ),
        ),
        "28×28 images read from local IDX files such as train-images-idx3-ubyte.gz.",
        images.make_mnist,
    ),
    _entry(
        "csv",
        "CSV file",
        "tabular",
        (
            ParamSpec(
                "path",
                "str",
                "",
                "CSV file",
                "A table of numbers, one sample per row: comma, semicolon, tab or | separated, "
                "with or without a header row (decimal commas are fine).",
            ),
            ParamSpec(
                "feature_columns",
                "str",
                "",
                "Feature columns",
                "Column names separated by commas (empty = all but the target).",
            ),
            ParamSpec(
                "target_column", "str", "", "Target column", "Column name (empty = last column)."
            ),
            ParamSpec(
                "task",
                "choice",
                "regression",
                "Task",
                "Predict a number (regression) or a class (classification).",
                choices=("regression", "classification"),
            ),
            ParamSpec(
                "standardize",
                "bool",
                True,
                "Standardise",
                "Scale each feature to zero mean and unit spread (exports and plots still "
                "take and show your units).",
            ),
            ParamSpec(
                "standardize_target",
                "bool",
                False,
                "Standardise target",
                "Regression: train on the target scaled to zero mean and unit spread; "
                "predictions and exports are scaled back to its units.",
            ),
        ),
        "Your own table: numeric feature columns and a target column "
        "(text targets become classes).",
        tabular.make_csv,
    ),
]

_STANDARDISE = ParamSpec(
    "standardize", "bool", True, "Standardise", "Scale each feature to zero mean and unit spread."
)
_STANDARDISE_TARGET = ParamSpec(
    "standardize_target",
    "bool",
    True,
    "Standardise target",
    "Train on the target scaled to zero mean and unit spread (shown and exported in its units).",
)
for _table in bundled.TABLES.values():
    _ENTRIES.append(
        _entry(
            _table.key,
            _table.display_name,
            _table.kind,
            (_STANDARDISE,) + ((_STANDARDISE_TARGET,) if _table.kind == "regression" else ()),
            _table.help + " Shipped with scikit-learn (no download).",
            bundled.make_bundled(_table.key),
        )
    )

DATASETS: dict[str, DatasetInfo] = {info.key: info for info, _ in _ENTRIES}
_BUILDERS: dict[str, Builder] = {info.key: build for info, build in _ENTRIES}


def get_dataset_info(key: str) -> DatasetInfo:
    """The registry entry for ``key``; DatasetError listing the known keys otherwise."""
    try:
        return DATASETS[key]
    except (KeyError, TypeError):
        known = ", ".join(DATASETS)
        raise DatasetError(f"unknown data set {key!r}; choose one of: {known}") from None


def default_params(key: str) -> dict[str, Any]:
    """Every parameter of data set ``key`` at its default."""
    return {spec.name: spec.default for spec in get_dataset_info(key).params}


def _validated_params(info: DatasetInfo, params: dict[str, Any] | None) -> dict[str, Any]:
    if params is not None and not isinstance(params, dict):
        raise DatasetError(
            f"{info.display_name}: parameters must be a mapping of names to values, "
            f"got {type(params).__name__}"
        )
    params = dict(params or {})
    names = [spec.name for spec in info.params]
    unknown = sorted(set(params) - set(names))
    if unknown:
        raise DatasetError(
            f"{info.display_name}: unknown parameter '{unknown[0]}'; "
            f"expected {', '.join(names) or 'none'}",
            unknown[0],
        )
    out = {}
    for spec in info.params:
        try:
            out[spec.name] = spec.validate(params.get(spec.name, spec.default))
        except ValueError as exc:
            raise DatasetError(f"{info.display_name}: {exc}", spec.name) from None
    return out


def make_dataset(
    key: str,
    params: dict[str, Any] | None = None,
    seed: int = 0,
    val_fraction: float = 0.2,
    preprocessing: Preprocessing | None = None,
) -> Dataset:
    """Build data set ``key`` with ``params`` (defaults fill the gaps), split for validation.

    ``preprocessing`` (a project's saved one) replaces the statistics computed from the data,
    so weights trained with it get their inputs mapped the same way even if the file grew.

    Raises
    ------
    DatasetError
        Unknown key or parameter, a value out of range, or a problem with the data itself
        (missing file, bad column, a formula undefined on the x range...).
    """
    info = get_dataset_info(key)
    full = _validated_params(info, params)
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or seed < 0:
        raise DatasetError(f"seed must be a whole number of at least 0, got {seed!r}", "seed")
    if isinstance(val_fraction, bool) or not isinstance(val_fraction, (int, float)):
        raise DatasetError(f"val_fraction must be a number, got {val_fraction!r}", "val_fraction")
    if not 0.0 <= val_fraction < 1.0:
        raise DatasetError(
            f"val_fraction must be at least 0 and below 1, got {val_fraction}", "val_fraction"
        )
    raw = _BUILDERS[key](full, np.random.default_rng(int(seed)))
    if preprocessing is not None and not preprocessing.same_as(raw.preprocessing, 0.0):
        raw = _remapped(raw, preprocessing, info.display_name)
    dataset = split_dataset(raw, info.display_name, int(seed), float(val_fraction))
    dataset.params = full
    return dataset


def _remapped(raw: RawData, pre: Preprocessing, name: str) -> RawData:
    """``raw`` with inputs (and regression targets) mapped by ``pre`` instead of its own."""
    width = int(np.prod(raw.input_shape))
    for what, arr in (("input_shift", pre.input_shift), ("input_scale", pre.input_scale)):
        if arr is not None and arr.size not in (1, width):
            raise DatasetError(
                f"{name}: the project's saved preprocessing has {arr.size} {what} values but "
                f"the data has {width} input columns; retrain, or save the project again"
            )
    raw.x = pre.inputs_to_model(raw.preprocessing.inputs_to_user(raw.x))
    if raw.kind == "regression":
        raw.y = pre.targets_to_model(raw.preprocessing.outputs_to_user(raw.y))
    raw.preprocessing = pre
    return raw
