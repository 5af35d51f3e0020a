"""Insight widgets driven with plain results, as the app hands them over."""

from __future__ import annotations

import math

import numpy as np
import pytest
from PySide6.QtCore import Qt

from neurocanvas.app.editor import GraphEditor
from neurocanvas.core.network.graph import Graph
from neurocanvas.core.training.lr_finder import LRFindResult
from neurocanvas.widgets.canvas import NodeCanvas
from neurocanvas.widgets.canvas.gradient_scale import grad_level, grad_rgb
from neurocanvas.widgets.canvas.health_overlay import HealthOverlay
from neurocanvas.widgets.insight.arrays import channel_grid, format_values
from neurocanvas.widgets.insight.histogram_panel import HistogramPanel, ratio_words
from neurocanvas.widgets.insight.lr_finder_dialog import LRFinderDialog
from neurocanvas.widgets.insight.preview_panel import PreviewPanel
from neurocanvas.widgets.insight.stepper_panel import StepperPanel
from neurocanvas.widgets.insight.trace_overlay import TraceOverlay

LEFT = Qt.MouseButton.LeftButton


@pytest.fixture
def chain(qtbot):
    """input -> lin -> act -> out on a shown canvas; returns (canvas, ids)."""
    g = Graph()
    ids = {
        "in": g.add_node("Input", {"shape": (3,)}, pos=(0, 0)).id,
        "lin": g.add_node("Linear", {"out_features": 4}, pos=(200, 0)).id,
        "act": g.add_node("ReLU", pos=(400, 0)).id,
        "out": g.add_node("Output", pos=(600, 0)).id,
    }
    g.connect(ids["in"], "out", ids["lin"], "in")
    g.connect(ids["lin"], "out", ids["act"], "in")
    g.connect(ids["act"], "out", ids["out"], "in")
    view = NodeCanvas(GraphEditor(g))
    qtbot.addWidget(view)
    view.resize(900, 400)
    view.show()
    qtbot.waitExposed(view)
    return view, ids


def health_result(ids, lin_norm=1e-2, act_norm=1e-1, badges=None):
    return {
        "step": 7,
        "layers": {
            ids["lin"]: {"type": "Linear", "grad_norm": lin_norm},
            ids["act"]: {"type": "ReLU", "grad_norm": act_norm, "dead_fraction": 0.75},
        },
        "grad_ratio": None,
        "badges": badges or {},
    }


def test_gradient_size_sets_each_wires_band_and_the_legend_shows(chain) -> None:
    canvas, ids = chain
    overlay = HealthOverlay(canvas)
    overlay.show_health(health_result(ids, lin_norm=1e-6, act_norm=50.0))
    halos = {w.edge.src: h for w, h in overlay.halos.items()}
    assert ids["in"] not in halos  # nothing flows back into the data
    assert halos[ids["lin"]].norm == 1e-6 and halos[ids["act"]].norm == 50.0
    assert halos[ids["act"]].boundingRect().height() > halos[ids["lin"]].boundingRect().height()
    assert "size 50 (" in halos[ids["act"]].toolTip()
    assert overlay.legend.isVisible() and "step 7" in overlay.legend.step_label.text()
    overlay.set_enabled(False)
    assert not overlay.legend.isVisible()
    assert not any(h.isVisible() for h in overlay.halos.values())


def test_the_health_legend_is_compact_until_its_toggle_is_clicked(chain, qtbot) -> None:
    canvas, ids = chain
    canvas.resize(900, 400)
    canvas.show()
    qtbot.waitExposed(canvas)
    overlay = HealthOverlay(canvas)
    overlay.show_health(health_result(ids, lin_norm=1e-6, act_norm=50.0))
    legend = overlay.legend
    compact = legend.height()
    assert not legend.details.isVisible() and "dead ReLUs" in legend.toolTip()
    assert legend.geometry().bottom() == canvas.height() - 11  # 10 px from the corner
    qtbot.mouseClick(legend.toggle, Qt.MouseButton.LeftButton)
    assert legend.details.isVisible() and "dead ReLUs" in legend.details.text()
    assert legend.height() > compact + 20
    assert legend.geometry().bottom() == canvas.height() - 11  # grew upwards, still in view
    qtbot.mouseClick(legend.toggle, Qt.MouseButton.LeftButton)
    assert not legend.details.isVisible() and legend.height() == compact
    overlay.show_health(health_result(ids, lin_norm=1e-3, act_norm=1.0))  # a reopened project's
    fm = legend.toggle.fontMetrics()
    assert legend.toggle.width() >= fm.horizontalAdvance("Training health")  # never elided
    assert legend.step_label.width() >= legend.step_label.sizeHint().width()


def test_badges_carry_the_plain_words_on_hover(chain) -> None:
    canvas, ids = chain
    overlay = HealthOverlay(canvas)
    text = "75 % of this ReLU's units output 0 for every sample"
    overlay.show_health(health_result(ids, badges={ids["act"]: [{"kind": "dead", "text": text}]}))
    item = canvas.canvas_scene.node_items[ids["act"]]
    (badge,) = [b for n, b in overlay.badges.items() if n is item]
    assert badge.isVisible() and text in badge.toolTip()
    assert badge.style()[1] == "0"
    hovered = canvas.canvas_scene.items(badge.scenePos())
    assert badge in hovered  # it sits where the mouse finds it, on top of the node
    overlay.show_health(health_result(ids))  # problem gone: badge gone
    assert not badge.isVisible()


def test_encoding_is_log_scale_from_blue_through_green_to_red() -> None:
    assert grad_level(None) is None and grad_rgb(None) is None
    assert grad_level(1e-8) == 0.0 and grad_level(1e2) == 1.0
    assert grad_level(1e-3) == pytest.approx(0.5)
    assert grad_level(math.inf) == 1.0
    blue, green, red = grad_rgb(1e-9), grad_rgb(1e-3), grad_rgb(1e3)
    assert blue[2] > blue[0] and green[1] > max(green[0], green[2]) and red[0] > red[2]


def test_channel_grid_tiles_feature_maps_and_values_print_only_when_few() -> None:
    maps = np.arange(5 * 2 * 3, dtype=float).reshape(5, 2, 3)
    grid = channel_grid(maps)
    assert grid.shape == (2 * 2 + 1, 3 * 3 + 2)  # 3 columns, 2 rows, 1-pixel gaps
    np.testing.assert_array_equal(grid[3:5, 4:7], maps[4])
    assert np.isnan(grid[2]).all()
    assert format_values(np.array([0.5, -2.0])) == "0.5  -2"
    assert format_values(np.zeros(20)) is None


def test_preview_panel_draws_images_for_maps_and_bars_for_vectors(qtbot) -> None:
    panel = PreviewPanel()
    qtbot.addWidget(panel)
    preview = {
        "step": 0,
        "index": 2,
        "input": np.ones((1, 4, 4)),
        "outputs": {"a": np.ones((3, 2, 2)), "b": np.arange(5.0), "c": np.arange(300.0)},
    }
    panel.show_preview(preview)
    panel.set_node("a", "conv1 (Conv2d)")
    assert panel.drawn == ("image", "image")
    panel.set_node("b", "linear1 (Linear)")
    assert panel.drawn == ("image", "bars")
    panel.set_node("c", "linear2 (Linear)")
    assert panel.drawn == ("image", "curve")
    assert "sample #2" in panel.status.text()
    with qtbot.waitSignal(panel.sample_changed) as sig:
        panel.set_sample_count(10)
        panel.sample_spin.setValue(4)
    assert sig.args == [4]


def test_histogram_panel_shows_the_selected_layers_history(qtbot) -> None:
    panel = HistogramPanel()
    qtbot.addWidget(panel)
    hist = {"lo": -1.0, "hi": 1.0, "counts": np.array([1, 3, 1, 0])}
    records = {
        "n2": [
            {"step": s, "weights": hist, "grads": hist, "acts": None, "update_ratio": 1e-3 * s}
            for s in (1, 11, 21)
        ]
    }
    panel.show_histograms(records)
    panel.set_node("n2", "linear1 (Linear)")
    maps = panel.shown_maps()
    assert maps["weights"]["image"].shape[0] == 3 and maps["acts"] is None
    x, y = panel.ratio_curve.getData()
    assert list(x) == [1, 11, 21]
    assert "3 readings" in panel.status.text() and "large" in panel.status.text()
    assert "healthy" in ratio_words(1.2e-3) and "slowly" in ratio_words(1e-6)


def test_lr_dialog_marks_the_suggestion_and_applies_it_with_one_click(qtbot) -> None:
    dialog = LRFinderDialog()
    qtbot.addWidget(dialog)
    lrs = np.logspace(-6, 0, 50)
    losses = 1 / (1 + lrs * 100)
    result = LRFindResult(lrs, losses, losses, 3e-3, 0.5, "diverged", 50, 200)
    assert not dialog.apply_button.isEnabled()
    dialog.show_result(result)
    assert dialog.marker.isVisible() and dialog.marker.value() == pytest.approx(math.log10(3e-3))
    assert dialog.apply_button.text() == "Use lr = 0.003"
    with qtbot.waitSignal(dialog.apply_requested) as sig:
        qtbot.mouseClick(dialog.apply_button, LEFT)
    assert sig.args == [pytest.approx(3e-3)]


def fake_trace(ids):
    return {
        "step": 3,
        "loss": 0.25,
        "sample": 0,
        "input": np.array([1.0, 2.0, 3.0]),
        "target": np.array([0.5]),
        "stale_grad_norm": 1.5,
        "order": [ids["lin"], ids["act"]],
        "nodes": {
            ids["lin"]: {
                "type": "Linear",
                "output": np.array([0.5, -1.0, 2.0, 0.0]),
                "grad": np.array([0.1, 0.2, 0.0, -0.1]),
                "params": {
                    "weight": {
                        "value": np.ones((4, 3)),
                        "grad": np.full((4, 3), 0.5),
                        "change": np.full((4, 3), -0.05),
                    }
                },
            },
            ids["act"]: {
                "type": "ReLU",
                "output": np.arange(40.0),
                "grad": np.zeros(40),
                "params": {},
            },
        },
    }


def test_stepping_through_stages_changes_what_the_nodes_show(chain, qtbot) -> None:
    canvas, ids = chain
    panel = StepperPanel()
    qtbot.addWidget(panel)
    overlay = TraceOverlay(canvas)
    panel.stage_changed.connect(lambda s: overlay.show(panel.trace, s))
    panel.show_trace(fake_trace(ids))
    assert panel.stage == "zero_grad" and "1.5" in panel.explain.text()
    assert overlay.card_lines(ids["lin"]) == ["weight.grad ← 0"]
    qtbot.mouseClick(panel.next_button, LEFT)
    assert panel.stage == "forward"
    assert overlay.card_lines(ids["lin"]) == ["out: 0.5  -1  2  0"]  # few values: numbers
    assert overlay.card_lines(ids["act"])[0].startswith("out: 40")  # many: a picture
    assert overlay.card_lines(ids["in"]) == ["x: 1  2  3"]
    qtbot.mouseClick(panel.stage_buttons["loss"], LEFT)
    assert overlay.card_lines(ids["out"])[0] == "loss = 0.25"
    qtbot.mouseClick(panel.stage_buttons["backward"], LEFT)
    assert overlay.card_lines(ids["lin"])[0] == "∂L/∂out: 0.1  0.2  0  -0.1"
    qtbot.mouseClick(panel.stage_buttons["step"], LEFT)
    assert overlay.card_lines(ids["lin"])[0] == f"‖ΔW‖ = {np.sqrt(12 * 0.05**2):.3g}"
    assert overlay.card_lines(ids["act"]) == []  # no weights: nothing to step
    assert not panel.next_button.isEnabled()


def test_empty_histograms_show_a_plain_step_axis_from_0_not_minus_400(qtbot):
    from neurocanvas.widgets.insight.histogram_panel import HistogramPanel

    panel = HistogramPanel()
    qtbot.addWidget(panel)
    panel.resize(700, 500)
    panel.show()
    for plot in (*panel.maps.values(), panel.ratio_plot):
        (x0, x1), _ = plot.getViewBox().viewRange()
        assert x0 == pytest.approx(0) and x1 == pytest.approx(100)
        axis = plot.getAxis("bottom")
        assert axis.autoSIPrefixScale == 1.0 and "step </span>" in axis.labelString()  # no (x0.001)


def test_a_single_output_is_one_narrow_bar_without_a_fractional_index_axis(qtbot):
    import pyqtgraph as pg

    from neurocanvas.widgets.insight.preview_panel import ArrayView

    widget = pg.PlotWidget()
    qtbot.addWidget(widget)
    view = ArrayView(widget.getPlotItem())
    assert view.show(np.array([0.7])) == "bars"
    (x0, x1), _ = widget.getPlotItem().getViewBox().viewRange()
    assert x1 - x0 >= 5 * 0.8  # the bar takes at most a fifth of the width
    assert not widget.getPlotItem().getAxis("bottom").isVisible()
    view.show(np.arange(10.0))  # many outputs: indices on the axis again
    (x0, x1), _ = widget.getPlotItem().getViewBox().viewRange()
    assert x0 <= -0.5 and x1 >= 9.5 and widget.getPlotItem().getAxis("bottom").isVisible()


def test_the_stage_buttons_fit_a_1366_wide_window_with_the_code_in_their_tooltips(qtbot):
    panel = StepperPanel()
    qtbot.addWidget(panel)
    panel.resize(800, 300)  # the Results area at 1366x768
    panel.show()
    qtbot.waitExposed(panel)
    for stage, button in panel.stage_buttons.items():
        assert button.width() >= button.sizeHint().width(), stage  # never cut off
    assert panel.stage_buttons["zero_grad"].toolTip() == "optimizer.zero_grad()"
    assert panel.stage_buttons["loss"].text() == "3. loss"
