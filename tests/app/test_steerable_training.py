"""Watchable, steerable training as a person uses it: pace, Train vs Continue, the guard's
choices, comparing learning rates, the runs table, and what a layer learnt."""

from __future__ import annotations

import csv
import re
import time

import numpy as np
import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QDialog, QDialogButtonBox, QLabel, QMenu

from neurocanvas.app.main_window import MainWindow

LEFT = Qt.MouseButton.LeftButton


def steps_done(w: MainWindow) -> int:
    snap = w.controller.last_snapshot
    return 0 if snap is None else int(snap.step)


def click(qtbot, button) -> None:
    qtbot.mouseClick(button, LEFT)


def wait_until_over(qtbot, w: MainWindow, timeout: int = 60_000) -> None:
    qtbot.waitUntil(lambda: w.controller.run_thread is None, timeout=timeout)


def test_the_speed_control_changes_the_step_rate_of_a_running_training(window_factory, qtbot):
    w = window_factory("general-fit", pace=2.0)
    panel = w.training_panel
    click(qtbot, panel.train_button)
    qtbot.waitUntil(lambda: steps_done(w) >= 1, timeout=10_000)
    start, t0 = w.controller.trainer.global_step, time.monotonic()
    qtbot.wait(1500)
    slow = w.controller.trainer.global_step - start
    # 2 steps/s cannot make more than 1 + 2 * elapsed steps, however fast the machine
    assert slow <= 1 + 2 * (time.monotonic() - t0) + 1
    panel.speed.slider.setFocus()
    panel.speed.slider.setValue(panel.speed.slider.maximum())  # unthrottled
    assert panel.speed.label.text() == "unthrottled" and w.controller.control.pace is None
    before = w.controller.trainer.global_step
    qtbot.waitUntil(lambda: w.controller.trainer.global_step > before + 200, timeout=10_000)
    w.controller.stop()


def test_the_first_frame_of_a_run_shows_the_untrained_model(window_factory, qtbot):
    w = window_factory("general-fit", pace="default")
    click(qtbot, w.training_panel.train_button)
    first = w.controller.last_snapshot  # drawn before the training thread took a step
    assert first.step == 0 and first.fit is not None
    np.testing.assert_array_equal(w.fit_plot.prediction_curve.getData()[1], first.fit["y"])
    w.controller.stop()


def test_two_runs_from_train_share_their_initial_weights_and_continue_does_not(
    window_factory, qtbot
):
    w = window_factory("general-fit", epochs=2)
    panel = w.training_panel
    click(qtbot, panel.train_button)
    wait_until_over(qtbot, w)
    first = w.controller.last_snapshot.step_loss[0]
    click(qtbot, panel.train_button)
    wait_until_over(qtbot, w)
    assert w.controller.last_snapshot.step_loss[0] == first  # same weights, same batches
    trained = w.controller.last_snapshot.step_loss[-1]
    steps = len(w.controller.last_snapshot.step_loss)
    click(qtbot, panel.continue_button)
    wait_until_over(qtbot, w)
    continued = w.controller.last_snapshot.step_loss[steps]  # the first step it went on with
    assert continued != first and continued < 0.5 * first
    assert continued == pytest.approx(trained, rel=1.0)
    starts = [run.start for run in w.controller.runs_table.runs]
    assert starts == ["initial weights", "initial weights", "continued"]


def test_continuing_from_converged_weights_does_not_trip_the_guard(window_factory, qtbot):
    w = window_factory("linear-regression")
    click(qtbot, w.training_panel.train_button)
    wait_until_over(qtbot, w)
    assert w.controller.state == "finished"
    converged = w.controller.last_snapshot.step_loss[-20:].mean()
    click(qtbot, w.training_panel.continue_button)
    wait_until_over(qtbot, w)
    snap = w.controller.last_snapshot
    assert w.controller.state == "finished", snap.message
    assert snap.diverged_at is None and snap.step_loss[-20:].mean() < 2 * converged


def test_a_real_divergence_restores_the_best_checkpoint_and_says_what_to_try(window_factory, qtbot):
    w = window_factory("general-fit")
    w.training_panel.lr.set_value(10.0)
    click(qtbot, w.training_panel.train_button)
    wait_until_over(qtbot, w)
    trainer = w.controller.trainer
    assert w.controller.state == "diverged"
    best = trainer.guard.best()
    assert best is not None and trainer.restored_step == best.step
    assert trainer.checkpoint().loss <= best.loss * (1 + 1e-6)  # those weights, no worse
    message = w.training_panel.message()
    assert "diverged" in message and "smaller learning rate" in message
    run = w.controller.runs_table.runs[-1]
    assert run.ended == "diverged"
    assert w.loss_plot.end_marks  # the curve ends in a mark


def test_keep_going_lets_the_loss_grow_without_stopping(window_factory, qtbot):
    w = window_factory("general-fit", epochs=50)
    panel = w.training_panel
    panel.policy_combo.setCurrentIndex(panel.policy_combo.findData("continue"))
    panel.lr.set_value(10.0)  # Adam at lr 10: the loss blows up but stays a number
    click(qtbot, panel.train_button)
    wait_until_over(qtbot, w)
    snap = w.controller.last_snapshot
    assert snap.diverged_at is not None and w.controller.state == "finished"
    assert snap.step == 50 * 8  # every step of every epoch: it never stopped
    before, after = snap.step_loss[: snap.diverged_at - 1], snap.step_loss[snap.diverged_at :]
    assert after.max() > 10 * before.min()


@pytest.mark.slow
def test_compare_learning_rates_gives_one_run_per_rate_with_the_tutorials_outcome(
    window_factory, qtbot
):
    w = window_factory("general-fit", pace="default")  # compare runs unthrottled anyway
    click(qtbot, w.training_panel.compare_button)
    dialog = w.findChild(QDialog, "compareDialog")
    click(qtbot, dialog.buttons.button(QDialogButtonBox.StandardButton.Ok))  # the defaults
    qtbot.waitUntil(lambda: len(w.controller.runs_table.runs) == 4, timeout=120_000)
    wait_until_over(qtbot, w)
    runs = w.controller.runs_table.runs
    assert [r.settings["lr"] for r in runs] == [0.01, 0.1, 1.0, 10.0]
    assert {r.settings["optimizer"] for r in runs} == {"adam"}  # the example's, as in the tutorial
    assert runs[0].ended == "finished" and runs[0].final_val_loss < 0.05  # 0.01 fits
    # 1 misbehaves: it spikes, is not stopped, and ends clearly worse (measured 0.060 vs 0.013)
    assert runs[2].ended == "finished" and runs[2].final_val_loss > 2 * runs[0].final_val_loss
    assert runs[-1].ended == "diverged"  # 10 diverges
    assert len(w.loss_plot.faded) == 3  # the earlier runs stay, each in its own colour
    labels = w.loss_plot.run_labels()
    assert labels[0].startswith("#1 lr 0.01") and labels[-1].startswith("#4 lr 10")


def test_a_run_label_names_a_mid_run_lr_change(window_factory, qtbot):
    w = window_factory("general-fit", epochs=5000)
    click(qtbot, w.training_panel.train_button)
    qtbot.waitUntil(lambda: steps_done(w) > 20, timeout=10_000)
    w.training_panel.lr.set_value(0.1)
    qtbot.waitUntil(lambda: "→ 0.1 at step" in w.loss_plot.run_labels()[-1], timeout=10_000)
    click(qtbot, w.training_panel.stop_button)
    wait_until_over(qtbot, w)
    row = w.controller.runs_table
    assert re.search(r"lr 0\.01 → 0\.1 at step \d+", row.cell(0, "changes"))


def test_the_runs_table_exports_csv_and_a_row_highlights_its_curve(window_factory, qtbot, tmp_path):
    w = window_factory("general-fit", epochs=2)
    for _ in range(2):
        click(qtbot, w.training_panel.train_button)
        wait_until_over(qtbot, w)
    table = w.controller.runs_table
    table.table.selectRow(0)
    assert w.loss_plot.faded[0].opts["pen"].widthF() > 3
    target = tmp_path / "runs.csv"
    assert table.export_csv(target)
    with target.open(encoding="utf-8", newline="") as fh:
        rows = list(csv.DictReader(fh))
    assert [r["run"] for r in rows] == ["1", "2"] and rows[0]["ended"] == "finished"
    assert float(rows[0]["final_train_loss"]) > 0


def test_the_runs_table_is_saved_with_the_project(window_factory, qtbot, tmp_path):
    w = window_factory("linear-regression", epochs=3)
    click(qtbot, w.training_panel.train_button)
    wait_until_over(qtbot, w)
    path = tmp_path / "saved.ncproj"
    assert w.save_to(path)
    other = window_factory(None)
    assert other.open_file(path, ask=False)
    runs = other.controller.runs_table.runs
    assert len(runs) == 1 and runs[0].steps == w.controller.runs_table.runs[0].steps


def test_a_reopened_project_shows_its_runs_loss_curves(window_factory, qtbot, tmp_path):
    w = window_factory("general-fit", epochs=60)  # 480 steps: more than a saved curve keeps
    click(qtbot, w.training_panel.train_button)
    wait_until_over(qtbot, w)
    live_x, live_y = w.loss_plot.step_data()
    path = tmp_path / "saved.ncproj"
    assert w.save_to(path)
    other = window_factory(None)
    assert other.open_file(path, ask=False)
    assert len(other.loss_plot.faded) == 1  # the run's curve, drawn as an earlier run
    x, log_y = other.loss_plot.faded[0].getOriginalDataset()
    assert 100 <= len(x) <= 300 and x[0] == 1 and x[-1] == live_x[-1]
    np.testing.assert_allclose(10.0 ** log_y[-1], live_y[-1], rtol=1e-6)
    assert other.loss_plot.run_labels()[0].startswith("#1 lr")


def test_the_linear_regression_weights_view_shows_w_2_and_b_1_after_training(window_factory, qtbot):
    w = window_factory("linear-regression")
    w.inspector.set_node(w.document.graph.node_by_name("linear").id)
    view = w.inspector.parameter_view
    qtbot.waitUntil(view.isVisible, timeout=30_000)  # the untrained weights, before any run
    click(qtbot, w.training_panel.train_button)
    wait_until_over(qtbot, w)
    text = view.text()
    weight = float(re.search(r"weight = (-?[\d.]+)", text).group(1))
    bias = float(re.search(r"bias = (-?[\d.]+)", text).group(1))
    assert weight == pytest.approx(2.0, abs=0.05) and bias == pytest.approx(1.0, abs=0.05)


def test_reset_weights_clears_the_old_fit_and_the_diverged_message(window_factory, qtbot):
    w = window_factory("general-fit", epochs=20)
    qtbot.waitUntil(lambda: w.fit_plot.prediction_curve.getData()[1] is not None, timeout=30_000)
    untrained = np.array(w.fit_plot.prediction_curve.getData()[1], copy=True)
    click(qtbot, w.training_panel.train_button)
    wait_until_over(qtbot, w)
    w.training_panel.lr.set_value(10.0)
    click(qtbot, w.training_panel.continue_button)  # diverges; the trained weights come back
    wait_until_over(qtbot, w)
    assert "diverged" in w.training_panel.status_label.text()
    trained = np.array(w.fit_plot.prediction_curve.getData()[1], copy=True)
    assert np.abs(trained - untrained).max() > 0.1
    click(qtbot, w.training_panel.reset_button)
    assert w.training_panel.status_label.text() == ""
    assert w.controller.state == "idle"
    np.testing.assert_allclose(w.fit_plot.prediction_curve.getData()[1], untrained, atol=1e-6)


def test_a_reopened_trained_project_shows_its_fit_without_training(window_factory, qtbot, tmp_path):
    w = window_factory("general-fit", epochs=20)
    click(qtbot, w.training_panel.train_button)
    wait_until_over(qtbot, w)
    trained = np.array(w.fit_plot.prediction_curve.getData()[1], copy=True)
    path = tmp_path / "trained.ncproj"
    assert w.save_to(path)
    other = window_factory(None)
    assert other.open_file(path, ask=False)
    qtbot.waitUntil(other.controller.dataset_plotted)  # the plots follow a turn later
    qtbot.waitUntil(
        lambda: (
            other.fit_plot.prediction_curve.getData()[1] is not None
            and len(other.fit_plot.prediction_curve.getData()[1]) == len(trained)
        ),
        timeout=5_000,
    )
    np.testing.assert_allclose(other.fit_plot.prediction_curve.getData()[1], trained, atol=1e-4)


def test_compare_rates_takes_the_persons_rates_and_puts_their_own_lr_back(window_factory, qtbot):
    w = window_factory("general-fit", epochs=3)
    panel = w.training_panel
    panel.lr.set_value(0.03)
    panel.apply_settings({"optimizer": "sgd"})
    train_menu = next(m for m in w.menuBar().findChildren(QMenu) if m.title() == "&Train")
    assert w.compare_action in train_menu.actions()
    w.compare_action.trigger()  # from the Train menu
    dialog = w.findChild(QDialog, "compareDialog")
    assert dialog.optimizer_combo.currentData() == "sgd"  # the panel's, to compare like with like
    dialog.optimizer_combo.setCurrentIndex(dialog.optimizer_combo.findData("adam"))
    ok = dialog.buttons.button(QDialogButtonBox.StandardButton.Ok)
    dialog.rates_edit.clear()
    qtbot.keyClicks(dialog.rates_edit, "0.05, abc")
    click(qtbot, ok)
    assert dialog.isVisible() and "'abc' is not a number" in dialog.error_label.text()
    dialog.rates_edit.clear()
    qtbot.keyClicks(dialog.rates_edit, "0.05 0.5")
    click(qtbot, ok)
    qtbot.waitUntil(lambda: len(w.controller.runs_table.runs) == 2, timeout=60_000)
    wait_until_over(qtbot, w)
    runs = w.controller.runs_table.runs
    assert [(r.settings["lr"], r.settings["optimizer"]) for r in runs] == [
        (0.05, "adam"),
        (0.5, "adam"),
    ]
    qtbot.waitUntil(lambda: panel.lr.value() == 0.03, timeout=30_000)  # the person's lr again
    assert panel.settings()["optimizer"] == "sgd"


def test_continue_goes_on_counting_and_extends_the_same_loss_curve(window_factory, qtbot):
    w = window_factory("general-fit", epochs=2)
    click(qtbot, w.training_panel.train_button)
    wait_until_over(qtbot, w)
    first = w.controller.last_snapshot
    steps = first.step
    click(qtbot, w.training_panel.continue_button)
    wait_until_over(qtbot, w)
    final = w.controller.last_snapshot
    assert final.step == 2 * steps and final.epoch == 4  # not "Epoch 2/2" from step 0
    x, y = w.loss_plot.step_data()
    assert len(x) == 2 * steps and x[-1] == 2 * steps  # one curve, extended
    np.testing.assert_allclose(y[:steps], w.loss_plot.step_data()[1][:steps])
    assert w.loss_plot.faded == []  # not a new, separate run in the plot
    assert w.loss_plot.run_labels()[-1].endswith("(continued from #1)")
    click(qtbot, w.training_panel.train_button)  # Train is a new run from step 0 again
    wait_until_over(qtbot, w)
    assert w.controller.last_snapshot.step == steps and len(w.loss_plot.faded) == 1


def test_compare_rates_puts_the_trained_weights_back_when_the_last_rate_diverges(
    window_factory, qtbot
):
    w = window_factory("general-fit", epochs=3)
    click(qtbot, w.training_panel.train_button)
    wait_until_over(qtbot, w)
    trained = w.controller.weights()
    w.compare_action.trigger()
    dialog = w.findChild(QDialog, "compareDialog")
    assert "weights are put back" in " ".join(lab.text() for lab in dialog.findChildren(QLabel))
    dialog.rates_edit.clear()
    qtbot.keyClicks(dialog.rates_edit, "0.01 10")
    click(qtbot, dialog.buttons.button(QDialogButtonBox.StandardButton.Ok))
    qtbot.waitUntil(lambda: len(w.controller.runs_table.runs) == 3, timeout=60_000)
    wait_until_over(qtbot, w)
    qtbot.waitUntil(lambda: "back" in w.training_panel.message(), timeout=30_000)
    assert w.controller.runs_table.runs[-1].ended == "diverged"  # lr 10, as in the tutorial
    after = w.controller.weights()
    assert after.keys() == trained.keys()
    for key in trained:
        np.testing.assert_array_equal(after[key], trained[key])
    assert w.controller.state == "finished"  # as before the comparison, not "diverged"
    click(qtbot, w.training_panel.continue_button)  # goes on from the trained weights
    wait_until_over(qtbot, w)
    assert w.loss_plot.run_labels()[-1].startswith("#4")
    assert "continued from" not in w.loss_plot.run_labels()[-1]
