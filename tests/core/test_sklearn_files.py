"""scikit-learn's tables read from its files: the same data as its loaders, without the import."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest
from sklearn import datasets as sk

from neurocanvas.core.datasets import sklearn_files

LOADERS = {
    "iris": sk.load_iris,
    "wine": sk.load_wine,
    "breast_cancer": sk.load_breast_cancer,
    "diabetes": lambda: sk.load_diabetes(scaled=False),
    "digits": sk.load_digits,
}


@pytest.mark.parametrize("name", list(LOADERS))
def test_a_table_read_from_the_file_is_what_scikit_learn_loads(name):
    bunch = LOADERS[name]()
    x, y, features, classes = sklearn_files.load(name)
    np.testing.assert_array_equal(x, bunch.data)
    np.testing.assert_array_equal(y, bunch.target)
    assert y.dtype == bunch.target.dtype
    assert features == tuple(str(n) for n in bunch.feature_names)
    assert classes == tuple(str(c) for c in getattr(bunch, "target_names", ()))


def test_tables_moved_elsewhere_are_loaded_by_scikit_learn_itself(monkeypatch, tmp_path):
    monkeypatch.setattr(sklearn_files, "data_dir", lambda: tmp_path)  # no files there
    x, y, features, classes = sklearn_files.load("wine")
    bunch = sk.load_wine()
    np.testing.assert_array_equal(x, bunch.data)
    assert classes == ("class_0", "class_1", "class_2") and features[0] == "alcohol"


def test_an_unknown_table_is_refused():
    with pytest.raises(KeyError):
        sklearn_files.load("titanic")


def test_building_the_digits_and_the_tables_does_not_import_scikit_learn():
    code = (
        "import sys\n"
        "from neurocanvas.core.datasets import make_dataset\n"
        "for key in ('digits', 'iris', 'wine', 'breast_cancer', 'diabetes'):\n"
        "    make_dataset(key, {})\n"
        "print('sklearn' in sys.modules, 'scipy' in sys.modules)\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=120
    )
    assert out.stdout.split() == ["False", "False"]
