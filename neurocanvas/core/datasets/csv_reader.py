"""Read a CSV file into named float columns, with pandas doing the parsing.

Why pandas: its C parser reads a 70 MB, 785-column file in about a second (a per-cell
``float()`` in Python took 40 s), and it already handles quoted fields, CRLF line ends, a
byte-order mark, blank lines, decimal commas and trailing separators. Those are the faults
that make hand-written readers misread everyday files; a maintained parser fixes them once.

What this module adds on top is the guessing a spreadsheet user expects, done on the first
lines only (the sample) so it stays cheap:

* the separator: ``csv.Sniffer`` restricted to ``, ; TAB |`` (the same sniffer pandas uses for
  ``sep=None`` with ``engine="python"``; that engine is 20x slower than the C one, so the
  sniffing runs on the sample and the C engine reads the file), falling back to the candidate
  that splits every sample line into the same number (> 1) of cells;
* the decimal mark: a comma when the separator is not a comma and the sample has cells like
  ``3,55`` but none like ``3.55``;
* the header: the first row is a header when one of its cells is not a number while the
  cells below it in that column are. A first row of numbers is data (a file without header);
  its columns are then named ``column1``, ``column2``...

Columns without a name are handled the way pandas writes them: an empty-named first column
is an index column (``DataFrame.to_csv`` writes one) and is dropped; empty-named columns at
the end that hold nothing come from trailing separators and are dropped too.

Rows are counted as in a spreadsheet or an editor: the first line of the file is row 1 (the
header, when there is one), so the row an error names is the line to look at.
"""

from __future__ import annotations

import csv
import os
import re
import warnings
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from ._base import DatasetError

__all__ = ["CsvTable", "FLOAT32_MAX", "read_table", "resolve_path"]

FLOAT32_MAX = float(np.finfo(np.float32).max)
SEPARATORS = ",;\t|"
#: Cells that mean "no value" besides pandas' defaults ("", NA, nan, null, None...).
EXTRA_MISSING = ["?", "n/a", "none"]
#: The sample: up to _SAMPLE_LINES whole lines, fewer once _SAMPLE_BYTES are read, but never
#: fewer than _MIN_SAMPLE_LINES (the header and four rows) whatever their length.
_SAMPLE_BYTES = 64 * 1024
_SAMPLE_LINES = 50
_MIN_SAMPLE_LINES = 5
#: A longer line is not a table a person edits; refusing it bounds the sniffing's memory.
_MAX_LINE_BYTES = 64 * 2**20
_COMMA_DECIMAL = re.compile(r"^[+-]?\d+,\d+([eE][+-]?\d+)?$")
_POINT_DECIMAL = re.compile(r"^[+-]?\d*\.\d+([eE][+-]?\d+)?$")
_SEP_NAMES = {",": "comma", ";": "semicolon", "\t": "tab", "|": "vertical bar"}


@dataclass
class CsvTable:
    """A parsed file: one pandas column per named column, and how it was read.

    ``frame`` holds float32 columns where the sample looked numeric (so a 785-column image
    file never exists as float64) and text columns elsewhere.
    """

    path: Path
    frame: pd.DataFrame
    columns: list[str]
    has_header: bool
    sep: str
    decimal: str
    raw_columns: list[str]  # every parsed column, the dropped unnamed ones included

    @property
    def name(self) -> str:
        return self.path.name

    def describe(self) -> str:
        """One line on how the file was read: 'semicolon-separated, decimal comma, header'."""
        parts = [f"{_SEP_NAMES.get(self.sep, repr(self.sep))}-separated"]
        if self.decimal == ",":
            parts.append("decimal comma")
        parts.append("header row" if self.has_header else "no header row")
        return ", ".join(parts)

    def locate(self, index: int, column: str) -> tuple[int, str | None, int]:
        """(row number in the file, the cell's text or None, cells in that row) of data row
        ``index`` (0-based), found by re-reading the file: used on the error path only."""
        want = index + (1 if self.has_header else 0)
        col = self.raw_columns.index(column) if column in self.raw_columns else None
        with self.path.open(newline="", encoding="utf-8-sig") as fh:
            reader = csv.reader(fh, delimiter=self.sep, skipinitialspace=True)
            seen, start = 0, 1
            for cells in reader:
                if any(c.strip() for c in cells):
                    if seen == want:
                        cell = cells[col].strip() if col is not None and col < len(cells) else None
                        return start, cell, len(cells)
                    seen += 1
                start = reader.line_num + 1
        return want + 1, None, 0


def resolve_path(path_text: str, param: str = "path", what: str = "CSV") -> Path:
    """The file named by ``path_text`` (``~`` expanded), or a DatasetError naming it."""
    if not str(path_text).strip():
        raise DatasetError(f"choose a {what} file (no path given)", param)
    path = Path(os.path.expanduser(str(path_text).strip()))
    if not path.exists():
        raise DatasetError(f"{what} file not found: {path}", param)
    if not path.is_file():
        raise DatasetError(f"{what} path is not a file: {path}", param)
    return path


def read_table(path_text: str, target: str = "") -> CsvTable:
    """Parse the CSV file at ``path_text``.

    Numeric columns come out float32, except ``target`` (default: the last named column),
    read as float64 so that class labels like 16777217 and 16777216 stay apart.

    Raises
    ------
    DatasetError
        (param ``"path"``) for a missing, unreadable, empty or non-UTF-8 file, a header with
        an unnamed or repeated column, a row with more cells than the header, a header with
        no data rows.
    """
    path = resolve_path(path_text)
    sample = _sample_lines(path)
    if not sample:
        raise DatasetError(f"CSV file {path.name} is empty", "path")
    sep = _sniff_separator(sample)
    rows = [[c.strip() for c in row] for row in csv.reader(sample, delimiter=sep)]
    decimal = _sniff_decimal(rows, sep)
    has_header = _has_header(rows, decimal)
    width = max(len(r) for r in rows)
    if has_header:
        raw_names = rows[0] + [""] * (width - len(rows[0]))
        if len(rows) == 1:
            raise DatasetError(f"CSV file {path.name} has a header but no data rows", "path")
    else:
        raw_names = [f"column{i + 1}" for i in range(width)]
    names = _column_names(raw_names)
    numeric = [
        _looks_numeric([r[i] for r in rows[1 if has_header else 0 :] if i < len(r)], decimal)
        for i in range(width)
    ]
    target = target or next((n for r, n in zip(reversed(raw_names), reversed(names)) if r), "")
    dtypes = {
        n: ((np.float64 if n == target else np.float32) if num else str)
        for n, num in zip(names, numeric)
    }
    frame = _parse(path, sep, decimal, names, has_header, dtypes)
    frame = _drop_unnamed(frame, raw_names, names, path.name)
    table = CsvTable(path, frame, list(frame.columns), has_header, sep, decimal, names)
    if len(frame) == 0:
        raise DatasetError(f"CSV file {path.name} has a header but no data rows", "path")
    return table


def _sample_lines(path: Path) -> list[str]:
    """The first non-blank lines of the file, each one whole, decoded.

    Reads up to ``_SAMPLE_LINES`` lines, stopping early once ``_SAMPLE_BYTES`` are read and
    at least ``_MIN_SAMPLE_LINES`` lines (the header and a few rows) are in: a wide file's
    header alone can exceed any fixed byte budget, and a line cut short would hide its rows.
    """
    lines: list[bytes] = []
    read = filled = 0  # bytes read, non-blank lines among them
    try:
        with path.open("rb") as fh:
            while filled < _SAMPLE_LINES:
                if read >= _SAMPLE_BYTES and filled >= _MIN_SAMPLE_LINES:
                    break
                line = fh.readline(_MAX_LINE_BYTES + 1)
                if not line:
                    break
                read += len(line)
                if len(line) > _MAX_LINE_BYTES and not line.endswith(b"\n"):
                    if b"\r" not in line:
                        raise DatasetError(
                            f"CSV file {path.name}: line {len(lines) + 1} is longer "
                            f"than {_MAX_LINE_BYTES // 2**20} MiB; is it a CSV file?",
                            "path",
                        )
                    line = line[: line.rindex(b"\r") + 1]  # old Mac line ends: whole lines
                lines.append(line)
                filled += bool(line.strip())
    except OSError as exc:
        raise DatasetError(f"cannot read CSV file {path}: {exc.strerror or exc}", "path") from exc
    try:
        text = b"".join(lines).decode("utf-8-sig", errors="strict")
    except UnicodeDecodeError as exc:
        raise DatasetError(
            f"CSV file {path.name} is not UTF-8 text ({exc.reason})", "path"
        ) from exc
    return [line for line in text.splitlines() if line.strip()][:_SAMPLE_LINES]


def _sniff_separator(sample: list[str]) -> str:
    try:
        sep = csv.Sniffer().sniff("\n".join(sample), delimiters=SEPARATORS).delimiter
        if _consistent(sample, sep):
            return sep
    except csv.Error:
        pass
    for sep in SEPARATORS:
        if _consistent(sample, sep):
            return sep
    return ","  # one column, or no separator agrees on every line: pandas reports the rest


def _consistent(sample: list[str], sep: str) -> bool:
    counts = {len(row) for row in csv.reader(sample, delimiter=sep)}
    return len(counts) == 1 and counts.pop() > 1


def _sniff_decimal(rows: list[list[str]], sep: str) -> str:
    if sep == ",":
        return "."
    cells = [c for row in rows for c in row]
    commas = any(_COMMA_DECIMAL.match(c) for c in cells)
    points = any(_POINT_DECIMAL.match(c) for c in cells)
    return "," if commas and not points else "."


def _is_number(text: str, decimal: str) -> bool:
    if decimal == ",":
        text = text.replace(",", ".")
    try:
        float(text)
    except ValueError:
        return False
    return True


def _looks_numeric(cells: list[str], decimal: str) -> bool:
    present = [c for c in cells if c and c.lower() not in ("na", "nan", "null", "none", "?")]
    return bool(present) and all(_is_number(c, decimal) for c in present)


def _has_header(rows: list[list[str]], decimal: str) -> bool:
    """A header has a text cell above a column of numbers; a first row of numbers is data."""
    first, below = rows[0], rows[1:]
    if all(_is_number(c, decimal) for c in first if c):
        return False
    if not below:
        return True
    for i, cell in enumerate(first):
        column = [r[i] for r in below if i < len(r)]
        if cell and not _is_number(cell, decimal) and _looks_numeric(column, decimal):
            return True
    # Every column is text (or the text cells sit over text): a first row that repeats
    # none of the values below it reads as names.
    return not any(cell in {r[i] for r in below if i < len(r)} for i, cell in enumerate(first))


def _column_names(raw: list[str]) -> list[str]:
    """Names for pandas: empty ones get placeholders (checked after parsing), repeats refused."""
    names, seen = [], set()
    for i, name in enumerate(raw):
        if not name:
            names.append(f"\0unnamed{i + 1}")
            continue
        if name in seen:
            raise DatasetError(f"the header names column '{name}' twice", "path")
        seen.add(name)
        names.append(name)
    return names


def _parse(
    path: Path, sep: str, decimal: str, names: list[str], header: bool, dtypes: dict
) -> pd.DataFrame:
    options = dict(
        sep=sep,
        decimal=decimal,
        names=names,
        header=0 if header else None,
        index_col=False,  # trailing separators make an extra empty field, not an index
        skipinitialspace=True,
        encoding="utf-8-sig",
        na_values=EXTRA_MISSING,
        engine="c",
    )
    try:
        with warnings.catch_warnings():
            # float32 overflow warns; the values become inf and are reported with their row
            warnings.simplefilter("ignore", RuntimeWarning)
            try:
                return pd.read_csv(path, dtype=dtypes, **options)
            except ValueError as exc:
                if isinstance(exc, (UnicodeDecodeError, pd.errors.ParserError)):
                    raise
                # a text cell below the sample in a column that looked numeric: read every
                # column as text so the check can name the cell
                return pd.read_csv(path, dtype=str, **options)
    except UnicodeDecodeError as exc:
        raise DatasetError(
            f"CSV file {path.name} is not UTF-8 text ({exc.reason})", "path"
        ) from exc
    except pd.errors.ParserError as exc:
        found = re.search(r"Expected (\d+) fields in line (\d+), saw (\d+)", str(exc))
        if found:
            cols, line, saw = found.groups()
            raise DatasetError(
                f"row {line} has {saw} cells but the header has {cols} columns", "path"
            ) from exc
        raise DatasetError(f"CSV file {path.name} cannot be parsed: {exc}", "path") from exc
    except pd.errors.EmptyDataError as exc:
        raise DatasetError(f"CSV file {path.name} is empty", "path") from exc
    except OSError as exc:
        raise DatasetError(f"cannot read CSV file {path}: {exc.strerror or exc}", "path") from exc


def _drop_unnamed(
    frame: pd.DataFrame, raw: list[str], names: list[str], filename: str
) -> pd.DataFrame:
    """Drop a pandas index column and empty trailing columns; refuse other unnamed ones."""
    drop = []
    last_named = max((i for i, n in enumerate(raw) if n), default=-1)
    for i, (raw_name, name) in enumerate(zip(raw, names)):
        if raw_name:
            continue
        if i == 0 and last_named > 0:
            drop.append(name)  # DataFrame.to_csv's index column
        elif i > last_named and frame[name].isna().all():
            drop.append(name)  # trailing separators
        else:
            raise DatasetError(f"column {i + 1} of the header has no name", "path")
    return frame.drop(columns=drop) if drop else frame
