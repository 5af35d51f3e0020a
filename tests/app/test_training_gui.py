"""Training through the window: buttons, live lr, edits during a run, divergence, closing."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest
from PySide6.QtCore import Qt

from neurocanvas.app.commands import DisconnectCommand, SetParamCommand
from neurocanvas.app.main_window import MainWindow


def steps_done(w: MainWindow) -> int:
    snap = w.controller.last_snapshot
    return 0 if snap is None else int(snap.step)


def node_id(w: MainWindow, name: str) -> str:
    return w.document.graph.node_by_name(name).id


@pytest.mark.slow
def test_train_linear_regression_through_the_gui(window_factory, qtbot):
    w = window_factory("linear-regression")
    qtbot.mouseClick(w.training_panel.train_button, Qt.MouseButton.LeftButton)
    assert w.controller.state == "running"
    qtbot.waitUntil(lambda: w.controller.state == "finished", timeout=30_000)
    state = w.controller.model.state_dict()
    assert float(np.ravel(state["linear.weight"])[0]) == pytest.approx(2.0, abs=0.05)
    assert float(np.ravel(state["linear.bias"])[0]) == pytest.approx(1.0, abs=0.05)
    x, y = w.fit_plot.prediction_curve.getData()
    assert len(x) > 10 and np.allclose(y, 2 * x + 1, atol=0.15)  # the live fit shows the line
    assert "Finished" in w.training_panel.status_label.text()
    assert w.training_panel.train_button.isEnabled()


def test_lr_slider_mid_run_changes_the_trainer_and_marks_the_loss_plot(window_factory, qtbot):
    w = window_factory("general-fit", epochs=5000)
    w.controller.train()
    qtbot.waitUntil(lambda: steps_done(w) > 20, timeout=10_000)
    lr = w.training_panel.lr
    lr.slider.setValue(lr.scale.to_pos(0.0005))
    wanted = lr.value()
    assert wanted == 5e-4
    qtbot.waitUntil(lambda: w.controller.trainer.settings["lr"] == wanted, timeout=30_000)
    qtbot.waitUntil(
        lambda: any(v == wanted for _, v in w.loss_plot.marker_positions()), timeout=5_000
    )
    step = [s for s, v in w.loss_plot.marker_positions() if v == wanted][0]
    assert step > 20


def test_editing_the_graph_while_training_pauses_recompiles_and_resumes(window_factory, qtbot):
    w = window_factory("general-fit", epochs=5000)
    ctl = w.controller
    ctl.train()
    qtbot.waitUntil(lambda: steps_done(w) > 20, timeout=10_000)
    before = ctl.weights()
    doc = w.document
    doc.undo_stack.push(SetParamCommand(doc.graph, node_id(w, "linear2"), "out_features", 16))
    assert ctl.state == "paused"  # at once, before the recompile
    qtbot.waitUntil(lambda: ctl.state == "running", timeout=30_000)
    model = ctl.trainer.model
    assert model.linear2.weight.shape == (16, 32)
    assert node_id(w, "linear1") in model.reused
    assert node_id(w, "linear2") not in model.reused
    after = ctl.weights()
    # linear1 kept its trained values when the model was rebuilt (it trains on afterwards,
    # so compare its shape and that it did not restart from a fresh initialisation)
    assert after["linear1.weight"].shape == before["linear1.weight"].shape
    assert np.abs(after["linear1.weight"] - before["linear1.weight"]).max() < 0.5
    resumed_at = steps_done(w)
    qtbot.waitUntil(lambda: steps_done(w) > resumed_at + 10, timeout=10_000)

    # An edit that breaks the graph keeps the run paused, with the reason, until undone.
    edge = doc.graph.edges_into(node_id(w, "output"))[0]
    doc.undo_stack.push(DisconnectCommand(doc.graph, edge))
    qtbot.waitUntil(lambda: "until the graph is valid" in w.training_panel.message())
    assert ctl.state == "paused"
    doc.undo_stack.undo()
    qtbot.waitUntil(lambda: ctl.state == "running", timeout=30_000)


def test_step_pause_resume_and_stop_buttons(window_factory, qtbot):
    w = window_factory("general-fit", epochs=5000)
    panel, ctl = w.training_panel, w.controller
    qtbot.mouseClick(panel.step_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: steps_done(w) == 1, timeout=30_000)
    assert ctl.state == "paused" and panel.pause_button.text() == "Resume"
    qtbot.mouseClick(panel.step_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: steps_done(w) == 2, timeout=30_000)
    qtbot.mouseClick(panel.pause_button, Qt.MouseButton.LeftButton)  # Resume
    assert ctl.state == "running"
    qtbot.waitUntil(lambda: steps_done(w) > 10, timeout=30_000)
    qtbot.mouseClick(panel.stop_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: ctl.state == "stopped", timeout=30_000)
    assert ctl.run_thread is None
    assert "Stopped" in w.state_label.text()


def test_a_diverging_run_stops_with_a_message_and_good_weights(window_factory, qtbot):
    w = window_factory("linear-regression")
    panel = w.training_panel
    panel.optimizer_combo.setCurrentIndex(panel.optimizer_combo.findData("sgd"))
    panel.lr.set_value(10.0)
    w.controller.train()
    qtbot.waitUntil(lambda: w.controller.state == "diverged", timeout=10_000)
    assert "diverged" in panel.message().lower()
    assert "smaller learning rate" in panel.message()
    weights = w.controller.weights()
    assert all(np.isfinite(v).all() for v in weights.values())


def test_closing_while_training_stops_the_thread(window_factory, qtbot):
    w = window_factory("general-fit", epochs=5000)
    w.controller.train()
    qtbot.waitUntil(lambda: steps_done(w) > 5, timeout=10_000)
    thread = w.controller.run_thread.thread
    assert thread.isRunning()
    assert w.close()
    assert not thread.isRunning()


def test_the_fit_keeps_moving_while_training_and_no_fit_is_lost_between_frames(
    window_factory, qtbot
):
    w = window_factory("general-fit", epochs=5000)
    ctl = w.controller
    ctl.train()
    qtbot.waitUntil(lambda: steps_done(w) > 20, timeout=10_000)
    first = w.fit_plot.prediction_curve.getData()[1].copy()
    # The trainer computes a new fit only after the last one was drawn: fits keep coming.
    qtbot.waitUntil(
        lambda: not np.array_equal(w.fit_plot.prediction_curve.getData()[1], first),
        timeout=10_000,
    )
    ctl.pause()
    qtbot.waitUntil(lambda: ctl.last_snapshot is not None and ctl.last_snapshot.state == "paused")
    assert ctl.last_snapshot.fit is not None  # a paused view shows where the run stands

    # A snapshot without a fit must not make the frame drop the undrawn one before it.
    snap = ctl.last_snapshot
    with_fit = dataclasses.replace(snap, state="running")
    without = dataclasses.replace(snap, state="running", fit=None)
    ctl.control.take_fit_request()  # as the trainer does when it sends a fit
    assert not ctl.control.take_fit_request()
    ctl._on_snapshot(with_fit)
    ctl._on_snapshot(without)
    assert without.fit is with_fit.fit
    ctl.coalescer.flush()  # the frame draws it and asks the trainer for the next one
    assert ctl.control.take_fit_request()


def test_the_loss_plot_skips_running_frames_but_never_a_paused_or_final_one(
    window_factory, qtbot, monkeypatch
):
    from neurocanvas.app.training_controller import LOSS_FRAME_STRIDE

    w = window_factory("general-fit", epochs=2)
    ctl = w.controller
    ctl.train()
    qtbot.waitUntil(lambda: ctl.state == "finished", timeout=10_000)
    seen: list[int] = []
    monkeypatch.setattr(w.loss_plot, "update_snapshot", lambda s: seen.append(s.step))
    ctl._frames = 0
    running = [dataclasses.replace(ctl.last_snapshot, state="running", step=k) for k in range(6)]
    for snap in running:
        ctl._show_snapshot(snap)
    assert seen == list(range(0, 6, LOSS_FRAME_STRIDE))
    ctl._show_snapshot(dataclasses.replace(ctl.last_snapshot, state="paused", step=99))
    ctl._show_snapshot(dataclasses.replace(ctl.last_snapshot, state="finished", step=100))
    assert seen[-2:] == [99, 100]
