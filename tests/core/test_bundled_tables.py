"""scikit-learn's bundled tables as data sets: feature names, the user's units, they train."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn import datasets as sk

from neurocanvas.core.datasets import DATASETS, make_dataset
from neurocanvas.core.network.compiler import compile_graph
from neurocanvas.core.network.graph import Graph
from neurocanvas.core.training import Trainer, TrainingConfig

LOADERS = {
    "iris": sk.load_iris,
    "wine": sk.load_wine,
    "breast_cancer": sk.load_breast_cancer,
    "diabetes": lambda: sk.load_diabetes(scaled=False),
}


@pytest.mark.parametrize("key", list(LOADERS))
def test_a_bundled_table_keeps_its_names_and_units(key):
    assert key in DATASETS
    bunch = LOADERS[key]()
    ds = make_dataset(key, val_fraction=0)
    assert ds.feature_names == [str(n) for n in bunch.feature_names]
    assert ds.input_shape == (bunch.data.shape[1],) and len(ds.x_train) == len(bunch.data)
    np.testing.assert_allclose(ds.x_train.mean(axis=0), 0, atol=1e-4)  # standardised
    # back in the table's units, the rows are sklearn's rows (in the split's order)
    raw = ds.inputs_to_user(ds.x_train)
    order = np.lexsort(raw.T[::-1])
    expected = bunch.data[np.lexsort(bunch.data.T[::-1])]
    np.testing.assert_allclose(raw[order], expected, rtol=1e-5, atol=1e-4)
    if ds.kind == "classification":
        assert ds.class_names == [str(c) for c in bunch.target_names]
    else:
        y = np.sort(ds.outputs_to_user(ds.y_train).ravel())
        np.testing.assert_allclose(y, np.sort(bunch.target), rtol=1e-5)


def test_iris_trains_to_high_accuracy():
    ds = make_dataset("iris", seed=0)
    g = Graph()
    chain = [
        ("Input", {"shape": (4,)}),
        ("Linear", {"out_features": 16}),
        ("ReLU", {}),
        ("Linear", {"out_features": 3}),
        ("Output", {"loss": "cross_entropy"}),
    ]
    prev = None
    for type_, params in chain:
        node = g.add_node(type_, params)
        if prev is not None:
            g.connect(prev.id, "out", node.id, "in")
        prev = node
    model = compile_graph(g, ds.data_spec())
    final = Trainer(model, ds, TrainingConfig(epochs=60, batch_size=16, lr=0.01)).run()
    assert final.val_acc[-1] > 0.9
