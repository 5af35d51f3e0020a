"""Data sets from a CSV file: pick feature columns and one target column.

Parsing (separator, decimal comma, header or not, quoting...) is :mod:`.csv_reader`'s job;
this module turns the parsed columns into a training table and refuses, naming the row and
the column, any cell the network could not use: empty, not a number, NaN, infinite, or too
large for float32 (the precision the network computes in).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from ._base import DatasetError, RawData
from .csv_reader import FLOAT32_MAX, CsvTable, read_table
from .preprocessing import Preprocessing, standardize_inplace

__all__ = ["make_csv", "parse_columns", "class_labels"]

#: A regression target whose spread is outside this range gets a hint to standardise it.
UNIT_SCALE = (1e-2, 1e2)


def parse_columns(text: str) -> list[str]:
    """'a, b ,c' -> ['a', 'b', 'c']; an empty text means 'not chosen'."""
    return [part.strip() for part in str(text).split(",") if part.strip()]


def _column(table: CsvTable, name: str, param: str) -> pd.Series:
    """Column ``name`` (pandas looks it up by hash); an unknown one lists at most 20 names."""
    if name not in table.frame.columns:
        shown = table.columns[:20]
        more = f" and {len(table.columns) - 20:,} more" if len(table.columns) > 20 else ""
        available = ", ".join(f"'{h}'" for h in shown) + more
        raise DatasetError(f"unknown column '{name}'; the file has {available}", param)
    return table.frame[name]


def _refuse(table: CsvTable, index: int, name: str, problem: str) -> DatasetError:
    """The error for data row ``index`` of column ``name``, with the row as the file counts."""
    row, cell, cells = table.locate(index, name)
    width = len(table.raw_columns)
    if cells and cells < width and (cell is None or cell == ""):
        return DatasetError(
            f"row {row} has {cells} cells but the header has {width} columns", "path"
        )
    if problem == "missing" or cell is None or cell == "":
        return DatasetError(f"missing value in row {row}, column '{name}'", "path")
    if problem == "text":
        return DatasetError(f"non-numeric value '{cell}' in row {row}, column '{name}'", "path")
    if cell.lower().lstrip("+-") in ("inf", "infinity"):
        return DatasetError(f"value '{cell}' in row {row}, column '{name}' is not finite", "path")
    return DatasetError(
        f"value '{cell}' in row {row}, column '{name}' does not fit float32 "
        f"(largest {FLOAT32_MAX:.4g}), the precision the network computes in",
        "path",
    )


def _numbers(table: CsvTable, name: str, param: str) -> np.ndarray:
    """Column ``name`` as finite numbers that fit float32 (float32 or float64 array)."""
    col = _column(table, name, param)
    missing = col.isna().to_numpy()
    if missing.any():
        raise _refuse(table, int(missing.argmax()), name, "missing")
    if not pd.api.types.is_numeric_dtype(col.dtype):
        as_numbers = pd.to_numeric(col, errors="coerce")
        bad = as_numbers.isna().to_numpy()
        if bad.any():
            raise _refuse(table, int(bad.argmax()), name, "text")
        col = as_numbers
    values = col.to_numpy()
    too_big = ~(np.abs(values) <= FLOAT32_MAX)  # also catches inf and NaN
    if too_big.any():
        raise _refuse(table, int(too_big.argmax()), name, "range")
    return values


def class_labels(values: pd.Series) -> tuple[np.ndarray, list[str]]:
    """Class ids and sorted class names for a target column.

    Labels that are all numbers compare by value (``0`` and ``0.0`` are one class) and sort
    numerically; text labels sort as text. Either way the order is the same on every run.
    """
    numeric = pd.to_numeric(values, errors="coerce")
    if not numeric.isna().any():
        uniq, ids = np.unique(numeric.to_numpy(dtype=np.float64), return_inverse=True)
        names = [np.format_float_positional(v, trim="-") for v in uniq]
        return ids.astype(np.int64), names
    text = values.astype(str).str.strip().to_numpy()
    uniq, ids = np.unique(text, return_inverse=True)
    return ids.astype(np.int64), [str(u) for u in uniq]


#: A classification target with more classes than this and than half its rows is refused:
#: each class would have about one example, so nothing can be learnt per class.
MANY_CLASSES = 20


def check_class_target(values: pd.Series, n_classes: int, target: str) -> None:
    """Refuse a target that reads as numbers to predict rather than categories.

    Raises DatasetError (param ``"task"``) when the labels are numbers that are not whole
    (``0.513``), or when there are more than ``MANY_CLASSES`` classes and more than half as
    many classes as rows. The message names a few values, never all of them.
    """
    numeric = pd.to_numeric(values, errors="coerce")
    if not numeric.isna().any():
        arr = numeric.to_numpy(dtype=np.float64)
        fractional = arr[arr != np.round(arr)]
        if len(fractional):
            shown = ", ".join(f"{v:.6g}" for v in fractional[:3])
            raise DatasetError(
                f"target column '{target}' holds numbers that are not whole (e.g. {shown}): "
                "class labels are categories; to predict a number choose the regression task",
                "task",
            )
    if n_classes > MANY_CLASSES and 2 * n_classes > len(values):
        raise DatasetError(
            f"target column '{target}' has {n_classes} distinct values in {len(values)} rows, "
            "too many to be classes (about one row per class); to predict a number choose "
            "the regression task",
            "task",
        )


def make_csv(params: dict[str, Any], rng: np.random.Generator) -> RawData:
    """Features and target from the chosen columns of a CSV file.

    An empty target column means the last column; empty feature columns mean every column but
    the target. With ``standardize`` the features get zero mean and unit spread, which the
    default learning rate needs when columns are in the hundreds or thousands; with
    ``standardize_target`` so does a regression target. Both are recorded in the data set's
    :class:`Preprocessing`, which exports and plots apply.
    """
    target_names = parse_columns(params["target_column"])
    if len(target_names) > 1:
        raise DatasetError(
            f"choose one target column, got {len(target_names)}: {', '.join(target_names)}",
            "target_column",
        )
    table = read_table(params["path"], target_names[0] if target_names else "")
    target = target_names[0] if target_names else table.columns[-1]
    _column(table, target, "target_column")
    features = parse_columns(params["feature_columns"]) or [h for h in table.columns if h != target]
    if not features:
        raise DatasetError("the file has no column left to use as a feature", "feature_columns")
    if target in features:
        raise DatasetError(
            f"column '{target}' is the target; remove it from the feature columns",
            "feature_columns",
        )
    if len(set(features)) != len(features):
        raise DatasetError("a feature column is listed twice", "feature_columns")
    for name in features:
        _column(table, name, "feature_columns")
    x = np.empty((len(table.frame), len(features)), dtype=np.float32)
    for j, name in enumerate(features):
        x[:, j] = _numbers(table, name, "feature_columns")
    pre = Preprocessing()
    if params["standardize"]:
        pre = Preprocessing.standardizing(x)
        standardize_inplace(x, pre)
    notes = [f"{table.name}: {table.describe()}, {len(x)} rows"]
    if params["task"] == "classification":
        col = _column(table, target, "target_column")
        missing = col.isna().to_numpy()
        if missing.any():
            raise _refuse(table, int(missing.argmax()), target, "missing")
        y, class_names = class_labels(col)
        check_class_target(col, len(class_names), target)
        if len(class_names) < 2:
            raise DatasetError(
                f"target column '{target}' holds a single class ('{class_names[0]}'); "
                "classification needs at least 2",
                "target_column",
            )
        return RawData(
            kind="classification",
            x=x,
            y=y,
            input_shape=(len(features),),
            n_outputs=len(class_names),
            class_names=class_names,
            preprocessing=pre,
            notes=notes,
            feature_names=list(features),
            target_name=target,
        )
    y64 = np.asarray(_numbers(table, target, "target_column"), dtype=np.float64).reshape(-1, 1)
    if params["standardize_target"]:
        pre = Preprocessing(
            pre.input_shift,
            pre.input_scale,
            *Preprocessing.standardizing(y=y64).output_maps(),
            input_note=pre.input_note,
            output_note="standardised",
        )
        y = pre.targets_to_model(y64)
    else:
        y = y64.astype(np.float32)
        spread = float(y64.std())
        if spread > 0 and not UNIT_SCALE[0] <= spread <= UNIT_SCALE[1]:
            notes.append(
                f"hint: the target '{target}' has a spread of {spread:.3g}, far from 1; turn "
                "on 'Standardise target' so the default learning rate fits (predictions, "
                "plots and exports stay in the target's units)"
            )
    return RawData(
        kind="regression",
        x=x,
        y=y,
        input_shape=(len(features),),
        n_outputs=1,
        preprocessing=pre,
        notes=notes,
        feature_names=list(features),
        target_name=target,
    )
