"""The small tables scikit-learn ships, read from its files without importing scikit-learn.

Importing ``sklearn.datasets`` takes 0.5-1 s (scipy and much of scikit-learn come with it)
and holds the import lock and the GIL for long stretches, which froze the window even when
the import ran on a background thread. The tables themselves are small CSV files in
``sklearn/datasets/data``, found here with :func:`importlib.util.find_spec` (which locates a
package without running it) and parsed with ``numpy.loadtxt`` as scikit-learn's own loaders
do (``sklearn.datasets._base``; format: a header row ``n_samples,n_features,class names...``
then one row per sample with the class id last). The feature names are not in the files:
they are copied from those loaders (scikit-learn 1.x). When the files cannot be found (a
future scikit-learn may move them), :func:`load` falls back to importing scikit-learn.
"""

from __future__ import annotations

import gzip
import importlib.util
from pathlib import Path

import numpy as np

__all__ = ["FEATURE_NAMES", "SklearnTable", "data_dir", "load"]

_BREAST = (
    "radius",
    "texture",
    "perimeter",
    "area",
    "smoothness",
    "compactness",
    "concavity",
    "concave points",
    "symmetry",
    "fractal dimension",
)

#: Feature names as ``sklearn.datasets.load_<name>`` gives them.
FEATURE_NAMES: dict[str, tuple[str, ...]] = {
    "iris": ("sepal length (cm)", "sepal width (cm)", "petal length (cm)", "petal width (cm)"),
    "wine": (
        "alcohol",
        "malic_acid",
        "ash",
        "alcalinity_of_ash",
        "magnesium",
        "total_phenols",
        "flavanoids",
        "nonflavanoid_phenols",
        "proanthocyanins",
        "color_intensity",
        "hue",
        "od280/od315_of_diluted_wines",
        "proline",
    ),
    "breast_cancer": (
        *(f"mean {n}" for n in _BREAST),
        *(f"{n} error" for n in _BREAST),
        *(f"worst {n}" for n in _BREAST),
    ),
    "diabetes": ("age", "sex", "bmi", "bp", "s1", "s2", "s3", "s4", "s5", "s6"),
    "digits": tuple(f"pixel_{r}_{c}" for r in range(8) for c in range(8)),
}

_FILES = {"iris": "iris.csv", "wine": "wine_data.csv", "breast_cancer": "breast_cancer.csv"}

#: (x float64 (n, features), y (n,), feature names, class names); images for digits are
#: x reshaped to (n, 8, 8) by the caller.
SklearnTable = tuple[np.ndarray, np.ndarray, tuple[str, ...], tuple[str, ...]]


def data_dir() -> Path | None:
    """``sklearn/datasets/data`` of the installed scikit-learn, or None (not installed)."""
    try:
        spec = importlib.util.find_spec("sklearn")
    except (ImportError, ValueError):
        return None
    if spec is None or not spec.submodule_search_locations:
        return None
    folder = Path(next(iter(spec.submodule_search_locations))) / "datasets" / "data"
    return folder if folder.is_dir() else None


def load(name: str) -> SklearnTable:
    """Table ``name`` (iris, wine, breast_cancer, diabetes, digits) as scikit-learn gives it.

    Diabetes comes unscaled (``load_diabetes(scaled=False)``): ages in years, BMI... ;
    its y is float64, the classification tables' y is int64.

    Raises ImportError when scikit-learn is not installed; KeyError for another name.
    """
    if name not in FEATURE_NAMES:
        raise KeyError(name)
    folder = data_dir()
    try:
        if folder is not None:
            return _read(folder, name)
    except (OSError, ValueError, IndexError):
        pass  # a layout this reader does not know: scikit-learn's own loader knows
    return _via_sklearn(name)


def _read(folder: Path, name: str) -> SklearnTable:
    names = FEATURE_NAMES[name]
    if name == "diabetes":
        x = np.loadtxt(folder / "diabetes_data_raw.csv.gz")
        y = np.loadtxt(folder / "diabetes_target.csv.gz")
        classes: tuple[str, ...] = ()
    elif name == "digits":
        with gzip.open(folder / "digits.csv.gz", "rt") as f:
            data = np.loadtxt(f, delimiter=",")
        x, y = data[:, :-1], data[:, -1].astype(np.int64)
        classes = tuple(str(d) for d in range(10))
    else:
        with open(folder / _FILES[name], encoding="utf-8") as f:
            header = f.readline().strip().split(",")
            data = np.loadtxt(f, delimiter=",")
        n, features = int(header[0]), int(header[1])
        classes = tuple(header[2:])
        x, y = data[:, :features], data[:, features].astype(np.int64)
        if x.shape != (n, len(names)):
            raise ValueError(f"{_FILES[name]}: {x.shape}, expected ({n}, {len(names)})")
    if x.shape[1] != len(names) or len(y) != len(x):
        raise ValueError(f"{name}: unexpected shape {x.shape}")
    return x, y, names, classes


def _via_sklearn(name: str) -> SklearnTable:
    import sklearn.datasets as sk  # slow (see the module docstring): the fallback only

    kwargs = {"scaled": False} if name == "diabetes" else {}
    bunch = getattr(sk, f"load_{name}")(**kwargs)
    x = np.asarray(bunch.data, dtype=np.float64)
    classes = tuple(str(c) for c in getattr(bunch, "target_names", ()))
    return x, np.asarray(bunch.target), tuple(str(n) for n in bunch.feature_names), classes
