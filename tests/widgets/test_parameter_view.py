"""The parameter view: numbers for small layers, heat maps for matrices, filters as images."""

from __future__ import annotations

import numpy as np
import pytest

from neurocanvas.widgets.parameter_view import ParameterView, diverging_rgb, filter_mosaic


@pytest.fixture
def view(qtbot):
    v = ParameterView()
    qtbot.addWidget(v)
    return v


def test_a_small_layer_reads_as_numbers(view):
    view.set_node("linear")
    view.show_weights({"linear.weight": np.array([[2.0]]), "linear.bias": np.array([1.0])})
    assert "weight = 2.00" in view.text() and "bias = 1.00" in view.text()
    assert view.shown == {"weight": "numbers", "bias": "numbers"}


def test_a_large_matrix_is_a_heat_map_and_conv_weights_are_filters(view):
    view.set_node("conv")
    weights = {
        "conv.weight": np.random.default_rng(0).normal(size=(8, 1, 3, 3)),
        "conv.bias": np.zeros(8),
        "fc.weight": np.ones((4, 4)),  # another layer: not shown
    }
    view.show_weights(weights)
    assert view.shown == {"weight": "filters", "bias": "numbers"}
    (pixmap,) = view.images()
    assert pixmap.width() > 0 and "first 8 filters" in view.text()
    view.set_node("fc")
    view.show_weights({"fc.weight": np.ones((20, 30))})
    assert view.shown == {"weight": "heat map"}


def test_nothing_selected_hides_the_view_and_asks_for_nothing(view, qtbot):
    with qtbot.waitSignal(view.node_changed) as asked:
        view.set_node(None)
    assert asked.args == [None]
    view.show_weights({"x.weight": np.ones(3)})
    assert not view.isVisible()


def test_colours_run_blue_through_white_to_red():
    rgb = diverging_rgb(np.array([[-1.0, 0.0, 1.0]]))
    assert rgb[0, 1].tolist() == [255, 255, 255]
    assert rgb[0, 0, 2] > rgb[0, 0, 0] and rgb[0, 2, 0] > rgb[0, 2, 2]


def test_filters_sit_side_by_side_with_a_gap():
    mosaic = filter_mosaic(np.ones((3, 2, 5, 5)))
    assert mosaic.shape == (5, 3 * 6 - 1) and mosaic[:, 5].sum() == 0
