"""Looking inside the network through the window: health, previews, lr finder, stepping."""

from __future__ import annotations

import numpy as np
import pytest
from PySide6.QtCore import Qt

from neurocanvas.app.main_window import MainWindow
from neurocanvas.core.tensor import Tensor

LEFT = Qt.MouseButton.LeftButton


def node_id(w: MainWindow, name: str) -> str:
    return w.document.graph.node_by_name(name).id


def click_node(w: MainWindow, qtbot, name: str) -> None:
    item = w.canvas.canvas_scene.node_items[node_id(w, name)]
    w.canvas.centerOn(item)
    point = w.canvas.mapFromScene(item.sceneBoundingRect().center())
    qtbot.mouseClick(w.canvas.viewport(), LEFT, pos=point)


def sigmoid_chain(w: MainWindow, depth: int = 10) -> None:
    """Replace the graph with input -> depth x (Linear 16, Sigmoid) -> Linear 1 -> output."""
    g = w.document.graph
    data = g.to_dict()
    nodes = [n for n in data["nodes"] if n["type"] in ("Input", "Output")]
    inp, out = nodes
    chain = [inp]
    for i in range(depth):
        chain.append(
            {
                "id": f"n{100 + i}",
                "type": "Linear",
                "name": f"lin{i}",
                "params": {"out_features": 16, "bias": True},
                "pos": [150 * (2 * i + 1), 0],
            }
        )
        chain.append(
            {
                "id": f"n{200 + i}",
                "type": "Sigmoid",
                "name": f"sig{i}",
                "params": {},
                "pos": [150 * (2 * i + 2), 0],
            }
        )
    chain.append(
        {
            "id": "n300",
            "type": "Linear",
            "name": "head",
            "params": {"out_features": 1, "bias": True},
            "pos": [150 * (2 * depth + 1), 0],
        }
    )
    chain.append(out)
    edges = [
        {"src": a["id"], "src_port": "out", "dst": b["id"], "dst_port": "in"}
        for a, b in zip(chain, chain[1:])
    ]
    g.load_dict({**data, "nodes": chain, "edges": edges})


def test_a_loaded_model_shows_gradient_bands_and_a_legend(window_factory, qtbot):
    w = window_factory("general-fit")
    overlay = w.insight.health_overlay
    qtbot.waitUntil(lambda: overlay.result is not None, timeout=30_000)
    srcs = {wire.edge.src for wire, h in overlay.halos.items() if h.isVisible()}
    layers = {node_id(w, n) for n in ("linear1", "relu1", "linear2", "relu2", "linear3")}
    assert srcs == layers  # every wire that carries a gradient back, not the input's
    assert overlay.legend.isVisible()
    w.insight.health_action.trigger()  # Train > Show Training Health off
    assert not overlay.legend.isVisible()
    assert not any(h.isVisible() for h in overlay.halos.values())


def test_deep_sigmoid_net_gets_a_vanishing_badge_in_plain_words(window_factory, qtbot):
    w = window_factory("general-fit")
    sigmoid_chain(w)
    overlay = w.insight.health_overlay
    qtbot.waitUntil(
        lambda: overlay.result is not None and "n100" in overlay.result["layers"], timeout=5_000
    )
    first = w.canvas.canvas_scene.node_items["n100"]
    badge = overlay.badges[first]
    assert badge.isVisible() and "vanish" in badge.toolTip()
    assert overlay.result["grad_ratio"] < 1e-3
    # the bands thin out towards the input: the gradient shrinks on its way back
    norms = [overlay.result["layers"][k]["grad_norm"] for k in ("n200", "n204", "n209")]
    assert norms[0] < norms[1] < norms[2]


def test_selecting_a_node_previews_its_output_on_the_chosen_sample(window_factory, qtbot):
    w = window_factory("digits-cnn")
    w.results_tabs.setCurrentWidget(w.insight.preview_panel)
    panel = w.insight.preview_panel
    panel.sample_spin.setValue(3)
    click_node(w, qtbot, "conv1")
    assert panel.node_id == node_id(w, "conv1")
    qtbot.waitUntil(
        lambda: panel.preview is not None and panel.preview["index"] == 3, timeout=5_000
    )
    x = w.document.dataset.x_val[3]
    np.testing.assert_array_equal(panel.preview["input"], x)
    conv = w.controller.model.layer(node_id(w, "conv1"))
    expected = conv(Tensor(x[None])).detach().numpy()[0]
    np.testing.assert_allclose(panel.preview["outputs"][node_id(w, "conv1")], expected, rtol=1e-5)
    assert panel.drawn == ("image", "image")
    assert "conv1" in panel.status.text()


def test_preview_follows_an_edit_while_building(window_factory, qtbot):
    w = window_factory("general-fit")
    panel = w.insight.preview_panel
    w.results_tabs.setCurrentWidget(panel)
    click_node(w, qtbot, "linear1")
    qtbot.waitUntil(lambda: panel.preview is not None, timeout=30_000)
    lin = node_id(w, "linear1")
    assert panel.preview["outputs"][lin].shape == (32,)
    w.document.editor.set_param(lin, "out_features", 8)
    qtbot.waitUntil(lambda: panel.preview["outputs"][lin].shape == (8,), timeout=30_000)


def test_lr_finder_runs_from_the_menu_and_applies_with_one_click(window_factory, qtbot):
    w = window_factory("general-fit")
    before = {k: v.copy() for k, v in w.controller.compile().state_dict().items()}
    w.insight.lr_action.trigger()
    dialog = w.insight.lr_dialog
    assert dialog.isVisible()
    qtbot.mouseClick(dialog.run_button, LEFT)
    qtbot.waitUntil(lambda: dialog.apply_button.isEnabled(), timeout=30_000)
    suggestion = dialog.suggestion
    assert 1e-3 <= suggestion <= 1e-1
    qtbot.mouseClick(dialog.apply_button, LEFT)
    assert w.training_panel.lr.value() == pytest.approx(suggestion, rel=0.03)
    for k, v in w.controller.model.state_dict().items():
        np.testing.assert_array_equal(v, before[k])


def test_step_through_one_batch_follows_zero_grad_forward_loss_backward_step(window_factory, qtbot):
    w = window_factory("digits-mlp")
    panel = w.insight.stepper_panel
    w.results_tabs.setCurrentWidget(panel)
    qtbot.mouseClick(panel.trace_button, LEFT)
    qtbot.waitUntil(lambda: panel.trace is not None, timeout=10_000)
    assert w.controller.state == "paused" and w.controller.last_snapshot.step == 1
    trace, overlay = panel.trace, w.insight.trace_overlay
    assert panel.stage == "zero_grad"
    hidden = node_id(w, "linear1")
    qtbot.mouseClick(panel.next_button, LEFT)  # forward: pictures for 128 units
    assert trace["nodes"][hidden]["output"].shape == (128,)
    assert overlay.card_lines(hidden)[0].startswith("out: 128")
    image_card = overlay.cards[w.canvas.canvas_scene.node_items[hidden]]
    assert image_card.image is not None
    qtbot.mouseClick(panel.next_button, LEFT)  # loss
    out_node = next(n.id for n in w.document.graph.nodes.values() if n.type == "Output")
    assert overlay.card_lines(out_node)[0] == f"loss = {trace['loss']:.4g}"
    qtbot.mouseClick(panel.next_button, LEFT)  # backward: 10 logits' gradients as numbers
    logits = node_id(w, "linear2")
    assert trace["nodes"][logits]["grad"].shape == (10,)
    assert overlay.card_lines(logits)[0].startswith("∂L/∂out: ")
    qtbot.mouseClick(panel.next_button, LEFT)  # step: the weights moved
    change = trace["nodes"][hidden]["params"]["weight"]["change"]
    assert np.abs(change).max() > 0
    assert overlay.card_lines(hidden)[0].startswith("‖ΔW‖ = ")
    # the traced step is the run's real step: its weights are what the model holds now
    now = w.controller.weights()[f"{w.document.graph.nodes[hidden].name}.weight"]
    before = trace["nodes"][hidden]["params"]["weight"]["value"]
    np.testing.assert_allclose(now, before + change, rtol=1e-6, atol=1e-7)


def test_health_and_histograms_arrive_live_while_training(window_factory, qtbot):
    w = window_factory("spiral-classifier", epochs=2000)
    w.results_tabs.setCurrentWidget(w.insight.histogram_panel)
    click_node(w, qtbot, "linear1")
    w.controller.train()
    overlay, hist = w.insight.health_overlay, w.insight.histogram_panel
    qtbot.waitUntil(
        lambda: overlay.result is not None and overlay.result["step"] > 30, timeout=20_000
    )
    qtbot.waitUntil(lambda: len(hist.records.get(node_id(w, "linear1"), [])) >= 3, timeout=20_000)
    w.controller.pause()
    records = hist.records[node_id(w, "linear1")]
    steps = [r["step"] for r in records]
    assert steps == sorted(steps) and steps[-1] > steps[0]
    assert all(r["update_ratio"] > 0 for r in records)
    assert "readings" in hist.status.text()
    assert "training step" in overlay.legend.step_label.text()


def test_step_through_one_batch_uses_the_trained_weights_not_fresh_ones(window_factory, qtbot):
    w = window_factory("general-fit", epochs=2)
    qtbot.mouseClick(w.training_panel.train_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: w.controller.run_thread is None, timeout=60_000)
    trained = w.controller.last_snapshot
    w.insight.trace_action.trigger()
    qtbot.waitUntil(lambda: w.controller.state == "paused", timeout=10_000)
    qtbot.waitUntil(lambda: w.controller.last_snapshot.step == trained.step + 1, timeout=10_000)
    traced = w.controller.last_snapshot.step_loss[trained.step]  # the step traced
    assert traced < 0.5 * trained.step_loss[0]  # the trained network's loss, not a fresh one
    assert w.controller.runs_table.runs[-1].start == "initial weights"
    w.controller.stop()
    qtbot.waitUntil(lambda: len(w.controller.runs_table.runs) == 2, timeout=10_000)
    assert w.controller.runs_table.runs[-1].start == "continued"


def test_histograms_of_every_layer_are_there_after_a_run_watched_elsewhere(window_factory, qtbot):
    # long enough for several records: the probe records at most every 0.25 s of wall time,
    # so a run a quiet machine finishes in a fraction of a second would hold only one
    w = window_factory("general-fit", epochs=300)
    qtbot.mouseClick(w.training_panel.train_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: w.controller.run_thread is None, timeout=60_000)
    panel = w.insight.histogram_panel
    assert not panel.isVisible()  # the Histograms tab was never open during the run
    w.results_tabs.setCurrentWidget(panel)  # opened afterwards
    for name in ("linear1", "linear3"):  # any layer, chosen only now
        click_node(w, qtbot, name)
        maps = panel.shown_maps()
        assert maps["weights"] is not None and len(maps["weights"]["steps"]) >= 2, name


def test_plot_tooltips_wrap_instead_of_running_across_the_screen(window_factory):
    w = window_factory("general-fit")
    for plot in (w.loss_plot, w.fit_plot):
        lines = plot.toolTip().splitlines()
        assert len(lines) >= 2 and max(len(line) for line in lines) <= 72
