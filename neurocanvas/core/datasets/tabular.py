"""Data sets from a CSV file with a header row: pick feature columns and one target column.

Rows are counted as in a spreadsheet: the header is row 1, the first data row is row 2, so an
error's row number is the line to look at in an editor. Blank lines are skipped.
"""

from __future__ import annotations

import csv
import itertools
import math
import os
from pathlib import Path
from typing import Any

import numpy as np

from ._base import DatasetError, RawData, standardize

__all__ = ["read_csv", "parse_columns", "make_csv"]

#: Cells that mean "no value" in files exported from spreadsheets and pandas.
MISSING = {"", "na", "n/a", "nan", "null", "none", "?"}


def read_csv(path_text: str) -> tuple[list[str], list[tuple[int, list[str]]]]:
    """The header and the data rows (with their row numbers) of a CSV file, cells stripped."""
    if not str(path_text).strip():
        raise DatasetError("choose a CSV file (no path given)", "path")
    path = Path(os.path.expanduser(str(path_text).strip()))
    if not path.exists():
        raise DatasetError(f"CSV file not found: {path}", "path")
    if not path.is_file():
        raise DatasetError(f"CSV path is not a file: {path}", "path")
    try:
        # utf-8-sig: spreadsheets often write a byte-order mark before the header.
        with path.open(newline="", encoding="utf-8-sig") as f:
            rows = [
                (number, [cell.strip() for cell in row])
                for number, row in enumerate(csv.reader(f), start=1)
            ]
    except UnicodeDecodeError as exc:
        raise DatasetError(
            f"CSV file {path.name} is not UTF-8 text ({exc.reason})", "path"
        ) from exc
    except csv.Error as exc:
        raise DatasetError(f"CSV file {path.name} cannot be parsed: {exc}", "path") from exc
    except OSError as exc:
        raise DatasetError(f"cannot read CSV file {path}: {exc.strerror or exc}", "path") from exc
    rows = [(number, row) for number, row in rows if any(row)]
    if not rows:
        raise DatasetError(f"CSV file {path.name} is empty", "path")
    (_, header), data = rows[0], rows[1:]
    _check_header(header, path.name)
    if not data:
        raise DatasetError(f"CSV file {path.name} has a header but no data rows", "path")
    for number, row in data:
        if len(row) != len(header):
            raise DatasetError(
                f"row {number} has {len(row)} cells but the header has {len(header)} columns",
                "path",
            )
    return header, data


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def _check_header(header: list[str], filename: str) -> None:
    named = [cell for cell in header if cell]
    if named and all(_is_number(cell) for cell in named):
        raise DatasetError(
            f"the first row of {filename} must be a header with column names; "
            f"it holds numbers ({', '.join(header[:4])}...)",
            "path",
        )
    for i, name in enumerate(header, start=1):
        if not name:
            raise DatasetError(f"column {i} of the header has no name", "path")
    seen: set[str] = set()
    for name in header:
        if name in seen:
            raise DatasetError(f"the header names column '{name}' twice", "path")
        seen.add(name)


def parse_columns(text: str) -> list[str]:
    """'a, b ,c' -> ['a', 'b', 'c']; an empty text means 'not chosen'."""
    return [part.strip() for part in str(text).split(",") if part.strip()]


def _column_index(positions: dict[str, int], name: str, param: str) -> int:
    """The column called ``name`` (``positions``: name -> index, built once per file, so a
    file with 100,000 columns is looked up in linear, not quadratic, time)."""
    if name not in positions:
        shown = list(itertools.islice(positions, 20))
        more = f" and {len(positions) - len(shown):,} more" if len(positions) > len(shown) else ""
        available = ", ".join(f"'{h}'" for h in shown) + more
        raise DatasetError(f"unknown column '{name}'; the file has {available}", param)
    return positions[name]


def _numeric_column(data: list[tuple[int, list[str]]], col: int, name: str) -> np.ndarray:
    values = np.empty(len(data), dtype=np.float64)
    for i, (number, row) in enumerate(data):
        cell = row[col]
        if cell.lower() in MISSING:
            raise DatasetError(f"missing value in row {number}, column '{name}'", "path")
        try:
            value = float(cell)
        except ValueError:
            raise DatasetError(
                f"non-numeric value '{cell}' in row {number}, column '{name}'", "path"
            ) from None
        if not math.isfinite(value):
            raise DatasetError(
                f"value '{cell}' in row {number}, column '{name}' is not finite", "path"
            )
        values[i] = value
    return values


def _class_targets(
    data: list[tuple[int, list[str]]], col: int, name: str
) -> tuple[np.ndarray, list[str]]:
    """Class ids for the target column; labels are sorted numerically when all are numbers."""
    labels = []
    for number, row in data:
        if row[col].lower() in MISSING:
            raise DatasetError(f"missing value in row {number}, column '{name}'", "path")
        labels.append(row[col])
    unique = set(labels)
    if all(_is_number(label) for label in unique):
        names = sorted(unique, key=float)
    else:
        names = sorted(unique)
    if len(names) < 2:
        raise DatasetError(
            f"target column '{name}' holds a single class ('{names[0]}'); "
            "classification needs at least 2",
            "target_column",
        )
    ids = {label: i for i, label in enumerate(names)}
    return np.array([ids[label] for label in labels], dtype=np.int64), names


def make_csv(params: dict[str, Any], rng: np.random.Generator) -> RawData:
    """Features and target from the chosen columns of a CSV file.

    An empty target column means the last column; empty feature columns mean every column but
    the target. With ``standardize`` the features get zero mean and unit spread, which the
    default learning rate needs when columns are in the hundreds or thousands.
    """
    header, data = read_csv(params["path"])
    target_names = parse_columns(params["target_column"])
    if len(target_names) > 1:
        raise DatasetError(
            f"choose one target column, got {len(target_names)}: {', '.join(target_names)}",
            "target_column",
        )
    target = target_names[0] if target_names else header[-1]
    positions = {name: i for i, name in enumerate(header)}
    t_col = _column_index(positions, target, "target_column")
    features = parse_columns(params["feature_columns"]) or [h for h in header if h != target]
    if not features:
        raise DatasetError("the file has no column left to use as a feature", "feature_columns")
    if target in features:
        raise DatasetError(
            f"column '{target}' is the target; remove it from the feature columns",
            "feature_columns",
        )
    if len(set(features)) != len(features):
        raise DatasetError("a feature column is listed twice", "feature_columns")
    f_cols = [_column_index(positions, name, "feature_columns") for name in features]
    x = np.stack([_numeric_column(data, c, header[c]) for c in f_cols], axis=1)
    x = standardize(x) if params["standardize"] else x.astype(np.float32)
    if params["task"] == "classification":
        y, class_names = _class_targets(data, t_col, target)
        return RawData(
            kind="classification",
            x=x,
            y=y,
            input_shape=(len(f_cols),),
            n_outputs=len(class_names),
            class_names=class_names,
        )
    y = _numeric_column(data, t_col, target).reshape(-1, 1).astype(np.float32)
    return RawData(kind="regression", x=x, y=y, input_shape=(len(f_cols),), n_outputs=1)
