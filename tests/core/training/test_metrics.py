"""Metrics on their own: series, decision rule, confusion, reference loss, the fit grid."""

from __future__ import annotations

import math

import numpy as np
import pytest

from neurocanvas.core import nn
from neurocanvas.core.tensor import Tensor
from neurocanvas.core.training import metrics


def test_bce_thresholds_its_logit_at_zero_and_other_losses_take_the_argmax():
    logits = np.array([[-0.1], [0.2]])
    assert metrics.predict_labels(logits, "bce").tolist() == [0, 1]
    scores = np.array([[0.1, 0.7, 0.2], [3.0, 1.0, 0.0]])
    assert metrics.predict_labels(scores, "cross_entropy").tolist() == [1, 0]


def test_confusion_rows_are_true_classes_and_columns_predictions():
    conf = metrics.confusion_matrix(np.array([0, 0, 1]), np.array([0, 1, 1]), 2)
    assert conf.tolist() == [[1, 1], [0, 1]]


def test_reference_loss_is_what_knowing_nothing_scores():
    y = np.array([[1.0], [3.0]])
    assert metrics.reference_loss("mse", y, 1) == pytest.approx(1.0)  # variance
    assert metrics.reference_loss("cross_entropy", np.array([0, 1, 2]), 3) == pytest.approx(
        math.log(3)
    )
    assert metrics.reference_loss("bce", y, 1) == pytest.approx(math.log(2))


def test_epoch_meter_weights_batch_losses_by_their_size():
    meter = metrics.EpochMeter()
    meter.add(1.0, 3, correct=3)
    meter.add(5.0, 1, correct=0)
    assert meter.mean_loss == pytest.approx(2.0) and meter.accuracy == 0.75


def test_fit_grid_draws_a_curve_for_1d_regression_and_regions_for_2d_classes():
    curve = metrics.FitGrid((1,), np.zeros((4, 1)), False, (-1.0, 1.0))
    out = curve.predict(nn.Linear(1, 1), Tensor, "mse")
    assert out is not None and out["x"].shape == (metrics.FIT_POINTS_1D,)
    assert out["y"].shape == (metrics.FIT_POINTS_1D,)
    regions = metrics.FitGrid((2,), np.zeros((4, 2)), True, (-1.0, 1.0))
    probs = regions.predict(nn.Linear(2, 3), Tensor, "cross_entropy")
    assert probs is not None
    assert probs["probs"].shape == (metrics.FIT_GRID_2D, metrics.FIT_GRID_2D, 3)
    np.testing.assert_allclose(probs["probs"].sum(axis=-1), 1.0, rtol=1e-6)
    assert metrics.FitGrid((1, 4, 4), np.zeros((4, 1, 4, 4)), True).grid is None
