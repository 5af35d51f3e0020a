"""Real tables that scikit-learn ships (no download): iris, wine, breast cancer, diabetes.

They come in their original units with their feature names, and go through the same
standardising as a CSV file (recorded in the data set's Preprocessing), so plots, predictions
and exports speak the table's units. Diabetes is read unscaled (``scaled=False``): scikit-learn's
default pre-scales it, which would hide the units (age in years, BMI, blood pressure...).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from typing import Any

import numpy as np

from . import sklearn_files
from ._base import RawData
from .preprocessing import Preprocessing, standardize_inplace

__all__ = ["TABLES", "BundledTable", "make_bundled"]


@dataclass(frozen=True)
class BundledTable:
    key: str
    display_name: str
    kind: str  # "classification" | "regression"
    loader: str  # the sklearn.datasets function (whose files sklearn_files reads)
    help: str
    target_name: str


TABLES = {
    t.key: t
    for t in (
        BundledTable(
            "iris",
            "Iris flowers (150 × 4)",
            "classification",
            "load_iris",
            "Fisher's iris: sepal and petal sizes in cm, three species. A first real table.",
            "species",
        ),
        BundledTable(
            "wine",
            "Wine (178 × 13)",
            "classification",
            "load_wine",
            "Chemical analysis of wines from three cultivars (alcohol, malic acid, ...).",
            "cultivar",
        ),
        BundledTable(
            "breast_cancer",
            "Breast cancer (569 × 30)",
            "classification",
            "load_breast_cancer",
            "Cell nucleus measurements from biopsies, malignant or benign (Wisconsin).",
            "diagnosis",
        ),
        BundledTable(
            "diabetes",
            "Diabetes progression (442 × 10)",
            "regression",
            "load_diabetes",
            "Age, sex, BMI, blood pressure and six blood serum values; the target is a "
            "measure of disease progression one year later.",
            "progression",
        ),
    )
}


@cache
def _load(key: str) -> tuple[np.ndarray, np.ndarray, tuple[str, ...], tuple[str, ...]]:
    """(x float64, y, feature names, class names) read once, straight from scikit-learn's
    files (:mod:`.sklearn_files`: importing scikit-learn would take a second)."""
    x, y, names, classes = sklearn_files.load(key)
    x = np.asarray(x, dtype=np.float64)
    y = np.asarray(y)
    x.flags.writeable = False
    y.flags.writeable = False
    return x, y, names, classes


def make_bundled(key: str) -> Callable[[dict[str, Any], np.random.Generator], RawData]:
    """The builder for table ``key`` (its parameters: standardize, standardize_target)."""

    def build(params: dict[str, Any], rng: np.random.Generator) -> RawData:
        table = TABLES[key]
        x64, y_raw, names, classes = _load(key)
        x = x64.astype(np.float32)
        pre = Preprocessing()
        if params.get("standardize", True):
            pre = Preprocessing.standardizing(x64)
            standardize_inplace(x, pre)
        common: dict[str, Any] = {
            "x": x,
            "input_shape": (x.shape[1],),
            "feature_names": list(names),
            "target_name": table.target_name,
        }
        if table.kind == "classification":
            return RawData(
                kind="classification",
                y=y_raw.astype(np.int64),
                n_outputs=len(classes),
                class_names=list(classes),
                preprocessing=pre,
                **common,
            )
        y64 = y_raw.astype(np.float64).reshape(-1, 1)
        if params.get("standardize_target", True):
            target = Preprocessing.standardizing(y=y64)
            pre = Preprocessing(
                pre.input_shift,
                pre.input_scale,
                *target.output_maps(),
                input_note=pre.input_note,
                output_note="standardised",
            )
        return RawData(
            kind="regression",
            y=pre.targets_to_model(y64),
            n_outputs=1,
            preprocessing=pre,
            **common,
        )

    return build
