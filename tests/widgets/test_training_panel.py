"""The training panel: buttons emit requests, live sliders write to the control."""

from __future__ import annotations

import math

import numpy as np
import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QPushButton, QSlider

from neurocanvas.core.training.trainer import Snapshot, TrainingControl
from neurocanvas.widgets.training_panel import LogScale, TrainingPanel, format_duration


@pytest.fixture
def panel(qtbot):
    p = TrainingPanel()
    qtbot.addWidget(p)
    return p


def test_panel_has_the_stable_object_names(panel):
    for name in ("trainButton", "pauseButton", "stopButton", "stepButton", "resetButton"):
        assert panel.findChild(QPushButton, name) is not None, name
    assert panel.findChild(QSlider, "lrSlider") is panel.lr.slider


def test_moving_lr_slider_emits_lr_and_updates_label_and_entry(panel, qtbot):
    control = TrainingControl()
    panel.set_control(control)
    pos = panel.lr.scale.to_pos(0.1)
    with qtbot.waitSignal(panel.lr_changed) as blocker:
        panel.lr.slider.setValue(pos)
    lr = blocker.args[0]
    assert lr == pytest.approx(0.1, rel=0.03)
    assert panel.lr.label.text() == f"{lr:.3g}"
    assert float(panel.lr.entry.text()) == lr
    assert control.snapshot_settings()["lr"] == lr  # acts on the running training


def test_typing_lr_moves_the_slider_and_keeps_the_exact_value(panel, qtbot):
    panel.lr.entry.setText("3e-4")
    with qtbot.waitSignal(panel.lr_changed) as blocker:
        panel.lr.entry.editingFinished.emit()
    assert blocker.args[0] == 3e-4
    assert panel.lr.slider.value() == panel.lr.scale.to_pos(3e-4)
    assert panel.lr.label.text() == "0.0003"
    assert panel.settings()["lr"] == 3e-4


def test_typing_nonsense_marks_entry_and_changes_nothing(panel, qtbot):
    before = panel.lr.value()
    panel.lr.entry.setText("fast")
    with qtbot.assertNotEmitted(panel.lr_changed):
        panel.lr.entry.editingFinished.emit()
    assert panel.lr.value() == before
    assert "not a number" in panel.lr.entry.toolTip()


def test_lr_slider_log_mapping_reaches_both_ends(panel):
    slider = panel.lr.slider
    slider.setValue(slider.minimum())
    assert panel.lr.value() == pytest.approx(1e-5)
    slider.setValue(slider.maximum())
    assert panel.lr.value() == pytest.approx(10.0)
    # The middle of the slider is the geometric middle of the range: 10^-2.
    slider.setValue((slider.minimum() + slider.maximum()) // 2)
    assert panel.lr.value() == pytest.approx(1e-2)


def test_typed_lr_outside_range_is_clamped(panel):
    panel.lr.entry.setText("500")
    panel.lr.entry.editingFinished.emit()
    assert panel.lr.value() == 10.0
    assert panel.lr.slider.value() == panel.lr.slider.maximum()


def test_log_scale_round_trips_and_zero_position():
    scale = LogScale(1e-6, 1e-1, steps=500, zero=True)
    assert scale.to_value(0) == 0.0
    assert scale.to_pos(0.0) == 0
    assert scale.to_value(1) == pytest.approx(1e-6)
    assert scale.to_value(500) == pytest.approx(1e-1)
    for v in (1e-6, 3e-4, 0.05):
        assert scale.to_value(scale.to_pos(v)) == pytest.approx(v, rel=0.03)
    with pytest.raises(ValueError, match="0 < lo < hi"):
        LogScale(0.0, 1.0)


def test_momentum_and_weight_decay_sliders_write_to_control(panel, qtbot):
    control = TrainingControl()
    panel.set_control(control)
    panel.optimizer_combo.setCurrentIndex(panel.optimizer_combo.findData("sgd"))
    assert panel.momentum.isEnabled()
    panel.momentum.slider.setValue(50)
    panel.weight_decay.slider.setValue(panel.weight_decay.slider.maximum())
    settings = control.snapshot_settings()
    assert settings["momentum"] == pytest.approx(0.5)
    assert settings["weight_decay"] == pytest.approx(0.1)
    assert settings["optimizer"] == "sgd"
    panel.weight_decay.slider.setValue(0)
    assert control.snapshot_settings()["weight_decay"] == 0.0


def test_momentum_is_disabled_for_adam(panel):
    panel.optimizer_combo.setCurrentIndex(panel.optimizer_combo.findData("adam"))
    assert not panel.momentum.isEnabled()


def test_buttons_emit_requests_and_pause_toggles_to_resume(panel, qtbot):
    with qtbot.waitSignal(panel.train_requested):
        qtbot.mouseClick(panel.train_button, Qt.MouseButton.LeftButton)
    panel.set_state("running")
    assert not panel.train_button.isEnabled()
    with qtbot.waitSignal(panel.pause_requested):
        qtbot.mouseClick(panel.pause_button, Qt.MouseButton.LeftButton)
    panel.set_state("paused")
    assert panel.pause_button.text() == "Resume"
    with qtbot.waitSignal(panel.resume_requested):
        qtbot.mouseClick(panel.pause_button, Qt.MouseButton.LeftButton)
    with qtbot.waitSignal(panel.step_requested):
        qtbot.mouseClick(panel.step_button, Qt.MouseButton.LeftButton)
    with qtbot.waitSignal(panel.stop_requested):
        qtbot.mouseClick(panel.stop_button, Qt.MouseButton.LeftButton)
    panel.set_state("diverged", "Loss became inf at step 40; weights from step 30 restored.")
    assert panel.train_button.isEnabled() and not panel.stop_button.isEnabled()
    assert "inf" in panel.status_label.text()


def test_settings_match_training_config_fields_and_apply_back(panel):
    from neurocanvas.core.training.trainer import TrainingConfig

    panel.apply_settings({"epochs": 7, "batch_size": 8, "optimizer": "rmsprop", "lr": 0.02})
    s = panel.settings()
    cfg = TrainingConfig(**s).validate()
    assert (cfg.epochs, cfg.batch_size, cfg.optimizer, cfg.lr) == (7, 8, "rmsprop", 0.02)
    with pytest.raises(ValueError, match="unknown optimizer 'lbfgs'"):
        panel.apply_settings({"optimizer": "lbfgs"})


def test_progress_shows_epoch_step_speed_and_time_left(panel):
    panel.epochs_spin.setValue(10)
    empty = np.zeros(0)
    snap = Snapshot(
        epoch=2, step=30, total_steps=100, samples_per_s=12345.0, elapsed_s=1.0, eta_s=75.0,
        train_loss=empty, val_loss=empty, step_loss=empty, train_acc=None, val_acc=None,
        lr_changes=[], fit=None, confusion=None, state="running",
    )  # fmt: skip
    panel.update_progress(snap)
    assert panel.progress.value() == 300
    assert panel.progress.format().startswith("Epoch 3/10")
    text = panel.progress_label.text()
    assert "step 30/100" in text
    assert "12,345 samples/s" in text and "1:15 left" in text


def test_format_duration():
    assert format_duration(7) == "0:07"
    assert format_duration(3723) == "1:02:03"
    assert format_duration(math.inf) == "–"
