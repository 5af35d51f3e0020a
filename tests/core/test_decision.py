"""The model's real decision rule (logits, Sigmoid, Softmax, LogSoftmax) and the warnings on an
activation the loss applies again; cases/sigmoid-bce and cases/softmax-ce."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from neurocanvas.core.cli._common import load_source
from neurocanvas.core.network.decision import (
    class_probabilities,
    last_activation,
    predict,
    predict_labels,
)
from neurocanvas.core.network.shapes import DataSpec, analyse
from neurocanvas.core.training import Trainer

CASES = Path(__file__).resolve().parents[1] / "cases"  # the field cases (../shared/cases)


def _sigmoid(z):
    return 1 / (1 + np.exp(-z))


def _softmax(z):
    e = np.exp(z - z.max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True)


Z1 = np.array([[-3.0], [-0.2], [0.1], [4.0]])
Z3 = np.array([[1.0, 2.0, 0.5], [3.0, -1.0, 0.0], [-2.0, -1.0, -3.0]])


def test_bce_labels_from_logits_and_from_a_sigmoid_agree():
    expected = [0, 0, 1, 1]
    assert predict_labels(Z1, "bce", None).tolist() == expected
    assert predict_labels(_sigmoid(Z1), "bce", "Sigmoid").tolist() == expected
    assert predict_labels(np.log(_sigmoid(Z1)), "bce", "LogSoftmax").tolist() == expected
    # thresholding a Sigmoid's output at 0 (the old rule) calls everything class 1
    assert predict_labels(_sigmoid(Z1), "bce", None).tolist() == [1, 1, 1, 1]


def test_bce_probabilities_whatever_the_last_layer():
    want = np.concatenate([1 - _sigmoid(Z1), _sigmoid(Z1)], axis=1)
    np.testing.assert_allclose(class_probabilities(Z1, "bce", None), want)
    np.testing.assert_allclose(class_probabilities(_sigmoid(Z1), "bce", "Sigmoid"), want)


@pytest.mark.parametrize(
    ("last", "outputs"),
    [(None, Z3), ("Softmax", _softmax(Z3)), ("LogSoftmax", np.log(_softmax(Z3)))],
)
def test_cross_entropy_labels_and_probabilities(last, outputs):
    assert predict_labels(outputs, "cross_entropy", last).tolist() == [1, 0, 1]
    np.testing.assert_allclose(
        class_probabilities(outputs, "cross_entropy", last), _softmax(Z3), rtol=1e-12
    )


def test_last_activation_reads_the_layer_feeding_the_output():
    loaded = load_source(str(CASES / "sigmoid-bce" / "project.ncproj"))
    assert last_activation(loaded.model) == "Sigmoid"
    ref = load_source(str(CASES / "softmax-ce" / "reference-without-softmax.ncproj"))
    assert last_activation(ref.model) == "Linear"


# ---- warnings on the node -----------------------------------------------------------------


def _spec(loaded) -> DataSpec:
    return loaded.dataset.data_spec()


def test_softmax_before_cross_entropy_warns_on_the_softmax_node():
    loaded = load_source(str(CASES / "softmax-ce" / "project.ncproj"))
    report = analyse(loaded.project.graph, _spec(loaded))
    softmax = loaded.project.graph.node_by_name("softmax1")
    (warning,) = report.warnings
    assert warning.node_id == softmax.id and warning.fix == "remove"
    assert "cannot fall below a floor" in warning.message
    assert report.ok  # a warning does not stop training


def test_sigmoid_before_bce_warns_and_the_reference_does_not():
    loaded = load_source(str(CASES / "sigmoid-bce" / "project.ncproj"))
    (warning,) = analyse(loaded.project.graph, _spec(loaded)).warnings
    assert warning.node_id == loaded.project.graph.node_by_name("sigmoid1").id
    ref = load_source(str(CASES / "softmax-ce" / "reference-without-softmax.ncproj"))
    assert analyse(ref.project.graph, _spec(ref)).warnings == []


def test_batch_size_one_with_batchnorm_is_refused_with_the_reason():
    loaded = load_source(str(CASES / "batchnorm-last-batch" / "batch-size-one.ncproj"))
    assert loaded.model is None
    (error,) = loaded.report.errors
    assert "needs at least 2 samples per batch" in error.message
    assert "batch size is 1" in error.message
    ok = analyse(loaded.project.graph, replace(_spec(loaded), batch_size=2))
    assert ok.ok


# ---- the cases, trained --------------------------------------------------------------------


def test_sigmoid_bce_case_reports_the_models_real_accuracy():
    loaded = load_source(str(CASES / "sigmoid-bce" / "project.ncproj"))
    trainer = Trainer(loaded.model, loaded.dataset, loaded.project.config)
    final = trainer.run()
    out = predict(loaded.model, loaded.dataset.x_val)
    true = loaded.dataset.y_val.reshape(-1).astype(int)
    real = float(((out[:, 0] > 0.5).astype(int) == true).mean())
    assert real > 0.95
    assert final.val_acc[-1] == pytest.approx(real)
    conf = final.confusion
    assert conf[0, 0] + conf[1, 1] == pytest.approx(real * len(true))


def test_softmax_ce_case_trains_far_lower_without_the_softmax():
    with_softmax = load_source(str(CASES / "softmax-ce" / "project.ncproj"))
    reference = load_source(str(CASES / "softmax-ce" / "reference-without-softmax.ncproj"))
    config = replace(with_softmax.project.config, epochs=60)
    a = Trainer(with_softmax.model, with_softmax.dataset, config).run()
    b = Trainer(reference.model, reference.dataset, config).run()
    floor = -np.log(np.e / (np.e + 1))  # softmax of probabilities in [0, 1]: at best e/(e+1)
    assert a.train_loss[-1] > floor - 1e-3
    assert b.train_loss[-1] < floor / 3
