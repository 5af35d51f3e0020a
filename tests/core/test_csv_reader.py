"""CSV files as people have them: separators, decimal commas, no header, index columns,
trailing commas, quoted fields, numeric labels, values that do not fit float32."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from neurocanvas.core.datasets import DatasetError, make_dataset
from neurocanvas.core.datasets.csv_reader import read_table

CASES = Path(__file__).resolve().parents[1] / "cases"  # the field cases (../shared/cases)


def _write(tmp_path, text: str, name: str = "data.csv", newline: str = "\n") -> str:
    path = tmp_path / name
    path.write_bytes(text.replace("\n", newline).encode("utf-8"))
    return str(path)


def _load(path: str, **params):
    return make_dataset("csv", {"path": path, "standardize": False, **params}, val_fraction=0)


def _rows(ds) -> list[tuple[float, ...]]:
    """Training rows (features + target) sorted, so the shuffle does not matter."""
    y = ds.y_train.reshape(len(ds.y_train), -1)
    return sorted(map(tuple, np.concatenate([ds.x_train, y.astype(np.float32)], 1).tolist()))


# ---- the semicolon case -------------------------------------------------------------------


def test_semicolon_case_detects_the_separator():
    ds = _load(str(CASES / "semicolon" / "data.csv"))
    assert ds.feature_names == ["x1", "x2"] and ds.target_name == "label"
    assert _rows(ds)[0] == pytest.approx((1.0, 2.0, 0.0))
    assert len(ds.x_train) == 6


def test_semicolon_case_with_decimal_commas_reads_the_numbers():
    ds = _load(str(CASES / "semicolon" / "decimal-comma.csv"), task="classification")
    assert ds.feature_names == ["id", "measure", "value"]
    assert _rows(ds)[1] == pytest.approx((1.0, 2.5, 1.55, 1.0))
    assert ds.class_names == ["0", "1"]
    assert "semicolon-separated, decimal comma, header row" in ds.notes[0]


@pytest.mark.parametrize("sep", [";", "\t", "|"])
def test_other_separators(tmp_path, sep):
    text = f"a{sep}b{sep}y\n1{sep}2{sep}3\n4{sep}5{sep}6\n7{sep}8{sep}9\n"
    assert _rows(_load(_write(tmp_path, text))) == [(1, 2, 3), (4, 5, 6), (7, 8, 9)]


# ---- header or not, unnamed columns -------------------------------------------------------


def test_a_file_without_header_keeps_its_first_row(tmp_path):
    ds = _load(_write(tmp_path, "1,2,3\n4,5,6\n7,8,9\n"))
    assert len(ds.x_train) == 3 and (1.0, 2.0, 3.0) in _rows(ds)
    assert ds.feature_names == ["column1", "column2"] and ds.target_name == "column3"


def test_a_file_without_header_and_text_labels(tmp_path):
    ds = _load(_write(tmp_path, "1.5,2,cat\n4,5,dog\n7,8,cat\n"), task="classification")
    assert len(ds.x_train) == 3 and ds.class_names == ["cat", "dog"]


def test_a_pandas_index_column_is_ignored(tmp_path):
    ds = _load(_write(tmp_path, ",a,b,y\n0,1,2,3\n1,4,5,6\n2,7,8,9\n"))
    assert ds.feature_names == ["a", "b"]
    assert _rows(ds) == [(1, 2, 3), (4, 5, 6), (7, 8, 9)]


@pytest.mark.parametrize(
    "text",
    [
        "a,b,y,\n1,2,3,\n4,5,6,\n",  # header and rows end with a comma
        "a,b,y\n1,2,3,\n4,5,6,\n",  # only the rows do
        "a,b,y,,\n1,2,3,,\n4,5,6,,\n",
    ],
)
def test_trailing_commas_are_ignored(tmp_path, text):
    ds = _load(_write(tmp_path, text), feature_columns="a, b", target_column="y")
    assert _rows(ds) == [(1, 2, 3), (4, 5, 6)]


def test_quotes_crlf_and_bom(tmp_path):
    text = '\ufeff"size, cm",weight,"kind"\n"1,5",2,"big, old"\n"3,5",4,small\n"5,5",6,small\n'
    path = _write(tmp_path, text, newline="\r\n")
    table = read_table(path)
    assert table.columns == ["size, cm", "weight", "kind"]
    ds = _load(path, feature_columns="weight", task="classification")
    assert ds.class_names == ["big, old", "small"]


# ---- class labels --------------------------------------------------------------------------


def test_numeric_labels_compare_by_value_and_sort(tmp_path):
    lines = ["x,label"] + [f"{i},{lab}" for i, lab in enumerate(["1.0", "0", "1", "0.0"] * 3)]
    ds = _load(_write(tmp_path, "\n".join(lines)), task="classification")
    assert ds.class_names == ["0", "1"] and ds.n_outputs == 2
    by_x = dict(zip(ds.x_train[:, 0].tolist(), ds.y_train.tolist()))
    assert [by_x[i] for i in range(4)] == [1, 0, 1, 0]


def test_class_order_is_the_same_whatever_the_row_order(tmp_path):
    labels = ["b", "a", "c", "a", "b", "c"]
    one = _load(
        _write(tmp_path, "x,k\n" + "\n".join(f"{i},{k}" for i, k in enumerate(labels))),
        task="classification",
    )
    rev = list(reversed(labels))
    two = _load(
        _write(tmp_path, "x,k\n" + "\n".join(f"{i},{k}" for i, k in enumerate(rev)), "b.csv"),
        task="classification",
    )
    assert one.class_names == two.class_names == ["a", "b", "c"]


def test_large_integer_labels_stay_apart(tmp_path):
    text = "x,id\n1,16777216\n2,16777217\n3,16777216\n"  # equal once rounded to float32
    assert _load(_write(tmp_path, text), task="classification").n_outputs == 2


# ---- cells the network cannot use ---------------------------------------------------------


def _error(path: str, **params) -> str:
    with pytest.raises(DatasetError) as info:
        _load(path, **params)
    return str(info.value)


def test_a_value_too_large_for_float32_names_row_and_column(tmp_path):
    path = _write(tmp_path, "a,b,y\n1,2,3\n4,1e39,6\n")
    assert _error(path) == (
        "value '1e39' in row 3, column 'b' does not fit float32 (largest 3.403e+38), "
        "the precision the network computes in"
    )
    target = _write(tmp_path, "a,y\n1,2\n4,-5e40\n", "t.csv")
    assert "value '-5e40' in row 3, column 'y' does not fit float32" in _error(target)


@pytest.mark.parametrize(
    ("cell", "message"),
    [
        ("nan", "missing value in row 4, column 'b'"),
        ("", "missing value in row 4, column 'b'"),
        ("inf", "value 'inf' in row 4, column 'b' is not finite"),
        ("abc", "non-numeric value 'abc' in row 4, column 'b'"),
    ],
)
def test_bad_cells_name_row_and_column(tmp_path, cell, message):
    assert _error(_write(tmp_path, f"a,b,y\n1,2,3\n4,5,6\n7,{cell},9\n")) == message


def test_a_bad_cell_far_below_the_sniffed_lines_is_found(tmp_path):
    rows = [f"{i},{i * 2},{i % 2}" for i in range(500)]
    rows[400] = "400,oops,0"
    path = _write(tmp_path, "a,b,y\n" + "\n".join(rows) + "\n")
    assert _error(path) == "non-numeric value 'oops' in row 402, column 'b'"


def test_rows_are_counted_as_the_editor_shows_them(tmp_path):
    path = _write(tmp_path, "a,b,y\n\n1,2,3\n\n4,,6\n")  # blank lines count as lines
    assert _error(path) == "missing value in row 5, column 'b'"


def test_a_short_row_says_so(tmp_path):
    path = _write(tmp_path, "a,b,c\n1,2,3\n4,5\n")
    assert _error(path) == "row 3 has 2 cells but the header has 3 columns"


# ---- targets far from unit scale ----------------------------------------------------------


def test_a_target_far_from_unit_scale_gets_a_hint(tmp_path):
    rows = "\n".join(f"{i},{100_000 + 5_000 * i}" for i in range(30))
    ds = _load(_write(tmp_path, "size,price\n" + rows))
    (hint,) = [n for n in ds.notes if n.startswith("hint:")]
    assert "'price'" in hint and "Standardise target" in hint
    small = "\n".join(f"{i},{0.5 * i}" for i in range(30))
    assert not [n for n in _load(_write(tmp_path, "a,y\n" + small, "s.csv")).notes if "hint" in n]
    on = _load(_write(tmp_path, "size,price\n" + rows, "p.csv"), standardize_target=True)
    assert not [n for n in on.notes if n.startswith("hint:")]


# ---- wide files: the sample is whole lines, whatever their length --------------------------


def _wide(tmp_path, columns: int, rows: int = 200) -> str:
    rng = np.random.default_rng(0)
    x = rng.normal(size=(rows, columns))
    header = ",".join(f"f{i}" for i in range(columns)) + ",y"
    body = "\n".join(",".join(f"{v:.4f}" for v in r) + f",{r[0] + r[1]:.4f}" for r in x)
    return _write(tmp_path, header + "\n" + body + "\n", "wide.csv")


def test_a_wide_file_whose_header_exceeds_64_kib_is_read_in_full(tmp_path):
    path = _wide(tmp_path, 8000)  # header ~50 KB, each row ~57 KB
    table = read_table(path, "y")
    assert table.has_header and len(table.columns) == 8001 and len(table.frame) == 200
    ds = _load(path, target_column="y", task="regression")
    assert ds.input_shape == (8000,) and len(ds.x_train) == 200


def test_a_line_longer_than_the_limit_is_refused_with_its_number(tmp_path, monkeypatch):
    monkeypatch.setattr("neurocanvas.core.datasets.csv_reader._MAX_LINE_BYTES", 1000)
    path = _write(tmp_path, "a,b\n1,2\n" + ",".join(["7"] * 600) + "\n")
    with pytest.raises(DatasetError, match=r"line 3 is longer than") as err:
        read_table(path)
    assert "no data rows" not in str(err.value)


def test_a_class_target_with_about_one_row_per_class_is_refused(tmp_path):
    rows = "\n".join(f"{i * 0.5},id{i:04d}" for i in range(100))
    path = _write(tmp_path, "x,customer\n" + rows + "\n")
    with pytest.raises(DatasetError, match="100 distinct values in 100 rows") as err:
        _load(path, task="classification")
    assert err.value.param == "task" and "regression" in str(err.value)


def test_whole_number_labels_written_as_floats_stay_classes(tmp_path):
    rows = "\n".join(f"{i * 0.5},{i % 3}.0" for i in range(60))
    ds = _load(_write(tmp_path, "x,label\n" + rows + "\n"), task="classification")
    assert ds.class_names == ["0", "1", "2"]
