"""Data sets: registry, shapes and dtypes, determinism, splits, and every error path."""

import gzip
import struct

import numpy as np
import pytest

from neurocanvas.core.datasets import (
    DATASETS,
    Dataset,
    DatasetError,
    default_params,
    make_dataset,
)
from neurocanvas.core.datasets.bundled import TABLES
from neurocanvas.core.datasets.classification import class_sizes
from neurocanvas.core.datasets.images import FASHION_CLASSES
from neurocanvas.core.network.catalogue import ParamSpec

REGRESSION = ["linear", "polynomial", "sine", "step", "formula"]
TOY_2D = ["moons", "circles", "spirals", "xor", "blobs"]


# ---- registry ------------------------------------------------------------------------------


def test_registry_holds_the_documented_keys_in_order():
    assert list(DATASETS) == [*REGRESSION, *TOY_2D, "digits", "mnist", "csv", *TABLES]


@pytest.mark.parametrize("key", list(DATASETS))
def test_registry_entries_are_complete_and_defaults_validate(key):
    info = DATASETS[key]
    assert info.key == key and info.display_name and info.help
    assert info.kind in ("regression", "classification", "tabular")
    for spec in info.params:
        assert isinstance(spec, ParamSpec)
        assert spec.label and spec.help, f"{key}.{spec.name} needs a label and help"
        assert spec.validate(spec.default) == spec.default
    assert default_params(key) == {s.name: s.default for s in info.params}


# ---- regression ----------------------------------------------------------------------------


@pytest.mark.parametrize("key", REGRESSION)
def test_regression_shapes_dtypes_and_metadata(key):
    ds = make_dataset(key, {"n_samples": 50}, seed=3, val_fraction=0.2)
    assert isinstance(ds, Dataset) and ds.kind == "regression"
    assert ds.x_train.shape == (40, 1) and ds.y_train.shape == (40, 1)
    assert ds.x_val.shape == (10, 1) and ds.y_val.shape == (10, 1)
    for arr in (ds.x_train, ds.y_train, ds.x_val, ds.y_val):
        assert arr.dtype == np.float32
    assert ds.input_shape == (1,) and ds.n_outputs == 1 and ds.class_names is None
    lo, hi = ds.x_range
    assert lo == ds.params["x_min"] and hi == ds.params["x_max"]
    assert lo <= ds.x_train.min() and ds.x_train.max() <= hi


@pytest.mark.parametrize(
    ("key", "params", "fn"),
    [
        ("linear", {}, lambda x: 2 * x + 1),
        ("polynomial", {}, lambda x: 3 * x**2 + 2 * x + 1),
        ("sine", {"frequency": 2.5}, lambda x: np.sin(2.5 * x)),
        ("step", {}, lambda x: (x >= 0).astype(np.float64)),
        ("formula", {"formula": "exp(-x^2) - 3*x"}, lambda x: np.exp(-(x**2)) - 3 * x),
    ],
)
def test_true_fn_is_the_noiseless_formula(key, params, fn):
    ds = make_dataset(key, {**params, "noise": 0.0}, seed=1)
    x = ds.x_train.astype(np.float64)
    np.testing.assert_allclose(ds.y_train, fn(x), rtol=1e-5, atol=1e-5)
    grid = np.linspace(-2.0, 2.0, 41)
    out = ds.true_fn(grid)
    assert out.shape == grid.shape and out.dtype == np.float32
    np.testing.assert_allclose(out, fn(grid), rtol=1e-5, atol=1e-6)


def test_linear_noise_grows_with_abs_x():
    ds = make_dataset("linear", {"n_samples": 4000, "noise": 0.5}, seed=0, val_fraction=0.0)
    x, resid = ds.x_train[:, 0], (ds.y_train - ds.true_fn(ds.x_train))[:, 0]
    near, far = np.abs(x) < 0.4, np.abs(x) > 1.6
    assert resid[far].std() > 3 * resid[near].std()
    # std = noise * |x|: at |x| ~ 1.8 that is ~0.9
    assert 0.7 < resid[far].std() < 1.1


def test_noise_parameter_sets_the_spread():
    ds = make_dataset("sine", {"n_samples": 4000, "noise": 0.2}, seed=0)
    resid = ds.y_train - ds.true_fn(ds.x_train)
    assert abs(resid.std() - 0.2) < 0.02


def test_x_range_must_be_increasing():
    with pytest.raises(DatasetError, match=r"x_min \(1\) must be less than x_max \(1\)") as info:
        make_dataset("polynomial", {"x_min": 1.0, "x_max": 1.0})
    assert info.value.param == "x_min"


def test_formula_syntax_error_names_the_column():
    with pytest.raises(DatasetError, match="formula: unknown name 'y' at column 5") as info:
        make_dataset("formula", {"formula": "x + y"})
    assert info.value.param == "formula"


def test_formula_undefined_on_the_range_is_reported():
    with pytest.raises(DatasetError, match=r"'log\(x\)' is NaN at x = -") as info:
        make_dataset("formula", {"formula": "log(x)", "x_min": -1.0, "x_max": 1.0})
    assert info.value.param == "formula"
    with pytest.raises(DatasetError, match=r"is infinite at x = .* \(200 of 200 sample points\)"):
        make_dataset("formula", {"formula": "1/(x-x)"})
    # the same formula on a positive range is fine
    ds = make_dataset("formula", {"formula": "log(x)", "x_min": 0.5, "x_max": 3.0})
    assert np.isfinite(ds.y_train).all()


def test_formula_too_large_values_are_refused():
    with pytest.raises(DatasetError, match="too large to train on"):
        make_dataset("formula", {"formula": "exp(exp(x))", "x_min": 3.0, "x_max": 4.0})


# ---- determinism and splits ----------------------------------------------------------------


@pytest.mark.parametrize("key", REGRESSION + TOY_2D)
def test_same_seed_same_data_other_seed_other_data(key):
    a = make_dataset(key, seed=7)
    b = make_dataset(key, seed=7)
    c = make_dataset(key, seed=8)
    for name in ("x_train", "y_train", "x_val", "y_val"):
        np.testing.assert_array_equal(getattr(a, name), getattr(b, name))
    assert not np.array_equal(a.x_train, c.x_train)


@pytest.mark.parametrize(("fraction", "n_val"), [(0.0, 0), (0.2, 20), (0.25, 25), (0.5, 50)])
def test_split_sizes_follow_val_fraction(fraction, n_val):
    ds = make_dataset("moons", {"n_samples": 100}, seed=0, val_fraction=fraction)
    assert len(ds.x_val) == len(ds.y_val) == n_val
    assert len(ds.x_train) == len(ds.y_train) == 100 - n_val


def test_split_is_shuffled_and_does_not_change_the_samples():
    a = make_dataset("linear", {"n_samples": 100}, seed=2, val_fraction=0.0)
    b = make_dataset("linear", {"n_samples": 100}, seed=2, val_fraction=0.3)
    # the same 100 samples, only divided differently
    all_b = np.concatenate([b.x_train, b.x_val])
    np.testing.assert_array_equal(np.sort(a.x_train, axis=0), np.sort(all_b, axis=0))
    # validation points are spread over the range, not the last 30 of a sorted draw
    assert b.x_val.min() < 0 < b.x_val.max()


def test_split_keeps_at_least_one_training_sample():
    ds = make_dataset("moons", {"n_samples": 10}, val_fraction=0.99)
    assert len(ds.x_train) == 1 and len(ds.x_val) == 9


@pytest.mark.parametrize("fraction", [-0.1, 1.0, 1.5])
def test_val_fraction_out_of_range(fraction):
    with pytest.raises(DatasetError, match="val_fraction must be at least 0 and below 1"):
        make_dataset("linear", val_fraction=fraction)


def test_bad_seed_is_refused():
    with pytest.raises(DatasetError, match="seed must be a whole number"):
        make_dataset("linear", seed=-1)
    with pytest.raises(DatasetError, match="seed must be a whole number"):
        make_dataset("linear", seed=1.5)  # type: ignore[arg-type]


# ---- 2-D classification --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("key", "params", "k"),
    [
        ("moons", {}, 2),
        ("circles", {}, 2),
        ("xor", {}, 2),
        ("spirals", {"classes": 2}, 2),
        ("spirals", {"classes": 5}, 5),
        ("blobs", {"classes": 3}, 3),
        ("blobs", {"classes": 7}, 7),
    ],
)
def test_classification_shapes_balance_and_scale(key, params, k):
    ds = make_dataset(key, {**params, "n_samples": 301}, seed=4)
    assert ds.kind == "classification"
    assert ds.x_train.dtype == np.float32 and ds.y_train.dtype == np.int64
    assert ds.x_train.shape[1:] == (2,) and ds.input_shape == (2,)
    assert ds.n_outputs == k and ds.class_names == [str(c) for c in range(k)]
    y = np.concatenate([ds.y_train, ds.y_val])
    counts = np.bincount(y, minlength=k)
    assert counts.sum() == 301 and counts.max() - counts.min() <= 1
    x = np.concatenate([ds.x_train, ds.x_val])
    np.testing.assert_allclose(x.mean(axis=0), 0.0, atol=1e-5)
    np.testing.assert_allclose(x.std(axis=0), 1.0, atol=1e-4)
    lo, hi = ds.x_range
    assert lo < x.min() and x.max() < hi
    assert (hi - lo) < 1.5 * (x.max() - x.min())  # a margin, not a wild extent


def test_class_sizes_split_evenly():
    assert class_sizes(10, 3) == [4, 3, 3]
    assert class_sizes(9, 3) == [3, 3, 3]


def test_xor_labels_follow_the_quadrants_without_noise():
    ds = make_dataset("xor", {"noise": 0.0}, seed=0)
    # standardising only shifts by a tiny mean; the signs around the data's centre decide
    x = np.concatenate([ds.x_train, ds.x_val])
    y = np.concatenate([ds.y_train, ds.y_val])
    raw_sign = np.sign(x[:, 0] - np.median(x[:, 0])) * np.sign(x[:, 1] - np.median(x[:, 1]))
    agree = np.mean((raw_sign < 0) == (y == 1))
    assert agree > 0.95


def test_circles_inner_class_is_inside():
    ds = make_dataset("circles", {"noise": 0.0, "factor": 0.4}, seed=0)
    r = np.linalg.norm(ds.x_train, axis=1)
    assert r[ds.y_train == 1].max() < r[ds.y_train == 0].min()


def test_spirals_class_count_range_is_enforced():
    with pytest.raises(DatasetError, match="classes must be between 2 and 5, got 6") as info:
        make_dataset("spirals", {"classes": 6})
    assert info.value.param == "classes"


# ---- preview and data_spec -----------------------------------------------------------------


def test_preview_is_a_stable_subset_of_the_training_data():
    ds = make_dataset("moons", {"n_samples": 2000}, seed=0)
    x, y = ds.preview(max_points=100)
    assert x.shape == (100, 2) and y.shape == (100,)
    x2, _ = ds.preview(max_points=100)
    np.testing.assert_array_equal(x, x2)
    rows = {tuple(r) for r in ds.x_train.tolist()}
    assert all(tuple(r) in rows for r in x.tolist())
    small = make_dataset("moons", {"n_samples": 50}, seed=0)
    xs, ys = small.preview()
    assert len(xs) == len(small.x_train) == 40
    with pytest.raises(ValueError, match="max_points must be at least 1"):
        ds.preview(0)


def test_data_spec_describes_what_the_graph_must_fit():
    pytest.importorskip("neurocanvas.core.network.shapes")
    spec = make_dataset("blobs", {"classes": 4}).data_spec()
    assert spec.input_shape == (2,) and spec.target_kind == "classification"
    assert spec.n_outputs == 4


# ---- parameter validation ------------------------------------------------------------------


def test_unknown_data_set_lists_the_known_ones():
    with pytest.raises(DatasetError, match="unknown data set 'mnsit'; choose one of: linear"):
        make_dataset("mnsit")


def test_parameters_must_be_a_mapping():
    with pytest.raises(DatasetError, match="parameters must be a mapping of names to values"):
        make_dataset("moons", [("noise", 0.1)])  # type: ignore[arg-type]


def test_unknown_parameter_is_named():
    with pytest.raises(DatasetError, match="Two moons: unknown parameter 'classes'") as info:
        make_dataset("moons", {"classes": 3})
    assert info.value.param == "classes"


@pytest.mark.parametrize(
    ("params", "message", "param"),
    [
        ({"n_samples": 3}, "n_samples must be between 10 and 100000, got 3", "n_samples"),
        ({"n_samples": "many"}, "n_samples must be a whole number", "n_samples"),
        ({"noise": -0.5}, "noise must be between 0 and", "noise"),
        ({"noise": float("nan")}, "noise must be a finite number", "noise"),
    ],
)
def test_bad_values_are_refused_with_the_parameter_named(params, message, param):
    with pytest.raises(DatasetError, match=message) as info:
        make_dataset("linear", params)
    assert info.value.param == param
    assert str(info.value).startswith("Linear: y = 2x + 1: ")


# ---- digits --------------------------------------------------------------------------------


def test_digits_are_8x8_images_in_unit_range():
    ds = make_dataset("digits", seed=0)
    assert ds.input_shape == (1, 8, 8) and ds.n_outputs == 10
    assert ds.x_train.shape[1:] == (1, 8, 8) and ds.x_train.dtype == np.float32
    assert len(ds.x_train) + len(ds.x_val) == 1797
    assert ds.x_train.min() == 0.0 and ds.x_train.max() == 1.0
    assert ds.y_train.dtype == np.int64 and set(np.unique(ds.y_train)) == set(range(10))
    assert ds.class_names == [str(d) for d in range(10)]
    sub = make_dataset("digits", {"n_samples": 100}, seed=0, val_fraction=0.1)
    assert len(sub.x_train) == 90 and len(sub.x_val) == 10


def test_digits_cache_is_not_shared_with_callers():
    first = make_dataset("digits", seed=0)
    first.x_train[:] = 5.0  # a caller may normalise in place
    again = make_dataset("digits", seed=0)
    assert again.x_train.max() == 1.0


# ---- IDX (MNIST) ---------------------------------------------------------------------------


def _idx(magic: int, dims: tuple[int, ...], data: bytes) -> bytes:
    return struct.pack(">I", magic) + b"".join(struct.pack(">I", d) for d in dims) + data


def _write_mnist(tmp_path, n=12, rows=5, cols=4, gz=False, seed=0):
    rng = np.random.default_rng(seed)
    pixels = rng.integers(0, 256, size=(n, rows, cols), dtype=np.uint8)
    labels = (np.arange(n) % 10).astype(np.uint8)
    img = _idx(2051, (n, rows, cols), pixels.tobytes())
    lab = _idx(2049, (n,), labels.tobytes())
    suffix = ".gz" if gz else ""
    ip, lp = tmp_path / f"images-idx3-ubyte{suffix}", tmp_path / f"labels-idx1-ubyte{suffix}"
    ip.write_bytes(gzip.compress(img) if gz else img)
    lp.write_bytes(gzip.compress(lab) if gz else lab)
    return ip, lp, pixels, labels


@pytest.mark.parametrize("gz", [False, True])
def test_mnist_reads_idx_files_plain_and_gzipped(tmp_path, gz):
    ip, lp, pixels, labels = _write_mnist(tmp_path, gz=gz)
    ds = make_dataset("mnist", {"images_path": str(ip), "labels_path": str(lp)}, val_fraction=0)
    assert ds.input_shape == (1, 5, 4) and ds.n_outputs == 10
    assert ds.x_train.shape == (12, 1, 5, 4) and ds.x_train.dtype == np.float32
    assert ds.y_train.dtype == np.int64
    # the split shuffles; each image must still carry its own label
    order = np.argsort(ds.y_train, kind="stable")
    expect = np.argsort(labels, kind="stable")
    np.testing.assert_allclose(ds.x_train[order, 0], pixels[expect] / 255.0, rtol=1e-6)
    assert ds.class_names == [str(d) for d in range(10)]


def test_mnist_fashion_names_and_subset(tmp_path):
    ip, lp, _, _ = _write_mnist(tmp_path, n=30)
    params = {
        "images_path": str(ip),
        "labels_path": str(lp),
        "variant": "Fashion-MNIST",
        "max_samples": 10,
    }
    ds = make_dataset("mnist", params, val_fraction=0.2)
    assert ds.class_names == FASHION_CLASSES and ds.class_names[9] == "Ankle boot"
    assert len(ds.x_train) == 8 and len(ds.x_val) == 2


def _mnist_error(ip, lp) -> DatasetError:
    with pytest.raises(DatasetError) as info:
        make_dataset("mnist", {"images_path": str(ip), "labels_path": str(lp)})
    return info.value


def test_mnist_missing_and_empty_paths(tmp_path):
    _, lp, _, _ = _write_mnist(tmp_path)
    err = _mnist_error(tmp_path / "nope.gz", lp)
    assert "images file not found:" in str(err) and "nope.gz" in str(err)
    assert err.param == "images_path"
    err = _mnist_error("", lp)
    assert "choose the images file" in str(err)
    err = _mnist_error(tmp_path, lp)
    assert "images path is not a file" in str(err)


def test_mnist_swapped_files_are_recognised(tmp_path):
    ip, lp, _, _ = _write_mnist(tmp_path)
    err = _mnist_error(lp, ip)
    assert "magic number 2049 (0x00000801), expected 2051" in str(err)
    assert "it is an IDX labels file; check the two paths" in str(err)


def test_mnist_wrong_magic(tmp_path):
    _, lp, _, _ = _write_mnist(tmp_path)
    bad = tmp_path / "bad"
    bad.write_bytes(b"PK\x03\x04" + bytes(40))
    err = _mnist_error(bad, lp)
    assert "images file bad has magic number" in str(err) and "expected 2051" in str(err)


@pytest.mark.parametrize("gz", [False, True])
def test_mnist_truncated_file(tmp_path, gz):
    ip, lp, pixels, _ = _write_mnist(tmp_path)
    data = _idx(2051, (12, 5, 4), pixels.tobytes()[:-7])
    ip.write_bytes(gzip.compress(data) if gz else data)
    err = _mnist_error(ip, lp)
    assert "is truncated: its header promises 240 bytes of data" in str(err)
    assert "found 233" in str(err)


def test_mnist_truncated_header_and_tiny_file(tmp_path):
    _, lp, _, _ = _write_mnist(tmp_path)
    short = tmp_path / "short"
    short.write_bytes(struct.pack(">I", 2051) + b"\x00\x00")
    assert "truncated inside its header" in str(_mnist_error(short, lp))
    short.write_bytes(b"\x00\x00")
    assert "too short to be an IDX file" in str(_mnist_error(short, lp))


def test_mnist_extra_bytes(tmp_path):
    ip, lp, pixels, _ = _write_mnist(tmp_path)
    ip.write_bytes(_idx(2051, (12, 5, 4), pixels.tobytes() + b"\x00\x00"))
    assert "has 2 bytes more than its header's dimensions" in str(_mnist_error(ip, lp))


def test_mnist_damaged_gzip(tmp_path):
    ip, lp, _, _ = _write_mnist(tmp_path, gz=True)
    ip.write_bytes(ip.read_bytes()[:20])
    assert "damaged or truncated gzip file" in str(_mnist_error(ip, lp))


def test_mnist_counts_must_match(tmp_path):
    ip, _, _, _ = _write_mnist(tmp_path, n=12)
    lp = tmp_path / "labels10"
    lp.write_bytes(_idx(2049, (10,), bytes(10)))
    err = _mnist_error(ip, lp)
    assert "holds 12 images but the labels file 10 labels" in str(err)
    assert err.param == "labels_path"


def test_mnist_labels_out_of_range(tmp_path):
    ip, lp, _, _ = _write_mnist(tmp_path)
    lp.write_bytes(_idx(2049, (12,), bytes([3] * 11 + [12])))
    assert "label 12 found" in str(_mnist_error(ip, lp))


# ---- CSV -----------------------------------------------------------------------------------


def _csv(tmp_path, text: str, name: str = "data.csv"):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return str(path)


def _csv_error(path, **params) -> DatasetError:
    with pytest.raises(DatasetError) as info:
        make_dataset("csv", {"path": path, **params})
    return info.value


def test_csv_regression_with_chosen_columns(tmp_path):
    rows = "\n".join(f"{i},{i * 10},{2 * i + 1}" for i in range(20))
    path = _csv(tmp_path, "a,b,y\n" + rows + "\n")
    ds = make_dataset(
        "csv",
        {"path": path, "feature_columns": "a", "target_column": "y", "standardize": False},
        val_fraction=0.25,
    )
    assert ds.kind == "regression" and ds.input_shape == (1,) and ds.n_outputs == 1
    assert ds.x_train.shape == (15, 1) and ds.y_train.shape == (15, 1)
    assert ds.x_train.dtype == ds.y_train.dtype == np.float32
    np.testing.assert_array_equal(ds.y_train, 2 * ds.x_train + 1)


def test_csv_defaults_use_last_column_as_target_and_standardise(tmp_path):
    rows = "\n".join(f"{i},{1000 + 50 * i},{i % 3}" for i in range(30))
    path = _csv(tmp_path, "a, b ,target\n\n" + rows + "\n\n")  # blank lines and spaces are fine
    ds = make_dataset("csv", {"path": path}, val_fraction=0)
    assert ds.input_shape == (2,)
    np.testing.assert_allclose(ds.x_train.mean(axis=0), 0.0, atol=1e-5)
    np.testing.assert_allclose(ds.x_train.std(axis=0), 1.0, atol=1e-4)


def test_csv_string_classes_become_ids_with_names(tmp_path):
    path = _csv(tmp_path, "x1,x2,kind\n1,2,dog\n3,4,cat\n5,6,dog\n7,8,bird\n")
    ds = make_dataset("csv", {"path": path, "task": "classification"}, val_fraction=0)
    assert ds.kind == "classification" and ds.class_names == ["bird", "cat", "dog"]
    assert ds.n_outputs == 3 and ds.y_train.dtype == np.int64
    by_x1 = dict(zip(ds.x_train[:, 0].tolist(), ds.y_train.tolist()))
    firsts = sorted(by_x1)  # standardised x1 keeps the row order 1 < 3 < 5 < 7
    assert [by_x1[v] for v in firsts] == [2, 1, 2, 0]


def test_csv_numeric_classes_sort_numerically(tmp_path):
    path = _csv(tmp_path, "x,label\n1,10\n2,2\n3,1\n4,10\n")
    ds = make_dataset("csv", {"path": path, "task": "classification"}, val_fraction=0)
    assert ds.class_names == ["1", "2", "10"]


def test_csv_unknown_column_lists_the_available_ones(tmp_path):
    path = _csv(tmp_path, "age,height,weight\n1,2,3\n4,5,6\n")
    err = _csv_error(path, target_column="wieght")
    assert str(err) == "unknown column 'wieght'; the file has 'age', 'height', 'weight'"
    assert err.param == "target_column"
    err = _csv_error(path, feature_columns="age, size")
    assert "unknown column 'size'" in str(err) and err.param == "feature_columns"


def test_csv_non_numeric_cell_names_row_and_column(tmp_path):
    path = _csv(tmp_path, "age,height,weight\n1,2,3\n4,tall,6\n")
    assert str(_csv_error(path)) == "non-numeric value 'tall' in row 3, column 'height'"


@pytest.mark.parametrize("cell", ["", "NA", "nan", "?"])
def test_csv_missing_value_names_row_and_column(tmp_path, cell):
    path = _csv(tmp_path, f"age,height,weight\n1,2,3\n4,5,6\n7,8,9\n{cell},1,1\n")
    assert str(_csv_error(path)) == "missing value in row 5, column 'age'"


def test_csv_missing_class_label(tmp_path):
    path = _csv(tmp_path, "x,label\n1,a\n2,\n")
    err = _csv_error(path, task="classification")
    assert str(err) == "missing value in row 3, column 'label'"


def test_csv_empty_file_and_header_only(tmp_path):
    assert "is empty" in str(_csv_error(_csv(tmp_path, "")))
    assert "is empty" in str(_csv_error(_csv(tmp_path, "\n\n")))
    assert "has a header but no data rows" in str(_csv_error(_csv(tmp_path, "a,b\n")))


def test_csv_header_problems(tmp_path):
    assert "column 2 of the header has no name" in str(_csv_error(_csv(tmp_path, "a,,c\n1,2,3")))
    assert "names column 'a' twice" in str(_csv_error(_csv(tmp_path, "a,b,a\n1,2,3")))


def test_csv_ragged_row(tmp_path):
    err = _csv_error(_csv(tmp_path, "a,b,c\n1,2,3\n4,5\n"))
    assert str(err) == "row 3 has 2 cells but the header has 3 columns"


def test_csv_column_choice_problems(tmp_path):
    path = _csv(tmp_path, "a,b,c\n1,2,3\n4,5,6\n")
    err = _csv_error(path, feature_columns="a,c", target_column="c")
    assert "column 'c' is the target; remove it from the feature columns" in str(err)
    assert "choose one target column, got 2" in str(_csv_error(path, target_column="a,b"))
    assert "listed twice" in str(_csv_error(path, feature_columns="a,a"))
    one = _csv(tmp_path, "y\n1\n2\n", "one.csv")
    assert "no column left to use as a feature" in str(_csv_error(one))


def test_csv_single_class_is_refused(tmp_path):
    path = _csv(tmp_path, "x,label\n1,a\n2,a\n")
    err = _csv_error(path, task="classification")
    assert "holds a single class ('a'); classification needs at least 2" in str(err)


def test_csv_file_problems(tmp_path):
    err = _csv_error(str(tmp_path / "missing.csv"))
    assert "CSV file not found:" in str(err) and err.param == "path"
    assert "choose a CSV file" in str(_csv_error(""))
    binary = tmp_path / "b.csv"
    binary.write_bytes(b"a,b\n\xff\xfe,1\n")
    assert "is not UTF-8 text" in str(_csv_error(str(binary)))


def test_csv_accepts_a_byte_order_mark(tmp_path):
    path = tmp_path / "bom.csv"
    path.write_bytes("\ufeffx,y\n1,2\n3,4\n".encode())
    ds = make_dataset("csv", {"path": str(path), "target_column": "y"}, val_fraction=0)
    assert ds.input_shape == (1,)
